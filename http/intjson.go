package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
)

// Int is an integer field as the fair's clients send it: a JSON number
// without fraction or exponent, or a string of decimal digits ("42").
// Anything else, and anything outside int32, is refused. A missing or null
// field leaves Set false.
type Int struct {
	V   int64
	Set bool
}

var errInt = errors.New("not an integer")

// UnmarshalJSON implements json.Unmarshaler.
func (n *Int) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*n = Int{}
		return nil
	}
	digits := b
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil || s == "" {
			return errInt
		}
		for _, c := range []byte(s) {
			if c < '0' || c > '9' {
				return errInt
			}
		}
		digits = []byte(s)
	} else if bytes.ContainsAny(b, ".eE") {
		return errInt
	}
	v, err := strconv.ParseInt(string(digits), 10, 64)
	if err != nil || v > math.MaxInt32 || v < math.MinInt32 {
		return errInt
	}
	*n = Int{V: v, Set: true}
	return nil
}

// MarshalJSON implements json.Marshaler.
func (n Int) MarshalJSON() ([]byte, error) { return strconv.AppendInt(nil, n.V, 10), nil }
