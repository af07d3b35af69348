package oidc

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/coinop/coinop"
)

const (
	// Leeway is the clock skew tolerated on exp, iat and nbf.
	Leeway = 60 * time.Second
	// RefetchInterval is the least time between two fetches of the JWKS: a
	// token naming an unknown key triggers a fetch only if the last one is
	// older, so that forged kids cannot hammer the provider.
	RefetchInterval = 30 * time.Second
	// KeysMaxAge is how long a fetched JWKS is trusted before it is fetched
	// again, so that a key the provider withdraws stops being accepted.
	KeysMaxAge = 24 * time.Hour
)

// Verifier verifies the ID tokens of one OpenID provider for a set of
// audiences (client IDs). It discovers the provider and fetches its keys
// lazily, on first use, and caches them. It is safe for concurrent use.
type Verifier struct {
	// Now returns the current time; tests may replace it before first use.
	Now func() time.Time
	// Log, if set, receives the detail of provider failures, which callers
	// only see as a generic EUNAUTHORIZED.
	Log *slog.Logger

	issuer    string
	audiences []string
	client    *http.Client
	disc      discovery
	gate      gate // one JWKS fetch at a time

	mu         sync.Mutex
	keys       map[string]publicKey
	loaded     time.Time // by Now, of the last successful fetch
	fetched    time.Time // by Now, of the last fetch attempt
	generation int       // counts fetch attempts
	lastErr    error     // of the last fetch attempt
}

// NewVerifier returns a Verifier for tokens that issuer issued to any of
// audiences. With no audience, every token is refused. client is used for
// discovery and the JWKS; nil means a default client with a timeout.
func NewVerifier(issuer string, audiences []string, client *http.Client) *Verifier {
	return &Verifier{
		Now:       time.Now,
		issuer:    issuer,
		audiences: slices.Clone(audiences),
		client:    httpClient(client),
	}
}

// Verify checks an ID token, a compact JWS, and returns the identity it
// asserts. It checks the algorithm (RS256 or ES256), the signature with the
// provider's key named by kid, the issuer, the audience, exp, iat and nbf
// (with Leeway) and that sub is set. It does not check the nonce: the caller
// compares Identity.Nonce with the one it sent. Every failure is an
// EUNAUTHORIZED *coinop.Error, or wraps one.
func (v *Verifier) Verify(ctx context.Context, raw string) (*coinop.Identity, error) {
	if len(v.audiences) == 0 {
		return nil, errAudience
	}
	t, err := parseJWS(raw)
	if err != nil {
		return nil, err
	}
	key, err := v.key(ctx, t.header.Kid)
	if err != nil {
		return nil, err
	}
	if err := t.verify(key); err != nil {
		return nil, err
	}
	var c claims
	if err := json.Unmarshal(t.payload, &c); err != nil {
		return nil, errMalformed
	}
	return v.check(&c)
}

// check validates the claims of a token whose signature is good.
func (v *Verifier) check(c *claims) (*coinop.Identity, error) {
	now := v.Now()
	switch {
	case c.Iss != v.issuer:
		return nil, errIssuer
	case !c.Aud.contains(v.audiences), c.Azp == "" && len(c.Aud) != 1:
		return nil, errAudience // several audiences need an azp to name the client
	case c.Sub == "" || len(c.Sub) > maxSubjectLen:
		return nil, errSubject
	case c.Exp == nil || c.Iat == nil:
		return nil, errMalformed
	case !now.Before(c.Exp.Add(Leeway)):
		return nil, errExpired
	case c.Iat.After(now.Add(Leeway)), c.Nbf != nil && c.Nbf.After(now.Add(Leeway)):
		return nil, errNotYetValid
	}
	id := &coinop.Identity{
		Issuer: c.Iss, Subject: c.Sub,
		Email: c.Email, EmailVerified: bool(c.EmailVerified),
		Name: c.Name, GivenName: c.GivenName,
		ClientID: c.Azp, Audience: c.Aud, Nonce: c.Nonce, ExpiresAt: c.Exp.Time,
	}
	if id.ClientID == "" {
		id.ClientID = c.Aud[0]
	}
	return id, nil
}

// key returns the provider's key named kid, fetching the JWKS if the key is
// unknown or the cached set is stale, at most once per RefetchInterval.
func (v *Verifier) key(ctx context.Context, kid string) (publicKey, error) {
	k, ok, gen := v.lookup(kid)
	if ok {
		return k, nil
	}
	if err := v.mayFetch(); err != nil {
		return publicKey{}, err
	}
	if err := v.gate.enter(ctx); err != nil {
		return publicKey{}, newProviderError(err)
	}
	defer v.gate.leave()
	if k, ok, g := v.lookup(kid); ok || g != gen { // another goroutine fetched while we waited
		if !ok {
			return publicKey{}, v.unknownKey()
		}
		return k, nil
	}
	if err := v.fetchKeys(ctx); err != nil {
		return publicKey{}, err
	}
	if k, ok, _ := v.lookup(kid); ok {
		return k, nil
	}
	return publicKey{}, errUnknownKey
}

// lookup returns the cached key kid if the set is fresh, and the fetch
// generation it looked at.
func (v *Verifier) lookup(kid string) (publicKey, bool, int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	k, ok := v.keys[kid]
	if ok && v.Now().Sub(v.loaded) >= KeysMaxAge {
		ok = false
	}
	return k, ok, v.generation
}

// mayFetch returns nil if a JWKS fetch is allowed now, else the error for a
// key that cannot be found.
func (v *Verifier) mayFetch() error {
	v.mu.Lock()
	recent := v.generation > 0 && v.Now().Sub(v.fetched) < RefetchInterval
	v.mu.Unlock()
	if recent {
		return v.unknownKey()
	}
	return nil
}

// unknownKey is the error for a key not in the cache when no fetch is made:
// the last fetch's failure if it failed, else errUnknownKey.
func (v *Verifier) unknownKey() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.lastErr != nil {
		return newProviderError(v.lastErr)
	}
	return errUnknownKey
}

// fetchKeys discovers the provider if needed and fetches its JWKS. A failed
// fetch keeps the old keys and counts against RefetchInterval, unless it
// failed because ctx ended.
func (v *Verifier) fetchKeys(ctx context.Context) error {
	keys, err := v.fetchJWKS(ctx)
	if err != nil && ctx.Err() != nil {
		return newProviderError(err)
	}
	v.mu.Lock()
	v.generation++
	v.fetched, v.lastErr = v.Now(), err
	if err == nil {
		v.keys, v.loaded = keys, v.fetched
	}
	v.mu.Unlock()
	if err != nil {
		if v.Log != nil {
			v.Log.Warn("oidc: cannot fetch the provider's keys", "issuer", v.issuer, "err", err)
		}
		return newProviderError(err)
	}
	return nil
}

func (v *Verifier) fetchJWKS(ctx context.Context) (map[string]publicKey, error) {
	doc, err := v.disc.get(ctx, v.client, v.issuer)
	if err != nil {
		return nil, err
	}
	var raw json.RawMessage
	if err := getJSON(ctx, v.client, doc.JWKSURI, &raw); err != nil {
		return nil, err
	}
	return parseJWKS(raw)
}
