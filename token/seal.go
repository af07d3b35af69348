package token

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/coinop/coinop"
)

// sealed is the payload of a sealed value.
type sealed struct {
	Iss  string          `json:"iss"`
	Aud  string          `json:"aud"`
	Exp  int64           `json:"exp"`
	Data json.RawMessage `json:"data"`
}

// Seal signs v (as JSON) for purpose, valid for ttl: for short-lived state a
// browser carries, such as the OIDC login flow. It is signed, not
// encrypted: put nothing secret from the browser in it.
func (s *Service) Seal(purpose string, v any, ttl time.Duration) (string, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	body, err := json.Marshal(sealed{Iss: Issuer, Aud: "coinop-seal:" + purpose, Exp: s.Now().Add(ttl).Unix(), Data: data})
	if err != nil {
		return "", err
	}
	signed := header + "." + base64.RawURLEncoding.EncodeToString(body)
	return signed + "." + base64.RawURLEncoding.EncodeToString(s.sign(signed)), nil
}

// Unseal checks a sealed value of purpose and decodes it into v.
func (s *Service) Unseal(purpose, tok string, v any) error {
	bad := coinop.Errorf(coinop.EUNAUTHORIZED, "invalid or expired state")
	h, rest, ok := strings.Cut(tok, ".")
	body, sig, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 || h != header {
		return bad
	}
	gotSig, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !equalMAC(gotSig, s.sign(tok[:len(h)+1+len(body)])) {
		return bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return bad
	}
	var p sealed
	if json.Unmarshal(raw, &p) != nil || p.Iss != Issuer || p.Aud != "coinop-seal:"+purpose || !s.Now().Before(time.Unix(p.Exp, 0)) {
		return bad
	}
	if err := json.Unmarshal(p.Data, v); err != nil {
		return errors.Join(bad, err)
	}
	return nil
}
