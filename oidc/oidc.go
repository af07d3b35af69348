// Package oidc is an OpenID Connect relying party built on the standard
// library alone. A Client sends the browser through the authorization code
// flow with PKCE; a Verifier checks the ID tokens the provider signs and turns
// them into a coinop.Identity. Both discover the provider's endpoints from
// its discovery document.
package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coinop/coinop"
)

// maxBody bounds every response read from a provider.
const maxBody = 1 << 20

// metadataMaxAge is how long a discovery document is trusted before it is
// fetched again.
const metadataMaxAge = 24 * time.Hour

// defaultHTTPClient is used when none is given; http.DefaultClient has no
// timeout.
var defaultHTTPClient = &http.Client{Timeout: 10 * time.Second}

// providerError is what callers see when the provider cannot be reached or
// misbehaves: to the client an EUNAUTHORIZED with a generic message, to the
// logs the cause.
type providerError struct {
	safe  *coinop.Error
	cause error
}

func newProviderError(cause error) error {
	return wrapError("sign-in provider unavailable", cause)
}

// wrapError returns an EUNAUTHORIZED error with a safe message that wraps
// cause.
func wrapError(msg string, cause error) error {
	return &providerError{coinop.Errorf(coinop.EUNAUTHORIZED, "%s", msg), cause}
}

// Error returns the cause, for logs; ErrorMessage finds the safe text.
func (e *providerError) Error() string { return "oidc: " + e.cause.Error() }

// Unwrap exposes both the *coinop.Error and the cause to errors.As and Is.
func (e *providerError) Unwrap() []error { return []error{e.safe, e.cause} }

// gate lets one goroutine at a time fetch from the provider; a waiter gives
// up when its context ends. The zero value is ready to use.
type gate struct {
	once sync.Once
	ch   chan struct{}
}

func (g *gate) enter(ctx context.Context) error {
	g.once.Do(func() { g.ch = make(chan struct{}, 1) })
	select {
	case g.ch <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *gate) leave() { <-g.ch }

// metadata is the part of a provider's discovery document coinop uses.
type metadata struct {
	Issuer                string `json:"issuer"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
	JWKSURI               string `json:"jwks_uri"`
}

// discovery fetches an issuer's discovery document and caches it. The zero
// value is ready to use; it must not be copied after first use.
type discovery struct {
	gate    gate
	mu      sync.Mutex
	issuer  string
	doc     *metadata
	fetched time.Time
}

// get returns the discovery document of issuer, fetching it if it is not
// cached or is older than metadataMaxAge.
func (d *discovery) get(ctx context.Context, hc *http.Client, issuer string) (*metadata, error) {
	if doc := d.cached(issuer); doc != nil {
		return doc, nil
	}
	if err := d.gate.enter(ctx); err != nil {
		return nil, err
	}
	defer d.gate.leave()
	if doc := d.cached(issuer); doc != nil { // fetched while we waited
		return doc, nil
	}
	doc, err := fetchMetadata(ctx, hc, issuer)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.issuer, d.doc, d.fetched = issuer, doc, time.Now()
	d.mu.Unlock()
	return doc, nil
}

func (d *discovery) cached(issuer string) *metadata {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.doc == nil || d.issuer != issuer || time.Since(d.fetched) > metadataMaxAge {
		return nil
	}
	return d.doc
}

// fetchMetadata fetches and checks the discovery document of issuer: its
// issuer must be exactly the one configured, its endpoints absolute and
// secure.
func fetchMetadata(ctx context.Context, hc *http.Client, issuer string) (*metadata, error) {
	if err := checkURL(issuer); err != nil {
		return nil, fmt.Errorf("issuer: %w", err)
	}
	var doc metadata
	if err := getJSON(ctx, hc, strings.TrimSuffix(issuer, "/")+"/.well-known/openid-configuration", &doc); err != nil {
		return nil, err
	}
	if doc.Issuer != issuer {
		return nil, fmt.Errorf("discovery document names issuer %q, want %q", doc.Issuer, issuer)
	}
	for name, u := range map[string]string{
		"authorization_endpoint": doc.AuthorizationEndpoint,
		"token_endpoint":         doc.TokenEndpoint,
		"jwks_uri":               doc.JWKSURI,
	} {
		if err := checkURL(u); err != nil {
			return nil, fmt.Errorf("discovery document: %s: %w", name, err)
		}
	}
	return &doc, nil
}

// checkURL accepts an absolute https URL, or an http URL on the loopback
// interface (a provider in a test).
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return err
	case u.Host == "":
		return fmt.Errorf("%q is not an absolute URL", raw)
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return nil
	}
	return fmt.Errorf("%q is not an https URL", raw)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// getJSON fetches url and decodes its JSON body into v. Any status but 200
// is an error.
func getJSON(ctx context.Context, hc *http.Client, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := readBody(resp)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %s", url, resp.Status)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	return nil
}

// readBody reads at most maxBody bytes of a response body.
func readBody(resp *http.Response) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err == nil && len(body) > maxBody {
		err = errors.New("response body too large")
	}
	return body, err
}

// httpClient returns hc, or a default client with a timeout.
func httpClient(hc *http.Client) *http.Client {
	if hc == nil {
		return defaultHTTPClient
	}
	return hc
}
