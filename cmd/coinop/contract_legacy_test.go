package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/coinop/coinop/api/apitest"
	"github.com/gorilla/websocket"
)

// contractLegacy exercises the legacy machines' routes: the mapping of a
// legacy identity (PUT /api/v2/admin/machines/{id}/legacy) on the
// contract's server, where legacy mode is off (404 at /api/v2/machine/),
// and the Engine.IO requests on a server with a legacy secret.
func contractLegacy(t *testing.T, spec *apitest.Spec, c *contract, opTok string) {
	vending := c.do(t, 201, "POST", "/api/v2/admin/machines", "", opTok, `{"name":"Legacy vending","kind":"vending"}`).id(t, "machine")
	put := "/api/v2/admin/machines/{id}/legacy"
	path := strings.Replace(put, "{id}", vending, 1)
	if r := c.do(t, 200, "PUT", put, path, opTok, `{"namespace":"vending-machine","id":0}`); r.obj()["id"] != "0" {
		t.Errorf("mapping: %s", r.body)
	}
	c.do(t, 200, "PUT", put, path, opTok, `{"namespace":"vending-machine","id":"0"}`)
	for _, body := range []string{`{"namespace":"arcade","id":"1"}`, `{"namespace":"/","id":"0"}`, `{"namespace":"vending-machine"}`, `{"id":1.5}`, `[`} {
		c.do(t, 400, "PUT", put, path, opTok, body)
	}
	c.do(t, 400, "PUT", put, "/api/v2/admin/machines/x/legacy", opTok, `{"namespace":"vending-machine","id":0}`)
	c.do(t, 404, "PUT", put, "/api/v2/admin/machines/999/legacy", opTok, `{"namespace":"vending-machine","id":0}`)

	eio := "/api/v2/machine/"
	raw := func(want int, method, base, query, body string, hdr ...string) (string, http.Header) {
		t.Helper()
		req, _ := http.NewRequest(method, base+eio+query, strings.NewReader(body))
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := c.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Errorf("%s %s%s: %d, want %d: %s", method, eio, query, resp.StatusCode, want, b)
		}
		spec.Check(t, method, eio, resp.StatusCode, resp.Header, b)
		return string(b), resp.Header
	}
	// Legacy mode off.
	raw(400, "GET", c.base, "", "")
	raw(400, "POST", c.base, "?transport=polling", "40")
	raw(404, "GET", c.base, "?EIO=4&transport=polling", "")
	raw(404, "POST", c.base, "?EIO=4&transport=polling&sid=x", "40")

	// Legacy mode on.
	on := startServer(t, "", "--legacy-vending-secret", "s3cret")
	hs, _ := raw(200, "GET", on.URL, "?EIO=4&transport=polling", "")
	var open struct{ SID string }
	if !strings.HasPrefix(hs, "0{") || json.Unmarshal([]byte(hs[1:]), &open) != nil || open.SID == "" {
		t.Fatalf("handshake %q", hs)
	}
	sid := "?EIO=4&transport=polling&sid=" + open.SID
	raw(403, "GET", on.URL, "?EIO=4&transport=polling", "", "Origin", "https://elsewhere.example")
	raw(403, "POST", on.URL, sid, "40", "Origin", "https://elsewhere.example")
	raw(400, "GET", on.URL, "?EIO=3&transport=polling", "")
	raw(400, "GET", on.URL, "?EIO=4&transport=polling&sid=unknown", "")
	raw(400, "POST", on.URL, "?EIO=4&transport=polling", "40")
	if body, _ := raw(200, "POST", on.URL, sid, "40", "Content-Type", "text/plain;charset=UTF-8"); body != "ok" {
		t.Errorf("post %q", body)
	}
	if body, _ := raw(200, "GET", on.URL, sid, ""); !strings.HasPrefix(body, `44{"message":"namespace / is not served`) {
		t.Errorf("the default namespace: %q", body)
	}
	raw(413, "POST", on.URL, sid, "4"+strings.Repeat("x", 17<<10))
	raw(400, "GET", on.URL, sid, "") // the session ended with the big body
	conn, resp, err := websocket.DefaultDialer.Dial(ctWS(on.URL)+eio+"?EIO=4&transport=websocket", nil)
	if err != nil {
		t.Fatalf("websocket: %v", err)
	}
	defer conn.Close()
	spec.Check(t, "GET", eio, resp.StatusCode, resp.Header, nil)
	if _, first, err := conn.ReadMessage(); err != nil || !strings.HasPrefix(string(first), `0{"sid":`) {
		t.Errorf("websocket handshake %q %v", first, err)
	}
	raw(400, "GET", on.URL, "?EIO=4&transport=websocket", "") // no upgrade
}
