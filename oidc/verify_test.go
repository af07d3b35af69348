package oidc_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coinop/coinop"
	"github.com/coinop/coinop/oidc"
	"github.com/coinop/coinop/oidc/oidctest"
)

// onlyTo returns an HTTP client that reaches the provider and nothing else,
// and never follows redirects.
func onlyTo(t *testing.T, p *oidctest.Provider) *http.Client {
	t.Helper()
	u, err := url.Parse(p.URL())
	if err != nil {
		t.Fatal(err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if r.URL.Host != u.Host {
				t.Errorf("request to %s, not the test provider", r.URL)
				return nil, errors.New("not the test provider")
			}
			return tr.RoundTrip(r)
		}),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// clock is a Verifier clock the test can move forward.
type clock struct{ skew atomic.Int64 }

func (c *clock) now() time.Time          { return time.Now().Add(time.Duration(c.skew.Load())) }
func (c *clock) advance(d time.Duration) { c.skew.Add(int64(d)) }
func newVerifier(t *testing.T, p *oidctest.Provider) (*oidc.Verifier, *clock) {
	t.Helper()
	v := oidc.NewVerifier(p.URL(), []string{oidctest.DefaultClient}, onlyTo(t, p))
	c := &clock{}
	v.Now = c.now
	return v, c
}

func TestVerifyValid(t *testing.T) {
	p := oidctest.New(t)
	v, _ := newVerifier(t, p)
	exp := time.Now().Add(30 * time.Minute).Truncate(time.Second)
	id, err := v.Verify(context.Background(), p.IDToken(map[string]any{
		"sub": "1089", "aud": []string{"test-client", "other-client"}, "azp": "android-client",
		"email": "ada@example.com", "email_verified": true, "name": "Ada Lovelace", "given_name": "Ada",
		"nonce": "n-0S6", "exp": exp.Unix(),
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := coinop.Identity{
		Issuer: p.URL(), Subject: "1089", Email: "ada@example.com", EmailVerified: true,
		Name: "Ada Lovelace", GivenName: "Ada", ClientID: "android-client", Nonce: "n-0S6",
	}
	if id.Issuer != want.Issuer || id.Subject != want.Subject || id.Email != want.Email ||
		id.EmailVerified != want.EmailVerified || id.Name != want.Name || id.GivenName != want.GivenName ||
		id.ClientID != want.ClientID || id.Nonce != want.Nonce || !id.ExpiresAt.Equal(exp) ||
		strings.Join(id.Audience, ",") != "test-client,other-client" {
		t.Fatalf("identity = %+v", id)
	}
	// Without azp, the client is the single audience.
	id, err = v.Verify(context.Background(), p.IDToken(nil))
	if err != nil || id.ClientID != oidctest.DefaultClient || id.Subject != "user-1" {
		t.Fatalf("identity = %+v, %v", id, err)
	}
}

func TestEmailVerifiedForms(t *testing.T) {
	p := oidctest.New(t)
	v, _ := newVerifier(t, p)
	for _, tc := range []struct {
		claim any
		want  bool
	}{{true, true}, {false, false}, {"true", true}, {"false", false}, {nil, false}} {
		id, err := v.Verify(context.Background(), p.IDToken(map[string]any{"email_verified": tc.claim}))
		if err != nil || id.EmailVerified != tc.want {
			t.Errorf("email_verified %#v: got %+v, %v; want %v", tc.claim, id, err, tc.want)
		}
	}
	if _, err := v.Verify(context.Background(), p.IDToken(map[string]any{"email_verified": "yes"})); err == nil {
		t.Error(`email_verified "yes" was accepted`)
	}
}

func TestVerifyES256(t *testing.T) {
	p := oidctest.New(t)
	v, _ := newVerifier(t, p)
	id, err := v.Verify(context.Background(), p.IDTokenES256(map[string]any{"sub": "ec-user"}))
	if err != nil || id.Subject != "ec-user" {
		t.Fatalf("ES256: %+v, %v", id, err)
	}
}

func TestLeeway(t *testing.T) {
	p := oidctest.New(t)
	v, _ := newVerifier(t, p)
	now := time.Now()
	for name, claims := range map[string]map[string]any{
		"expired 30s ago":  {"exp": now.Add(-30 * time.Second).Unix()},
		"issued in 30s":    {"iat": now.Add(30 * time.Second).Unix()},
		"valid from 30s":   {"nbf": now.Add(30 * time.Second).Unix()},
		"fractional dates": {"iat": float64(now.Unix()) + 0.5, "exp": float64(now.Add(time.Hour).Unix()) + 0.25},
	} {
		if _, err := v.Verify(context.Background(), p.IDToken(claims)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestRejections(t *testing.T) {
	p := oidctest.New(t)
	v, _ := newVerifier(t, p)
	foreign, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	valid := p.IDToken(nil)
	parts := strings.Split(valid, ".")
	tampered := parts[0] + "." + enc(`{"iss":"`+p.URL()+`","aud":"test-client","sub":"admin","iat":1,"exp":99999999999}`) + "." + parts[2]
	for _, tc := range []struct{ name, token, msg string }{
		{"wrong issuer", p.IDToken(map[string]any{"iss": "https://evil.example"}), "ID token from another issuer"},
		{"wrong audience", p.IDToken(map[string]any{"aud": "other-client"}), "ID token for another client"},
		{"audience list without ours", p.IDToken(map[string]any{"aud": []string{"a", "b"}, "azp": "test-client"}), "ID token for another client"},
		{"several audiences, no azp", p.IDToken(map[string]any{"aud": []string{"test-client", "b"}}), "ID token for another client"},
		{"no audience", p.IDToken(map[string]any{"aud": nil}), "ID token for another client"},
		{"expired", p.IDToken(map[string]any{"exp": now.Add(-2 * time.Minute).Unix()}), "expired ID token"},
		{"iat in the future", p.IDToken(map[string]any{"iat": now.Add(2 * time.Minute).Unix()}), "ID token not yet valid"},
		{"nbf in the future", p.IDToken(map[string]any{"nbf": now.Add(2 * time.Minute).Unix()}), "ID token not yet valid"},
		{"no exp", p.IDToken(map[string]any{"exp": nil}), "malformed ID token"},
		{"no iat", p.IDToken(map[string]any{"iat": nil}), "malformed ID token"},
		{"exp as a string", p.IDToken(map[string]any{"exp": "99999999999"}), "malformed ID token"},
		{"missing sub", p.IDToken(map[string]any{"sub": nil}), "ID token without a valid subject"},
		{"empty sub", p.IDToken(map[string]any{"sub": ""}), "ID token without a valid subject"},
		{"foreign key, same kid", p.SignWith(foreign, p.KeyID(), nil), "invalid ID token signature"},
		{"unknown kid", p.SignWith(foreign, "no-such-kid", nil), "ID token signed by an unknown key"},
		{"no kid", p.WithHeader(map[string]any{"kid": nil}, nil), "ID token signed by an unknown key"},
		{"alg none", p.Unsigned(nil), "unsupported ID token algorithm"},
		{"alg none, no typ", p.WithHeader(map[string]any{"alg": "none", "typ": nil}, nil), "unsupported ID token algorithm"},
		{"HS256 key confusion", p.WithHeader(map[string]any{"alg": "HS256"}, nil), "unsupported ID token algorithm"},
		{"RS512", p.WithHeader(map[string]any{"alg": "RS512"}, nil), "unsupported ID token algorithm"},
		{"PS256", p.WithHeader(map[string]any{"alg": "PS256"}, nil), "unsupported ID token algorithm"},
		{"ES256 header, RSA kid", p.WithHeader(map[string]any{"alg": "ES256"}, nil), "invalid ID token signature"},
		{"RS256 header, EC kid", p.WithHeader(map[string]any{"kid": oidctest.ECKeyID}, nil), "invalid ID token signature"},
		{"crit header", p.WithHeader(map[string]any{"crit": []string{"exp"}}, nil), "malformed ID token"},
		{"access token typ", p.WithHeader(map[string]any{"typ": "at+jwt"}, nil), "malformed ID token"},
		{"tampered payload", tampered, "invalid ID token signature"},
		{"signature stripped", parts[0] + "." + parts[1] + ".", "malformed ID token"},
		{"empty", "", "malformed ID token"},
		{"one part", "abc", "malformed ID token"},
		{"two parts", parts[0] + "." + parts[1], "malformed ID token"},
		{"four parts", valid + ".x", "malformed ID token"},
		{"not base64", "!!.!!.!!", "malformed ID token"},
		{"padded", parts[0] + "=." + parts[1] + "." + parts[2], "malformed ID token"},
		{"header not JSON", enc("alg RS256") + "." + parts[1] + "." + parts[2], "malformed ID token"},
		{"huge", valid + strings.Repeat("A", 20<<10), "malformed ID token"},
	} {
		id, err := v.Verify(context.Background(), tc.token)
		if err == nil {
			t.Errorf("%s: accepted as %+v", tc.name, id)
			continue
		}
		if coinop.ErrorCode(err) != coinop.EUNAUTHORIZED || coinop.ErrorMessage(err) != tc.msg {
			t.Errorf("%s: %v; want %q", tc.name, err, tc.msg)
		}
	}
	if n := p.JWKSFetches(); n != 1 {
		t.Errorf("JWKS fetched %d times, want 1", n)
	}
}

func enc(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestNoAudienceRefusesAll(t *testing.T) {
	p := oidctest.New(t)
	v := oidc.NewVerifier(p.URL(), nil, onlyTo(t, p))
	if _, err := v.Verify(context.Background(), p.IDToken(nil)); coinop.ErrorCode(err) != coinop.EUNAUTHORIZED {
		t.Fatalf("no audience configured: %v", err)
	}
}

func TestJWKSCached(t *testing.T) {
	p := oidctest.New(t)
	v, _ := newVerifier(t, p)
	tok := p.IDToken(nil)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if _, err := v.Verify(context.Background(), tok); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := p.JWKSFetches(); n != 1 {
		t.Fatalf("JWKS fetched %d times for 50 verifications, want 1", n)
	}
}

func TestKeyRotation(t *testing.T) {
	p := oidctest.New(t)
	v, clk := newVerifier(t, p)
	ctx := context.Background()
	old := p.IDToken(nil)
	if _, err := v.Verify(ctx, old); err != nil {
		t.Fatal(err)
	}
	p.RotateKey()
	fresh := p.IDToken(nil)
	// Right after a fetch, an unknown kid does not trigger another.
	if _, err := v.Verify(ctx, fresh); coinop.ErrorMessage(err) != "ID token signed by an unknown key" {
		t.Fatalf("new key within the refetch interval: %v", err)
	}
	if n := p.JWKSFetches(); n != 1 {
		t.Fatalf("JWKS fetched %d times, want 1", n)
	}
	clk.advance(oidc.RefetchInterval + time.Second)
	for range 10 {
		if _, err := v.Verify(ctx, fresh); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := v.Verify(ctx, old); err != nil { // the previous key is still published
		t.Fatal(err)
	}
	if n := p.JWKSFetches(); n != 2 {
		t.Fatalf("JWKS fetched %d times, want 2", n)
	}
	// A stream of forged kids does not hammer the provider.
	for i := range 20 {
		v.Verify(ctx, p.WithHeader(map[string]any{"kid": "forged-" + string(rune('a'+i))}, nil))
	}
	if n := p.JWKSFetches(); n != 2 {
		t.Fatalf("JWKS fetched %d times after forged kids, want 2", n)
	}
}

func TestKeysExpire(t *testing.T) {
	p := oidctest.New(t)
	v, clk := newVerifier(t, p)
	tok := p.IDToken(map[string]any{"exp": time.Now().Add(48 * time.Hour).Unix()})
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	clk.advance(oidc.KeysMaxAge + time.Minute)
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	if n := p.JWKSFetches(); n != 2 {
		t.Fatalf("JWKS fetched %d times, want 2 (one refresh after KeysMaxAge)", n)
	}
}

func TestDiscoveryIssuerMismatch(t *testing.T) {
	p := oidctest.New(t)
	var logs bytes.Buffer
	v := oidc.NewVerifier(p.URL()+"/", []string{oidctest.DefaultClient}, onlyTo(t, p))
	v.Log = slog.New(slog.NewTextHandler(&logs, nil))
	_, err := v.Verify(context.Background(), p.IDToken(map[string]any{"iss": p.URL() + "/"}))
	if coinop.ErrorCode(err) != coinop.EUNAUTHORIZED || coinop.ErrorMessage(err) != "sign-in provider unavailable" {
		t.Fatalf("issuer mismatch: %v", err)
	}
	if !strings.Contains(err.Error(), "discovery document names issuer") || !strings.Contains(logs.String(), "discovery document names issuer") {
		t.Fatalf("cause not wrapped or logged: err=%v logs=%s", err, logs.String())
	}
	if p.JWKSFetches() != 0 {
		t.Fatal("JWKS fetched from a provider whose discovery document failed")
	}
}

func TestProviderDown(t *testing.T) {
	p := oidctest.New(t)
	tok := p.IDToken(nil)
	v := oidc.NewVerifier(p.URL(), []string{oidctest.DefaultClient}, onlyTo(t, p))
	p.Close()
	if _, err := v.Verify(context.Background(), tok); coinop.ErrorCode(err) != coinop.EUNAUTHORIZED {
		t.Fatalf("provider down: %v", err)
	}
}

func TestInsecureIssuerRefused(t *testing.T) {
	p := oidctest.New(t)
	v := oidc.NewVerifier("http://accounts.example.com", []string{oidctest.DefaultClient}, onlyTo(t, p))
	_, err := v.Verify(context.Background(), p.IDToken(map[string]any{"iss": "http://accounts.example.com"}))
	if coinop.ErrorCode(err) != coinop.EUNAUTHORIZED || !strings.Contains(err.Error(), "not an https URL") {
		t.Fatalf("plain http issuer: %v", err)
	}
}
