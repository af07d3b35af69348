package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coinop/coinop/api/apitest"
	"github.com/gorilla/websocket"
)

// asyncMachine is a machine run by a plain WebSocket client (not the
// reference client): every frame it reads is checked against asyncapi.yaml,
// and so is every frame it writes.
type asyncMachine struct {
	t     *testing.T
	spec  *apitest.AsyncSpec
	conn  *websocket.Conn
	kinds map[string]int // the server's messages seen, by name
}

func dialAsyncMachine(t *testing.T, spec *apitest.AsyncSpec, b *bank, credential string) *asyncMachine {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial(ctWS(b.URL)+spec.Address("machine"), bearer(credential))
	if err != nil {
		t.Fatalf("machine dial: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return &asyncMachine{t: t, spec: spec, conn: conn, kinds: map[string]int{}}
}

// send writes a frame, after checking it as a message the server receives.
func (m *asyncMachine) send(name, frame string) {
	m.t.Helper()
	if msg, ok := m.spec.Message("machine", name); !ok || msg.Action != "receive" {
		m.t.Fatalf("%s is not a message the server receives", name)
	}
	m.spec.CheckFrame(m.t, "machine", name, []byte(frame))
	m.sendRaw(frame)
}

func (m *asyncMachine) sendRaw(frame string) {
	m.t.Helper()
	if err := m.conn.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
		m.t.Fatal(err)
	}
}

// read reads the server's next frame, which must be the message want: it
// checks it against the document (schema and x-ordered key order), checks
// the key order again from the token stream against the document's order,
// and returns the payload.
func (m *asyncMachine) read(want string) map[string]any {
	m.t.Helper()
	m.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, data, err := m.conn.ReadMessage()
	if err != nil {
		m.t.Fatalf("waiting for %s: %v", want, err)
	}
	name := m.spec.CheckAny(m.t, "machine", data)
	if name != want {
		m.t.Fatalf("got %s, want %s: %s", name, want, data)
	}
	msg, _ := m.spec.Message("machine", name)
	if msg.Action != "send" {
		m.t.Errorf("the server wrote %s, which the document says it receives", name)
	}
	keys, err := apitest.PayloadKeys(data, name)
	if err != nil || !slices.Equal(keys, msg.Properties) {
		m.t.Errorf("%s: keys written in the order %v (%v), want the document's %v: %s", name, keys, err, msg.Properties, data)
	}
	m.kinds[name]++
	var frame map[string]map[string]any
	if err := json.Unmarshal(data, &frame); err != nil {
		m.t.Fatal(err)
	}
	return frame[name]
}

// asyncEvents collects a person's events, each checked against the
// document's events channel.
type asyncEvents struct {
	mu     sync.Mutex
	frames []string
	names  map[string]int
}

func openAsyncEvents(t *testing.T, spec *apitest.AsyncSpec, b *bank, tok string) *asyncEvents {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial(ctWS(b.URL)+spec.Address("events"), bearer(tok))
	if err != nil {
		t.Fatalf("events dial: %v", err)
	}
	e := &asyncEvents{names: map[string]int{}}
	done := make(chan struct{})
	t.Cleanup(func() { conn.Close(); <-done })
	go func() {
		defer close(done)
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				return
			}
			name := spec.CheckAny(t, "events", data)
			if msg, _ := spec.Message("events", name); msg.Action != "send" {
				t.Errorf("events: %s is not a message the server sends", name)
			}
			e.mu.Lock()
			e.frames = append(e.frames, string(data))
			e.names[name]++
			e.mu.Unlock()
		}
	}()
	return e
}

func (e *asyncEvents) has(sub ...string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, f := range e.frames {
		all := true
		for _, s := range sub {
			all = all && strings.Contains(f, s)
		}
		if all {
			return true
		}
	}
	return false
}

func asyncInt(t *testing.T, payload map[string]any, field string) int64 {
	t.Helper()
	v, ok := payload[field].(float64)
	if !ok {
		t.Fatalf("%s: %v", field, payload)
	}
	return int64(v)
}

// TestAsyncAPIMachine runs a vending machine and an arcade over plain
// WebSockets against a real server and checks every frame the server
// sends them (stateMFA, stateReleasing, stateCancel, coinInsert, error)
// and every event of the buyer against api/asyncapi.yaml, key order
// included; then the ticker's frames.
func TestAsyncAPIMachine(t *testing.T) {
	spec := apitest.LoadAsyncAPI(t)
	b := startBank(t)
	opTok, _ := setupGame(t, b)
	create := func(path, body, field string) string {
		t.Helper()
		status, m := b.call(t, "POST", path, opTok, body)
		if status != 201 {
			t.Fatalf("POST %s: %d %v", path, status, m)
		}
		return fmt.Sprint(m[field])
	}
	chips := create("/api/v2/admin/products", `{"name":"Chips","type":"foods","price":5}`, "product")
	coin := create("/api/v2/admin/products", `{"name":"Credit","type":"arcade","price":2}`, "product")
	_, vm := b.call(t, "POST", "/api/v2/admin/machines", opTok, `{"name":"Vending","kind":"vending"}`)
	_, am := b.call(t, "POST", "/api/v2/admin/machines", opTok, `{"name":"Arcade","kind":"arcade"}`)
	vending, arcade := fmt.Sprint(vm["machine"]), fmt.Sprint(am["machine"])
	for _, s := range [][3]string{{vending, "3", chips}, {arcade, "2", coin}} {
		if status, m := b.call(t, "PUT", "/api/v2/admin/machines/"+s[0]+"/stock/"+s[1], opTok, `{"product":`+s[2]+`,"quantity":5}`); status != 200 {
			t.Fatalf("stock: %d %v", status, m)
		}
	}
	anaTok, ana := b.login(t, "ana")
	b.call(t, "POST", "/api/v2/admin/credit", opTok, fmt.Sprintf(`{"to":%d,"value":50}`, ana))
	ev := openAsyncEvents(t, spec, b, anaTok)

	field := func(id, name string) any {
		_, raw, _ := b.raw(t, "GET", "/api/v2/admin/machines", opTok, "")
		var ms []map[string]any
		json.Unmarshal(raw, &ms)
		for _, m := range ms {
			if fmt.Sprint(m["id"]) == id {
				return m[name]
			}
		}
		return nil
	}
	connected := func(id string) bool { return field(id, "connected") == true }
	// The buyer confirms once the machine's "mfa" report is in, as a buyer
	// reading the code off the screen does.
	showing := func() {
		ctWait(t, "the machine showing the code", func() bool { return field(vending, "state") == "mfa" })
	}
	debit := func(product, machine string) string {
		t.Helper()
		status, m := b.call(t, "POST", "/api/v2/debit", anaTok, `{"product":`+product+`,"machine":`+machine+`}`)
		if status != 201 {
			t.Fatalf("debit: %d %v", status, m)
		}
		return fmt.Sprint(m["operation"])
	}
	mfa := func(op string, code int64) int {
		t.Helper()
		status, _ := b.call(t, "POST", "/api/v2/mfa", anaTok, fmt.Sprintf(`{"operation":%s,"code":"%02d"}`, op, code))
		return status
	}

	// The vending machine, with a machine token from /auth/token.
	v := dialAsyncMachine(t, spec, b, b.token(t, fmt.Sprint(vm["api_key"])))
	v.send("stateUpdate", `{"stateUpdate":{"state":"idle","operation":"0"}}`)
	ctWait(t, "the vending machine connected", func() bool { return connected(vending) })

	// A sale: stateMFA, then stateReleasing.
	op := debit(chips, vending)
	p := v.read("stateMFA")
	code := asyncInt(t, p, "code")
	if p["username"] != "ana" || fmt.Sprint(asyncInt(t, p, "operation")) != op || code < 10 || code > 99 {
		t.Errorf("stateMFA: %v, want ana's operation %s", p, op)
	}
	v.send("stateUpdate", `{"stateUpdate":{"state":"mfa","operation":`+op+`}}`)
	showing()
	if status := mfa(op, code); status != 200 {
		t.Fatalf("mfa: %d", status)
	}
	p = v.read("stateReleasing")
	if asyncInt(t, p, "product") != 3 || fmt.Sprint(asyncInt(t, p, "operation")) != op {
		t.Errorf("stateReleasing: %v, want slot 3 and operation %s", p, op)
	}
	v.send("stateUpdate", `{"stateUpdate":{"state":"releasing","operation":"`+op+`"}}`)
	v.send("stateUpdate", `{"stateUpdate":{"state":"idle","operation":`+op+`}}`)
	ctWait(t, "the sale completed", func() bool { return ev.has(`"operation":`+op+`,`, `"status":"completed"`) })

	// Three wrong codes: stateCancel.
	op = debit(chips, vending)
	code = asyncInt(t, v.read("stateMFA"), "code")
	v.send("stateUpdate", `{"stateUpdate":{"state":"mfa","operation":`+op+`}}`)
	showing()
	for i := 0; i < 3; i++ {
		if status := mfa(op, 10+(code-9)%90); status != 403 {
			t.Fatalf("wrong code: %d", status)
		}
	}
	p = v.read("stateCancel")
	if fmt.Sprint(asyncInt(t, p, "operation")) != op || p["reason"] == "" {
		t.Errorf("stateCancel: %v, want operation %s and a reason", p, op)
	}
	v.send("stateUpdate", `{"stateUpdate":{"state":"idle","operation":0}}`)

	// Frames the server refuses: error.
	for _, frame := range []string{`{"bogus":{}}`, `not json`, `{"stateUpdate":{"state":"releasing","operation":0}}`} {
		v.sendRaw(frame)
		if p := v.read("error"); p["code"] != "invalid" || p["message"] == "" {
			t.Errorf("error after %s: %v", frame, p)
		}
	}

	// The arcade, with its key: coinInsert.
	a := dialAsyncMachine(t, spec, b, fmt.Sprint(am["api_key"]))
	ctWait(t, "the arcade connected", func() bool { return connected(arcade) })
	op = debit(coin, `"`+arcade+`"`)
	p = a.read("coinInsert")
	if asyncInt(t, p, "arcade") != 2 || asyncInt(t, p, "coins") != 1 || fmt.Sprint(asyncInt(t, p, "operation")) != op {
		t.Errorf("coinInsert: %v, want arcade 2, 1 coin, operation %s", p, op)
	}
	a.send("coinInserted", `{"coinInserted":{"arcade":"2","operation":"`+op+`"}}`)
	ctWait(t, "the coin sale completed", func() bool { return ev.has(`"operation":`+op+`,`, `"status":"completed"`) })

	for name, n := range map[string]int{"stateMFA": 2, "stateReleasing": 1, "stateCancel": 1, "error": 3} {
		if v.kinds[name] != n {
			t.Errorf("the vending machine got %d %s, want %d", v.kinds[name], name, n)
		}
	}
	ctWait(t, "every stage in the events", func() bool {
		return ev.has(`"stage":"awaiting_code"`) && ev.has(`"stage":"releasing"`) && ev.has(`"stage":"inserting_coin"`) &&
			ev.has(`"status":"voided"`, `"reason":"wrong code too many times"`) && ev.has(`{"type":"balance","data":{"balance":43}}`)
	})
	ev.mu.Lock()
	if ev.names["operation"] == 0 || ev.names["balance"] == 0 {
		t.Errorf("events seen: %v", ev.names)
	}
	ev.mu.Unlock()

	// The ticker's frames.
	conn, _, err := dialTicker(t, b.testServer, "", bearer(b.token(t, b.DemoKey)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	seen := map[string]int{}
	ping := []byte(`{"type":"ping"}`)
	spec.CheckFrame(t, "ticker", "ping", ping)
	for i := 0; seen["pong"] == 0; i++ {
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, data, err := conn.ReadMessage()
		if err != nil || i > 10000 {
			t.Fatalf("ticker: %v (seen %v)", err, seen)
		}
		name := spec.CheckAny(t, "ticker", data)
		if msg, _ := spec.Message("ticker", name); msg.Action != "send" {
			t.Errorf("ticker: %s is not a message the server sends", name)
		}
		if seen[name]++; i == 1 {
			conn.WriteMessage(websocket.TextMessage, ping)
		}
	}
	if seen["welcome"] != 1 || seen["ticker"] == 0 {
		t.Errorf("ticker frames: %v", seen)
	}
}
