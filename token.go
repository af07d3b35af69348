package coinop

import "time"

// TokenKind says what a signed token was issued for, so that a token of one
// kind is never accepted where another is expected.
type TokenKind string

// Token kinds.
const (
	// TokenAPI is issued at POST /auth/token in exchange for an API key.
	TokenAPI TokenKind = "api"
	// TokenSession is the web session of a person signed in through OIDC.
	TokenSession TokenKind = "session"
)

// Claims are what a coinop token asserts.
type Claims struct {
	Kind      TokenKind
	Subject   string // user id
	Role      string
	KeyID     int64 // the API key the token was exchanged for, if any
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// TokenService issues and verifies signed tokens. Verification needs no
// database round trip.
type TokenService interface {
	Issue(c Claims) (string, error)
	// Verify checks signature, kind and expiry, and returns EUNAUTHORIZED
	// for any token that fails.
	Verify(token string, kind TokenKind) (Claims, error)
	// Seal signs v for a purpose, valid for ttl; Unseal checks and decodes
	// it. For short-lived state a browser carries; signed, not encrypted.
	Seal(purpose string, v any, ttl time.Duration) (string, error)
	Unseal(purpose, sealed string, v any) error
}
