package oidc

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"strings"

	"github.com/coinop/coinop"
)

// maxTokenLen bounds the ID tokens Verify will look at, in bytes.
const maxTokenLen = 16 << 10

// b64 decodes the parts of a compact JWS: base64url, no padding, canonical.
var b64 = base64.RawURLEncoding.Strict()

// Reasons a token is refused. Each message is safe to show to the client.
var (
	errMalformed   = coinop.Errorf(coinop.EUNAUTHORIZED, "malformed ID token")
	errAlgorithm   = coinop.Errorf(coinop.EUNAUTHORIZED, "unsupported ID token algorithm")
	errUnknownKey  = coinop.Errorf(coinop.EUNAUTHORIZED, "ID token signed by an unknown key")
	errSignature   = coinop.Errorf(coinop.EUNAUTHORIZED, "invalid ID token signature")
	errIssuer      = coinop.Errorf(coinop.EUNAUTHORIZED, "ID token from another issuer")
	errAudience    = coinop.Errorf(coinop.EUNAUTHORIZED, "ID token for another client")
	errExpired     = coinop.Errorf(coinop.EUNAUTHORIZED, "expired ID token")
	errNotYetValid = coinop.Errorf(coinop.EUNAUTHORIZED, "ID token not yet valid")
	errSubject     = coinop.Errorf(coinop.EUNAUTHORIZED, "ID token without a valid subject")
)

// jwsHeader is the JOSE header of a token.
type jwsHeader struct {
	Alg  string          `json:"alg"`
	Kid  string          `json:"kid"`
	Typ  string          `json:"typ"`
	Crit json.RawMessage `json:"crit"`
}

// jws is a compact JWS split into its parts, its signature not yet checked.
type jws struct {
	header  jwsHeader
	signed  string // header.payload, the signing input
	payload []byte
	sig     []byte
}

// parseJWS splits and decodes a compact JWS. It accepts only RS256 and
// ES256 headers that name a key; every other algorithm, "none" and HS*
// among them, is refused before any key is looked up.
func parseJWS(raw string) (*jws, error) {
	if len(raw) > maxTokenLen || strings.Count(raw, ".") != 2 {
		return nil, errMalformed
	}
	parts := strings.Split(raw, ".")
	h, err := b64.DecodeString(parts[0])
	if err != nil {
		return nil, errMalformed
	}
	t := &jws{signed: parts[0] + "." + parts[1]}
	if err := json.Unmarshal(h, &t.header); err != nil {
		return nil, errMalformed
	}
	switch hd := t.header; {
	case hd.Alg != "RS256" && hd.Alg != "ES256":
		return nil, errAlgorithm
	case hd.Crit != nil: // no extension is understood
		return nil, errMalformed
	case hd.Typ != "" && !strings.EqualFold(hd.Typ, "JWT"):
		return nil, errMalformed
	case hd.Kid == "":
		return nil, errUnknownKey
	}
	if t.payload, err = b64.DecodeString(parts[1]); err != nil {
		return nil, errMalformed
	}
	if t.sig, err = b64.DecodeString(parts[2]); err != nil || len(t.sig) == 0 {
		return nil, errMalformed
	}
	return t, nil
}

// verify checks the signature with k, which must be a key for the header's
// algorithm.
func (t *jws) verify(k publicKey) error {
	if k.alg != t.header.Alg {
		return errSignature
	}
	sum := sha256.Sum256([]byte(t.signed))
	switch pub := k.pub.(type) {
	case *rsa.PublicKey:
		if rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], t.sig) == nil {
			return nil
		}
	case *ecdsa.PublicKey:
		if len(t.sig) != 64 { // r || s, 32 bytes each (RFC 7518 §3.4), never DER
			return errSignature
		}
		r, s := new(big.Int).SetBytes(t.sig[:32]), new(big.Int).SetBytes(t.sig[32:])
		if ecdsa.Verify(pub, sum[:], r, s) {
			return nil
		}
	}
	return errSignature
}
