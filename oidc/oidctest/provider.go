// Package oidctest runs a real OpenID provider in process, on loopback, for
// tests: discovery, a JWKS, the authorization code flow with PKCE, and a
// token minting API to build the tokens a verifier must refuse.
//
// The provider has no login page: /authorize acts as the user consenting at
// once, for the user set by SetUser, and redirects back with a code.
//
// It also runs outside tests (coinop bench wallet plays the identity
// provider with it): New and NewAt take a TB, which *testing.T satisfies.
package oidctest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
)

// TB is what the provider needs of its test: testing.TB's Helper, Fatal
// and Cleanup, so that *testing.T and *testing.B work as they are and a
// program can bring its own. Fatal must not return (testing's stops the
// goroutine; a program's may panic).
type TB interface {
	Helper()
	Fatal(args ...any)
	Cleanup(func())
}

// rsaKey is a signing key and its kid.
type rsaKey struct {
	kid string
	key *rsa.PrivateKey
}

// client is a registered OAuth client.
type client struct {
	secret, redirectURL string
}

// User is the person the provider logs in at /authorize.
type User struct {
	Sub, Email, Name, GivenName string
	EmailVerified               bool
}

// Provider is an OpenID provider served by an httptest.Server, closed when
// the test ends. It is safe for concurrent use.
type Provider struct {
	t      TB
	srv    *httptest.Server
	ec     *ecdsa.PrivateKey // published under ECKeyID, for ES256 tokens
	kidTag string            // in every RSA kid: "" for New, random for NewAt

	mu          sync.Mutex
	keys        []rsaKey // the last signs; the last two are published
	clients     map[string]client
	user        User
	codes       map[string]grant
	jwksFetches int
}

// ECKeyID is the kid of the provider's P-256 key.
const ECKeyID = "ec-1"

// New starts a provider with a fresh RSA 2048 key and a P-256 key, on a
// loopback port of its own. Its user is sub "user-1", user1@example.com,
// verified, until SetUser.
func New(t TB) *Provider {
	t.Helper()
	return start(t, nil, "")
}

// NewAt is New served on addr, a fixed loopback address such as
// 127.0.0.1:18095, so that a server configured with that issuer before the
// provider existed can trust it. Its RSA kids carry a random tag
// ("rsa-<tag>-1"): a verifier that cached the keys of an earlier provider
// at the same address sees an unknown kid and fetches the new keys, where
// a reused kid would fail as a bad signature. A non-loopback or busy
// address is fatal.
func NewAt(t TB, addr string) *Provider {
	t.Helper()
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
		return nil
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		t.Fatal("oidctest: " + addr + " is not a loopback address")
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
		return nil
	}
	return start(t, ln, rand.Text()[:8]+"-")
}

// start builds a provider and serves it on ln (nil: a port of its own),
// closing it in t's cleanup.
func start(t TB, ln net.Listener, kidTag string) *Provider {
	t.Helper()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		if ln != nil {
			ln.Close()
		}
		t.Fatal(err)
		return nil
	}
	p := &Provider{
		t: t, ec: ec, kidTag: kidTag,
		clients: map[string]client{},
		codes:   map[string]grant{},
		user:    User{Sub: "user-1", Email: "user1@example.com", Name: "User One", GivenName: "User", EmailVerified: true},
	}
	p.RotateKey()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.serveDiscovery)
	mux.HandleFunc("GET /jwks", p.serveJWKS)
	mux.HandleFunc("GET /authorize", p.serveAuthorize)
	mux.HandleFunc("POST /token", p.serveToken)
	if ln == nil {
		p.srv = httptest.NewServer(mux) // binds 127.0.0.1
	} else {
		p.srv = httptest.NewUnstartedServer(mux)
		p.srv.Listener.Close()
		p.srv.Listener = ln
		p.srv.Start()
	}
	t.Cleanup(p.srv.Close)
	return p
}

// URL returns the issuer: the server's URL, without a trailing slash.
func (p *Provider) URL() string { return p.srv.URL }

// Close stops the server, to test a provider that is down. The test's
// cleanup also closes it.
func (p *Provider) Close() { p.srv.Close() }

// RegisterClient registers an OAuth client with its secret and its one
// redirect URL.
func (p *Provider) RegisterClient(id, secret, redirectURL string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clients[id] = client{secret, redirectURL}
}

// SetUser sets the person logged in by the next visits to /authorize.
func (p *Provider) SetUser(sub, email, name, givenName string, emailVerified bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.user = User{Sub: sub, Email: email, Name: name, GivenName: givenName, EmailVerified: emailVerified}
}

// RotateKey makes a new RSA signing key with a new kid. The JWKS publishes
// it and the previous key, as real providers do during a rotation.
func (p *Provider) RotateKey() {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keys = append(p.keys, rsaKey{fmt.Sprintf("rsa-%s%d", p.kidTag, len(p.keys)+1), key})
}

// KeyID returns the kid of the current RSA signing key.
func (p *Provider) KeyID() string { return p.current().kid }

// JWKSFetches returns how many times the JWKS has been served.
func (p *Provider) JWKSFetches() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.jwksFetches
}

func (p *Provider) current() rsaKey {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.keys[len(p.keys)-1]
}

func (p *Provider) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                p.URL(),
		"authorization_endpoint":                p.URL() + "/authorize",
		"token_endpoint":                        p.URL() + "/token",
		"jwks_uri":                              p.URL() + "/jwks",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
	})
}

func (p *Provider) serveJWKS(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.jwksFetches++
	published := p.keys[max(0, len(p.keys)-2):]
	keys := []map[string]string{}
	for i := len(published) - 1; i >= 0; i-- {
		k := published[i]
		keys = append(keys, map[string]string{
			"kty": "RSA", "use": "sig", "alg": "RS256", "kid": k.kid,
			"n": b64(k.key.N.Bytes()), "e": b64(big.NewInt(int64(k.key.E)).Bytes()),
		})
	}
	p.mu.Unlock()
	point, err := p.ec.PublicKey.Bytes() // 0x04 || x || y
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	keys = append(keys, map[string]string{
		"kty": "EC", "use": "sig", "alg": "ES256", "kid": ECKeyID, "crv": "P-256",
		"x": b64(point[1:33]), "y": b64(point[33:]),
	})
	writeJSON(w, http.StatusOK, map[string]any{"keys": keys})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
