package apitest

import (
	"strings"
	"testing"
)

const testAsync = `
asyncapi: 3.0.0
info: {title: test, version: "1"}
channels:
  dev:
    address: /dev
    messages:
      hello: {$ref: '#/components/messages/hello'}
      bye: {$ref: '#/components/messages/bye'}
  feed:
    address: /feed
    messages:
      tick: {$ref: '#/components/messages/tick'}
operations:
  sendHello:
    action: send
    channel: {$ref: '#/channels/dev'}
    messages: [{$ref: '#/channels/dev/messages/hello'}]
    reply:
      messages: [{$ref: '#/channels/dev/messages/bye'}]
  receiveBye:
    action: receive
    channel: {$ref: '#/channels/dev'}
    messages: [{$ref: '#/channels/dev/messages/bye'}]
  sendTick:
    action: send
    channel: {$ref: '#/channels/feed'}
    messages: [{$ref: '#/channels/feed/messages/tick'}]
components:
  messages:
    hello:
      x-frame-key: hello
      x-ordered: true
      payload:
        type: object
        required: [z, a]
        additionalProperties: false
        properties:
          z: {type: string}
          a: {type: integer}
      examples:
        - payload: {z: x, a: 1}
    bye:
      x-frame-key: bye
      payload: {$ref: '#/components/schemas/bye'}
    tick:
      payload:
        type: object
        required: [type]
        properties:
          type: {type: string, enum: [tick]}
  schemas:
    bye:
      type: object
      properties:
        n: {type: integer, examples: [1, 2]}
`

func TestAsyncAPIParse(t *testing.T) {
	a, err := ParseAsyncAPI([]byte(testAsync))
	if err != nil {
		t.Fatal(err)
	}
	m, ok := a.Message("dev", "hello")
	if !ok || m.Action != "send" || m.Key != "hello" || !m.Ordered || strings.Join(m.Properties, ",") != "z,a" {
		t.Fatalf("hello: %+v", m)
	}
	if m, _ := a.Message("dev", "bye"); m.Action != "receive" || m.Ordered || strings.Join(m.Properties, ",") != "n" {
		t.Fatalf("bye: %+v", m)
	}
	r := &recorder{}
	a.CheckFrame(r, "dev", "hello", []byte(`{"hello":{"z":"x","a":1}}`))
	a.CheckFrame(r, "dev", "bye", []byte(`{"bye":{"n":1,"other":true}}`))
	if got := a.CheckAny(r, "feed", []byte(`{"type":"tick"}`)); got != "tick" {
		t.Errorf("tick identified as %q", got)
	}
	if got := a.CheckAny(r, "dev", []byte(`{"bye":{}}`)); got != "bye" {
		t.Errorf("bye identified as %q", got)
	}
	if len(r.errs) > 0 {
		t.Fatalf("valid frames refused: %v", r.errs)
	}
	for frame, want := range map[string]string{
		`{"hello":{"a":1,"z":"x"}}`:          "order",
		`{"hello":{"z":"x","a":"1"}}`:        "want integer",
		`{"hello":{"z":"x","a":1},"bye":{}}`: "exactly one key",
		`{"bye":{"z":"x","a":1}}`:            "exactly one key",
		`[1]`:                                "exactly one key",
	} {
		r := &recorder{}
		a.CheckFrame(r, "dev", "hello", []byte(frame))
		if len(r.errs) == 0 || !strings.Contains(strings.Join(r.errs, " "), want) {
			t.Errorf("%s: %v, want an error about %q", frame, r.errs, want)
		}
	}
	r = &recorder{}
	if got := a.CheckAny(r, "feed", []byte(`{"type":"tock"}`)); got != "" || len(r.errs) == 0 {
		t.Errorf("tock: %q %v", got, r.errs)
	}
}

func TestPayloadKeys(t *testing.T) {
	keys, err := PayloadKeys([]byte(`{"m":{"b":{"x":[1,{"y":2}]},"a":"s","c":null}}`), "m")
	if err != nil || strings.Join(keys, ",") != "b,a,c" {
		t.Fatalf("%v %v", keys, err)
	}
	if _, err := PayloadKeys([]byte(`{"n":{}}`), "m"); err == nil {
		t.Fatal("another key accepted")
	}
	if keys, err := PayloadKeys([]byte(`{"type":"x","data":{}}`), ""); err != nil || strings.Join(keys, ",") != "type,data" {
		t.Fatalf("%v %v", keys, err)
	}
}

func TestAsyncAPIParseRefusesInconsistent(t *testing.T) {
	for name, c := range map[string]struct{ old, new, want string }{
		"version":          {"asyncapi: 3.0.0", "asyncapi: 2.6.0", "want 3.0.x"},
		"dangling ref":     {"'#/components/schemas/bye'}", "'#/components/schemas/nope'}", "does not resolve"},
		"no operation":     {"  receiveBye:\n    action: receive\n    channel: {$ref: '#/channels/dev'}\n    messages: [{$ref: '#/channels/dev/messages/bye'}]\n", "", "no operation sends or receives it"},
		"foreign message":  {"messages: [{$ref: '#/channels/feed/messages/tick'}]", "messages: [{$ref: '#/channels/dev/messages/hello'}]", "not one of its channel's"},
		"both directions":  {"messages: [{$ref: '#/channels/dev/messages/bye'}]\n  sendTick", "messages: [{$ref: '#/channels/dev/messages/hello'}]\n  sendTick", "both sent and received"},
		"bad action":       {"action: receive", "action: publish", "want send or receive"},
		"bad example":      {"- payload: {z: x, a: 1}", "- payload: {z: x, a: one}", "does not match"},
		"bad schema ex":    {"examples: [1, 2]", "examples: [1, two]", "does not match"},
		"no payload":       {"    tick:\n      payload:", "    tick:\n      nopayload:", "no payload schema"},
		"nullable":         {"n: {type: integer,", "n: {nullable: true, type: integer,", "unsupported schema keyword"},
		"not a path":       {"address: /feed", "address: feed", "is not a path"},
		"payload not obj":  {"        type: object\n        required: [type]", "        type: string\n        required: [type]", "not an object schema"},
		"empty frame key":  {"x-frame-key: bye", "x-frame-key: ''", "x-frame-key is not a name"},
		"unknown channel":  {"channel: {$ref: '#/channels/feed'}", "channel: {$ref: '#/components/messages/tick'}", "not a channel of the document"},
		"required missing": {"required: [z, a]", "required: [z, a, q]", "required property q"},
	} {
		if !strings.Contains(testAsync, c.old) {
			t.Fatalf("%s: %q not in the test document", name, c.old)
		}
		_, err := ParseAsyncAPI([]byte(strings.Replace(testAsync, c.old, c.new, 1)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error about %q", name, err, c.want)
		}
	}
}
