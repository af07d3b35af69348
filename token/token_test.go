package token_test

import (
	"context"
	"encoding/base64"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coinop/coinop"
	"github.com/coinop/coinop/token"
)

var key = []byte("0123456789abcdef0123456789abcdef")

func newService(t *testing.T, k []byte) *token.Service {
	t.Helper()
	s, err := token.New(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestShortKeyRefused(t *testing.T) {
	if _, err := token.New([]byte("short")); err == nil {
		t.Fatal("a 5-byte key was accepted")
	}
}

func TestRoundTrip(t *testing.T) {
	s := newService(t, key)
	now := time.Now()
	tok, err := s.Issue(coinop.Claims{Kind: coinop.TokenAPI, Subject: "demo", Role: "user", KeyID: 7, ExpiresAt: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Verify(tok, coinop.TokenAPI)
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "demo" || c.Role != "user" || c.KeyID != 7 || c.ExpiresAt.Unix() != now.Add(time.Hour).Unix() {
		t.Fatalf("claims = %+v", c)
	}
	// A second service with the same key (a restarted server) accepts it.
	if _, err := newService(t, key).Verify(tok, coinop.TokenAPI); err != nil {
		t.Fatalf("token did not survive a restart: %v", err)
	}
}

func TestRejections(t *testing.T) {
	s := newService(t, key)
	valid, _ := s.Issue(coinop.Claims{Kind: coinop.TokenAPI, Subject: "demo", Role: "user", ExpiresAt: time.Now().Add(time.Hour)})
	expired, _ := s.Issue(coinop.Claims{Kind: coinop.TokenAPI, Subject: "demo", IssuedAt: time.Now().Add(-2 * time.Hour), ExpiresAt: time.Now().Add(-time.Second)})
	foreign, _ := newService(t, []byte("another-key-another-key-another-key")).Issue(coinop.Claims{Kind: coinop.TokenAPI, Subject: "demo", ExpiresAt: time.Now().Add(time.Hour)})
	session, _ := s.Issue(coinop.Claims{Kind: coinop.TokenSession, Subject: "demo", ExpiresAt: time.Now().Add(time.Hour)})
	parts := strings.Split(valid, ".")
	tamperedBody := base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"coinop","aud":"coinop:api","sub":"admin","role":"operator","iat":1,"exp":99999999999}`))
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	hs512 := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS512","typ":"JWT"}`))
	cases := map[string]string{
		"empty":         "",
		"garbage":       "not-a-token",
		"truncated":     valid[:len(valid)-5],
		"no signature":  parts[0] + "." + parts[1],
		"tampered body": parts[0] + "." + tamperedBody + "." + parts[2],
		"alg none":      none + "." + parts[1] + ".",
		"other alg":     hs512 + "." + parts[1] + "." + parts[2],
		"expired":       expired,
		"foreign key":   foreign,
		"wrong kind":    session,
		"extra part":    valid + ".x",
	}
	for name, tok := range cases {
		if _, err := s.Verify(tok, coinop.TokenAPI); coinop.ErrorCode(err) != coinop.EUNAUTHORIZED {
			t.Errorf("%s: Verify error = %v, want unauthorized", name, err)
		}
	}
}

type fakeSource struct{ ids atomic.Pointer[[]int64] }

func (f *fakeSource) RevokedAPIKeyIDs(context.Context) ([]int64, error) { return *f.ids.Load(), nil }

func TestRevocations(t *testing.T) {
	src := &fakeSource{}
	src.ids.Store(&[]int64{1})
	r := token.NewRevocations(src, nil)
	var called []int64
	r.OnRevoke(func(id int64) { called = append(called, id) })
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	src.ids.Store(&[]int64{1, 2})
	r.Refresh(context.Background())
	r.Refresh(context.Background())
	if !r.Revoked(1) || !r.Revoked(2) || r.Revoked(3) {
		t.Fatal("wrong revoked set")
	}
	if len(called) != 2 || called[0] != 1 || called[1] != 2 {
		t.Fatalf("OnRevoke calls = %v, want [1 2] once each", called)
	}
}

func TestSeal(t *testing.T) {
	s := newService(t, key)
	type state struct{ Nonce, Verifier string }
	tok, err := s.Seal("login", state{"n1", "v1"}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var got state
	if err := s.Unseal("login", tok, &got); err != nil || got.Nonce != "n1" || got.Verifier != "v1" {
		t.Fatalf("Unseal = %+v, %v", got, err)
	}
	if err := s.Unseal("other", tok, &got); err == nil {
		t.Fatal("a sealed value was accepted for another purpose")
	}
	if err := s.Unseal("login", tok[:len(tok)-3]+"abc", &got); err == nil {
		t.Fatal("a tampered sealed value was accepted")
	}
	if _, err := s.Verify(tok, coinop.TokenSession); err == nil {
		t.Fatal("a sealed value was accepted as a session token")
	}
	old, _ := s.Seal("login", state{}, -time.Second)
	if err := s.Unseal("login", old, &got); err == nil {
		t.Fatal("an expired sealed value was accepted")
	}
}
