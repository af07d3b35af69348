package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// dialTicker opens /ws/ticker with the given headers and query.
func dialTicker(t *testing.T, ts *testServer, query string, hdr http.Header) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	u := "ws://" + ts.Addr + "/ws/ticker"
	if query != "" {
		u += "?" + query
	}
	return websocket.DefaultDialer.Dial(u, hdr)
}

func bearer(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }

type frame struct {
	Type   string `json:"type"`
	UserID string `json:"user_id"`
	Seq    uint64 `json:"seq"`
	Data   []struct {
		Symbol    string  `json:"symbol"`
		Price     float64 `json:"price"`
		Timestamp int64   `json:"timestamp"`
	} `json:"data"`
}

func readFrame(t *testing.T, c *websocket.Conn) frame {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, data, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var f frame
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("frame %q: %v", data, err)
	}
	return f
}

func TestTickerStream(t *testing.T) {
	ts := startServer(t, "", "--tick", "20ms")
	tok := ts.token(t, ts.DemoKey)
	c, _, err := dialTicker(t, ts, "", bearer(tok))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if f := readFrame(t, c); f.Type != "welcome" || f.UserID != "demo" {
		t.Fatalf("first frame %+v, want welcome for demo", f)
	}
	start := time.Now()
	snap := readFrame(t, c)
	if time.Since(start) > 15*time.Millisecond || snap.Type != "ticker" || len(snap.Data) != 3 {
		t.Fatalf("snapshot %+v after %v", snap, time.Since(start))
	}
	want := []string{"BTC-USD", "ETH-USD", "SOL-USD"}
	prev, last := snap, snap.Seq
	n := 0
	for time.Since(start) < time.Second {
		f := readFrame(t, c)
		if f.Type != "ticker" || f.Seq != last+1 {
			t.Fatalf("frame %+v after seq %d", f, last)
		}
		for i, p := range f.Data {
			if p.Symbol != want[i] || p.Timestamp < time.Now().Unix()-2 || p.Timestamp > time.Now().Unix()+1 {
				t.Fatalf("price %d: %+v", i, p)
			}
			if d := p.Price - prev.Data[i].Price; d > prev.Data[i].Price*0.001+1e-9 || -d > prev.Data[i].Price*0.001+1e-9 {
				t.Fatalf("%s moved from %v to %v", p.Symbol, prev.Data[i].Price, p.Price)
			}
			if r := p.Price * 100; r-float64(int64(r+0.5)) > 1e-6 || float64(int64(r+0.5))-r > 1e-6 {
				t.Fatalf("price %v is not whole cents", p.Price)
			}
		}
		prev, last = f, f.Seq
		n++
	}
	// 20 ms ticks: about 50 a second.
	if n < 40 || n > 55 {
		t.Fatalf("%d ticks in 1s at 20ms", n)
	}

	// ping gets pong; other messages are ignored.
	c.WriteMessage(websocket.TextMessage, []byte(`{"type":"hello"}`))
	c.WriteMessage(websocket.TextMessage, []byte(`not json`))
	c.WriteMessage(websocket.TextMessage, []byte(`{"type":"ping"}`))
	for i := 0; ; i++ {
		if f := readFrame(t, c); f.Type == "pong" {
			break
		} else if i > 100 {
			t.Fatal("no pong")
		}
	}

	// A frame over 32 KiB closes the connection with 1009.
	c.WriteMessage(websocket.TextMessage, []byte(`{"type":"`+strings.Repeat("x", 33<<10)+`"}`))
	for {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, _, err := c.ReadMessage(); err != nil {
			if !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
				t.Fatalf("after a 33 KiB frame: %v, want close 1009", err)
			}
			break
		}
	}
}

func TestTickerTokenSources(t *testing.T) {
	ts := startServer(t, "", "--log-level", "debug")
	tok := ts.token(t, ts.DemoKey)
	for name, dial := range map[string]func() (*websocket.Conn, *http.Response, error){
		"query": func() (*websocket.Conn, *http.Response, error) { return dialTicker(t, ts, "x-auth-token="+tok, nil) },
		"cookie": func() (*websocket.Conn, *http.Response, error) {
			return dialTicker(t, ts, "", http.Header{"Cookie": {"x-auth-token=" + tok}})
		},
	} {
		c, _, err := dial()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if f := readFrame(t, c); f.Type != "welcome" {
			t.Fatalf("%s: %+v", name, f)
		}
		c.Close()
	}
	if strings.Contains(ts.Logs(), tok) {
		t.Fatal("a token from the query string was logged")
	}
}

func TestTickerRejections(t *testing.T) {
	ts := startServer(t, "", "--allowed-origins", "https://fair.example")
	tok := ts.token(t, ts.DemoKey)
	expect := func(name string, status int, code, query string, hdr http.Header) {
		t.Helper()
		c, resp, err := dialTicker(t, ts, query, hdr)
		if err == nil {
			c.Close()
			t.Fatalf("%s: upgraded", name)
		}
		if resp == nil || resp.StatusCode != status {
			t.Fatalf("%s: %v %v, want %d", name, resp, err, status)
		}
		var body map[string]string
		if json.NewDecoder(resp.Body).Decode(&body) != nil || body["error"] != code {
			t.Fatalf("%s: body %v, want error %q", name, body, code)
		}
	}
	expect("no token", 401, "unauthorized", "", nil)
	expect("bad token", 401, "unauthorized", "", bearer("nonsense"))
	expect("tampered token", 401, "unauthorized", "", bearer(tok[:len(tok)-2]+"xx"))
	expect("api key as token", 401, "unauthorized", "", bearer(ts.DemoKey))
	expect("foreign origin", 403, "forbidden", "", http.Header{"Authorization": {"Bearer " + tok}, "Origin": {"https://evil.example"}})

	for name, origin := range map[string]string{"listed": "https://fair.example", "same": "http://" + ts.Addr} {
		c, _, err := dialTicker(t, ts, "", http.Header{"Authorization": {"Bearer " + tok}, "Origin": {origin}})
		if err != nil {
			t.Fatalf("%s origin refused: %v", name, err)
		}
		c.Close()
	}

	// Any method but GET: 405 JSON.
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/ws/ticker", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("POST /ws/ticker: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// A plain GET with a valid token but no upgrade: 400 JSON.
	req, _ = http.NewRequest(http.MethodGet, ts.URL+"/ws/ticker", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, _ = http.DefaultClient.Do(req)
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("GET without upgrade: %d", resp.StatusCode)
	}
}

func TestRevocationClosesSocket(t *testing.T) {
	ts := startServer(t, "")
	key := cli(t, ts.Data, "apikey", "create", "--user", "bob")
	tok := ts.token(t, key)
	c, _, err := dialTicker(t, ts, "", bearer(tok))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	other, _, err := dialTicker(t, ts, "", bearer(ts.token(t, ts.DemoKey)))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	// Revoked by another process on the same database.
	cli(t, ts.Data, "apikey", "revoke", "2")
	revoked := time.Now()
	var closeErr error
	for closeErr == nil {
		c.SetReadDeadline(time.Now().Add(6 * time.Second))
		_, _, closeErr = c.ReadMessage()
	}
	if !websocket.IsCloseError(closeErr, 4403) || time.Since(revoked) > 5*time.Second {
		t.Fatalf("after revocation: %v after %v, want close 4403 within 5s", closeErr, time.Since(revoked))
	}
	if _, resp, err := dialTicker(t, ts, "", bearer(tok)); err == nil || resp.StatusCode != 401 {
		t.Fatalf("revoked key's token still opens a socket: %v", err)
	}
	// The demo key's socket is untouched.
	other.SetReadDeadline(time.Now().Add(2 * time.Second))
	for range 3 {
		if _, _, err := other.ReadMessage(); err != nil {
			t.Fatalf("unrelated socket closed: %v", err)
		}
	}
}

func TestShutdownClosesWith1001(t *testing.T) {
	ts := startServer(t, "")
	c, _, err := dialTicker(t, ts, "", bearer(ts.token(t, ts.DemoKey)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	readFrame(t, c)
	go ts.Stop(t)
	for {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, _, err := c.ReadMessage(); err != nil {
			if !websocket.IsCloseError(err, websocket.CloseGoingAway) {
				t.Fatalf("at shutdown: %v, want close 1001", err)
			}
			return
		}
	}
}

func TestTokenSurvivesRestart(t *testing.T) {
	data := t.TempDir()
	ts := startServer(t, data)
	tok := ts.token(t, ts.DemoKey)
	ts.Stop(t)
	ts2 := startServer(t, data)
	if ts2.DemoKey != "" {
		t.Fatal("a second demo key was created on restart")
	}
	c, _, err := dialTicker(t, ts2, "", bearer(tok))
	if err != nil {
		t.Fatalf("token from before the restart refused: %v", err)
	}
	c.Close()
}

func TestHTTPBasics(t *testing.T) {
	ts := startServer(t, "")
	get := func(path string) (int, string, string) {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b := new(strings.Builder)
		_, _ = io_Copy(b, resp)
		return resp.StatusCode, resp.Header.Get("Content-Type"), b.String()
	}
	if s, _, _ := get("/healthz"); s != 200 {
		t.Errorf("healthz %d", s)
	}
	if s, _, body := get("/readyz"); s != 200 || !strings.Contains(body, "ready") {
		t.Errorf("readyz %d %s", s, body)
	}
	for _, p := range []string{"/api/nope", "/auth/nope", "/ws/nope", "/api/v2/whatever"} {
		if s, ct, body := get(p); s != 404 || ct != "application/json" || !strings.Contains(body, `"error":"not_found"`) {
			t.Errorf("%s: %d %s %s", p, s, ct, body)
		}
	}
	if s, ct, body := get("/"); s != 200 || !strings.HasPrefix(ct, "text/html") || !strings.Contains(body, "<html") && !strings.Contains(body, "<!doctype") {
		t.Errorf("/: %d %s", s, ct)
	}
	c, _, err := dialTicker(t, ts, "", bearer(ts.token(t, ts.DemoKey)))
	if err != nil {
		t.Fatal(err)
	}
	readFrame(t, c)
	readFrame(t, c)
	time.Sleep(50 * time.Millisecond)
	_, _, m := get("/metrics")
	for _, want := range []string{
		`coinop_http_requests_total{route="POST /auth/token",code="200"} 1`,
		`coinop_http_requests_total{route="/api/",code="404"}`,
		"coinop_ws_connections_open 1",
		"coinop_ticker_frames_sent_total",
		"coinop_ticker_frames_dropped_total",
		"coinop_ticker_tick_seconds_bucket",
		"process_cpu_seconds_total",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	c.Close()
}

func io_Copy(b *strings.Builder, resp *http.Response) (int64, error) { return io.Copy(b, resp.Body) }
