package coinop

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"regexp"
	"strings"
	"time"
)

// APIKeyPrefix starts every API key, so that a leaked key is recognisable.
const APIKeyPrefix = "cok_"

// apiKeyRandomBytes is the key's entropy: 192 bits.
const apiKeyRandomBytes = 24

// apiKeyShownChars is how many characters of a key (prefix included) may be
// shown in listings: 36 of its 192 random bits, leaving 156 secret.
const apiKeyShownChars = len(APIKeyPrefix) + 6

// Roles of API keys and tokens.
const (
	RoleUser     = "user"
	RoleOperator = "operator"
	RoleMachine  = "machine"
)

// APIKey is a stored API key. The secret itself is never stored: only its
// SHA-256 hash, and a short prefix for people to tell keys apart.
type APIKey struct {
	ID        int64
	Prefix    string
	UserID    string
	Role      string
	CreatedAt time.Time
	RevokedAt time.Time // zero while the key is active
}

// Revoked reports whether the key has been revoked.
func (k *APIKey) Revoked() bool { return !k.RevokedAt.IsZero() }

// APIKeyService stores API keys.
type APIKeyService interface {
	// CreateAPIKey makes a key for userID with role and returns it with its
	// secret, which exists only in this return value.
	CreateAPIKey(ctx context.Context, userID, role string) (*APIKey, string, error)
	// FindAPIKey returns the active key whose secret this is, or EUNAUTHORIZED.
	FindAPIKey(ctx context.Context, secret string) (*APIKey, error)
	// ListAPIKeys returns every key, revoked ones included, oldest first.
	ListAPIKeys(ctx context.Context) ([]*APIKey, error)
	// RevokeAPIKey revokes a key; ENOTFOUND if there is no such key.
	RevokeAPIKey(ctx context.Context, id int64) error
	// CreateAPIKeyAs and RevokeAPIKeyAs are the same, recorded in the audit
	// log as done by an operator (0: the command line).
	CreateAPIKeyAs(ctx context.Context, actorID int64, userID, role string) (*APIKey, string, error)
	RevokeAPIKeyAs(ctx context.Context, actorID, id int64) error
	// RevokedAPIKeyIDs returns the ids of every revoked key.
	RevokedAPIKeyIDs(ctx context.Context) ([]int64, error)
	// UserHasAPIKey reports whether userID has any key, revoked or not.
	UserHasAPIKey(ctx context.Context, userID string) (bool, error)
}

// NewAPIKeySecret returns a new random API key secret.
func NewAPIKeySecret() string {
	b := make([]byte, apiKeyRandomBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return APIKeyPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// HashAPIKey returns the hash under which a secret is stored.
func HashAPIKey(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// APIKeyShownPrefix returns the part of a secret that may be shown.
func APIKeyShownPrefix(secret string) string {
	if len(secret) < apiKeyShownChars {
		return secret
	}
	return secret[:apiKeyShownChars]
}

// LooksLikeAPIKey reports whether s has the shape of a coinop API key.
func LooksLikeAPIKey(s string) bool {
	return strings.HasPrefix(s, APIKeyPrefix) && len(s) == len(APIKeyPrefix)+base64.RawURLEncoding.EncodedLen(apiKeyRandomBytes)
}

var userIDPattern = regexp.MustCompile(`^[A-Za-z0-9._@+-]{1,64}$`)

// ValidateAPIKeyOwner checks a key's user id and role.
func ValidateAPIKeyOwner(userID, role string) error {
	if !userIDPattern.MatchString(userID) {
		return Errorf(EINVALID, "user must be 1-64 letters, digits or . _ @ + -")
	}
	switch role {
	case RoleUser, RoleOperator:
		return nil
	}
	return Errorf(EINVALID, "role must be %q or %q", RoleUser, RoleOperator)
}
