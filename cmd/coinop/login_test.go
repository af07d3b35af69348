package main

import (
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestLoginWithIDToken(t *testing.T) {
	b := startBank(t)
	tok := b.idToken("ana", appClient)
	if status, body := b.call(t, "POST", "/api/v2/login", tok, ""); status != 201 || body["user"].(float64) < 2 {
		t.Fatalf("first login: %d %v", status, body)
	}
	if status, _ := b.call(t, "POST", "/api/v2/login", tok, ""); status != 200 {
		t.Fatalf("second login: %d", status)
	}
	if status, body := b.call(t, "GET", "/api/v2/balance", tok, ""); status != 200 || body["balance"] != 0.0 {
		t.Fatalf("balance of a new person: %d %v", status, body)
	}
	// A person who never logged in is unknown everywhere else.
	if status, _ := b.call(t, "GET", "/api/v2/balance", b.idToken("bruno", appClient), ""); status != 401 {
		t.Fatalf("unknown person: %d", status)
	}

	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	apiTok := b.token(t, b.DemoKey)
	machineKey := cli(t, b.Data, "apikey", "create", "--user", "machine-9")
	bad := map[string]string{
		"no token":         "",
		"garbage":          "abc.def.ghi",
		"wrong issuer":     b.idToken("ana", appClient, "iss", "https://evil.example"),
		"wrong audience":   b.idToken("ana", "someone-else"),
		"expired":          b.idToken("ana", appClient, "exp", time.Now().Add(-time.Hour).Unix(), "iat", time.Now().Add(-2*time.Hour).Unix()),
		"bad signature":    b.idp.SignWith(other, b.idp.KeyID(), map[string]any{"sub": "ana", "aud": appClient}),
		"alg none":         b.idp.Unsigned(map[string]any{"sub": "ana", "aud": appClient}),
		"key confusion":    b.idp.WithHeader(map[string]any{"alg": "HS256"}, map[string]any{"sub": "ana", "aud": appClient}),
		"ticker token":     apiTok,
		"machine token":    b.token(t, machineKey),
		"API key as token": b.DemoKey,
	}
	for name, tok := range bad {
		for _, path := range []string{"/api/v2/login", "/api/v2/balance"} {
			method := "GET"
			if path == "/api/v2/login" {
				method = "POST"
			}
			if status, body := b.call(t, method, path, tok, ""); status != 401 || body["error"] != "unauthorized" {
				t.Errorf("%s on %s: %d %v", name, path, status, body)
			}
		}
	}
}

// browser is an HTTP client with cookies that does not follow redirects.
func browser(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func location(t *testing.T, c *http.Client, u string) *url.URL {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("GET %s: %d, want 302", u, resp.StatusCode)
	}
	loc, err := resp.Location()
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestBrowserLogin(t *testing.T) {
	b := startBank(t)
	b.idp.SetUser("carla-sub", "carla@example.com", "Carla Dias", "Carla", true)
	c := browser(t)
	base := "http://localhost" + b.Addr[strings.LastIndex(b.Addr, ":"):]

	auth := location(t, c, base+"/api/v2/auth/login?return=/app/")
	q := auth.Query()
	if !strings.HasPrefix(auth.String(), b.idp.URL()) || q.Get("state") == "" || q.Get("nonce") == "" || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		t.Fatalf("login redirect %s", auth)
	}
	callback := location(t, c, auth.String()) // the provider: consent, back with a code
	if callback.Query().Get("code") == "" {
		t.Fatalf("provider redirect %s", callback)
	}
	// A state that does not match is refused.
	bad := *callback
	bq := bad.Query()
	bq.Set("state", "forged")
	bad.RawQuery = bq.Encode()
	if resp, _ := c.Get(bad.String()); resp.StatusCode != 401 {
		t.Fatalf("forged state: %d", resp.StatusCode)
	}
	// The real callback (the failed one cleared the flow cookie: start again).
	auth = location(t, c, base+"/api/v2/auth/login?return=/app/")
	callback = location(t, c, auth.String())
	if to := location(t, c, callback.String()); to.Path != "/app/" {
		t.Fatalf("after login redirected to %s", to)
	}
	resp, err := c.Get(base + "/api/v2/me")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("me with the session cookie: %v %v", resp, err)
	}
	resp.Body.Close()
	var session *http.Cookie
	for _, ck := range c.Jar.Cookies(&url.URL{Scheme: "http", Host: strings.TrimPrefix(base, "http://")}) {
		if ck.Name == "coinop_session" {
			session = ck
		}
	}
	if session == nil {
		t.Fatal("no session cookie")
	}
	// A cross-site unsafe request with the cookie is refused; same-origin passes.
	req, _ := http.NewRequest("POST", base+"/api/v2/transfer", strings.NewReader(`{"to":1,"value":1}`))
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, _ = c.Do(req)
	if resp.StatusCode != 403 {
		t.Fatalf("cross-site POST with the cookie: %d", resp.StatusCode)
	}
	req, _ = http.NewRequest("POST", base+"/api/v2/auth/logout", nil)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if resp, _ = c.Do(req); resp.StatusCode != 204 {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	if resp, _ = c.Get(base + "/api/v2/me"); resp.StatusCode != 401 {
		t.Fatalf("me after logout: %d", resp.StatusCode)
	}
	// A session token is a coinop token: it is no API token.
	if _, r, err := dialTicker(t, b.testServer, "", bearer(session.Value)); err == nil || r.StatusCode != 401 {
		t.Fatal("a session token opened the ticker")
	}
}
