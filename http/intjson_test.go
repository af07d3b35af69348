package http

import (
	"encoding/json"
	"testing"
)

func TestInt(t *testing.T) {
	good := map[string]int64{`42`: 42, `"42"`: 42, `-5`: -5, `0`: 0, `"007"`: 7, `2147483647`: 2147483647, `-2147483648`: -2147483648}
	for in, want := range good {
		var v struct{ N Int }
		if err := json.Unmarshal([]byte(`{"N":`+in+`}`), &v); err != nil || !v.N.Set || v.N.V != want {
			t.Errorf("%s: %+v, %v", in, v.N, err)
		}
	}
	for _, in := range []string{`4.2`, `4.0`, `1e3`, `"4.2"`, `"-5"`, `" 5"`, `""`, `"abc"`, `true`, `[]`, `{}`, `2147483648`, `-2147483649`, `"99999999999"`} {
		var v struct{ N Int }
		if err := json.Unmarshal([]byte(`{"N":`+in+`}`), &v); err == nil {
			t.Errorf("%s accepted as %+v", in, v.N)
		}
	}
	var v struct{ N Int }
	if json.Unmarshal([]byte(`{"N":null}`), &v); v.N.Set {
		t.Error("null is set")
	}
}
