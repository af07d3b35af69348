package api_test

import (
	"os"
	"regexp"
	"slices"
	"sort"
	"testing"

	"github.com/coinop/coinop/api"
	"github.com/coinop/coinop/api/apitest"
)

// TestAsyncAPIStructure checks the shape of the WebSocket contract: the
// channels and the direction of each message, a payload schema for every
// message, and the key order of the server's messages to the machines,
// which the fair's machine programs read by position.
func TestAsyncAPIStructure(t *testing.T) {
	a := apitest.LoadAsyncAPI(t)
	wantChannels := map[string]string{"machine": "/api/v2/machine", "events": "/api/v2/events", "ticker": "/ws/ticker"}
	if got := a.Channels(); !slices.Equal(got, sortedKeys(wantChannels)) {
		t.Fatalf("channels %v, want %v", got, sortedKeys(wantChannels))
	}
	for ch, addr := range wantChannels {
		if got := a.Address(ch); got != addr {
			t.Errorf("channel %s: address %q, want %q", ch, got, addr)
		}
	}
	// Direction of each message: send = the server writes it.
	want := map[string]map[string]string{
		"machine": {"stateUpdate": "receive", "coinInserted": "receive",
			"stateMFA": "send", "stateReleasing": "send", "coinInsert": "send", "stateCancel": "send", "error": "send"},
		"events": {"operation": "send", "balance": "send"},
		"ticker": {"welcome": "send", "ticker": "send", "ping": "receive", "pong": "send"},
	}
	// The server's messages to machines, keys in the order it writes them.
	order := map[string][]string{
		"stateMFA":       {"username", "code", "operation"},
		"stateReleasing": {"product", "operation"},
		"coinInsert":     {"arcade", "coins", "operation"},
		"stateCancel":    {"operation", "reason"},
		"error":          {"code", "message"},
	}
	for ch, msgs := range want {
		var names []string
		for _, m := range a.Messages(ch) {
			names = append(names, m.Name)
			if len(m.Properties) == 0 {
				t.Errorf("%s %s: no payload properties", ch, m.Name)
			}
			if m.Action != msgs[m.Name] {
				t.Errorf("%s %s: action %q, want %q", ch, m.Name, m.Action, msgs[m.Name])
			}
			switch {
			case ch == "machine" && m.Key != m.Name:
				t.Errorf("machine %s: frame key %q, want the message name", m.Name, m.Key)
			case ch != "machine" && m.Key != "":
				t.Errorf("%s %s: frame key %q, want none (the frame is the payload)", ch, m.Name, m.Key)
			}
			if o, ok := order[m.Name]; ok && ch == "machine" {
				if !m.Ordered || !slices.Equal(m.Properties, o) {
					t.Errorf("machine %s: properties %v (x-ordered %v), want %v in this order", m.Name, m.Properties, m.Ordered, o)
				}
			}
		}
		if !slices.Equal(names, sortedKeys(msgs)) {
			t.Errorf("channel %s: messages %v, want %v", ch, names, sortedKeys(msgs))
		}
	}
}

// TestAsyncAPIFrames checks the validator against hand-written frames.
func TestAsyncAPIFrames(t *testing.T) {
	a := apitest.LoadAsyncAPI(t)
	good := map[string]string{
		`{"stateMFA":{"username":"Ana","code":42,"operation":7}}`:    "stateMFA",
		`{"stateUpdate":{"state":"idle","operation":"0"}}`:           "stateUpdate",
		`{"coinInserted":{"arcade":"2","operation":7}}`:              "coinInserted",
		`{"error":{"code":"invalid","message":"unknown message x"}}`: "error",
	}
	for frame, name := range good {
		r := &recorder{}
		if got := a.CheckAny(r, "machine", []byte(frame)); got != name || len(r.errs) > 0 {
			t.Errorf("%s: %q %v, want %s", frame, got, r.errs, name)
		}
	}
	bad := map[string]string{
		`{"stateMFA":{"code":42,"username":"Ana","operation":7}}`:       "stateMFA",    // out of order
		`{"stateMFA":{"username":"Ana","code":"42","operation":7}}`:     "stateMFA",    // the server writes numbers
		`{"stateMFA":{"username":"Ana","code":42,"operation":7},"x":1}`: "stateMFA",    // two keys
		`{"stateUpdate":{"state":"dancing","operation":0}}`:             "stateUpdate", // unknown state
		`{"stateUpdate":{"state":"idle","operation":"-1"}}`:             "stateUpdate",
	}
	for frame, name := range bad {
		r := &recorder{}
		a.CheckFrame(r, "machine", name, []byte(frame))
		if len(r.errs) == 0 {
			t.Errorf("%s: accepted", frame)
		}
	}
	r := &recorder{}
	if got := a.CheckAny(r, "events", []byte(`{"type":"balance","data":{"balance":3}}`)); got != "balance" || len(r.errs) > 0 {
		t.Errorf("balance: %q %v", got, r.errs)
	}
	if got := a.CheckAny(r, "events", []byte(`{"type":"nope"}`)); got != "" || len(r.errs) == 0 {
		t.Errorf("an unknown event: %q %v", got, r.errs)
	}
}

// TestAsyncAPIErrorCodes: the machines' error frame carries the codes of
// error.go.
func TestAsyncAPIErrorCodes(t *testing.T) {
	src, err := os.ReadFile("../error.go")
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, m := range regexp.MustCompile(`(?m)^\s*E[A-Z]+\s*=\s*"([a-z_]+)"`).FindAllSubmatch(src, -1) {
		codes = append(codes, string(m[1]))
	}
	a := apitest.LoadAsyncAPI(t)
	for _, c := range codes {
		r := &recorder{}
		a.CheckFrame(r, "machine", "error", []byte(`{"error":{"code":"`+c+`","message":"m"}}`))
		if len(r.errs) > 0 {
			t.Errorf("code %s: %v", c, r.errs)
		}
	}
	r := &recorder{}
	a.CheckFrame(r, "machine", "error", []byte(`{"error":{"code":"oops","message":"m"}}`))
	if len(r.errs) == 0 {
		t.Error("an unknown code accepted")
	}
}

// TestAsyncAPIEmbedded checks that the embedded bytes are the file.
func TestAsyncAPIEmbedded(t *testing.T) {
	b, err := os.ReadFile("asyncapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != string(api.AsyncAPI) {
		t.Fatal("api.AsyncAPI differs from asyncapi.yaml")
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
