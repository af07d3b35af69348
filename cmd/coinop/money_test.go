package main

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coinop/coinop/postgres/pgtest"
)

// setupGame makes an operator and a game paying through gameClient.
func setupGame(t *testing.T, b *bank) (opTok string, game int64) {
	t.Helper()
	opTok = b.idToken("boss", appClient)
	b.call(t, "POST", "/api/v2/login", opTok, "")
	status, body := b.call(t, "POST", "/api/v2/admin/products", opTok,
		`{"name":"Space Race","description":"arcade racer","type":"games","image":"race.png","url":"https://games.example/race","client_ids":["`+gameClient+`"]}`)
	if status != 201 {
		t.Fatalf("create game: %d %v", status, body)
	}
	return opTok, int64(body["product"].(float64))
}

func TestCreditAndTransfer(t *testing.T) { testCreditAndTransfer(t, startBank(t)) }

// The same over PostgreSQL.
func TestCreditAndTransferPostgres(t *testing.T) {
	testCreditAndTransfer(t, startBank(t, "--db", pgtest.URL(t)))
}

func testCreditAndTransfer(t *testing.T, b *bank) {
	_, game := setupGame(t, b)
	_, ana := b.login(t, "ana")
	anaTok := b.idToken("ana", appClient)
	anaGame := b.idToken("ana", gameClient)
	_, bruno := b.login(t, "bruno")
	g := strconv.FormatInt(game, 10)

	credit := func(tok, body string) (int, map[string]any) { return b.call(t, "POST", "/api/v2/credit", tok, body) }
	cases := []struct {
		name, tok, body string
		status          int
		code            string
	}{
		{"not a game's token", anaTok, `{"product":` + g + `,"value":10}`, 401, "unauthorized"},
		{"malformed", anaGame, `{"product":`, 400, "invalid"},
		{"fraction", anaGame, `{"product":` + g + `,"value":1.5}`, 400, "invalid"},
		{"missing value", anaGame, `{"product":` + g + `}`, 400, "invalid"},
		{"out of int32", anaGame, `{"product":` + g + `,"value":9999999999}`, 400, "invalid"},
		{"trailing data", anaGame, `{"product":` + g + `,"value":1} x`, 400, "invalid"},
		{"zero", anaGame, `{"product":` + g + `,"value":0}`, 402, "invalid_value"},
		{"over the limit", anaGame, `{"product":` + g + `,"value":1001}`, 403, "forbidden"},
		{"unknown product", anaGame, `{"product":999,"value":10}`, 403, "forbidden"},
	}
	for _, c := range cases {
		if status, body := credit(c.tok, c.body); status != c.status || body["error"] != c.code {
			t.Errorf("credit, %s: %d %v, want %d %s", c.name, status, body, c.status, c.code)
		}
	}
	// Numbers as strings, as the old clients send them.
	status, body := credit(anaGame, `{"product":"`+g+`","value":"100","extra":"ignored"}`)
	if status != 201 || body["operation"] == nil {
		t.Fatalf("credit: %d %v", status, body)
	}
	status, body = credit(anaGame, `{"product":`+g+`,"value":100}`)
	if status != 429 || body["error"] != "rate_limited" {
		t.Fatalf("second credit in 5 minutes: %d %v", status, body)
	}
	_, _, hdr := b.raw(t, "POST", "/api/v2/credit", anaGame, `{"product":`+g+`,"value":100}`)
	if ra, _ := strconv.Atoi(hdr.Get("Retry-After")); ra < 290 || ra > 300 {
		t.Fatalf("Retry-After %q", hdr.Get("Retry-After"))
	}

	transfer := func(body string, hdr ...string) (int, map[string]any) {
		return b.call(t, "POST", "/api/v2/transfer", anaTok, body, hdr...)
	}
	to := strconv.FormatInt(bruno, 10)
	tcases := []struct {
		body, code string
		status     int
	}{
		{`{"to":` + to + `,"value":101}`, "insufficient_funds", 402},
		{`{"to":` + to + `,"value":0}`, "forbidden", 403},
		{`{"to":` + strconv.FormatInt(ana, 10) + `,"value":5}`, "forbidden", 403},
		{`{"to":"` + strconv.FormatInt(ana, 10) + `","value":5}`, "forbidden", 403},
		{`{"to":999,"value":5}`, "forbidden", 403},
		{`{"to":` + to + `}`, "invalid", 400},
		{`[1,2]`, "invalid", 400},
		{`{"to":` + to + `,"value":"` + strings.Repeat("9", 70000) + `"}`, "too_large", 413},
	}
	for _, c := range tcases {
		if status, body := transfer(c.body); status != c.status || body["error"] != c.code {
			t.Errorf("transfer %.60s: %d %v, want %d %s", c.body, status, body, c.status, c.code)
		}
	}
	idem := []string{"Idempotency-Key", "t-1"}
	status, first := transfer(`{"to":`+to+`,"value":40}`, idem...)
	if status != 201 {
		t.Fatalf("transfer: %d %v", status, first)
	}
	if status, again := transfer(`{"to":`+to+`,"value":40}`, idem...); status != 201 || again["operation"] != first["operation"] {
		t.Fatalf("replay: %d %v, want operation %v", status, again, first["operation"])
	}
	if status, body := transfer(`{"to":`+to+`,"value":41}`, idem...); status != 422 || body["error"] != "idempotency_key_reused" {
		t.Fatalf("same key, other body: %d %v", status, body)
	}
	if status, body := transfer(`{"to":` + to + `,"value":1}`); status != 429 {
		t.Fatalf("second transfer in 5 minutes: %d %v", status, body)
	}
	if _, body := b.call(t, "GET", "/api/v2/balance", anaTok, ""); body["balance"] != 60.0 {
		t.Fatalf("ana's balance %v, want 60", body["balance"])
	}

	status, raw, _ := b.raw(t, "GET", "/api/v2/statement?limit=10", anaTok, "")
	st := string(raw)
	if status != 200 || !strings.HasPrefix(st, "[") || !strings.Contains(st, `"from":"Player ana","to":"Player bruno"`) ||
		!strings.Contains(st, `"product":"Space Race"`) || !strings.Contains(st, `"status":"completed"`) || !strings.Contains(st, `"completed":true`) ||
		!strings.Contains(st, "-03:00") {
		t.Fatalf("statement: %d %s", status, st)
	}
	if status, raw, _ := b.raw(t, "GET", "/api/v2/statement?limit=1", anaTok, ""); status != 200 || strings.Count(string(raw), `"operation"`) != 1 {
		t.Fatalf("statement limit=1: %s", raw)
	}
	for _, q := range []string{"limit=0", "limit=501", "limit=x", "before=-1"} {
		if status, _ := b.call(t, "GET", "/api/v2/statement?"+q, anaTok, ""); status != 400 {
			t.Errorf("statement ?%s: %d", q, status)
		}
	}
	if status, raw, _ := b.raw(t, "GET", "/api/v2/games", anaTok, ""); status != 200 || !strings.Contains(string(raw), `"name":"Space Race"`) || strings.Contains(string(raw), "client") {
		t.Fatalf("games: %s", raw)
	}
}

func TestAdmin(t *testing.T) { testAdmin(t, startBank(t)) }

// The same over PostgreSQL.
func TestAdminPostgres(t *testing.T) { testAdmin(t, startBank(t, "--db", pgtest.URL(t))) }

func testAdmin(t *testing.T, b *bank) {
	opTok, _ := setupGame(t, b)
	anaTok, ana := b.login(t, "ana")
	for _, path := range []string{"/api/v2/admin/bank", "/api/v2/admin/machines", "/api/v2/admin/people"} {
		if status, body := b.call(t, "GET", path, anaTok, ""); status != 403 || body["error"] != "forbidden" {
			t.Errorf("non-operator on %s: %d", path, status)
		}
		if status, _ := b.call(t, "GET", path, "", ""); status != 401 {
			t.Errorf("anonymous on %s: %d", path, status)
		}
	}
	status, body := b.call(t, "POST", "/api/v2/admin/products", opTok, `{"name":"Chips","description":"150g","type":"foods","image":"chips.png","price":5}`)
	if status != 201 {
		t.Fatalf("create product: %d %v", status, body)
	}
	chips := fmt.Sprint(body["product"])
	if status, body := b.call(t, "PATCH", "/api/v2/admin/products/"+chips, opTok, `{"price":"6"}`); status != 200 || body["price"] != 6.0 || body["name"] != "Chips" {
		t.Fatalf("patch: %d %v", status, body)
	}
	status, body = b.call(t, "POST", "/api/v2/admin/machines", opTok, `{"name":"Vending 1","kind":"vending","location":"hall"}`)
	key, _ := body["api_key"].(string)
	if status != 201 || !strings.HasPrefix(key, "cok_") {
		t.Fatalf("create machine: %d %v", status, body)
	}
	machine := fmt.Sprint(body["machine"])
	if status, _, body := post(t, b.URL+"/auth/token", `{"api_key":"`+key+`"}`); status != 200 || body["role"] != "machine" {
		t.Fatalf("machine key at /auth/token: %d %v", status, body)
	}
	if status, body := b.call(t, "PUT", "/api/v2/admin/machines/"+machine+"/stock/1", opTok, `{"product":`+chips+`,"quantity":12}`); status != 200 {
		t.Fatalf("stock: %d %v", status, body)
	}
	if status, raw, _ := b.raw(t, "GET", "/api/v2/products", anaTok, ""); status != 200 || !strings.Contains(string(raw), `"stock":12`) || !strings.Contains(string(raw), `"price":6`) {
		t.Fatalf("products: %s", raw)
	}
	a := strconv.FormatInt(ana, 10)
	if status, body := b.call(t, "POST", "/api/v2/admin/credit", opTok, `{"to":`+a+`,"value":250,"reason":"prize"}`); status != 201 {
		t.Fatalf("admin credit: %d %v", status, body)
	}
	if status, body := b.call(t, "POST", "/api/v2/admin/issue", opTok, `{"value":1000,"reason":"more"}`); status != 201 {
		t.Fatalf("issue: %d %v", status, body)
	}
	if _, body := b.call(t, "GET", "/api/v2/admin/bank", opTok, ""); body["issued"] != 1001000.0 || body["balance"] != 1000750.0 {
		t.Fatalf("bank: %v", body)
	}
	if status, raw, _ := b.raw(t, "GET", "/api/v2/admin/people?q=ana", opTok, ""); status != 200 || !strings.Contains(string(raw), `"balance":250`) {
		t.Fatalf("people: %s", raw)
	}
	if status, raw, _ := b.raw(t, "GET", "/api/v2/admin/people/"+a+"/statement", opTok, ""); status != 200 || !strings.Contains(string(raw), `"value":250`) {
		t.Fatalf("person statement: %s", raw)
	}
	if status, raw, _ := b.raw(t, "GET", "/api/v2/admin/audit", opTok, ""); status != 200 || !strings.Contains(string(raw), "set_stock") || !strings.Contains(string(raw), "create_machine") {
		t.Fatalf("audit: %s", raw)
	}
	// The bank cannot pay more than it has: 409.
	if status, body := b.call(t, "POST", "/api/v2/admin/credit", opTok, `{"to":`+a+`,"value":2000000000}`); status != 409 || body["error"] != "bank_funds" {
		t.Fatalf("credit beyond the bank: %d %v", status, body)
	}
	// The command line grants the operator role.
	b.login(t, "carla")
	if out := b.cli(t, "operator", "grant", "carla@example.com"); !strings.Contains(out, "now an operator") {
		t.Fatalf("operator grant: %s", out)
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		if status, _ := b.call(t, "GET", "/api/v2/admin/bank", b.idToken("carla", appClient), ""); status == 200 {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("granted operator refused: %d", status)
		}
	}
}
