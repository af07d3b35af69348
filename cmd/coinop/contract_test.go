package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coinop/coinop/api/apitest"
	"github.com/gorilla/websocket"
)

// contract sends requests to a real server and checks every answer against
// the OpenAPI contract (api/openapi.yaml).
type contract struct {
	spec   *apitest.Spec
	base   string // http://127.0.0.1:PORT, or http://localhost:PORT for cookies
	client *http.Client
}

// reply is one answer.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// obj decodes the answer as a JSON object (nil if it is not one).
func (r reply) obj() map[string]any {
	var m map[string]any
	json.Unmarshal(r.body, &m)
	return m
}

// id reads an integer field of the answer as a decimal string.
func (r reply) id(t *testing.T, field string) string {
	t.Helper()
	v, ok := r.obj()[field].(float64)
	if !ok {
		t.Fatalf("no %s in %s", field, r.body)
	}
	return strconv.FormatInt(int64(v), 10)
}

func newContract(spec *apitest.Spec, base string) *contract {
	return &contract{spec: spec, base: base, client: &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// do sends method to path (the route pattern with its values filled in;
// "" for the pattern itself) with a bearer token and body, expects status
// want (0: any), and checks the answer against the contract. A body the server
// accepted (2xx) is also checked against the documented request body.
func (c *contract) do(t *testing.T, want int, method, pattern, path, tok, body string, hdr ...string) reply {
	t.Helper()
	if path == "" {
		path = pattern
	}
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	r := reply{resp.StatusCode, resp.Header, raw}
	if want != 0 && r.status != want {
		t.Errorf("%s %s: status %d, want %d: %.200s", method, path, r.status, want, raw)
	}
	c.spec.Check(t, method, pattern, r.status, r.header, r.body)
	if r.status/100 == 2 && body != "" {
		c.spec.CheckRequest(t, method, pattern, []byte(body))
	}
	return r
}

// big is a JSON body over the 64 KiB limit.
var big = `{"name":"` + strings.Repeat("a", 70<<10) + `"}`

// notExercised are the documented responses the contract test cannot
// provoke from outside, with the reason.
func notExercised(key string) string {
	switch {
	case strings.HasSuffix(key, " 500"):
		return "an internal failure (the store failing) cannot be provoked from outside"
	case key == "GET /readyz 503":
		return "the database would have to stop answering"
	case key == "GET /api/v2/events 503":
		return "coinop serve always runs the in-process pub/sub"
	case key == "GET /api/v2/machine/ 503":
		return "a handshake in the instant between the legacy server's and the HTTP server's shutdown"
	}
	return ""
}

// TestContract exercises every documented operation of a real server (with
// a real OpenID provider) with a success and its main errors, checking each
// answer against the contract; then every documented response must have
// been seen, except those notExercised explains.
func TestContract(t *testing.T) {
	spec := apitest.Load(t)
	b := startBank(t, "--report-timeout", "1s") // a machine that never reports makes an unknown operation soon
	c := newContract(spec, b.URL)
	opTok, game := setupGame(t, b)
	g := strconv.FormatInt(game, 10)
	anaTok := b.idToken("ana", appClient)
	anaGame := b.idToken("ana", gameClient)
	brunoTok := b.idToken("bruno", appClient)
	var ana, bruno, chips, machine string

	t.Run("operations", func(t *testing.T) {
		if r := c.do(t, 200, "GET", "/api/v2/config", "", "", ""); r.obj()["login"] != true || r.obj()["demo"] != false {
			t.Errorf("config: %s", r.body)
		}
		c.do(t, 200, "GET", "/healthz", "", "", "")
		c.do(t, 200, "GET", "/readyz", "", "", "")
		if r := c.do(t, 200, "GET", "/metrics", "", "", ""); !strings.Contains(string(r.body), "coinop_http_requests_total") {
			t.Errorf("metrics without the request counter")
		}
	})

	t.Run("login", func(t *testing.T) {
		r := c.do(t, 201, "POST", "/api/v2/login", "", anaTok, "")
		ana = r.id(t, "user")
		c.do(t, 200, "POST", "/api/v2/login", "", anaTok, "")
		bruno = c.do(t, 201, "POST", "/api/v2/login", "", brunoTok, "").id(t, "user")
		c.do(t, 401, "POST", "/api/v2/login", "", "", "")
		c.do(t, 401, "POST", "/api/v2/login", "", "abc.def.ghi", "")
		c.do(t, 401, "POST", "/api/v2/login", "", b.idToken("ana", "someone-else"), "")
	})

	t.Run("token and ticker", func(t *testing.T) {
		r := c.do(t, 200, "POST", "/auth/token", "", "", `{"api_key":"`+b.DemoKey+`","extra":1}`, "Origin", "https://elsewhere.example")
		if r.header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("CORS on /auth/token: %q", r.header.Get("Access-Control-Allow-Origin"))
		}
		apiTok, _ := r.obj()["token"].(string)
		c.do(t, 400, "POST", "/auth/token", "", "", `{}`)
		c.do(t, 400, "POST", "/auth/token", "", "", `{"api_key":42}`)
		c.do(t, 401, "POST", "/auth/token", "", "", `{"api_key":"cok_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`)
		c.do(t, 413, "POST", "/auth/token", "", "", big)

		conn, resp, err := dialTicker(t, b.testServer, "", bearer(apiTok))
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		defer conn.Close()
		spec.Check(t, "GET", "/ws/ticker", resp.StatusCode, resp.Header, nil)
		readRaw := func() []byte {
			t.Helper()
			conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, data, err := conn.ReadMessage()
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			return data
		}
		spec.CheckSchema(t, "tickerWelcome", readRaw())
		spec.CheckSchema(t, "tickerFrame", readRaw())
		ping := []byte(`{"type":"ping","extra":1}`)
		spec.CheckSchema(t, "tickerPing", ping)
		if err := conn.WriteMessage(websocket.TextMessage, ping); err != nil {
			t.Fatal(err)
		}
		for i := 0; ; i++ {
			data := readRaw()
			if strings.Contains(string(data), `"pong"`) {
				spec.CheckSchema(t, "tickerPong", data)
				break
			}
			spec.CheckSchema(t, "tickerFrame", data)
			if i > 1000 {
				t.Fatal("no pong")
			}
		}

		c.do(t, 400, "GET", "/ws/ticker", "", apiTok, "") // not an upgrade: JSON
		r = c.do(t, 400, "GET", "/ws/ticker", "", apiTok, "", "Connection", "Upgrade", "Upgrade", "websocket")
		if !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
			t.Errorf("a handshake without Sec-WebSocket-Version: Content-Type %q, want the library's text/plain", r.header.Get("Content-Type"))
		}
		c.do(t, 401, "GET", "/ws/ticker", "", "", "")
		c.do(t, 401, "GET", "/ws/ticker", "", "", "", "Cookie", "x-auth-token=nope")
		c.do(t, 403, "GET", "/ws/ticker", "", apiTok, "", "Origin", "https://evil.example")
		r = c.do(t, 405, "POST", "/ws/ticker", "", apiTok, "")
		spec.Check(t, "GET", "/ws/ticker", r.status, r.header, r.body) // the 405 documented beside the GET

		// Failed exchanges count per address: more than 20 a minute get
		// 429. This comes last: /auth/token stays closed for a minute.
		for i := 0; i < 30; i++ {
			if r := c.do(t, 0, "POST", "/auth/token", "", "", `{"api_key":"nope"}`); r.status == 429 {
				break
			} else if r.status != 401 {
				t.Fatalf("a bad key: %d %s", r.status, r.body)
			}
		}
		c.do(t, 429, "POST", "/auth/token", "", "", `{"api_key":"`+b.DemoKey+`"}`)
	})

	t.Run("operators", func(t *testing.T) {
		r := c.do(t, 201, "POST", "/api/v2/admin/products", "", opTok, `{"name":"Chips","description":"150g","type":"foods","image":"chips.png","price":"5","unknown":1}`)
		chips = r.id(t, "product")
		c.do(t, 400, "POST", "/api/v2/admin/products", "", opTok, `{"type":"foods"}`)
		c.do(t, 400, "POST", "/api/v2/admin/products", "", opTok, `{"name":"x","type":"cars"}`)
		c.do(t, 400, "POST", "/api/v2/admin/products", "", opTok, `{"name":"x","type":"foods","price":1.5}`)
		c.do(t, 201, "POST", "/api/v2/admin/products", "", opTok, `{"name":"Pinball","type":"arcade","price":2}`)
		c.do(t, 200, "GET", "/api/v2/admin/products", "", opTok, "")

		const product = "/api/v2/admin/products/{id}"
		if r := c.do(t, 200, "PATCH", product, "/api/v2/admin/products/"+chips, opTok, `{"price":"6","name":null}`); r.obj()["price"] != 6.0 || r.obj()["name"] != "Chips" {
			t.Errorf("patch: %s", r.body)
		}
		c.do(t, 200, "PATCH", product, "/api/v2/admin/products/"+g, opTok, `{"payout_limit":500,"client_ids":["`+gameClient+`"]}`)
		c.do(t, 400, "PATCH", product, "/api/v2/admin/products/"+chips, opTok, `{"type":"games"}`)
		c.do(t, 400, "PATCH", product, "/api/v2/admin/products/x", opTok, `{"price":1}`)
		c.do(t, 400, "PATCH", product, "/api/v2/admin/products/"+chips, opTok, `{"price":-1}`)
		c.do(t, 404, "PATCH", product, "/api/v2/admin/products/999999", opTok, `{"price":1}`)

		r = c.do(t, 201, "POST", "/api/v2/admin/machines", "", opTok, `{"name":"Vending 1","kind":"vending","location":"hall"}`)
		machine = r.id(t, "machine")
		c.do(t, 409, "POST", "/api/v2/admin/machines", "", opTok, `{"name":"Vending 1","kind":"vending"}`)
		c.do(t, 400, "POST", "/api/v2/admin/machines", "", opTok, `{"name":"Fridge","kind":"fridge"}`)
		c.do(t, 400, "POST", "/api/v2/admin/machines", "", opTok, `{"kind":"arcade"}`)

		const stock = "/api/v2/admin/machines/{id}/stock/{slot}"
		c.do(t, 200, "PUT", stock, "/api/v2/admin/machines/"+machine+"/stock/1", opTok, `{"product":`+chips+`,"quantity":"12"}`)
		c.do(t, 400, "PUT", stock, "/api/v2/admin/machines/"+machine+"/stock/1", opTok, `{"product":`+chips+`}`)
		c.do(t, 400, "PUT", stock, "/api/v2/admin/machines/"+machine+"/stock/x", opTok, `{"product":`+chips+`,"quantity":1}`)
		c.do(t, 400, "PUT", stock, "/api/v2/admin/machines/"+machine+"/stock/2", opTok, `{"product":`+g+`,"quantity":1}`) // a game in a vending machine
		c.do(t, 404, "PUT", stock, "/api/v2/admin/machines/999999/stock/1", opTok, `{"product":`+chips+`,"quantity":1}`)
		c.do(t, 200, "GET", "/api/v2/admin/machines", "", opTok, "")

		const credit = "/api/v2/admin/credit"
		idem := []string{"Idempotency-Key", "admin-credit-1"}
		first := c.do(t, 201, "POST", credit, "", opTok, `{"to":`+ana+`,"value":250,"reason":"prize"}`, idem...)
		if again := c.do(t, 201, "POST", credit, "", opTok, `{"to":`+ana+`,"value":250,"reason":"prize"}`, idem...); again.obj()["operation"] != first.obj()["operation"] {
			t.Errorf("replay answered %s, want %s", again.body, first.body)
		}
		c.do(t, 422, "POST", credit, "", opTok, `{"to":`+ana+`,"value":251}`, idem...)
		c.do(t, 400, "POST", credit, "", opTok, `{"to":1,"value":5}`)
		c.do(t, 400, "POST", credit, "", opTok, `{"to":`+ana+`,"value":0}`)
		c.do(t, 400, "POST", credit, "", opTok, `{"to":`+ana+`}`)
		c.do(t, 400, "POST", credit, "", opTok, `{"to":`+ana+`,"value":1}`, "Idempotency-Key", strings.Repeat("k", 256))
		c.do(t, 404, "POST", credit, "", opTok, `{"to":999999,"value":5}`)
		c.do(t, 409, "POST", credit, "", opTok, `{"to":`+ana+`,"value":2000000000}`)

		const issue = "/api/v2/admin/issue"
		c.do(t, 201, "POST", issue, "", opTok, `{"value":"1000","reason":"more"}`, "Idempotency-Key", "issue-1")
		c.do(t, 422, "POST", issue, "", opTok, `{"value":1001}`, "Idempotency-Key", "issue-1")
		c.do(t, 400, "POST", issue, "", opTok, `{"value":0}`)
		c.do(t, 400, "POST", issue, "", opTok, `{"reason":"no value"}`)

		c.do(t, 200, "GET", "/api/v2/admin/bank", "", opTok, "")
		c.do(t, 200, "GET", "/api/v2/admin/people", "", opTok, "")
		c.do(t, 200, "GET", "/api/v2/admin/people", "/api/v2/admin/people?q=ana", opTok, "")
		const statement = "/api/v2/admin/people/{id}/statement"
		if r := c.do(t, 200, "GET", statement, "/api/v2/admin/people/"+ana+"/statement", opTok, ""); !strings.Contains(string(r.body), `"reason":"prize"`) {
			t.Errorf("person statement: %s", r.body)
		}
		c.do(t, 200, "GET", statement, "/api/v2/admin/people/1/statement?limit=500", opTok, "") // the bank's, with the issues
		c.do(t, 400, "GET", statement, "/api/v2/admin/people/"+ana+"/statement?limit=0", opTok, "")
		c.do(t, 400, "GET", statement, "/api/v2/admin/people/x/statement", opTok, "")
		c.do(t, 404, "GET", statement, "/api/v2/admin/people/999999/statement", opTok, "")
		c.do(t, 200, "GET", "/api/v2/admin/audit", "", opTok, "")

		const keys, key = "/api/v2/admin/apikeys", "/api/v2/admin/apikeys/{id}"
		kiosk := c.do(t, 201, "POST", keys, "", opTok, `{"user":"kiosk"}`).id(t, "id")
		c.do(t, 201, "POST", keys, "", opTok, `{"user":"ops@example.com","role":"operator"}`)
		c.do(t, 400, "POST", keys, "", opTok, `{"user":""}`)
		c.do(t, 400, "POST", keys, "", opTok, `{"user":"x","role":"machine"}`)
		c.do(t, 400, "POST", keys, "", opTok, `{"user":`)
		c.do(t, 204, "DELETE", key, keys+"/"+kiosk, opTok, "")
		c.do(t, 204, "DELETE", key, keys+"/"+kiosk, opTok, "") // again: no change
		c.do(t, 400, "DELETE", key, keys+"/x", opTok, "")
		c.do(t, 404, "DELETE", key, keys+"/999999", opTok, "")
		if r := c.do(t, 200, "GET", keys, "", opTok, ""); !strings.Contains(string(r.body), `"user":"kiosk"`) || strings.Contains(string(r.body), "api_key") {
			t.Errorf("keys: %s", r.body)
		}
	})

	t.Run("credit", func(t *testing.T) {
		const credit = "/api/v2/credit"
		idem := []string{"Idempotency-Key", "credit-1"}
		first := c.do(t, 201, "POST", credit, "", anaGame, `{"product":"`+g+`","value":"100","extra":"ignored"}`, idem...)
		if again := c.do(t, 201, "POST", credit, "", anaGame, `{"product":"`+g+`","value":"100","extra":"ignored"}`, idem...); again.obj()["operation"] != first.obj()["operation"] {
			t.Errorf("replay answered %s, want %s", again.body, first.body)
		}
		c.do(t, 422, "POST", credit, "", anaGame, `{"product":`+g+`,"value":101}`, idem...)
		if r := c.do(t, 429, "POST", credit, "", anaGame, `{"product":`+g+`,"value":100}`); r.obj()["error"] != "rate_limited" {
			t.Errorf("second credit: %s", r.body)
		}
		c.do(t, 400, "POST", credit, "", anaGame, `{"product":`)
		c.do(t, 400, "POST", credit, "", anaGame, `{"product":`+g+`,"value":1.5}`)
		c.do(t, 400, "POST", credit, "", anaGame, `{"product":`+g+`,"value":9999999999}`)
		c.do(t, 400, "POST", credit, "", anaGame, `{"product":`+g+`}`)
		c.do(t, 401, "POST", credit, "", anaTok, `{"product":`+g+`,"value":10}`) // not a game's token
		c.do(t, 401, "POST", credit, "", b.idToken("nobody", gameClient), `{"product":`+g+`,"value":10}`)
		c.do(t, 402, "POST", credit, "", anaGame, `{"product":`+g+`,"value":0}`)
		c.do(t, 403, "POST", credit, "", anaGame, `{"product":`+g+`,"value":501}`) // over the game's payout limit
		c.do(t, 403, "POST", credit, "", anaGame, `{"product":999,"value":10}`)
		c.do(t, 403, "POST", credit, "", anaGame, `{"product":`+chips+`,"value":10}`) // not a game

		// Drain the bank, then a game cannot pay: 409.
		avail := c.do(t, 200, "GET", "/api/v2/admin/bank", "", opTok, "").obj()["balance"].(float64)
		c.do(t, 201, "POST", "/api/v2/admin/credit", "", opTok, fmt.Sprintf(`{"to":%s,"value":%d}`, bruno, int64(avail)-50))
		c.do(t, 409, "POST", credit, "", b.idToken("bruno", gameClient), `{"product":`+g+`,"value":100}`)
		c.do(t, 409, "POST", "/api/v2/admin/credit", "", opTok, `{"to":`+ana+`,"value":51}`)
	})

	t.Run("transfer", func(t *testing.T) {
		const transfer = "/api/v2/transfer"
		idem := []string{"Idempotency-Key", "transfer-1"}
		first := c.do(t, 201, "POST", transfer, "", anaTok, `{"to":"`+bruno+`","value":40}`, idem...)
		if again := c.do(t, 201, "POST", transfer, "", anaTok, `{"to":"`+bruno+`","value":40}`, idem...); again.obj()["operation"] != first.obj()["operation"] {
			t.Errorf("replay answered %s, want %s", again.body, first.body)
		}
		c.do(t, 422, "POST", transfer, "", anaTok, `{"to":`+bruno+`,"value":41}`, idem...)
		c.do(t, 429, "POST", transfer, "", anaTok, `{"to":`+bruno+`,"value":1}`)
		c.do(t, 402, "POST", transfer, "", anaTok, `{"to":`+bruno+`,"value":100000}`)
		c.do(t, 403, "POST", transfer, "", anaTok, `{"to":`+ana+`,"value":5}`)
		c.do(t, 403, "POST", transfer, "", anaTok, `{"to":1,"value":5}`)
		c.do(t, 403, "POST", transfer, "", anaTok, `{"to":999999,"value":5}`)
		c.do(t, 403, "POST", transfer, "", anaTok, `{"to":`+bruno+`,"value":0}`)
		c.do(t, 400, "POST", transfer, "", anaTok, `{"to":`+bruno+`}`)
		c.do(t, 400, "POST", transfer, "", anaTok, `[1,2]`)
		c.do(t, 400, "POST", transfer, "", anaTok, `{"to":`+bruno+`,"value":"-5"}`)
		c.do(t, 401, "POST", transfer, "", b.idToken("nobody", appClient), `{"to":`+bruno+`,"value":1}`)
	})

	t.Run("reads", func(t *testing.T) {
		if r := c.do(t, 200, "GET", "/api/v2/me", "", anaTok, ""); r.obj()["balance"] != 310.0 {
			t.Errorf("me: %s, want the balance 100+250-40", r.body)
		}
		c.do(t, 200, "GET", "/api/v2/balance", "", anaTok, "")
		if r := c.do(t, 200, "GET", "/api/v2/ranking", "", anaTok, ""); !strings.Contains(string(r.body), `"earnings"`) {
			t.Errorf("ranking: %s", r.body)
		}
		st := c.do(t, 200, "GET", "/api/v2/statement", "", anaTok, "")
		for _, want := range []string{`"kind":"transfer"`, `"kind":"credit"`, `"product":"Space Race"`, `"reason":"prize"`} {
			if !strings.Contains(string(st.body), want) {
				t.Errorf("statement without %s: %s", want, st.body)
			}
		}
		c.do(t, 200, "GET", "/api/v2/statement", "/api/v2/statement?limit=1&before=999999", anaTok, "")
		c.do(t, 400, "GET", "/api/v2/statement", "/api/v2/statement?limit=501", anaTok, "")
		c.do(t, 400, "GET", "/api/v2/statement", "/api/v2/statement?before=x", anaTok, "")
		if r := c.do(t, 200, "GET", "/api/v2/games", "", anaTok, ""); !strings.Contains(string(r.body), "Space Race") {
			t.Errorf("games: %s", r.body)
		}
		if r := c.do(t, 200, "GET", "/api/v2/products", "", anaTok, ""); !strings.Contains(string(r.body), `"stock":12`) {
			t.Errorf("products: %s", r.body)
		}
	})

	t.Run("machines", func(t *testing.T) {
		contractMachines(t, c, b, opTok, anaTok, brunoTok, chips, g, machine)
	})

	t.Run("legacy machines", func(t *testing.T) { contractLegacy(t, spec, c, opTok) })

	t.Run("authentication", func(t *testing.T) {
		// Every operation behind authentication refuses the anonymous (401)
		// and the operators' refuse a player (403); every body over 64 KiB
		// is 413 once authenticated.
		for _, op := range spec.Operations() {
			if !strings.HasPrefix(op.Path, "/api/v2/") || op.Method == "OPTIONS" || op.Public {
				continue
			}
			path := strings.NewReplacer("{id}", "1", "{slot}", "1").Replace(op.Path)
			c.do(t, 401, op.Method, op.Path, path, "", "")
			c.do(t, 401, op.Method, op.Path, path, "", "", "Authorization", "Basic YTpi")
			admin := strings.HasPrefix(op.Path, "/api/v2/admin/")
			if admin {
				c.do(t, 403, op.Method, op.Path, path, anaTok, "{}")
			}
			if slices.Contains(op.Statuses, "413") {
				tok := anaTok
				if admin {
					tok = opTok
				} else if op.Path == "/api/v2/credit" {
					tok = anaGame
				}
				c.do(t, 413, op.Method, op.Path, path, tok, big)
			}
		}
	})

	t.Run("routing", func(t *testing.T) {
		// Every documented path answers an undocumented method with 405
		// and an Allow header naming the documented methods.
		seen := map[string]bool{}
		for _, op := range spec.Operations() {
			if op.Method == "DELETE" {
				seen[op.Path] = true // DELETE is documented there: no 405 to see
			}
		}
		for _, op := range spec.Operations() {
			if seen[op.Path] {
				continue
			}
			seen[op.Path] = true
			path := strings.NewReplacer("{id}", "1", "{slot}", "1").Replace(op.Path)
			r := c.do(t, 405, "DELETE", op.Path, path, "", "")
			if r.obj()["error"] != "method_not_allowed" {
				t.Errorf("DELETE %s: %s", path, r.body)
			}
		}
		// Preflights.
		for _, op := range spec.Operations() {
			if op.Method == "OPTIONS" {
				c.do(t, 204, "OPTIONS", op.Path, "", "", "", "Origin", "https://elsewhere.example", "Access-Control-Request-Method", "POST")
			}
		}
		// An unknown API path is a JSON 404, never the web page.
		resp, err := http.Get(b.URL + "/api/v2/nope")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 404 {
			t.Errorf("GET /api/v2/nope: %d", resp.StatusCode)
		}
		spec.CheckSchema(t, "Error404", raw)
	})

	t.Run("browser login", func(t *testing.T) {
		b.idp.SetUser("carla-sub", "carla@example.com", "Carla Dias", "Carla", true)
		bc := newContract(spec, "http://localhost"+b.Addr[strings.LastIndex(b.Addr, ":"):])
		bc.client.Jar = newJar(t)
		redirect := func(r reply) string {
			t.Helper()
			loc := r.header.Get("Location")
			if loc == "" {
				t.Fatalf("no Location: %d %s", r.status, r.body)
			}
			return loc
		}
		provider := func(auth string) *url.URL {
			t.Helper()
			resp, err := bc.client.Get(auth)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			u, err := resp.Location()
			if err != nil {
				t.Fatalf("provider: %d %v", resp.StatusCode, err)
			}
			return u
		}
		const login, callback = "/api/v2/auth/login", "/api/v2/auth/callback"
		cb := provider(redirect(bc.do(t, 302, "GET", login, login+"?return=/app/", "", "")))
		forged := cb.Query()
		forged.Set("state", "forged")
		bc.do(t, 401, "GET", callback, callback+"?"+forged.Encode(), "", "")
		bc.do(t, 401, "GET", callback, callback+"?error=access_denied", "", "")
		bc.do(t, 401, "GET", callback, callback+"?state=x&code=y", "", "") // no login in progress

		cb = provider(redirect(bc.do(t, 302, "GET", login, login+"?return=//evil.example/", "", "")))
		if to := redirect(bc.do(t, 302, "GET", callback, callback+"?"+cb.RawQuery, "", "")); to != "/" {
			t.Errorf("after login redirected to %q, want / (not another site)", to)
		}
		bc.do(t, 200, "GET", "/api/v2/me", "", "", "")
		bc.do(t, 200, "POST", "/api/v2/login", "", "", "")
		crossSite := []string{"Sec-Fetch-Site", "cross-site"}
		bc.do(t, 403, "POST", "/api/v2/login", "", "", "", crossSite...)
		bc.do(t, 403, "POST", "/api/v2/transfer", "", "", `{"to":1,"value":1}`, crossSite...)
		bc.do(t, 403, "POST", "/api/v2/auth/logout", "", "", "", crossSite...)
		bc.do(t, 204, "POST", "/api/v2/auth/logout", "", "", "", "Sec-Fetch-Site", "same-origin")
		bc.do(t, 401, "GET", "/api/v2/me", "", "", "")
	})

	t.Run("login not configured", func(t *testing.T) {
		off := newContract(spec, startServer(t, "", "--oidc-issuer", b.idp.URL(), "--oidc-audiences", appClient).URL)
		off.do(t, 404, "GET", "/api/v2/auth/login", "", "", "")
		off.do(t, 404, "GET", "/api/v2/auth/callback", "", "", "")
	})

	t.Run("provider down", func(t *testing.T) {
		down := newContract(spec, startServer(t, "", "--oidc-issuer", "http://127.0.0.1:1", "--oidc-client-id", webClient).URL)
		down.do(t, 401, "GET", "/api/v2/auth/login", "", "", "")
	})

	if t.Failed() {
		return // coverage would only repeat the failures
	}
	var missed []string
	for _, k := range spec.Uncovered() {
		if notExercised(k) == "" {
			missed = append(missed, k)
		}
	}
	if len(missed) > 0 {
		t.Errorf("documented responses never exercised (test them, or explain in notExercised):\n%s", strings.Join(missed, "\n"))
	}
}

// newJar is a cookie jar.
func newJar(t *testing.T) http.CookieJar {
	t.Helper()
	c := browser(t)
	return c.Jar
}

// handlePattern finds the route patterns in http/routes.go.
var handlePattern = regexp.MustCompile(`\bm\.Handle\("([^"]+)"`)

// TestRoutesInSpec checks that the contract and the route table agree in
// both directions: every operation of the contract reaches a real route
// (not a catch-all), and every route with a method is reached by some
// documented operation. The routes are read from http/routes.go, so a new
// route without a contract entry fails here.
func TestRoutesInSpec(t *testing.T) {
	src, err := os.ReadFile("../../http/routes.go")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	var routes []string
	for _, m := range handlePattern.FindAllSubmatch(src, -1) {
		p := string(m[1])
		mux.Handle(p, http.NotFoundHandler())
		if strings.Contains(p, " ") { // "METHOD /path"; the others are catch-alls
			routes = append(routes, p)
		}
	}
	if len(routes) < 20 {
		t.Fatalf("found only %d routes in http/routes.go: %v", len(routes), routes)
	}
	spec := apitest.Load(t)
	reached := map[string]bool{}
	for _, op := range spec.Operations() {
		path := regexp.MustCompile(`\{[^}]+\}`).ReplaceAllString(op.Path, "1")
		_, pattern := mux.Handler(httptest.NewRequest(op.Method, path, nil))
		switch {
		case !strings.Contains(pattern, " "):
			t.Errorf("%s %s is documented but not routed (it falls to %q)", op.Method, op.Path, pattern)
		case !strings.HasSuffix(pattern, "/") && pattern != op.Method+" "+op.Path:
			t.Errorf("%s %s is documented, but the route is %q", op.Method, op.Path, pattern)
		default:
			reached[pattern] = true
		}
	}
	for _, r := range routes {
		if !reached[r] {
			t.Errorf("route %q (http/routes.go) is not in api/openapi.yaml", r)
		}
	}
}
