// Package token issues and verifies coinop's own tokens: compact JWTs signed
// with HMAC-SHA256 under the server's key. Verification is pure computation:
// no database round trip.
package token

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"hash"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/coinop/coinop"
)

// MinKeyLen is the shortest HMAC key accepted, in bytes.
const MinKeyLen = 32

// Issuer is the "iss" claim of every coinop token.
const Issuer = "coinop"

// header is the only JOSE header coinop issues or accepts.
var header = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))

var _ coinop.TokenService = (*Service)(nil)

// Service signs and verifies tokens with one key.
type Service struct {
	key  []byte
	macs sync.Pool // of hash.Hash: HMAC-SHA256 under key, reused
	// Now returns the current time; tests may replace it.
	Now func() time.Time
}

// New returns a Service for key, which must be at least MinKeyLen bytes.
func New(key []byte) (*Service, error) {
	if len(key) < MinKeyLen {
		return nil, errors.New("token key must be at least 32 bytes")
	}
	s := &Service{key: bytes.Clone(key), Now: time.Now}
	s.macs.New = func() any { return hmac.New(sha256.New, s.key) }
	return s, nil
}

// payload is the JSON body of a token.
type payload struct {
	Iss  string `json:"iss"`
	Aud  string `json:"aud"`
	Sub  string `json:"sub"`
	Role string `json:"role"`
	Key  int64  `json:"key,omitempty"`
	Iat  int64  `json:"iat"`
	Exp  int64  `json:"exp"`
}

// audience names the token kind in the "aud" claim, so that a token of one
// kind is never valid as another.
func audience(k coinop.TokenKind) string { return "coinop:" + string(k) }

// Issue signs c. IssuedAt defaults to now; ExpiresAt must be set.
func (s *Service) Issue(c coinop.Claims) (string, error) {
	if c.IssuedAt.IsZero() {
		c.IssuedAt = s.Now()
	}
	if c.Kind == "" || c.ExpiresAt.IsZero() {
		return "", errors.New("token: kind and expiry are required")
	}
	body, err := json.Marshal(payload{
		Iss: Issuer, Aud: audience(c.Kind), Sub: c.Subject, Role: c.Role, Key: c.KeyID,
		Iat: c.IssuedAt.Unix(), Exp: c.ExpiresAt.Unix(),
	})
	if err != nil {
		return "", err
	}
	signed := header + "." + base64.RawURLEncoding.EncodeToString(body)
	return signed + "." + base64.RawURLEncoding.EncodeToString(s.sign(signed)), nil
}

func (s *Service) sign(signed string) []byte {
	m := s.macs.Get().(hash.Hash)
	m.Reset()
	io.WriteString(m, signed)
	sum := m.Sum(nil)
	s.macs.Put(m)
	return sum
}

var errInvalid = coinop.Errorf(coinop.EUNAUTHORIZED, "invalid or expired token")

// Verify checks the token's header, signature, issuer, kind and expiry.
func (s *Service) Verify(tok string, kind coinop.TokenKind) (coinop.Claims, error) {
	h, rest, ok := strings.Cut(tok, ".")
	if !ok || h != header { // only {"alg":"HS256","typ":"JWT"}: never "none", never another alg
		return coinop.Claims{}, errInvalid
	}
	body, sig, ok := strings.Cut(rest, ".")
	if !ok {
		return coinop.Claims{}, errInvalid
	}
	gotSig, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !equalMAC(gotSig, s.sign(tok[:len(h)+1+len(body)])) {
		return coinop.Claims{}, errInvalid
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return coinop.Claims{}, errInvalid
	}
	var p payload
	if err := json.Unmarshal(raw, &p); err != nil || p.Iss != Issuer || p.Aud != audience(kind) || p.Sub == "" {
		return coinop.Claims{}, errInvalid
	}
	exp := time.Unix(p.Exp, 0)
	if !s.Now().Before(exp) {
		return coinop.Claims{}, errInvalid
	}
	return coinop.Claims{
		Kind: kind, Subject: p.Sub, Role: p.Role, KeyID: p.Key,
		IssuedAt: time.Unix(p.Iat, 0), ExpiresAt: exp,
	}, nil
}

// equalMAC compares MACs in constant time.
func equalMAC(a, b []byte) bool { return hmac.Equal(a, b) }
