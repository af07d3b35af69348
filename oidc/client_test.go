package oidc_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"testing"

	"github.com/coinop/coinop"
	"github.com/coinop/coinop/oidc"
	"github.com/coinop/coinop/oidc/oidctest"
)

const (
	clientID    = "coinop-web"
	secret      = "s3cret:with/odd+chars" // survives form-encoding in basic auth
	redirectURL = "https://coinop.example/auth/callback"
)

// newClient returns a provider with coinop registered and a Client for it.
func newClient(t *testing.T) (*oidctest.Provider, *oidc.Client) {
	t.Helper()
	p := oidctest.New(t)
	p.RegisterClient(clientID, secret, redirectURL)
	return p, &oidc.Client{
		Issuer: p.URL(), ClientID: clientID, ClientSecret: secret,
		RedirectURL: redirectURL, HTTPClient: onlyTo(t, p),
	}
}

// login is the browser's part: it visits AuthURL and returns the code and
// state of the provider's redirect, which it does not follow.
func login(t *testing.T, p *oidctest.Provider, c *oidc.Client, state, nonce, challenge string) url.Values {
	t.Helper()
	ctx := context.Background()
	authURL, err := c.AuthURL(ctx, state, nonce, challenge)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.HTTPClient.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: status %s", resp.Status)
	}
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if got := back.Scheme + "://" + back.Host + back.Path; got != redirectURL {
		t.Fatalf("redirected to %s, want %s", got, redirectURL)
	}
	return back.Query()
}

func TestCodeFlow(t *testing.T) {
	p, c := newClient(t)
	p.SetUser("g-4711", "ada@example.com", "Ada Lovelace", "Ada", true)
	state, nonce := oidc.RandomString(16), oidc.RandomString(16)
	verifier, challenge := oidc.NewPKCE()
	q := login(t, p, c, state, nonce, challenge)
	if q.Get("state") != state || q.Get("code") == "" {
		t.Fatalf("callback query = %v", q)
	}
	ctx := context.Background()
	raw, err := c.Exchange(ctx, q.Get("code"), verifier)
	if err != nil {
		t.Fatal(err)
	}
	id, err := oidc.NewVerifier(p.URL(), []string{clientID}, onlyTo(t, p)).Verify(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	if id.Nonce != nonce {
		t.Fatalf("nonce = %q, want %q", id.Nonce, nonce)
	}
	if id.Issuer != p.URL() || id.Subject != "g-4711" || id.Email != "ada@example.com" || !id.EmailVerified ||
		id.Name != "Ada Lovelace" || id.GivenName != "Ada" || id.ClientID != clientID {
		t.Fatalf("identity = %+v", id)
	}
}

func TestAuthURL(t *testing.T) {
	p, c := newClient(t)
	raw, err := c.AuthURL(context.Background(), "st", "no", "ch")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(raw)
	q := u.Query()
	want := map[string]string{
		"response_type": "code", "client_id": clientID, "redirect_uri": redirectURL,
		"scope": "openid email profile", "state": "st", "nonce": "no",
		"code_challenge": "ch", "code_challenge_method": "S256",
	}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
	if u.Scheme+"://"+u.Host+u.Path != p.URL()+"/authorize" {
		t.Errorf("endpoint = %s", raw)
	}
	if _, err := c.AuthURL(context.Background(), "", "no", "ch"); err == nil {
		t.Error("AuthURL without state succeeded")
	}
}

func TestExchangeRefusals(t *testing.T) {
	ctx := context.Background()
	t.Run("wrong verifier", func(t *testing.T) {
		p, c := newClient(t)
		_, challenge := oidc.NewPKCE()
		other, _ := oidc.NewPKCE()
		q := login(t, p, c, "s", "n", challenge)
		if _, err := c.Exchange(ctx, q.Get("code"), other); coinop.ErrorCode(err) != coinop.EUNAUTHORIZED {
			t.Fatalf("wrong verifier: %v", err)
		}
	})
	t.Run("code reuse", func(t *testing.T) {
		p, c := newClient(t)
		verifier, challenge := oidc.NewPKCE()
		q := login(t, p, c, "s", "n", challenge)
		if _, err := c.Exchange(ctx, q.Get("code"), verifier); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Exchange(ctx, q.Get("code"), verifier); coinop.ErrorCode(err) != coinop.EUNAUTHORIZED {
			t.Fatalf("second exchange: %v", err)
		}
	})
	t.Run("wrong secret", func(t *testing.T) {
		p, c := newClient(t)
		verifier, challenge := oidc.NewPKCE()
		q := login(t, p, c, "s", "n", challenge)
		c.ClientSecret = "guess"
		if _, err := c.Exchange(ctx, q.Get("code"), verifier); coinop.ErrorCode(err) != coinop.EUNAUTHORIZED {
			t.Fatalf("wrong secret: %v", err)
		}
	})
	t.Run("empty code", func(t *testing.T) {
		_, c := newClient(t)
		if _, err := c.Exchange(ctx, "", "v"); coinop.ErrorCode(err) != coinop.EUNAUTHORIZED {
			t.Fatalf("empty code: %v", err)
		}
	})
}

func TestAuthorizeRefusesUnregisteredRedirect(t *testing.T) {
	_, c := newClient(t)
	c.RedirectURL = "https://evil.example/callback"
	_, challenge := oidc.NewPKCE()
	authURL, err := c.AuthURL(context.Background(), "s", "n", challenge)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.HTTPClient.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("unregistered redirect_uri: status %s, Location %q", resp.Status, resp.Header.Get("Location"))
	}
}

func TestPKCE(t *testing.T) {
	v1, c1 := oidc.NewPKCE()
	v2, _ := oidc.NewPKCE()
	sum := sha256.Sum256([]byte(v1))
	if c1 != base64.RawURLEncoding.EncodeToString(sum[:]) || len(v1) != 43 || len(c1) != 43 || v1 == v2 {
		t.Fatalf("PKCE %q %q %q", v1, c1, v2)
	}
	if s := oidc.RandomString(16); len(s) != 22 {
		t.Fatalf("RandomString(16) = %q", s)
	}
}
