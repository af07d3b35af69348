package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"
)

// demoClient is a browser-like client of a demo server.
type demoClient struct {
	t    *testing.T
	base string
	c    *http.Client
}

func (d *demoClient) do(method, path, body string) (int, []byte) {
	d.t.Helper()
	req, _ := http.NewRequest(method, d.base+path, strings.NewReader(body))
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := d.c.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	var buf [4096]byte
	for {
		n, err := resp.Body.Read(buf[:])
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, []byte(b.String())
}

func TestDemoOnlyWithFlag(t *testing.T) {
	ts := startServer(t, "")
	for _, p := range []string{"/api/v2/demo", "/api/v2/demo/machines"} {
		if resp, _ := http.Get(ts.URL + p); resp.StatusCode != 404 {
			t.Fatalf("%s without --demo: %d", p, resp.StatusCode)
		}
	}
	if resp, _ := http.Post(ts.URL+"/api/v2/demo/login", "application/json", strings.NewReader(`{"name":"x"}`)); resp.StatusCode != 404 {
		t.Fatalf("demo login without --demo: %d", resp.StatusCode)
	}
}

// TestDemoWalkthrough: log in by name, earn a credit, buy a snack with the
// code the simulated machine shows, see balance and statement change.
func TestDemoWalkthrough(t *testing.T) {
	ts := startServer(t, "", "--demo")
	jar, _ := cookiejar.New(nil)
	d := &demoClient{t: t, base: ts.URL, c: &http.Client{Jar: jar}}
	machines := func() []map[string]any {
		_, b := d.do("GET", "/api/v2/demo/machines", "")
		var ms []map[string]any
		json.Unmarshal(b, &ms)
		return ms
	}
	eventually(t, "demo machines connected", func() bool {
		ms := machines()
		return len(ms) == 3 && ms[0]["connected"] == true && ms[1]["connected"] == true && ms[2]["connected"] == true
	})
	if status, b := d.do("POST", "/api/v2/demo/login", `{"name":"  Ana   Souza "}`); status != 201 || !strings.Contains(string(b), `"user"`) {
		t.Fatalf("demo login: %d %s", status, b)
	}
	if status, _ := d.do("POST", "/api/v2/demo/login", `{"name":"!!!"}`); status != 400 {
		t.Fatalf("nameless login: %d", status)
	}
	_, b := d.do("GET", "/api/v2/games", "")
	var games []map[string]any
	json.Unmarshal(b, &games)
	if len(games) != 2 {
		t.Fatalf("games %s", b)
	}
	status, b := d.do("POST", "/api/v2/demo/play", fmt.Sprintf(`{"game":%v}`, games[0]["product"]))
	var won map[string]float64
	json.Unmarshal(b, &won)
	if status != 201 || won["value"] < 5 {
		t.Fatalf("play: %d %s", status, b)
	}
	_, b = d.do("GET", "/api/v2/products", "")
	var products []map[string]any
	json.Unmarshal(b, &products)
	var chips map[string]any
	for _, p := range products {
		if p["type"] == "foods" && p["price"].(float64) <= won["value"] {
			chips = p
			break
		}
	}
	status, b = d.do("POST", "/api/v2/debit", fmt.Sprintf(`{"product":%v}`, chips["product"]))
	if status != 201 {
		t.Fatalf("debit: %d %s", status, b)
	}
	var op map[string]float64
	json.Unmarshal(b, &op)
	var code float64
	eventually(t, "the machine shows the code", func() bool {
		m := machines()[0]
		code, _ = m["code"].(float64)
		return m["state"] == "code" && m["username"] == "Ana"
	})
	if status, b := d.do("POST", "/api/v2/mfa", fmt.Sprintf(`{"operation":%v,"code":%v}`, op["operation"], code)); status != 200 {
		t.Fatalf("mfa: %d %s", status, b)
	}
	eventually(t, "the slot turns", func() bool { return machines()[0]["state"] == "releasing" })
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, b = d.do("GET", "/api/v2/statement", "")
		if strings.Contains(string(b), `"status":"completed","reason":""`) || strings.Count(string(b), `"status":"completed"`) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("purchase not completed: %s", b)
		}
		time.Sleep(50 * time.Millisecond)
	}
	_, b = d.do("GET", "/api/v2/me", "")
	var me map[string]any
	json.Unmarshal(b, &me)
	if me["balance"].(float64) != won["value"]-chips["price"].(float64) {
		t.Fatalf("balance %v after winning %v and buying at %v", me["balance"], won["value"], chips["price"])
	}
}

func TestShopAndKeysAPI(t *testing.T) {
	s := openShop(t)
	if status, raw, _ := s.raw(t, "GET", "/api/v2/machines", s.anaTok, ""); status != 200 || !strings.Contains(string(raw), `"name":"Chips","image":"","price":5,"quantity":2`) || !strings.Contains(string(raw), `"connected":true`) {
		t.Fatalf("machines for players: %d %s", status, raw)
	}
	if status, raw, _ := s.raw(t, "GET", "/api/v2/config", "", ""); status != 200 || !strings.Contains(string(raw), `"timezone":"America/Sao_Paulo"`) || !strings.Contains(string(raw), `"demo":false`) {
		t.Fatalf("config: %s", raw)
	}
	status, k := s.call(t, "POST", "/api/v2/admin/apikeys", s.opTok, `{"user":"kiosk"}`)
	if status != 201 || !strings.HasPrefix(k["api_key"].(string), "cok_") || k["role"] != "user" {
		t.Fatalf("create key: %d %v", status, k)
	}
	if status, raw, _ := s.raw(t, "GET", "/api/v2/admin/apikeys", s.opTok, ""); status != 200 || strings.Contains(string(raw), k["api_key"].(string)) || !strings.Contains(string(raw), `"user":"kiosk"`) {
		t.Fatalf("list keys: %s", raw)
	}
	if status, _ := s.call(t, "GET", "/api/v2/admin/apikeys", s.anaTok, ""); status != 403 {
		t.Fatalf("non-operator: %d", status)
	}
	if status, _, _ := s.raw(t, "DELETE", fmt.Sprintf("/api/v2/admin/apikeys/%v", k["id"]), s.opTok, ""); status != 204 {
		t.Fatalf("revoke: %d", status)
	}
	if _, raw, _ := s.raw(t, "GET", "/api/v2/admin/audit", s.opTok, ""); !strings.Contains(string(raw), "create_api_key") || !strings.Contains(string(raw), "revoke_api_key") {
		t.Fatalf("key changes not audited: %s", raw)
	}
	eventually(t, "the revoked key refused", func() bool {
		status, _, _ := post(t, s.URL+"/auth/token", `{"api_key":"`+k["api_key"].(string)+`"}`)
		return status == 401
	})
}
