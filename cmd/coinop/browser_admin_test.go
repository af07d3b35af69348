package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestBrowserOperator drives the operator console (/admin/) in a real
// Chromium with e2e/admin.mjs (Playwright): demo sign-in, a stock edit, an
// operation in unknown state settled, a player's statement and a credit, an
// API key created (shown once) and revoked; screenshots into e2e/artifacts.
// Before the browser starts, the test makes the unknown operation itself: a
// demo player earns money and buys at a raw machine that takes the release
// and never reports. It needs COINOP_TEST_CHROMIUM (a Chromium binary), Node
// and `npm ci --prefix e2e`.
func TestBrowserOperator(t *testing.T) {
	b := newBrowserRun(t, "admin.mjs")
	ts := startServer(t, "", "--demo", "--report-timeout", "1s")
	u := makeUnknownOperation(t, ts)
	b.run(t, 300*time.Second, "BASE_URL="+ts.URL,
		"UNKNOWN_OP="+strconv.FormatInt(u.operation, 10), "PLAYER_NAME="+u.player,
		"PLAYER_ID="+strconv.FormatInt(u.playerID, 10), "MACHINE_NAME="+u.machine, "MACHINE_SLOT="+strconv.FormatInt(u.slot, 10))

	// What the browser did, checked once more through the API.
	var ops []map[string]any
	u.op.getJSON("/api/v2/admin/operations?status=unknown", &ops)
	for _, o := range ops {
		if int64(o["operation"].(float64)) == u.operation {
			t.Fatalf("operation %d is still unknown after the browser settled it", u.operation)
		}
	}
	var statement []map[string]any
	u.op.getJSON(fmt.Sprintf("/api/v2/admin/people/%d/statement", u.playerID), &statement)
	settled := false
	for _, o := range statement {
		if int64(o["operation"].(float64)) == u.operation {
			settled = o["status"] == "completed"
		}
	}
	if !settled {
		t.Fatalf("operation %d is not completed in the player's statement: %v", u.operation, statement)
	}
	var keys []map[string]any
	u.op.getJSON("/api/v2/admin/apikeys", &keys)
	revoked := false
	for _, k := range keys {
		if k["user"] == "e2e-kiosk" {
			revoked = k["revoked_at"] != nil
		}
	}
	if !revoked {
		t.Fatalf("the key the browser made for e2e-kiosk is not revoked: %v", keys)
	}
}

// unknownOp is an operation left in unknown state, with who and where.
type unknownOp struct {
	op        *demoClient // signed in as an operator
	operation int64
	player    string
	playerID  int64
	machine   string
	slot      int64 // the machine's slot it sold from
}

// getJSON GETs path and decodes the answer, failing the test on any error.
func (d *demoClient) getJSON(path string, v any) {
	d.t.Helper()
	status, body := d.do("GET", path, "")
	if status != http.StatusOK {
		d.t.Fatalf("GET %s: %d %s", path, status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		d.t.Fatalf("GET %s: %v in %s", path, err, body)
	}
}

// postJSON sends body and decodes the answer, failing unless the status is want.
func (d *demoClient) postJSON(method, path, body string, want int, v any) {
	d.t.Helper()
	status, got := d.do(method, path, body)
	if status != want {
		d.t.Fatalf("%s %s: %d %s, want %d", method, path, status, got, want)
	}
	if v != nil {
		if err := json.Unmarshal(got, v); err != nil {
			d.t.Fatalf("%s %s: %v in %s", method, path, err, got)
		}
	}
}

// waitUntil polls ok for up to 30 s (CI machines may be busy).
func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after 30s waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func newDemoClient(t *testing.T, base string) *demoClient {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &demoClient{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

// makeUnknownOperation signs in a demo operator and a demo player, lets the
// player win at a game, adds a vending machine and connects to it as a raw
// machine that takes the release and never reports, so that after the
// report timeout the purchase is unknown.
func makeUnknownOperation(t *testing.T, ts *testServer) *unknownOp {
	t.Helper()
	op := newDemoClient(t, ts.URL)
	op.postJSON("POST", "/api/v2/demo/login", `{"name":"Rita Operadora","operator":true}`, http.StatusCreated, nil)
	player := newDemoClient(t, ts.URL)
	var me struct{ User int64 }
	player.postJSON("POST", "/api/v2/demo/login", `{"name":"Bia Lima"}`, http.StatusCreated, &me)

	// The cheapest snack, and enough money for it.
	var products []struct {
		Product int64
		Name    string
		Type    string
		Price   int64
	}
	// The demo seeds its catalogue and then takes over every machine in the
	// store (new keys, simulated screens): wait until it has, so that the
	// machine made below stays ours.
	waitUntil(t, "the demo's machines connected", func() bool {
		var ms []struct{ Connected bool }
		op.getJSON("/api/v2/demo/machines", &ms)
		for _, m := range ms {
			if !m.Connected {
				return false
			}
		}
		return len(ms) >= 3
	})
	var snack, game, price int64
	waitUntil(t, "the demo catalogue with a snack and a game", func() bool {
		op.getJSON("/api/v2/admin/products", &products)
		snack, game = 0, 0
		for _, p := range products {
			if p.Type == "foods" && (snack == 0 || p.Price < price) {
				snack, price = p.Product, p.Price
			}
			if p.Type == "games" && game == 0 {
				game = p.Product
			}
		}
		return snack != 0 && game != 0
	})
	for i := 0; i < 4; i++ {
		player.postJSON("POST", "/api/v2/demo/play", fmt.Sprintf(`{"game":%d}`, game), http.StatusCreated, nil)
	}

	// A vending machine of our own, stocked, that the test connects to.
	const machineName = "Lanches do palco"
	var created struct {
		Machine int64
		APIKey  string `json:"api_key"`
	}
	op.postJSON("POST", "/api/v2/admin/machines", `{"name":"`+machineName+`","kind":"vending","location":"Palco principal","description":"Ao lado da mesa de som"}`, http.StatusCreated, &created)
	op.postJSON("PUT", fmt.Sprintf("/api/v2/admin/machines/%d/stock/1", created.Machine), fmt.Sprintf(`{"product":%d,"quantity":6}`, snack), http.StatusOK, nil)
	op.postJSON("PUT", fmt.Sprintf("/api/v2/admin/machines/%d/stock/2", created.Machine), fmt.Sprintf(`{"product":%d,"quantity":0}`, snack), http.StatusOK, nil)

	conn, _, err := websocket.DefaultDialer.Dial("ws://"+ts.Addr+"/api/v2/machine", http.Header{"Authorization": {"Bearer " + created.APIKey}})
	if err != nil {
		t.Fatalf("machine connection: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	frames := make(chan map[string]json.RawMessage, 16)
	var readErr error // set before frames closes
	// Reading also answers the server's pings.
	go func() {
		defer close(frames)
		for {
			_, b, err := conn.ReadMessage()
			if err != nil {
				readErr = err
				return
			}
			var f map[string]json.RawMessage
			if json.Unmarshal(b, &f) == nil {
				select {
				case frames <- f:
				default:
				}
			}
		}
	}()
	next := func(name string) json.RawMessage {
		t.Helper()
		timeout := time.After(30 * time.Second)
		for {
			select {
			case f, ok := <-frames:
				if !ok {
					t.Fatalf("the machine socket closed while waiting for %s: %v", name, readErr)
				}
				if v, ok := f[name]; ok {
					return v
				}
			case <-timeout:
				t.Fatalf("no %s frame within 30s", name)
			}
		}
	}

	waitUntil(t, "the raw machine connected", func() bool { // the server registers the socket on its own goroutine
		var ms []struct {
			ID        int64
			Connected bool
		}
		op.getJSON("/api/v2/admin/machines", &ms)
		for _, m := range ms {
			if m.ID == created.Machine {
				return m.Connected
			}
		}
		return false
	})

	var debit struct{ Operation int64 }
	player.postJSON("POST", "/api/v2/debit", fmt.Sprintf(`{"product":%d,"machine":%d}`, snack, created.Machine), http.StatusCreated, &debit)
	var mfa struct {
		Code      json.Number
		Operation json.Number
	}
	if err := json.Unmarshal(next("stateMFA"), &mfa); err != nil {
		t.Fatal(err)
	}
	if mfa.Operation.String() != strconv.FormatInt(debit.Operation, 10) {
		t.Fatalf("stateMFA for operation %s, want %d", mfa.Operation, debit.Operation)
	}
	player.postJSON("POST", "/api/v2/mfa", fmt.Sprintf(`{"operation":%d,"code":%s}`, debit.Operation, mfa.Code), http.StatusOK, nil)
	next("stateReleasing")
	// ...and the machine never reports: the sweeper marks it unknown.
	waitUntil(t, "the purchase in unknown state", func() bool {
		status, body := op.do("GET", "/api/v2/admin/operations?status=unknown", "")
		return status == http.StatusOK && strings.Contains(string(body), fmt.Sprintf(`"operation":%d,`, debit.Operation))
	})
	return &unknownOp{op: op, operation: debit.Operation, player: "Bia Lima", playerID: me.User, machine: machineName, slot: 1}
}
