package oidc

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"time"
)

// maxSubjectLen is the longest sub OpenID Connect allows.
const maxSubjectLen = 255

// claims are the ID token claims coinop reads.
type claims struct {
	Iss           string       `json:"iss"`
	Sub           string       `json:"sub"`
	Aud           audience     `json:"aud"`
	Azp           string       `json:"azp"`
	Exp           *numericDate `json:"exp"`
	Iat           *numericDate `json:"iat"`
	Nbf           *numericDate `json:"nbf"`
	Nonce         string       `json:"nonce"`
	Email         string       `json:"email"`
	EmailVerified flexBool     `json:"email_verified"`
	Name          string       `json:"name"`
	GivenName     string       `json:"given_name"`
}

var errClaimType = errors.New("claim of the wrong type")

// audience is the aud claim: a string or an array of strings.
type audience []string

// UnmarshalJSON accepts a string or an array of strings.
func (a *audience) UnmarshalJSON(data []byte) error {
	if bytes.Equal(data, []byte("null")) {
		return nil
	}
	var one string
	if err := json.Unmarshal(data, &one); err == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(data, &many); err != nil {
		return errClaimType
	}
	*a = many
	return nil
}

// contains reports whether any of ids is in a.
func (a audience) contains(ids []string) bool {
	for _, got := range a {
		for _, want := range ids {
			if got == want {
				return true
			}
		}
	}
	return false
}

// numericDate is a JWT NumericDate: seconds since the epoch, possibly
// fractional.
type numericDate struct{ time.Time }

// UnmarshalJSON accepts a JSON number between 1970 and 9999, never a string.
func (d *numericDate) UnmarshalJSON(data []byte) error {
	f, err := strconv.ParseFloat(string(data), 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > 253402300799 {
		return errClaimType
	}
	sec := math.Floor(f)
	d.Time = time.Unix(int64(sec), int64((f-sec)*1e9))
	return nil
}

// flexBool is a boolean claim that some providers, Google among them, have
// sent as the string "true" or "false".
type flexBool bool

// UnmarshalJSON accepts true, false, "true" and "false".
func (b *flexBool) UnmarshalJSON(data []byte) error {
	switch string(data) {
	case "true", `"true"`:
		*b = true
	case "false", `"false"`, "null":
		*b = false
	default:
		return errClaimType
	}
	return nil
}
