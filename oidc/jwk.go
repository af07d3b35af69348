package oidc

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// RSA key sizes accepted from a JWKS, in bits.
const (
	minRSABits = 2048
	maxRSABits = 8192
)

// publicKey is a verification key from the provider's JWKS and the one
// algorithm it verifies.
type publicKey struct {
	alg string // "RS256" or "ES256"
	pub crypto.PublicKey
}

// jwk is one JSON Web Key (RFC 7517) as a provider publishes it.
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

// parseJWKS returns the usable signing keys of a JWKS by kid. Keys coinop
// cannot use (encryption keys, other types, weak RSA keys) are skipped; a set
// with no usable key is an error.
func parseJWKS(data []byte) (map[string]publicKey, error) {
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("JWKS: %w", err)
	}
	keys := make(map[string]publicKey, len(set.Keys))
	for _, k := range set.Keys {
		if k.Kid == "" || (k.Use != "" && k.Use != "sig") {
			continue
		}
		if _, dup := keys[k.Kid]; dup {
			continue
		}
		if pk, err := k.parse(); err == nil {
			keys[k.Kid] = pk
		}
	}
	if len(keys) == 0 {
		return nil, errors.New("JWKS holds no usable signing key")
	}
	return keys, nil
}

// parse turns an RSA or P-256 JWK into a key; a JWK whose alg names another
// algorithm than the one its type implies is refused.
func (k jwk) parse() (publicKey, error) {
	var pk publicKey
	var err error
	switch k.Kty {
	case "RSA":
		pk.alg = "RS256"
		pk.pub, err = k.rsa()
	case "EC":
		pk.alg = "ES256"
		pk.pub, err = k.ecdsa()
	default:
		return pk, fmt.Errorf("unsupported key type %q", k.Kty)
	}
	if err == nil && k.Alg != "" && k.Alg != pk.alg {
		err = fmt.Errorf("key type %s with alg %q", k.Kty, k.Alg)
	}
	return pk, err
}

func (k jwk) rsa() (*rsa.PublicKey, error) {
	n, err1 := decodeKeyPart(k.N)
	e, err2 := decodeKeyPart(k.E)
	if err := errors.Join(err1, err2); err != nil {
		return nil, err
	}
	if len(e) == 0 || len(e) > 4 {
		return nil, errors.New("bad RSA exponent")
	}
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	if bits := pub.N.BitLen(); bits < minRSABits || bits > maxRSABits {
		return nil, fmt.Errorf("RSA key of %d bits", bits)
	}
	if pub.E < 3 || pub.E%2 == 0 {
		return nil, errors.New("bad RSA exponent")
	}
	return pub, nil
}

func (k jwk) ecdsa() (*ecdsa.PublicKey, error) {
	if k.Crv != "P-256" {
		return nil, fmt.Errorf("unsupported curve %q", k.Crv)
	}
	x, err1 := decodeKeyPart(k.X)
	y, err2 := decodeKeyPart(k.Y)
	if err := errors.Join(err1, err2); err != nil {
		return nil, err
	}
	if len(x) != 32 || len(y) != 32 {
		return nil, errors.New("bad P-256 coordinates")
	}
	point := append(append([]byte{4}, x...), y...)
	return ecdsa.ParseUncompressedPublicKey(elliptic.P256(), point) // checks the point is on the curve
}

// decodeKeyPart decodes a base64url JWK member, tolerating padding, which
// some providers add.
func decodeKeyPart(s string) ([]byte, error) {
	return b64.DecodeString(strings.TrimRight(s, "="))
}
