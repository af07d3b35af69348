package coinop

import "time"

// Identity is a person as an OpenID provider asserts it in a verified ID
// token.
type Identity struct {
	// Issuer and Subject together are the key of a person: the subject is
	// stable and unique within its issuer. The e-mail address is neither:
	// never key a person by it.
	Issuer, Subject string
	Email           string
	EmailVerified   bool
	Name, GivenName string
	// ClientID is the OAuth client the token was issued to: the azp claim
	// if present, else the single audience.
	ClientID string
	Audience []string
	// Nonce is the token's nonce claim; the caller compares it with the one
	// it sent in the authorization request.
	Nonce     string
	ExpiresAt time.Time
}
