package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coinop/coinop"
	"github.com/coinop/coinop/machineclient"
	"github.com/gorilla/websocket"
)

// screen records what a reference machine shows.
type screen struct {
	mu    sync.Mutex
	lines []string
}

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lines = append(s.lines, strings.TrimSpace(string(p)))
	return len(p), nil
}

var codeLine = regexp.MustCompile(`Olá, (\w+)! .* código (\d\d)\.`)

// code waits for the machine to show a greeting and code.
func (s *screen) code(t *testing.T, n int) (string, string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		var found [][]string
		for _, l := range s.lines {
			if m := codeLine.FindStringSubmatch(l); m != nil {
				found = append(found, m)
			}
		}
		s.mu.Unlock()
		if len(found) >= n {
			return found[n-1][1], found[n-1][2]
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the machine showed no code #%d", n)
	return "", ""
}

// shop is a bank with a vending machine (chips in slot 3) and an arcade,
// each run by the reference client.
type shop struct {
	*bank
	opTok            string
	chips, coin      int64
	vending, arcade  int64
	vendKey, arcKey  string
	vendScreen       *screen
	stopMachines     context.CancelFunc
	anaTok, brunoTok string
	ana              int64
}

func openShop(t *testing.T, args ...string) *shop {
	t.Helper()
	b := startBank(t, append([]string{"--transfer-window", "0"}, args...)...)
	s := &shop{bank: b, vendScreen: &screen{}}
	s.opTok, _ = setupGame(t, b)
	s.chips = s.create(t, "products", `{"name":"Chips","type":"foods","price":5}`, "product")
	s.coin = s.create(t, "products", `{"name":"Credit","type":"arcade","price":2}`, "product")
	var body map[string]any
	_, body = b.call(t, "POST", "/api/v2/admin/machines", s.opTok, `{"name":"Vending","kind":"vending"}`)
	s.vending, s.vendKey = int64(body["machine"].(float64)), body["api_key"].(string)
	_, body = b.call(t, "POST", "/api/v2/admin/machines", s.opTok, `{"name":"Arcade","kind":"arcade"}`)
	s.arcade, s.arcKey = int64(body["machine"].(float64)), body["api_key"].(string)
	s.stock(t, s.vending, 3, s.chips, 2)
	s.stock(t, s.arcade, 1, s.coin, 50)
	s.anaTok, s.ana = b.login(t, "ana")
	s.brunoTok, _ = b.login(t, "bruno")
	b.call(t, "POST", "/api/v2/admin/credit", s.opTok, fmt.Sprintf(`{"to":%d,"value":20}`, s.ana))
	ctx, cancel := context.WithCancel(context.Background())
	s.stopMachines = cancel
	t.Cleanup(cancel)
	go (&machineclient.Client{URL: b.URL, Key: s.vendKey, Kind: coinop.KindVending, Display: s.vendScreen, MinBackoff: 50 * time.Millisecond}).Run(ctx)
	go (&machineclient.Client{URL: b.URL, Key: s.arcKey, Kind: coinop.KindArcade, MinBackoff: 50 * time.Millisecond}).Run(ctx)
	s.waitConnected(t, s.vending, true)
	s.waitConnected(t, s.arcade, true)
	return s
}

func (s *shop) create(t *testing.T, what, body, field string) int64 {
	t.Helper()
	status, m := s.call(t, "POST", "/api/v2/admin/"+what, s.opTok, body)
	if status != 201 {
		t.Fatalf("create %s: %d %v", what, status, m)
	}
	return int64(m[field].(float64))
}

func (s *shop) stock(t *testing.T, machine, slot, product, qty int64) {
	t.Helper()
	if status, m := s.call(t, "PUT", fmt.Sprintf("/api/v2/admin/machines/%d/stock/%d", machine, slot), s.opTok,
		fmt.Sprintf(`{"product":%d,"quantity":%d}`, product, qty)); status != 200 {
		t.Fatalf("stock: %d %v", status, m)
	}
}

func (s *shop) machineField(t *testing.T, id int64, field string) any {
	t.Helper()
	_, raw, _ := s.raw(t, "GET", "/api/v2/admin/machines", s.opTok, "")
	var ms []map[string]any
	json.Unmarshal(raw, &ms)
	for _, m := range ms {
		if int64(m["id"].(float64)) == id {
			return m[field]
		}
	}
	t.Fatalf("machine %d not listed", id)
	return nil
}

func (s *shop) waitConnected(t *testing.T, id int64, want bool) {
	t.Helper()
	eventually(t, fmt.Sprintf("machine %d connected=%v", id, want), func() bool { return s.machineField(t, id, "connected") == want })
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *shop) balance(t *testing.T, tok string) float64 {
	t.Helper()
	_, b := s.call(t, "GET", "/api/v2/balance", tok, "")
	return b["balance"].(float64)
}

func (s *shop) opStatus(t *testing.T, tok string, op float64) string {
	t.Helper()
	_, raw, _ := s.raw(t, "GET", "/api/v2/statement", tok, "")
	var ops []map[string]any
	json.Unmarshal(raw, &ops)
	for _, o := range ops {
		if o["operation"] == op {
			return o["status"].(string)
		}
	}
	return ""
}

// events opens the person's events socket and collects the frames.
func (s *shop) events(t *testing.T, tok string) *screen {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial("ws://"+s.Addr+"/api/v2/events", bearer(tok))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	got := &screen{}
	go func() {
		for {
			_, data, err := c.ReadMessage()
			if err != nil {
				return
			}
			got.Write(data)
		}
	}()
	return got
}

func (s *screen) has(sub string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.lines {
		if strings.Contains(l, sub) {
			return true
		}
	}
	return false
}

// TestVendingPurchase is the seed's best case at the vending machine.
func TestVendingPurchase(t *testing.T) {
	s := openShop(t)
	ev := s.events(t, s.anaTok)
	status, body := s.call(t, "POST", "/api/v2/debit", s.anaTok, fmt.Sprintf(`{"product":%d}`, s.chips))
	if status != 201 {
		t.Fatalf("debit: %d %v", status, body)
	}
	op := body["operation"].(float64)
	if b := s.balance(t, s.anaTok); b != 15 {
		t.Fatalf("balance while the price is held: %v", b)
	}
	user, code := s.vendScreen.code(t, 1)
	if user != "ana" {
		t.Fatalf("greeting for %q", user)
	}
	if status, _ := s.call(t, "POST", "/api/v2/mfa", s.brunoTok, fmt.Sprintf(`{"operation":%v,"code":"%s"}`, op, code)); status != 403 {
		t.Fatalf("someone else's operation: %d", status)
	}
	status, body = s.call(t, "POST", "/api/v2/mfa", s.anaTok, fmt.Sprintf(`{"operation":%v,"code":"%s"}`, op, code))
	if status != 200 || body["status"] != "releasing" {
		t.Fatalf("mfa: %d %v", status, body)
	}
	eventually(t, "completion", func() bool { return s.opStatus(t, s.anaTok, op) == "completed" })
	if b := s.balance(t, s.anaTok); b != 15 {
		t.Fatalf("balance after the purchase: %v", b)
	}
	if q := s.machineField(t, s.vending, "stock").([]any)[0].(map[string]any)["quantity"]; q != 1.0 {
		t.Fatalf("stock after the purchase: %v", q)
	}
	eventually(t, "events", func() bool {
		return ev.has(`"stage":"awaiting_code"`) && ev.has(`"stage":"releasing"`) && ev.has(`"status":"completed"`) && ev.has(`{"type":"balance","data":{"balance":15}}`)
	})
	// The code is used up.
	if status, _ := s.call(t, "POST", "/api/v2/mfa", s.anaTok, fmt.Sprintf(`{"operation":%v,"code":%s}`, op, code)); status != 403 {
		t.Fatalf("reused code: %d", status)
	}
}

func TestArcadeCoin(t *testing.T) {
	s := openShop(t)
	status, body := s.call(t, "POST", "/api/v2/debit", s.anaTok, fmt.Sprintf(`{"product":%d,"machine":"%d"}`, s.coin, s.arcade))
	if status != 201 {
		t.Fatalf("debit: %d %v", status, body)
	}
	eventually(t, "coin inserted", func() bool { return s.opStatus(t, s.anaTok, body["operation"].(float64)) == "completed" })
	if b := s.balance(t, s.anaTok); b != 18 {
		t.Fatalf("balance %v", b)
	}
}

func TestWrongCodeAndRefusals(t *testing.T) {
	s := openShop(t)
	_, body := s.call(t, "POST", "/api/v2/debit", s.anaTok, fmt.Sprintf(`{"product":%d}`, s.chips))
	op := body["operation"].(float64)
	_, code := s.vendScreen.code(t, 1)
	wrong := fmt.Sprintf("%02d", 10+(mustAtoi(code)-10+1)%90)
	// The machine is busy: another purchase there is refused.
	if status, _ := s.call(t, "POST", "/api/v2/debit", s.brunoTok, fmt.Sprintf(`{"product":%d,"machine":%d}`, s.chips, s.vending)); status != 402 && status != 403 {
		t.Fatalf("busy machine: %d", status)
	}
	for i := 0; i < 3; i++ {
		if status, _ := s.call(t, "POST", "/api/v2/mfa", s.anaTok, fmt.Sprintf(`{"operation":%v,"code":"%s"}`, op, wrong)); status != 403 {
			t.Fatalf("wrong code %d: %d", i, status)
		}
	}
	if st := s.opStatus(t, s.anaTok, op); st != "voided" {
		t.Fatalf("after three wrong codes: %s", st)
	}
	eventually(t, "the machine leaves the code screen", func() bool { return s.vendScreen.has("Compra cancelada") })
	if b := s.balance(t, s.anaTok); b != 20 {
		t.Fatalf("hold not released: %v", b)
	}
	for name, body := range map[string]string{
		"unknown machine": fmt.Sprintf(`{"product":%d,"machine":999}`, s.chips),
		"unknown product": `{"product":999}`,
		"not sold there":  fmt.Sprintf(`{"product":%d,"machine":%d}`, s.coin, s.vending),
	} {
		if status, _ := s.call(t, "POST", "/api/v2/debit", s.anaTok, body); status != 403 {
			t.Errorf("%s: %d", name, status)
		}
	}
	if status, _ := s.call(t, "POST", "/api/v2/debit", s.brunoTok, fmt.Sprintf(`{"product":%d}`, s.chips)); status != 402 {
		t.Fatalf("no money: %d", status)
	}
	if status, _ := s.call(t, "POST", "/api/v2/debit", s.anaTok, `{"product":1.5}`); status != 400 {
		t.Fatalf("malformed: %d", status)
	}
	s.stopMachines()
	s.waitConnected(t, s.vending, false)
	if status, _ := s.call(t, "POST", "/api/v2/debit", s.anaTok, fmt.Sprintf(`{"product":%d,"machine":%d}`, s.chips, s.vending)); status != 403 {
		t.Fatalf("machine gone: %d", status)
	}
	if b := s.balance(t, s.anaTok); b != 20 {
		t.Fatalf("money moved: %v", b)
	}
}

func mustAtoi(s string) int { n, _ := strconv.Atoi(s); return n }

// rawMachine connects a machine with a plain WebSocket client.
func rawMachine(t *testing.T, s *shop, key string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	return websocket.DefaultDialer.Dial("ws://"+s.Addr+"/api/v2/machine", bearer(key))
}

func TestMachineCredentials(t *testing.T) {
	s := openShop(t)
	for name, tok := range map[string]string{
		"no credential": "", "user ID token": s.anaTok, "ticker key": s.DemoKey, "ticker token": s.token(t, s.DemoKey), "garbage": "cok_x",
	} {
		hdr := http.Header{}
		if tok != "" {
			hdr = bearer(tok)
		}
		if _, resp, err := websocket.DefaultDialer.Dial("ws://"+s.Addr+"/api/v2/machine", hdr); err == nil || resp.StatusCode != 401 {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The arcade's credential cannot touch the vending machine's operation.
	_, body := s.call(t, "POST", "/api/v2/debit", s.anaTok, fmt.Sprintf(`{"product":%d}`, s.chips))
	op := body["operation"].(float64)
	s.vendScreen.code(t, 1)
	// A second arcade, run by a plain WebSocket client (the reference
	// clients keep theirs).
	_, m2 := s.call(t, "POST", "/api/v2/admin/machines", s.opTok, `{"name":"Arcade 2","kind":"arcade"}`)
	arcade2, key2 := int64(m2["machine"].(float64)), m2["api_key"].(string)
	c, _, err := rawMachine(t, s, s.token(t, key2)) // a machine token from /auth/token works too
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, frame := range []string{
		fmt.Sprintf(`{"coinInserted":{"arcade":"1","operation":%v}}`, op),
		fmt.Sprintf(`{"stateUpdate":{"state":"idle","operation":%v}}`, op),
		`{"hello":{}}`, `not json`, `{"stateUpdate":{"state":"idle","operation":0},"coinInserted":{}}`,
	} {
		c.WriteMessage(websocket.TextMessage, []byte(frame))
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, reply, err := c.ReadMessage()
		if err != nil || !strings.HasPrefix(string(reply), `{"error":{"code":"invalid"`) {
			t.Fatalf("%s: %s %v", frame, reply, err)
		}
	}
	if st := s.opStatus(t, s.anaTok, op); st != "pending" {
		t.Fatalf("an impersonation changed the operation: %s", st)
	}
	// A second connection of the same machine replaces the first.
	c2, _, err := rawMachine(t, s, key2)
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := c.ReadMessage(); !websocket.IsCloseError(err, 4409) {
		t.Fatalf("the replaced connection: %v, want close 4409", err)
	}
	c = c2
	// Rotating the key closes the socket opened with the old one.
	_, rot := s.call(t, "POST", fmt.Sprintf("/api/v2/admin/machines/%d/key", arcade2), s.opTok, "")
	if !strings.HasPrefix(rot["api_key"].(string), "cok_") {
		t.Fatalf("rotate: %v", rot)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		if _, _, err := c.ReadMessage(); err != nil {
			if !websocket.IsCloseError(err, 4403) {
				t.Fatalf("after key rotation: %v", err)
			}
			break
		}
	}
	if _, resp, err := rawMachine(t, s, key2); err == nil || resp.StatusCode != 401 {
		t.Fatal("the old key still connects")
	}
	if c3, _, err := rawMachine(t, s, rot["api_key"].(string)); err != nil {
		t.Fatalf("the new key: %v", err)
	} else {
		c3.Close()
	}
}

// TestMachineDisconnects: before the release the hold is voided at once;
// after it, the machine's late report settles the operation.
func TestMachineDisconnects(t *testing.T) {
	s := openShop(t, "--report-timeout", "1h")
	_, m := s.call(t, "POST", "/api/v2/admin/machines", s.opTok, `{"name":"V2","kind":"vending"}`)
	id, key := int64(m["machine"].(float64)), m["api_key"].(string)
	s.stock(t, id, 1, s.chips, 5)
	read := func(c *websocket.Conn) map[string]map[string]any {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		var f map[string]map[string]any
		if err := c.ReadJSON(&f); err != nil {
			t.Fatal(err)
		}
		return f
	}
	debit := func(c *websocket.Conn) (float64, string) {
		_, body := s.call(t, "POST", "/api/v2/debit", s.anaTok, fmt.Sprintf(`{"product":%d,"machine":%d}`, s.chips, id))
		f := read(c)["stateMFA"]
		if f == nil || f["operation"] != body["operation"] {
			t.Fatalf("stateMFA %v for debit %v", f, body)
		}
		return body["operation"].(float64), fmt.Sprint(f["code"])
	}
	c, _, err := rawMachine(t, s, key)
	if err != nil {
		t.Fatal(err)
	}
	c.WriteMessage(websocket.TextMessage, []byte(`{"stateUpdate":{"state":"idle","operation":0}}`))
	s.waitConnected(t, id, true)
	op, _ := debit(c)
	c.Close() // gone before the code
	eventually(t, "void on disconnect", func() bool { return s.opStatus(t, s.anaTok, op) == "voided" })
	if b := s.balance(t, s.anaTok); b != 20 {
		t.Fatalf("hold not released: %v", b)
	}

	c, _, _ = rawMachine(t, s, key)
	s.waitConnected(t, id, true)
	op, code := debit(c)
	c.WriteMessage(websocket.TextMessage, []byte(fmt.Sprintf(`{"stateUpdate":{"state":"mfa","operation":%v}}`, op)))
	s.call(t, "POST", "/api/v2/mfa", s.anaTok, fmt.Sprintf(`{"operation":%v,"code":%s}`, op, code))
	if f := read(c)["stateReleasing"]; f == nil || f["product"] != 1.0 {
		t.Fatalf("stateReleasing %v", f)
	}
	c.Close() // gone after the release: the outcome is the machine's to report
	s.waitConnected(t, id, false)
	if st := s.opStatus(t, s.anaTok, op); st != "pending" {
		t.Fatalf("after a disconnect past the release: %s", st)
	}
	c, _, _ = rawMachine(t, s, key)
	defer c.Close()
	// Duplicated reports settle once.
	for _, f := range []string{`{"stateUpdate":{"state":"releasing","operation":%v}}`, `{"stateUpdate":{"state":"releasing","operation":%v}}`, `{"stateUpdate":{"state":"idle","operation":%v}}`, `{"stateUpdate":{"state":"idle","operation":%v}}`} {
		c.WriteMessage(websocket.TextMessage, []byte(fmt.Sprintf(f, op)))
	}
	eventually(t, "the late report settles", func() bool { return s.opStatus(t, s.anaTok, op) == "completed" })
	time.Sleep(100 * time.Millisecond)
	if b := s.balance(t, s.anaTok); b != 15 {
		t.Fatalf("balance %v, want 15: charged once", b)
	}
	if q := s.machineField(t, id, "stock").([]any)[0].(map[string]any)["quantity"]; q != 4.0 {
		t.Fatalf("stock %v, want 4: released once", q)
	}
}
