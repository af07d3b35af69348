package socketio

import (
	"bytes"
	"encoding/json"
	"testing"
)

// The encodings of the Engine.IO v4 and Socket.IO v5 protocol documents.
func TestEngineIOCodec(t *testing.T) {
	for _, c := range []struct {
		p    eioPacket
		wire string
	}{
		{eioPacket{typ: eioPing, data: []byte("probe")}, "2probe"},
		{eioPacket{typ: eioPong}, "3"},
		{eioPacket{typ: eioMessage, data: []byte("hello")}, "4hello"},
		{eioPacket{typ: eioUpgrade}, "5"},
		{eioPacket{typ: eioNoop}, "6"},
		{eioPacket{typ: eioMessage, data: []byte{1, 2, 3, 4}, binary: true}, "bAQIDBA=="},
	} {
		if got := string(c.p.encode()); got != c.wire {
			t.Errorf("encode %+v = %q, want %q", c.p, got, c.wire)
		}
		back, err := decodeEIO([]byte(c.wire))
		if err != nil || back.typ != c.p.typ || !bytes.Equal(back.data, c.p.data) || back.binary != c.p.binary {
			t.Errorf("decode %q = %+v, %v", c.wire, back, err)
		}
	}
	ps := []eioPacket{{typ: eioMessage, data: []byte("hello")}, {typ: eioMessage, data: []byte("€€€")}, {typ: eioMessage, data: []byte{1, 2, 3}, binary: true}}
	wire := "4hello\x1e4€€€\x1ebAQID"
	if got := string(encodePayload(ps)); got != wire {
		t.Errorf("payload %q, want %q", got, wire)
	}
	back, err := decodePayload([]byte(wire))
	if err != nil || len(back) != 3 || string(back[1].data) != "€€€" || !back[2].binary {
		t.Errorf("decode payload: %+v %v", back, err)
	}
	for _, bad := range []string{"", "7", "x", "4a\x1e", "b!!"} {
		if _, err := decodePayload([]byte(bad)); err == nil {
			t.Errorf("payload %q accepted", bad)
		}
	}
}

func TestSocketIOCodec(t *testing.T) {
	for _, c := range []struct {
		p    sioPacket
		wire string
	}{
		{sioPacket{typ: sioConnect, namespace: "/"}, "0"},
		{sioPacket{typ: sioConnect, namespace: "/", data: json.RawMessage(`{"sid":"wZX3oN0bSVIhsaknAAAI"}`)}, `0{"sid":"wZX3oN0bSVIhsaknAAAI"}`},
		{sioPacket{typ: sioConnect, namespace: "/admin"}, "0/admin,"},
		{sioPacket{typ: sioConnect, namespace: "/admin", data: json.RawMessage(`{"token":"123"}`)}, `0/admin,{"token":"123"}`},
		{sioPacket{typ: sioConnectError, namespace: "/", data: json.RawMessage(`{"message":"Not authorized"}`)}, `4{"message":"Not authorized"}`},
		{sioPacket{typ: sioEvent, namespace: "/", data: json.RawMessage(`["foo"]`)}, `2["foo"]`},
		{sioPacket{typ: sioEvent, namespace: "/admin", data: json.RawMessage(`["bar"]`)}, `2/admin,["bar"]`},
		{sioPacket{typ: sioEvent, namespace: "/", id: 12, hasID: true, data: json.RawMessage(`["foo"]`)}, `212["foo"]`},
		{sioPacket{typ: sioAck, namespace: "/admin", id: 13, hasID: true, data: json.RawMessage(`["bar"]`)}, `3/admin,13["bar"]`},
		{sioPacket{typ: sioBinaryEvent, namespace: "/", attachments: 1, data: json.RawMessage(`["baz",{"_placeholder":true,"num":0}]`)}, `51-["baz",{"_placeholder":true,"num":0}]`},
		{sioPacket{typ: sioDisconnect, namespace: "/admin"}, "1/admin,"},
		{sioPacket{typ: sioDisconnect, namespace: "/"}, "1"},
	} {
		if got := string(c.p.encode()); got != c.wire {
			t.Errorf("encode %+v = %q, want %q", c.p, got, c.wire)
		}
		back, err := decodeSIO([]byte(c.wire))
		if err != nil || back.typ != c.p.typ || back.namespace != c.p.namespace || back.id != c.p.id ||
			back.hasID != c.p.hasID || back.attachments != c.p.attachments || string(back.data) != string(c.p.data) {
			t.Errorf("decode %q = %+v, %v", c.wire, back, err)
		}
	}
	// A namespace with a query, as some clients send it.
	if p, err := decodeSIO([]byte(`0/arcade?x=1,{"token":"t"}`)); err != nil || p.namespace != "/arcade" || string(p.data) != `{"token":"t"}` {
		t.Errorf("namespace with a query: %+v %v", p, err)
	}
	for _, bad := range []string{"", "9", "2[", "5x-[]", "2/ns,{bad"} {
		if _, err := decodeSIO([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	name, args, err := eventArgs(json.RawMessage(`["stateUpdate",{"state":"idle","operation":0},2]`))
	if err != nil || name != "stateUpdate" || len(args) != 2 || string(args[0]) != `{"state":"idle","operation":0}` {
		t.Errorf("event args: %q %q %v", name, args, err)
	}
	for _, bad := range []string{`[]`, `{}`, `[1]`} {
		if _, _, err := eventArgs(json.RawMessage(bad)); err == nil {
			t.Errorf("event %s accepted", bad)
		}
	}
}
