package http

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"
)

// jwt signs header and payload (JSON) with HMAC-SHA256.
func jwt(secret, header, payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	signing := enc([]byte(header)) + "." + enc([]byte(payload))
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(signing))
	return signing + "." + enc(mac.Sum(nil))
}

func TestLegacyToken(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	const hs = `{"alg":"HS256","typ":"JWT"}`
	good := map[string]struct {
		tok, machine, id string
	}{
		"vending, exp in the header (the old programs)": {tok: jwt("s", `{"alg":"HS256","exp":1600000000.5,"typ":"JWT"}`, `{"machine":"vending-machine","id":0}`), machine: "vending-machine", id: "0"},
		"arcade, string id":                             {tok: jwt("s", hs, `{"machine":"arcade","id":"1"}`), machine: "arcade", id: "1"},
		"arcade, number id":                             {tok: jwt("s", hs, `{"machine":"arcade","id":7}`), machine: "arcade", id: "7"},
		"an exp claim still to come":                    {tok: jwt("s", hs, `{"machine":"arcade","id":"1","exp":1700000001}`), machine: "arcade", id: "1"},
	}
	for name, c := range good {
		got, err := verifyLegacyToken([]byte("s"), c.tok, now)
		if err != nil || got.Machine != c.machine || got.ID != c.id {
			t.Errorf("%s: %+v %v", name, got, err)
		}
	}
	bad := map[string]string{
		"another secret":    jwt("t", hs, `{"machine":"arcade","id":"1"}`),
		"alg none":          jwt("s", `{"alg":"none"}`, `{"machine":"arcade","id":"1"}`),
		"HS512":             jwt("s", `{"alg":"HS512"}`, `{"machine":"arcade","id":"1"}`),
		"expired exp claim": jwt("s", hs, `{"machine":"arcade","id":"1","exp":1699999999}`),
		"no machine":        jwt("s", hs, `{"id":"1"}`),
		"no id":             jwt("s", hs, `{"machine":"arcade"}`),
		"empty id":          jwt("s", hs, `{"machine":"arcade","id":""}`),
		"fraction id":       jwt("s", hs, `{"machine":"arcade","id":1.5}`),
		"negative id":       jwt("s", hs, `{"machine":"arcade","id":-1}`),
		"two parts":         "a.b",
		"garbage":           "not a token",
		"empty":             "",
	}
	for name, tok := range bad {
		if got, err := verifyLegacyToken([]byte("s"), tok, now); err == nil {
			t.Errorf("%s: accepted %+v", name, got)
		}
	}
	if _, err := verifyLegacyToken(nil, jwt("", hs, `{"machine":"arcade","id":"1"}`), now); err == nil {
		t.Error("an empty secret verified a token")
	}
}

// Legacy arcades get their own id in coinInsert and echo it, as a string,
// in coinInserted, which reaches the machine logic as the slot.
func TestLegacyArcadeTranslation(t *testing.T) {
	for _, c := range []struct{ id, wire, echo string }{
		{"1", `{"arcade":1,"coins":1,"operation":42}`, `{"arcade":"1","operation":42}`},
		{"pacman", `{"arcade":"pacman","coins":1,"operation":42}`, `{"arcade":"pacman","operation":"42"}`},
	} {
		m := &sioMachine{legacyID: c.id, arcade: true, slots: map[int64]int64{}}
		if got := string(m.coinInsert(json.RawMessage(`{"arcade":4,"coins":1,"operation":42}`))); got != c.wire {
			t.Errorf("%s: coinInsert %s, want %s", c.id, got, c.wire)
		}
		var back coinInsertedMsg
		if err := json.Unmarshal(m.coinInserted(json.RawMessage(c.echo)), &back); err != nil || back.Arcade.V != 4 || back.Operation.V != 42 {
			t.Errorf("%s: coinInserted read as %+v %v", c.id, back, err)
		}
		// Another arcade's id, or an operation it was not sent, passes as is.
		for _, other := range []string{`{"arcade":"9","operation":42}`, `{"arcade":"` + c.id + `","operation":43}`} {
			if got := string(m.coinInserted(json.RawMessage(other))); got != other {
				t.Errorf("%s: %s became %s", c.id, other, got)
			}
		}
	}
}
