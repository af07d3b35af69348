package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coinop/coinop/oidc/oidctest"
)

// Client ids of the test setup.
const (
	appClient  = "app-client"  // the players' app
	gameClient = "game-client" // a game
	webClient  = "web-client"  // coinop's own web login
	webSecret  = "web-secret"
)

// bank is a coinop server with a real OpenID provider beside it.
type bank struct {
	*testServer
	idp *oidctest.Provider
}

// startBank starts a provider and a coinop server trusting it. args are
// added to the server's.
func startBank(t *testing.T, args ...string) *bank {
	t.Helper()
	idp := oidctest.New(t)
	ts := startServer(t, "", append([]string{
		"--oidc-issuer", idp.URL(), "--oidc-audiences", appClient, "--oidc-game-audiences", gameClient,
		"--oidc-client-id", webClient, "--oidc-client-secret", webSecret, "--operators", "boss@example.com",
	}, args...)...)
	port := ts.Addr[strings.LastIndex(ts.Addr, ":")+1:]
	idp.RegisterClient(webClient, webSecret, "http://localhost:"+port+"/api/v2/auth/callback")
	return &bank{testServer: ts, idp: idp}
}

// idToken is an ID token of the provider for sub, issued to client.
func (b *bank) idToken(sub, client string, extra ...any) string {
	claims := map[string]any{"sub": sub, "aud": client, "azp": client, "email": sub + "@example.com", "email_verified": true, "name": "Player " + sub, "given_name": sub}
	for i := 0; i+1 < len(extra); i += 2 {
		claims[extra[i].(string)] = extra[i+1]
	}
	return b.idp.IDToken(claims)
}

// login logs sub in through the app's token and returns the token and id.
func (b *bank) login(t *testing.T, sub string) (string, int64) {
	t.Helper()
	tok := b.idToken(sub, appClient)
	status, body := b.call(t, "POST", "/api/v2/login", tok, "")
	if status != 201 && status != 200 {
		t.Fatalf("login %s: %d %v", sub, status, body)
	}
	return tok, int64(body["user"].(float64))
}

// call makes a request with a bearer token and returns the status and the
// JSON object answered (nil if it was not an object).
func (b *bank) call(t *testing.T, method, path, tok, body string, hdr ...string) (int, map[string]any) {
	t.Helper()
	status, raw, _ := b.raw(t, method, path, tok, body, hdr...)
	var m map[string]any
	json.Unmarshal(raw, &m)
	return status, m
}

func (b *bank) raw(t *testing.T, method, path, tok, body string, hdr ...string) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, b.URL+path, bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 400 {
		var e map[string]any
		if json.Unmarshal(raw, &e) != nil || e["error"] == nil || e["message"] == nil {
			t.Fatalf("%s %s: error %d without the JSON error body: %q", method, path, resp.StatusCode, raw)
		}
	}
	return resp.StatusCode, raw, resp.Header
}

// httpClient is for load in tests: short timeouts, many connections.
var httpClient = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

func newRequest(method, url, tok, body string) (*http.Request, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	return req, nil
}
