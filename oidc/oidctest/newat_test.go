package oidctest_test

import (
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/coinop/coinop/oidc/oidctest"
)

// freeAddr returns a loopback address nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// getJSON fetches url into v.
func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(v) != nil {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
}

func TestNewAt(t *testing.T) {
	addr := freeAddr(t)
	p := oidctest.NewAt(t, addr)
	if p.URL() != "http://"+addr {
		t.Fatalf("URL %s, want http://%s", p.URL(), addr)
	}
	var disc struct{ Issuer, JWKSURI string }
	getJSON(t, p.URL()+"/.well-known/openid-configuration", &disc)
	if disc.Issuer != p.URL() {
		t.Errorf("issuer %q", disc.Issuer)
	}
	first := p.KeyID()
	if !strings.HasPrefix(first, "rsa-") || first == "rsa-1" {
		t.Errorf("kid %q: want a tagged kid, not New's rsa-1", first)
	}
	// A second provider at the same address, after the first closed, has
	// other kids: a verifier's cache cannot mistake its keys.
	p.Close()
	p2 := oidctest.NewAt(t, addr)
	if p2.KeyID() == first {
		t.Errorf("same kid %q at the same address", first)
	}
	var jwks struct{ Keys []struct{ Kid string } }
	getJSON(t, p2.URL()+"/jwks", &jwks)
	if len(jwks.Keys) == 0 || jwks.Keys[0].Kid != p2.KeyID() {
		t.Errorf("jwks %+v, want %s first", jwks, p2.KeyID())
	}
	if plain := oidctest.New(t); plain.KeyID() != "rsa-1" {
		t.Errorf("New's kid %q, want rsa-1", plain.KeyID())
	}
}

// programTB is a TB outside testing: Fatal panics, Cleanup collects.
type programTB struct{ cleanups []func() }

type fatal struct{ msg any }

func (*programTB) Helper()            {}
func (*programTB) Fatal(args ...any)  { panic(fatal{args}) }
func (p *programTB) Cleanup(f func()) { p.cleanups = append(p.cleanups, f) }
func (p *programTB) runCleanups() {
	for i := len(p.cleanups) - 1; i >= 0; i-- {
		p.cleanups[i]()
	}
}

// fatalOf returns what f passed to Fatal, or nil if it returned normally.
func fatalOf(f func()) (msg any) {
	defer func() {
		if r := recover(); r != nil {
			msg = r.(fatal).msg
		}
	}()
	f()
	return nil
}

func TestNewAtOutsideTests(t *testing.T) {
	tb := &programTB{}
	addr := freeAddr(t)
	var p *oidctest.Provider
	if msg := fatalOf(func() { p = oidctest.NewAt(tb, addr) }); msg != nil {
		t.Fatalf("NewAt: Fatal(%v)", msg)
	}
	if tok := p.IDToken(map[string]any{"sub": "x"}); strings.Count(tok, ".") != 2 {
		t.Errorf("token %q", tok)
	}
	if msg := fatalOf(func() { oidctest.NewAt(tb, addr) }); msg == nil {
		t.Error("NewAt on a busy address did not call Fatal")
	}
	if msg := fatalOf(func() { oidctest.NewAt(tb, "192.0.2.1:80") }); msg == nil {
		t.Error("NewAt on a non-loopback address did not call Fatal")
	}
	tb.runCleanups()
	if _, err := http.Get(p.URL() + "/jwks"); err == nil {
		t.Error("the provider still serves after its cleanups ran")
	}
}
