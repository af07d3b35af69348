package http

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// legacyClaims are what the fair's legacy machine programs put in their
// tokens: {"machine": "vending-machine", "id": 0} or {"machine": "arcade",
// "id": "<arcade number>"}.
type legacyClaims struct {
	Machine string
	ID      string // the id as text: a number's digits, or the string
}

var errLegacyToken = errors.New("not a valid token")

// verifyLegacyToken checks a legacy machine token: a JWT signed with HS256
// (and nothing else) with secret. The programs put no exp or iat claim in
// it; they put an exp in the JWT header instead, which is no claim and is
// ignored (a year-old token stays good, as it did on the old server). An
// exp claim, if there is one, is honoured. id is a whole number (the
// vending machine's 0) or a string (an arcade's number).
func verifyLegacyToken(secret []byte, tok string, now time.Time) (legacyClaims, error) {
	parts := strings.Split(tok, ".")
	if len(secret) == 0 || len(parts) != 3 {
		return legacyClaims{}, errLegacyToken
	}
	var header struct {
		Alg string `json:"alg"`
	}
	if err := decodeSegment(parts[0], &header); err != nil || header.Alg != "HS256" {
		return legacyClaims{}, errLegacyToken
	}
	sig, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[2], "="))
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(parts[0] + "." + parts[1]))
	if err != nil || !hmac.Equal(sig, mac.Sum(nil)) {
		return legacyClaims{}, errLegacyToken
	}
	var claims struct {
		Machine string          `json:"machine"`
		ID      json.RawMessage `json:"id"`
		Exp     *json.Number    `json:"exp"`
	}
	if err := decodeSegment(parts[1], &claims); err != nil || claims.Machine == "" {
		return legacyClaims{}, errLegacyToken
	}
	if claims.Exp != nil {
		exp, err := claims.Exp.Float64()
		if err != nil || float64(now.Unix()) >= exp {
			return legacyClaims{}, errors.New("the token expired")
		}
	}
	id, ok := legacyID(claims.ID)
	if !ok {
		return legacyClaims{}, errLegacyToken
	}
	return legacyClaims{Machine: claims.Machine, ID: id}, nil
}

// legacyID reads an id: a JSON string, or a whole number written as digits.
func legacyID(raw json.RawMessage) (string, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, s != ""
	}
	digits := string(raw)
	if digits == "" || len(digits) > 19 || strings.Trim(digits, "0123456789") != "" {
		return "", false
	}
	return digits, true
}

// decodeSegment decodes a base64url JSON segment of a JWT.
func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}
