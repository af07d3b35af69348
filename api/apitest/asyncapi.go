package apitest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/coinop/coinop/api"
	"gopkg.in/yaml.v3"
)

// AsyncSpec is a parsed AsyncAPI 3.0 document: coinop's WebSocket
// protocols (api/asyncapi.yaml). It checks frames against the documented
// messages, including the order of their keys where the document says that
// order matters.
//
// Two conventions of the document, as extensions of its message objects:
//   - x-frame-key: the frame is a JSON object with exactly this one key,
//     whose value is the payload ({"stateMFA": {…}}); without it the frame
//     is the payload itself ({"type": "balance", …});
//   - x-ordered: true: the payload's keys appear in exactly the order the
//     payload schema lists its properties (receivers read them by position).
//
// Payload schemas use the same subset as the OpenAPI contract, without
// nullable (a JSON Schema document has no such keyword) and with JSON
// Schema's examples (a list).
type AsyncSpec struct {
	s        *Spec
	root     *yaml.Node
	messages map[string]map[string]*Message // channel id → message name
}

// Message is one message of one channel.
type Message struct {
	Channel string // the channel's id, e.g. machine
	Name    string // the message's name in the channel, e.g. stateMFA
	// Action is send when the server writes the message, receive when it
	// reads it (the document describes the server).
	Action string
	// Key is the frame's one key (x-frame-key); "" when the frame is the
	// payload.
	Key string
	// Properties are the payload's properties, in the document's order.
	Properties []string
	Ordered    bool // x-ordered: the key order is part of the contract

	payload map[string]any
}

// asyncKeywords are the schema keywords of an AsyncAPI document.
var asyncKeywords = func() map[string]bool {
	m := map[string]bool{"examples": true}
	for k := range schemaKeywords {
		if k != "nullable" && k != "example" {
			m[k] = true
		}
	}
	return m
}()

// LoadAsyncAPI parses api/asyncapi.yaml, failing the test if it cannot be
// parsed or is inconsistent.
func LoadAsyncAPI(t testing.TB) *AsyncSpec {
	t.Helper()
	a, err := ParseAsyncAPI(api.AsyncAPI)
	if err != nil {
		t.Fatalf("api/asyncapi.yaml: %v", err)
	}
	return a
}

// ParseAsyncAPI parses an AsyncAPI 3.0 document and checks it: every $ref
// resolves; every channel has an address and messages; every message has
// an object payload schema in the supported subset, with examples that
// match it; every operation sends or receives messages of its own channel;
// every message of a channel is sent or received by exactly one kind of
// operation.
func ParseAsyncAPI(data []byte) (*AsyncSpec, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, err
	}
	var raw any
	if err := root.Decode(&raw); err != nil {
		return nil, err
	}
	doc, ok := normalize(raw).(map[string]any)
	if !ok {
		return nil, errors.New("the document is not a mapping")
	}
	a := &AsyncSpec{
		s:        &Spec{doc: doc, keywords: asyncKeywords, checked: map[string]bool{}, regexps: map[string]*regexp.Regexp{}},
		root:     &root,
		messages: map[string]map[string]*Message{},
	}
	if errs := a.lint(); len(errs) > 0 {
		return nil, errors.New(strings.Join(errs, "\n"))
	}
	return a, nil
}

// Channels lists the channel ids.
func (a *AsyncSpec) Channels() []string { return sortedKeys(a.messages) }

// Address is a channel's address (its path), "" for an unknown channel.
func (a *AsyncSpec) Address(channel string) string {
	ch := a.s.deref(a.s.doc["channels"].(map[string]any)[channel])
	addr, _ := ch["address"].(string)
	return addr
}

// Messages lists a channel's messages by name.
func (a *AsyncSpec) Messages(channel string) []Message {
	var out []Message
	for _, name := range sortedKeys(a.messages[channel]) {
		out = append(out, *a.messages[channel][name])
	}
	return out
}

// Message returns one message of a channel.
func (a *AsyncSpec) Message(channel, name string) (Message, bool) {
	m, ok := a.messages[channel][name]
	if !ok {
		return Message{}, false
	}
	return *m, true
}

// CheckFrame validates a frame as the message name of channel: its
// envelope (x-frame-key), its payload against the schema, and, for an
// x-ordered message, the order of the payload's keys as written.
func (a *AsyncSpec) CheckFrame(t testing.TB, channel, name string, frame []byte) {
	t.Helper()
	for _, e := range a.checkFrame(channel, name, frame) {
		t.Errorf("%s %s: %s: %.200s", channel, name, e, frame)
	}
}

// CheckAny finds which message of channel a frame is (by its key, else
// the one payload schema it matches), checks it as CheckFrame does and
// returns the message's name ("" if none).
func (a *AsyncSpec) CheckAny(t testing.TB, channel string, frame []byte) string {
	t.Helper()
	name, errs := a.identify(channel, frame)
	if name == "" {
		t.Errorf("%s: %s: %.200s", channel, strings.Join(errs, "; "), frame)
		return ""
	}
	a.CheckFrame(t, channel, name, frame)
	return name
}

func (a *AsyncSpec) identify(channel string, frame []byte) (string, []string) {
	msgs, ok := a.messages[channel]
	if !ok {
		return "", []string{"channel not in the document"}
	}
	v, err := decodeJSON(frame)
	if err != nil {
		return "", []string{fmt.Sprintf("not one JSON value: %v", err)}
	}
	if obj, ok := v.(map[string]any); ok && len(obj) == 1 {
		for _, name := range sortedKeys(msgs) {
			if _, ok := obj[msgs[name].Key]; ok && msgs[name].Key != "" {
				return name, nil
			}
		}
	}
	var matched, errs []string
	for _, name := range sortedKeys(msgs) {
		if m := msgs[name]; m.Key == "" {
			if e := a.s.Validate(m.payload, v); len(e) == 0 {
				matched = append(matched, name)
			} else {
				errs = append(errs, name+": "+strings.Join(e, ", "))
			}
		}
	}
	switch len(matched) {
	case 1:
		return matched[0], nil
	case 0:
		return "", append([]string{"matches no message"}, errs...)
	}
	return "", []string{fmt.Sprintf("matches several messages %v", matched)}
}

func (a *AsyncSpec) checkFrame(channel, name string, frame []byte) []string {
	m, ok := a.messages[channel][name]
	if !ok {
		return []string{"message not in the document"}
	}
	v, err := decodeJSON(frame)
	if err != nil {
		return []string{fmt.Sprintf("not one JSON value: %v", err)}
	}
	payload := v
	if m.Key != "" {
		obj, ok := v.(map[string]any)
		if _, has := obj[m.Key]; !ok || len(obj) != 1 || !has {
			return []string{fmt.Sprintf("want a JSON object with exactly one key, %q", m.Key)}
		}
		payload = obj[m.Key]
	}
	errs := a.s.Validate(m.payload, payload)
	if !m.Ordered || len(errs) > 0 {
		return errs
	}
	keys, err := PayloadKeys(frame, m.Key)
	if err != nil {
		return append(errs, err.Error())
	}
	want := slices.DeleteFunc(slices.Clone(m.Properties), func(p string) bool { return !slices.Contains(keys, p) })
	if !slices.Equal(keys, want) {
		errs = append(errs, fmt.Sprintf("keys in the order %v, want %v (x-ordered)", keys, want))
	}
	return errs
}

// PayloadKeys reads the keys of a frame's payload object in the order they
// are written, from the JSON token stream: the payload is the frame, or,
// when key is not "", the value of the frame's key.
func PayloadKeys(frame []byte, key string) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(frame))
	open := func() error {
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			return fmt.Errorf("want a JSON object, got %v (%v)", tok, err)
		}
		return nil
	}
	if err := open(); err != nil {
		return nil, err
	}
	if key != "" {
		if tok, err := dec.Token(); err != nil || tok != key {
			return nil, fmt.Errorf("want the key %q first, got %v (%v)", key, tok, err)
		}
		if err := open(); err != nil {
			return nil, err
		}
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		k, _ := tok.(string)
		keys = append(keys, k)
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
	}
	return keys, nil
}
