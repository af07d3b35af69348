package oidctest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"time"
)

// DefaultClient is the aud of minted tokens unless the claims say
// otherwise.
const DefaultClient = "test-client"

// IDToken returns an ID token signed RS256 with the provider's current key.
// The claims iss (the provider), sub "user-1", aud DefaultClient, iat now
// and exp in an hour are filled in; claims override them, and a nil value
// removes a claim.
func (p *Provider) IDToken(claims map[string]any) string {
	return p.must(p.mint(nil, claims))
}

// IDTokenES256 is IDToken signed ES256 with the provider's P-256 key.
func (p *Provider) IDTokenES256(claims map[string]any) string {
	return p.must(p.mint(map[string]any{"alg": "ES256", "kid": ECKeyID}, claims))
}

// SignWith is IDToken signed RS256 with a foreign key under kid, which may
// be the provider's own kid.
func (p *Provider) SignWith(key *rsa.PrivateKey, kid string, claims map[string]any) string {
	return p.must(p.signToken(map[string]any{"alg": "RS256", "typ": "JWT", "kid": kid}, claims, key))
}

// Unsigned is IDToken with the header alg "none" and an empty signature.
func (p *Provider) Unsigned(claims map[string]any) string {
	return p.must(p.mint(map[string]any{"alg": "none"}, claims))
}

// WithHeader is IDToken with header merged over the default one,
// {"alg":"RS256","typ":"JWT","kid":<current kid>} (a nil value removes a
// member). The signature follows the header's alg: empty for "none"; for
// HS256, an HMAC keyed with the PEM of the provider's RSA public key (the
// key-confusion attack); for ES256, the P-256 key; for anything else,
// RS256 with the current key.
func (p *Provider) WithHeader(header, claims map[string]any) string {
	return p.must(p.mint(header, claims))
}

// mint signs with the current key, header merged over the default one.
func (p *Provider) mint(header, claims map[string]any) (string, error) {
	k := p.current()
	return p.signToken(merge(map[string]any{"alg": "RS256", "typ": "JWT", "kid": k.kid}, header), claims, k.key)
}

// signToken returns a compact JWS of header and claims merged over the
// default claims, signed for the header's alg, with key for RS256.
func (p *Provider) signToken(header, claims map[string]any, key *rsa.PrivateKey) (string, error) {
	signing, err := encode(header, merge(p.defaultClaims(), claims))
	if err != nil {
		return "", err
	}
	alg, _ := header["alg"].(string)
	sig, err := p.sign(alg, key, signing)
	return signing + "." + b64(sig), err
}

// sign signs the signing input for alg; see WithHeader.
func (p *Provider) sign(alg string, key *rsa.PrivateKey, signing string) ([]byte, error) {
	sum := sha256.Sum256([]byte(signing))
	switch alg {
	case "none":
		return nil, nil
	case "HS256":
		der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
		if err != nil {
			return nil, err
		}
		mac := hmac.New(sha256.New, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
		mac.Write([]byte(signing))
		return mac.Sum(nil), nil
	case "ES256":
		r, s, err := ecdsa.Sign(rand.Reader, p.ec, sum[:])
		if err != nil {
			return nil, err
		}
		sig := make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
		return sig, nil
	}
	return rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:])
}

func (p *Provider) defaultClaims() map[string]any {
	now := time.Now()
	return map[string]any{
		"iss": p.URL(), "sub": "user-1", "aud": DefaultClient,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
}

// merge sets over's members in base, deleting those whose value is nil.
func merge(base, over map[string]any) map[string]any {
	for k, v := range over {
		if v == nil {
			delete(base, k)
		} else {
			base[k] = v
		}
	}
	return base
}

// encode returns the signing input of a JWS: header.payload.
func encode(header, claims map[string]any) (string, error) {
	h, err := json.Marshal(header)
	if err != nil {
		return "", err
	}
	c, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	return b64(h) + "." + b64(c), nil
}

func (p *Provider) must(tok string, err error) string {
	p.t.Helper()
	if err != nil {
		p.t.Fatal(err)
	}
	return tok
}
