package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coinop/coinop"
	"github.com/coinop/coinop/api/apitest"
	"github.com/coinop/coinop/machineclient"
	"github.com/gorilla/websocket"
)

// ctCodes is a reference machine's screen that hands over the 2-digit
// codes it shows (the buyer reads them there: /debit never answers them).
type ctCodes chan string

var ctCodeLine = regexp.MustCompile(`código (\d\d)\.`)

func (c ctCodes) Write(p []byte) (int, error) {
	if m := ctCodeLine.FindSubmatch(p); m != nil {
		select {
		case c <- string(m[1]):
		default:
		}
	}
	return len(p), nil
}

func (c ctCodes) next(t *testing.T) string {
	t.Helper()
	select {
	case code := <-c:
		return code
	case <-time.After(5 * time.Second):
		t.Fatal("the machine showed no code")
		return ""
	}
}

// ctMachine runs the reference client for a machine until the test ends;
// the returned channel is closed when Run returns, with its error in *err.
func ctMachine(t *testing.T, c *machineclient.Client, err *error) <-chan struct{} {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	c.MinBackoff, c.MaxBackoff = 50*time.Millisecond, 200*time.Millisecond
	go func() {
		defer close(done)
		e := c.Run(ctx)
		if err != nil {
			*err = e
		}
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("the machine client did not stop")
		}
	})
	return done
}

// ctWait polls ok for up to 10 s.
func ctWait(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ctEvents is a person's /api/v2/events socket; every frame is checked
// against the contract's eventBalance or eventOperation.
type ctEvents struct {
	mu     sync.Mutex
	frames []map[string]any
}

func ctOpenEvents(t *testing.T, spec *apitest.Spec, conn *websocket.Conn) *ctEvents {
	e := &ctEvents{}
	done := make(chan struct{})
	t.Cleanup(func() { conn.Close(); <-done })
	go func() {
		defer close(done)
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				return
			}
			var f map[string]any
			json.Unmarshal(data, &f)
			switch f["type"] {
			case "balance":
				spec.CheckSchema(t, "eventBalance", data)
			case "operation":
				spec.CheckSchema(t, "eventOperation", data)
			default:
				t.Errorf("events: unknown frame %s", data)
			}
			e.mu.Lock()
			e.frames = append(e.frames, f)
			e.mu.Unlock()
		}
	}()
	return e
}

// has reports whether an operation frame for op has field == want.
func (e *ctEvents) has(op, field string, want any) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, f := range e.frames {
		d, _ := f["data"].(map[string]any)
		if f["type"] == "operation" && fmt.Sprint(d["operation"]) == op && d[field] == want {
			return true
		}
	}
	return false
}

// field is the value of field in the first event about operation op.
func (e *ctEvents) field(op, field string) any {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, f := range e.frames {
		d, _ := f["data"].(map[string]any)
		if f["type"] == "operation" && fmt.Sprint(d["operation"]) == op {
			return d[field]
		}
	}
	return nil
}

func (e *ctEvents) balance() (float64, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := len(e.frames) - 1; i >= 0; i-- {
		if e.frames[i]["type"] == "balance" {
			b, ok := e.frames[i]["data"].(map[string]any)["balance"].(float64)
			return b, ok
		}
	}
	return 0, false
}

// machineField reads a field of one machine in /api/v2/admin/machines,
// checking the answer against the contract.
func (c *contract) machineField(t *testing.T, opTok, id, field string) any {
	t.Helper()
	var ms []map[string]any
	json.Unmarshal(c.do(t, 200, "GET", "/api/v2/admin/machines", "", opTok, "").body, &ms)
	for _, m := range ms {
		if fmt.Sprint(m["id"]) == id {
			return m[field]
		}
	}
	t.Fatalf("machine %s not listed", id)
	return nil
}

// entry is the raw JSON of operation op in a JSON array of operations
// (nil when it is not there).
func entry(t *testing.T, body []byte, op string) string {
	t.Helper()
	var ops []json.RawMessage
	if err := json.Unmarshal(body, &ops); err != nil {
		t.Fatalf("not a list of operations: %v: %s", err, body)
	}
	for _, o := range ops {
		if strings.HasPrefix(string(o), `{"operation":`+op+`,`) {
			return string(o)
		}
	}
	return ""
}

// wantMachine fails unless the operation's JSON ends with its machine and
// slot, after every other key ("" for an operation made at no machine).
func wantMachine(t *testing.T, what, op, machine, name string, slot int) {
	t.Helper()
	if machine == "" {
		if op == "" || strings.Contains(op, `"machine"`) {
			t.Errorf("%s: %s, want no machine", what, op)
		}
		return
	}
	want := fmt.Sprintf(`,"machine":{"id":%s,"name":%q,"kind":"vending","slot":%d}}`, machine, name, slot)
	if !strings.HasSuffix(op, want) {
		t.Errorf("%s: %s, want it to end with %s", what, op, want)
	}
}

// listed reports whether GET path lists the operation op.
func (c *contract) listed(t *testing.T, pattern, path, tok, op string) bool {
	t.Helper()
	var ops []map[string]any
	json.Unmarshal(c.do(t, 200, "GET", pattern, path, tok, "").body, &ops)
	for _, o := range ops {
		if fmt.Sprint(o["operation"]) == op {
			return true
		}
	}
	return false
}

func ctWS(base string) string { return "ws" + strings.TrimPrefix(base, "http") }

// contractMachines exercises the machines' routes: the machine and events
// WebSockets, /debit and /mfa with a reference machine client, the
// operators' operations, settling and key rotation. The server runs with
// --report-timeout 1s so that a machine that never reports makes an
// unknown operation quickly.
func contractMachines(t *testing.T, c *contract, b *bank, opTok, anaTok, brunoTok, chips, game, idleMachine string) {
	spec := c.spec
	const (
		machines = "/api/v2/admin/machines"
		stock    = "/api/v2/admin/machines/{id}/stock/{slot}"
		rotate   = "/api/v2/admin/machines/{id}/key"
		msock    = "/api/v2/machine"
		events   = "/api/v2/events"
		debit    = "/api/v2/debit"
		mfa      = "/api/v2/mfa"
		ops      = "/api/v2/admin/operations"
		settle   = "/api/v2/admin/operations/{id}/settle"
	)
	r := c.do(t, 201, "POST", machines, "", opTok, `{"name":"Vending 2","kind":"vending"}`)
	vm, vkey := r.id(t, "machine"), r.obj()["api_key"].(string)
	c.do(t, 200, "PUT", stock, machines+"/"+vm+"/stock/4", opTok, `{"product":`+chips+`,"quantity":3}`)
	if st := c.machineField(t, opTok, vm, "state"); st != "idle" || c.machineField(t, opTok, vm, "last_contact") != nil {
		t.Errorf("a new machine: state %v, last_contact %v", st, c.machineField(t, opTok, vm, "last_contact"))
	}

	// The machine socket refuses before any upgrade.
	c.do(t, 401, "GET", msock, "", "", "")
	c.do(t, 401, "GET", msock, "", b.DemoKey, "") // a user's key
	c.do(t, 401, "GET", msock, "", anaTok, "")    // a person's token
	c.do(t, 400, "GET", msock, "", vkey, "")      // not an upgrade: JSON
	if r := c.do(t, 400, "GET", msock, "", vkey, "", "Connection", "Upgrade", "Upgrade", "websocket"); !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Errorf("a handshake without Sec-WebSocket-Version: Content-Type %q", r.header.Get("Content-Type"))
	}
	c.do(t, 403, "GET", msock, "", vkey, "", "Origin", "https://evil.example")
	conn, resp, err := websocket.DefaultDialer.Dial(ctWS(b.URL)+msock, bearer(vkey))
	if err != nil {
		t.Fatalf("machine dial: %v", err)
	}
	spec.Check(t, "GET", msock, resp.StatusCode, resp.Header, nil)
	ctWait(t, "the machine connected", func() bool { return c.machineField(t, opTok, vm, "connected") == true })
	conn.Close()
	ctWait(t, "the machine disconnected", func() bool { return c.machineField(t, opTok, vm, "connected") == false })

	// The events socket.
	c.do(t, 400, "GET", events, "", anaTok, "")
	c.do(t, 400, "GET", events, "", anaTok, "", "Connection", "Upgrade", "Upgrade", "websocket")
	c.do(t, 401, "GET", events, "", "abc.def.ghi", "")
	c.do(t, 401, "GET", events, events+"?x-auth-token=nope", "", "")
	c.do(t, 403, "GET", events, "", anaTok, "", "Origin", "https://evil.example")
	evConn, resp, err := websocket.DefaultDialer.Dial(ctWS(b.URL)+events+"?x-auth-token="+url.QueryEscape(anaTok), nil)
	if err != nil {
		t.Fatalf("events dial: %v", err)
	}
	spec.Check(t, "GET", events, resp.StatusCode, resp.Header, nil)
	ev := ctOpenEvents(t, spec, evConn)
	ctWait(t, "the first balance", func() bool { _, ok := ev.balance(); return ok })

	// The reference machine.
	codes := make(ctCodes, 8)
	var vendErr error
	vendDone := ctMachine(t, &machineclient.Client{URL: b.URL, Key: vkey, Kind: coinop.KindVending, Display: codes}, &vendErr)
	ctWait(t, "the reference machine connected", func() bool { return c.machineField(t, opTok, vm, "connected") == true })

	daniTok := b.idToken("dani", appClient)
	c.do(t, 201, "POST", "/api/v2/login", "", daniTok, "")
	c.do(t, 400, "POST", debit, "", anaTok, `{}`)
	c.do(t, 400, "POST", debit, "", anaTok, `{"product":1.5}`)
	c.do(t, 400, "POST", debit, "", anaTok, `{"product":`+chips+`,"machine":"x"}`)
	c.do(t, 400, "POST", debit, "", anaTok, `{"product":`+chips+`}`, "Idempotency-Key", strings.Repeat("k", 256))
	c.do(t, 402, "POST", debit, "", daniTok, `{"product":`+chips+`}`)
	c.do(t, 403, "POST", debit, "", anaTok, `{"product":999999}`)
	c.do(t, 403, "POST", debit, "", anaTok, `{"product":`+game+`}`)                            // no machine sells a game
	c.do(t, 403, "POST", debit, "", anaTok, `{"product":`+chips+`,"machine":`+idleMachine+`}`) // not connected
	c.do(t, 403, "POST", debit, "", anaTok, `{"product":`+chips+`,"machine":999999}`)

	// A purchase: the code reaches the machine, never the buyer.
	idem := []string{"Idempotency-Key", "debit-1"}
	body := `{"product":"` + chips + `","machine":` + vm + `}`
	r = c.do(t, 201, "POST", debit, "", anaTok, body, idem...)
	op := r.id(t, "operation")
	if strings.Contains(string(r.body), "code") {
		t.Errorf("the debit answered the code: %s", r.body)
	}
	code := codes.next(t)
	if again := c.do(t, 201, "POST", debit, "", anaTok, body, idem...); again.obj()["operation"] != r.obj()["operation"] {
		t.Errorf("replay answered %s, want %s", again.body, r.body)
	}
	c.do(t, 422, "POST", debit, "", anaTok, `{"product":`+chips+`}`, idem...)
	c.do(t, 403, "POST", debit, "", brunoTok, `{"product":`+chips+`,"machine":`+vm+`}`) // busy
	if r := c.do(t, 200, "GET", "/api/v2/machines", "", anaTok, ""); !strings.Contains(string(r.body), `"id":`+vm+`,"name":"Vending 2","kind":"vending","location":"","connected":true,"busy":true`) {
		t.Errorf("machines for players: %s", r.body)
	}
	if got := c.machineField(t, opTok, vm, "operation"); fmt.Sprint(got) != op {
		t.Errorf("the busy machine's operation: %v, want %s", got, op)
	}
	ctWait(t, "the awaiting_code event", func() bool { return ev.has(op, "stage", "awaiting_code") })
	if m, want := fmt.Sprint(ev.field(op, "machine")), "map[id:"+vm+" kind:vending name:Vending 2 slot:4]"; m != want {
		t.Errorf("the purchase's event names machine %s, want %s", m, want)
	}

	wrong := fmt.Sprintf("%02d", 10+(ctAtoi(code)-9)%90)
	c.do(t, 400, "POST", mfa, "", anaTok, `{"operation":`+op+`}`)
	c.do(t, 400, "POST", mfa, "", anaTok, `{"operation":`+op+`,"code":"4x"}`)
	c.do(t, 403, "POST", mfa, "", brunoTok, `{"operation":`+op+`,"code":"`+code+`"}`) // not bruno's
	c.do(t, 403, "POST", mfa, "", anaTok, `{"operation":999999,"code":"`+code+`"}`)
	c.do(t, 403, "POST", mfa, "", anaTok, `{"operation":`+op+`,"code":"`+wrong+`"}`) // one attempt of three
	if r := c.do(t, 200, "POST", mfa, "", anaTok, `{"operation":"`+op+`","code":"`+code+`"}`); r.obj()["status"] != "releasing" || r.id(t, "operation") != op {
		t.Errorf("mfa: %s", r.body)
	}
	c.do(t, 403, "POST", mfa, "", anaTok, `{"operation":`+op+`,"code":`+code+`}`) // used up
	ctWait(t, "the sale completed", func() bool { return ev.has(op, "status", "completed") })
	if !ev.has(op, "stage", "releasing") {
		t.Error("no releasing event")
	}
	ctWait(t, "the balance event", func() bool { b, _ := ev.balance(); return b == 304 })
	ctWait(t, "the machine free", func() bool { return c.machineField(t, opTok, vm, "operation") == 0.0 })
	if c.machineField(t, opTok, vm, "last_contact") == nil {
		t.Error("no last_contact after reports")
	}

	// A machine that never reports the release: unknown, for an operator.
	r = c.do(t, 201, "POST", machines, "", opTok, `{"name":"Vending 3","kind":"vending"}`)
	stuck, stuckKey := r.id(t, "machine"), r.obj()["api_key"].(string)
	c.do(t, 200, "PUT", stock, machines+"/"+stuck+"/stock/0", opTok, `{"product":`+chips+`,"quantity":1}`) // slot 0 is a slot
	jammed := make(chan struct{})
	defer close(jammed)
	stuckCodes := make(ctCodes, 8)
	ctMachine(t, &machineclient.Client{URL: b.URL, Key: stuckKey, Kind: coinop.KindVending, Display: stuckCodes,
		Release: func(ctx context.Context, slot int64) error {
			select {
			case <-jammed:
				return fmt.Errorf("jammed")
			case <-ctx.Done():
				return ctx.Err()
			}
		}}, nil)
	ctWait(t, "the jammed machine connected", func() bool { return c.machineField(t, opTok, stuck, "connected") == true })
	unk := c.do(t, 201, "POST", debit, "", anaTok, `{"product":`+chips+`,"machine":"`+stuck+`"}`).id(t, "operation")
	c.do(t, 200, "POST", mfa, "", anaTok, `{"operation":`+unk+`,"code":`+strconv.Itoa(ctAtoi(stuckCodes.next(t)))+`}`)
	c.do(t, 200, "GET", ops, ops+"?status=pending", opTok, "")
	ctWait(t, "the sweeper marking it unknown", func() bool { return c.listed(t, ops, "", opTok, unk) })
	if st := c.machineField(t, opTok, stuck, "state"); st != "releasing" {
		t.Errorf("the jammed machine's state: %v", st)
	}
	if !c.listed(t, ops, ops+"?status=completed", opTok, op) {
		t.Errorf("the sale is not among the completed operations")
	}
	// The operator is told where to go and look: the machine and its slot.
	r = c.do(t, 200, "GET", ops, "", opTok, "")
	wantMachine(t, "the unknown operation", entry(t, r.body, unk), stuck, "Vending 3", 0)
	r = c.do(t, 200, "GET", ops, ops+"?status=completed", opTok, "")
	wantMachine(t, "the completed sale", entry(t, r.body, op), vm, "Vending 2", 4)
	st := c.do(t, 200, "GET", "/api/v2/statement", "", anaTok, "").body
	wantMachine(t, "the sale in the buyer's statement", entry(t, st, op), vm, "Vending 2", 4)
	var lines []map[string]any
	json.Unmarshal(st, &lines)
	for _, l := range lines {
		if l["kind"] != "debit" {
			wantMachine(t, "an operation made at no machine", entry(t, st, fmt.Sprint(l["operation"])), "", "", 0)
		}
	}
	c.do(t, 200, "GET", ops, ops+"?status=voided", opTok, "")
	c.do(t, 400, "GET", ops, ops+"?status=lost", opTok, "")

	path := func(id string) string { return "/api/v2/admin/operations/" + id + "/settle" }
	c.do(t, 400, "POST", settle, path(unk), opTok, `{"outcome":"maybe"}`)
	c.do(t, 400, "POST", settle, path(unk), opTok, `{"outcome":`)
	c.do(t, 400, "POST", settle, path("x"), opTok, `{"outcome":"refund"}`)
	c.do(t, 404, "POST", settle, path("999999"), opTok, `{"outcome":"refund"}`)
	c.do(t, 409, "POST", settle, path(op), opTok, `{"outcome":"complete"}`) // completed, not unknown
	r = c.do(t, 200, "POST", settle, path(unk), opTok, `{"outcome":"refund"}`)
	if r.obj()["status"] != "voided" {
		t.Errorf("refund: %s", r.body)
	}
	wantMachine(t, "the settle answer", strings.TrimSpace(string(r.body)), stuck, "Vending 3", 0)
	c.do(t, 409, "POST", settle, path(unk), opTok, `{"outcome":"complete"}`)
	ctWait(t, "the refund event", func() bool { return ev.has(unk, "status", "voided") })

	// Rotating the key: the old one stops working, the client gives up.
	const rotated = "/api/v2/admin/machines/"
	r = c.do(t, 200, "POST", rotate, rotated+vm+"/key", opTok, "")
	newKey, _ := r.obj()["api_key"].(string)
	if r.id(t, "machine") != vm || newKey == vkey {
		t.Errorf("rotate: %s", r.body)
	}
	c.do(t, 400, "POST", rotate, rotated+"x/key", opTok, "")
	c.do(t, 404, "POST", rotate, rotated+"999999/key", opTok, "")
	c.do(t, 401, "GET", msock, "", vkey, "")
	c.do(t, 400, "GET", msock, "", newKey, "")
	select {
	case <-vendDone:
		if vendErr == nil {
			t.Error("the machine client stopped without an error")
		}
	case <-time.After(10 * time.Second):
		t.Error("the machine client kept running with a rotated key")
	}
	ctWait(t, "the rotated machine disconnected", func() bool { return c.machineField(t, opTok, vm, "connected") == false })
}

func ctAtoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		panic(err)
	}
	return n
}
