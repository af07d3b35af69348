package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/coinop/coinop/oidc/oidctest"
	"github.com/coinop/coinop/postgres/pgtest"
	"github.com/gorilla/websocket"
)

// cluster is three coinop instances sharing one PostgreSQL schema and NATS.
type cluster struct {
	nodes []*bank
	idp   *oidctest.Provider
}

func startCluster(t *testing.T, n int, args ...string) *cluster {
	t.Helper()
	natsURL := os.Getenv("COINOP_TEST_NATS")
	if natsURL == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but COINOP_TEST_NATS is not set")
		}
		t.Skip("COINOP_TEST_NATS not set: skipping the several-instance tests")
	}
	db := pgtest.URL(t)
	first := startBank(t, append([]string{"--db", db, "--nats", natsURL, "--transfer-window", "0", "--tick", "20ms"}, args...)...)
	c := &cluster{nodes: []*bank{first}, idp: first.idp}
	for i := 1; i < n; i++ {
		ts := startServer(t, "", append([]string{"--db", db, "--nats", natsURL, "--transfer-window", "0", "--tick", "20ms",
			"--oidc-issuer", first.idp.URL(), "--oidc-audiences", appClient, "--oidc-game-audiences", gameClient,
			"--operators", "boss@example.com"}, args...)...)
		c.nodes = append(c.nodes, &bank{testServer: ts, idp: first.idp})
	}
	return c
}

// TestClusterPurchase: a machine on instance A, a player calling B and
// confirming on C; then the instance holding the machine stops mid-flow.
func TestClusterPurchase(t *testing.T) {
	c := startCluster(t, 3)
	a, b, cc := c.nodes[0], c.nodes[1], c.nodes[2]
	opTok, _ := setupGame(t, a)
	s := &shop{bank: a, opTok: opTok}
	s.chips = s.create(t, "products", `{"name":"Chips","type":"foods","price":5}`, "product")
	_, m := a.call(t, "POST", "/api/v2/admin/machines", opTok, `{"name":"V","kind":"vending"}`)
	mid, key := int64(m["machine"].(float64)), m["api_key"].(string)
	s.stock(t, mid, 3, s.chips, 5)
	anaTok, ana := b.login(t, "ana")
	a.call(t, "POST", "/api/v2/admin/credit", opTok, fmt.Sprintf(`{"to":%d,"value":20}`, ana))

	machine, _, err := websocket.DefaultDialer.Dial("ws://"+a.Addr+"/api/v2/machine", bearer(key))
	if err != nil {
		t.Fatal(err)
	}
	defer machine.Close()
	read := func(conn *websocket.Conn) map[string]map[string]any {
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		var f map[string]map[string]any
		if err := conn.ReadJSON(&f); err != nil {
			t.Fatal(err)
		}
		return f
	}
	s.waitConnected(t, mid, true)
	// Debit on B: stateMFA reaches the machine on A through NATS.
	status, body := b.call(t, "POST", "/api/v2/debit", anaTok, fmt.Sprintf(`{"product":%d}`, s.chips))
	if status != 201 {
		t.Fatalf("debit on B: %d %v", status, body)
	}
	op := body["operation"].(float64)
	mfa := read(machine)["stateMFA"]
	machine.WriteJSON(map[string]any{"stateUpdate": map[string]any{"state": "mfa", "operation": op}})
	// Confirm on C: stateReleasing reaches the machine on A.
	if status, _ := cc.call(t, "POST", "/api/v2/mfa", anaTok, fmt.Sprintf(`{"operation":%v,"code":%v}`, op, mfa["code"])); status != 200 {
		t.Fatalf("mfa on C: %d", status)
	}
	rel := read(machine)["stateReleasing"]
	if rel["product"] != 3.0 {
		t.Fatalf("stateReleasing %v", rel)
	}
	// A stops while the product drops; the machine reconnects to B and
	// reports there.
	machine.WriteJSON(map[string]any{"stateUpdate": map[string]any{"state": "releasing", "operation": op}})
	a.Stop(t)
	machine.Close()
	m2, _, err := websocket.DefaultDialer.Dial("ws://"+b.Addr+"/api/v2/machine", bearer(key))
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	m2.WriteJSON(map[string]any{"stateUpdate": map[string]any{"state": "idle", "operation": op}})
	m2.WriteJSON(map[string]any{"stateUpdate": map[string]any{"state": "idle", "operation": op}})
	bs := &shop{bank: b, opTok: opTok}
	eventually(t, "completed once", func() bool { return bs.opStatus(t, anaTok, op) == "completed" })
	if bal := bs.balance(t, anaTok); bal != 15 {
		t.Fatalf("balance %v: charged more than once?", bal)
	}

	// A second purchase, the machine now on B, voided when B stops before
	// the code: ends voided, once.
	status, body = cc.call(t, "POST", "/api/v2/debit", anaTok, fmt.Sprintf(`{"product":%d}`, s.chips))
	if status != 201 {
		t.Fatalf("debit on C: %d %v", status, body)
	}
	op2 := body["operation"].(float64)
	read(m2)
	b.Stop(t)
	cs := &shop{bank: cc, opTok: opTok}
	eventually(t, "voided", func() bool { return cs.opStatus(t, anaTok, op2) == "voided" })
	if bal := cs.balance(t, anaTok); bal != 15 {
		t.Fatalf("balance %v after the void", bal)
	}
}

// TestClusterTicker: ticker clients on three instances see identical
// frames; when the publishing instance stops, another takes over.
func TestClusterTicker(t *testing.T) {
	c := startCluster(t, 3)
	type rec struct {
		mu     sync.Mutex
		frames map[uint64][]byte
	}
	recs := make([]*rec, 3)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i, n := range c.nodes {
		conn, _, err := dialTicker(t, n.testServer, "", bearer(n.token(t, n.DemoKeyOr(t, c.nodes[0]))))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		recs[i] = &rec{frames: map[uint64][]byte{}}
		go func(r *rec) {
			for ctx.Err() == nil {
				_, data, err := conn.ReadMessage()
				if err != nil {
					return
				}
				if bytes.Contains(data, []byte(`"ticker"`)) {
					f := readSeq(data)
					r.mu.Lock()
					r.frames[f] = data
					r.mu.Unlock()
				}
			}
		}(recs[i])
	}
	time.Sleep(1500 * time.Millisecond)
	common := 0
	recs[0].mu.Lock()
	for seq, f := range recs[0].frames {
		for _, r := range recs[1:] {
			r.mu.Lock()
			g, ok := r.frames[seq]
			r.mu.Unlock()
			if ok && !bytes.Equal(f, g) {
				t.Fatalf("seq %d differs between instances:\n%s\n%s", seq, f, g)
			}
			if ok {
				common++
			}
		}
	}
	recs[0].mu.Unlock()
	if common < 40 {
		t.Fatalf("only %d frames seen on several instances", common)
	}
	// Stop every instance but the last in turn; the last keeps ticking.
	c.nodes[0].Stop(t)
	c.nodes[1].Stop(t)
	last := recs[2]
	last.mu.Lock()
	before := len(last.frames)
	last.mu.Unlock()
	time.Sleep(4 * time.Second)
	last.mu.Lock()
	after := len(last.frames)
	last.mu.Unlock()
	if after-before < 20 {
		t.Fatalf("after the other instances stopped, %d new frames in 4s: no takeover", after-before)
	}
}

func readSeq(frame []byte) uint64 {
	i := bytes.Index(frame, []byte(`"seq":`))
	var n uint64
	for _, c := range frame[i+6:] {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + uint64(c-'0')
	}
	return n
}

// DemoKeyOr is this node's demo key, or the first node's (only the first
// start on a database creates it).
func (ts *testServer) DemoKeyOr(t *testing.T, first *bank) string {
	if ts.DemoKey != "" {
		return ts.DemoKey
	}
	return first.DemoKey
}

// TestClusterReplacementAndTimers: a machine's second connection on another
// instance replaces the first; a code that expires after the instance that
// issued it stopped is voided by another instance.
func TestClusterReplacementAndTimers(t *testing.T) {
	c := startCluster(t, 2, "--code-timeout", "1s")
	a, b := c.nodes[0], c.nodes[1]
	opTok, _ := setupGame(t, a)
	s := &shop{bank: a, opTok: opTok}
	s.chips = s.create(t, "products", `{"name":"Chips","type":"foods","price":5}`, "product")
	_, m := a.call(t, "POST", "/api/v2/admin/machines", opTok, `{"name":"V","kind":"vending"}`)
	mid, key := int64(m["machine"].(float64)), m["api_key"].(string)
	s.stock(t, mid, 1, s.chips, 5)
	anaTok, ana := a.login(t, "ana")
	a.call(t, "POST", "/api/v2/admin/credit", opTok, fmt.Sprintf(`{"to":%d,"value":20}`, ana))

	onA, _, err := websocket.DefaultDialer.Dial("ws://"+a.Addr+"/api/v2/machine", bearer(key))
	if err != nil {
		t.Fatal(err)
	}
	defer onA.Close()
	time.Sleep(200 * time.Millisecond)
	onB, _, err := websocket.DefaultDialer.Dial("ws://"+b.Addr+"/api/v2/machine", bearer(key))
	if err != nil {
		t.Fatal(err)
	}
	defer onB.Close()
	onA.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := onA.ReadMessage(); !websocket.IsCloseError(err, 4409) {
		t.Fatalf("the first connection, on the other instance: %v, want close 4409", err)
	}
	// The debit made on A reaches the machine on B; A stops; B's sweeper
	// voids the expired code.
	status, body := a.call(t, "POST", "/api/v2/debit", anaTok, fmt.Sprintf(`{"product":%d}`, s.chips))
	if status != 201 {
		t.Fatalf("debit: %d %v", status, body)
	}
	onB.SetReadDeadline(time.Now().Add(5 * time.Second))
	var f map[string]map[string]any
	if err := onB.ReadJSON(&f); err != nil || f["stateMFA"] == nil {
		t.Fatalf("stateMFA on B: %v %v", f, err)
	}
	a.Stop(t)
	op := body["operation"].(float64)
	bs := &shop{bank: b, opTok: opTok}
	eventually(t, "voided by the other instance", func() bool { return bs.opStatus(t, anaTok, op) == "voided" })
	onB.SetReadDeadline(time.Now().Add(5 * time.Second))
	if err := onB.ReadJSON(&f); err != nil || f["stateCancel"] == nil {
		t.Fatalf("the machine was not told to cancel: %v %v", f, err)
	}
	if bal := bs.balance(t, anaTok); bal != 20 {
		t.Fatalf("balance %v", bal)
	}
}
