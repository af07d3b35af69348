package oidctest_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coinop/coinop/oidc/oidctest"
)

const redirect = "https://app.example/cb"

var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// authorize visits /authorize with q over the defaults and returns the
// redirect's query.
func authorize(t *testing.T, p *oidctest.Provider, q url.Values) url.Values {
	t.Helper()
	params := url.Values{
		"response_type": {"code"}, "client_id": {"app"}, "redirect_uri": {redirect}, "scope": {"openid"},
		"state": {"st"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"},
	}
	for k, v := range q {
		params[k] = v
	}
	resp, err := noRedirects.Get(p.URL() + "/authorize?" + params.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: %s", resp.Status)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), redirect+"?") {
		t.Fatalf("Location %q", resp.Header.Get("Location"))
	}
	return loc.Query()
}

const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

var challenge = func() string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}()

func TestClientSecretPost(t *testing.T) {
	p := oidctest.New(t)
	p.RegisterClient("app", "pw", redirect)
	code := authorize(t, p, nil).Get("code")
	resp, err := http.PostForm(p.URL()+"/token", url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect},
		"code_verifier": {verifier}, "client_id": {"app"}, "client_secret": {"pw"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != http.StatusOK || body["token_type"] != "Bearer" || body["id_token"] == nil || body["access_token"] == nil {
		t.Fatalf("token: %s %v", resp.Status, body)
	}
}

func TestAuthorizeErrors(t *testing.T) {
	p := oidctest.New(t)
	p.RegisterClient("app", "pw", redirect)
	for name, q := range map[string]url.Values{
		"plain PKCE":    {"code_challenge_method": {"plain"}},
		"no PKCE":       {"code_challenge": {""}, "code_challenge_method": {""}},
		"no openid":     {"scope": {"email"}},
		"implicit flow": {"response_type": {"id_token"}},
	} {
		got := authorize(t, p, q)
		if got.Get("error") != "invalid_request" || got.Get("code") != "" || got.Get("state") != "st" {
			t.Errorf("%s: redirect query %v", name, got)
		}
	}
	for name, q := range map[string]string{
		"unknown client":   "client_id=other&redirect_uri=" + url.QueryEscape(redirect),
		"foreign redirect": "client_id=app&redirect_uri=" + url.QueryEscape("https://evil.example/cb"),
	} {
		resp, err := noRedirects.Get(p.URL() + "/authorize?" + q)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %s", name, resp.Status)
		}
	}
}
