package socketio

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// recorder is a Handler that keeps what it gets.
type recorder struct {
	mu     sync.Mutex
	events []string // name and args, joined
	gone   chan string
	sock   *Socket
}

func (h *recorder) OnEvent(name string, args []json.RawMessage) {
	h.mu.Lock()
	defer h.mu.Unlock()
	parts := []string{name}
	for _, a := range args {
		parts = append(parts, string(a))
	}
	h.events = append(h.events, strings.Join(parts, " "))
}

func (h *recorder) OnDisconnect(reason string) { h.gone <- reason }

func (h *recorder) seen() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.events...)
}

// testServer admits /chat with auth {"token":"ok"} and refuses the rest.
func testServer(t *testing.T, tune func(*Server)) (*httptest.Server, chan *recorder) {
	t.Helper()
	conns := make(chan *recorder, 8)
	srv := &Server{Connect: func(s *Socket, auth json.RawMessage) (Handler, error) {
		var a struct{ Token string }
		json.Unmarshal(auth, &a)
		if s.Namespace() != "/chat" || a.Token != "ok" {
			return nil, errors.New("not authorized")
		}
		h := &recorder{gone: make(chan string, 1), sock: s}
		conns <- h
		return h, nil
	}}
	if tune != nil {
		tune(srv)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() { srv.Shutdown(); ts.Close() })
	return ts, conns
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "text/plain;charset=UTF-8", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// openPolling opens a polling session and returns its URL (with sid).
func openPolling(t *testing.T, base string) (string, handshake) {
	t.Helper()
	status, body := get(t, base+"/?EIO=4&transport=polling&t=1")
	if status != 200 || !strings.HasPrefix(body, "0{") {
		t.Fatalf("handshake: %d %q", status, body)
	}
	var hs handshake
	if err := json.Unmarshal([]byte(body[1:]), &hs); err != nil {
		t.Fatal(err)
	}
	return base + "/?EIO=4&transport=polling&sid=" + hs.SID, hs
}

func TestHandshakeAndRefusals(t *testing.T) {
	ts, _ := testServer(t, nil)
	_, body := get(t, ts.URL+"/?EIO=4&transport=polling")
	var m map[string]any
	json.Unmarshal([]byte(body[1:]), &m)
	if len(m) != 5 || m["pingInterval"] != 25000.0 || m["pingTimeout"] != 20000.0 || m["maxPayload"] != 1e6 ||
		len(m["sid"].(string)) != 20 || m["upgrades"].([]any)[0] != "websocket" {
		t.Errorf("handshake %s", body)
	}
	for _, q := range []string{"?transport=polling", "?EIO=3&transport=polling", "?EIO=4", "?EIO=4&transport=abc",
		"?EIO=4&transport=polling&sid=nope", "?EIO=4&transport=websocket"} {
		if status, _ := get(t, ts.URL+"/"+q); status != 400 {
			t.Errorf("%s: %d, want 400", q, status)
		}
	}
	if status, _ := post(t, ts.URL+"/?EIO=4&transport=polling", "40"); status != 400 {
		t.Errorf("a session opened by POST: %d", status)
	}
}

func TestPollingSession(t *testing.T) {
	ts, conns := testServer(t, nil)
	url, _ := openPolling(t, ts.URL)
	if status, body := post(t, url, `40/chat,{"token":"bad"}`+"\x1e40\x1e"+`40/chat,{"token":"ok"}`); status != 200 || body != "ok" {
		t.Fatalf("post: %d %q", status, body)
	}
	_, body := get(t, url)
	parts := strings.Split(body, "\x1e")
	if len(parts) != 3 || parts[0] != `44/chat,{"message":"not authorized"}` || parts[1] != `44{"message":"not authorized"}` ||
		!strings.HasPrefix(parts[2], `40/chat,{"sid":"`) {
		t.Fatalf("connect answers %q", body)
	}
	h := <-conns
	post(t, url, `42/chat,["hello",{"b":1,"a":2}]`+"\x1e"+`42/chat,7["again"]`+"\x1e"+`42/other,["dropped"]`+"\x1e3")
	if got := h.seen(); len(got) != 2 || got[0] != `hello {"b":1,"a":2}` || got[1] != "again" {
		t.Errorf("events %q", got)
	}
	if _, body := get(t, url); body != `43/chat,7[]` {
		t.Errorf("ack %q", body)
	}
	done := make(chan error)
	go func() { done <- h.sock.Emit(context.Background(), "reply", json.RawMessage(`{"z":1,"a":2}`)) }()
	if _, body := get(t, url); body != `42/chat,["reply",{"z":1,"a":2}]` {
		t.Errorf("emit %q", body)
	}
	if err := <-done; err != nil {
		t.Errorf("emit: %v", err)
	}
	// An event no poll takes in time is taken back.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := h.sock.Emit(ctx, "late"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("emit without a poll: %v", err)
	}
	go h.sock.Emit(context.Background(), "next")
	if _, body := get(t, url); body != `42/chat,["next"]` {
		t.Errorf("after the taken-back event: %q", body)
	}
	// The server disconnects the socket: DISCONNECT, then close.
	h.sock.Disconnect()
	if reason := <-h.gone; reason != "disconnected by the server" {
		t.Errorf("reason %q", reason)
	}
	if _, body := get(t, url); body != "41/chat,\x1e1" {
		t.Errorf("disconnect %q", body)
	}
	if status, _ := get(t, url); status != 400 {
		t.Errorf("poll after close: %d", status)
	}
}

func TestPollingErrors(t *testing.T) {
	ts, _ := testServer(t, func(s *Server) { s.MaxPayload = 100 })
	url, _ := openPolling(t, ts.URL)
	if status, _ := post(t, url, strings.Repeat("4", 101)); status != 413 {
		t.Errorf("big body: %d", status)
	}
	if status, _ := get(t, url); status != 400 {
		t.Errorf("session after a big body: %d", status)
	}
	url, _ = openPolling(t, ts.URL)
	if status, _ := post(t, url, "x"); status != 400 {
		t.Errorf("malformed: %d", status)
	}
	url, _ = openPolling(t, ts.URL)
	first := make(chan int)
	go func() { s, _ := get(t, url); first <- s }()
	time.Sleep(50 * time.Millisecond)
	if status, _ := get(t, url); status != 400 {
		t.Errorf("duplicate poll: %d", status)
	}
	if status := <-first; status != 400 {
		t.Errorf("first poll after the duplicate: %d", status)
	}
}

func wsURL(base, query string) string { return "ws" + strings.TrimPrefix(base, "http") + "/" + query }

func readWS(t *testing.T, c *websocket.Conn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, data, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return string(data)
}

func TestUpgrade(t *testing.T) {
	ts, conns := testServer(t, nil)
	url, hs := openPolling(t, ts.URL)
	post(t, url, `40/chat,{"token":"ok"}`)
	if _, body := get(t, url); !strings.HasPrefix(body, `40/chat,{"sid"`) {
		t.Fatalf("connect %q", body)
	}
	h := <-conns
	waiting := make(chan string)
	go func() { _, body := get(t, url); waiting <- body }()
	time.Sleep(50 * time.Millisecond)
	c, _, err := websocket.DefaultDialer.Dial(wsURL(ts.URL, "?EIO=4&transport=websocket&sid="+hs.SID), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.WriteMessage(websocket.TextMessage, []byte("2probe"))
	if got := readWS(t, c); got != "3probe" {
		t.Fatalf("probe answer %q", got)
	}
	if body := <-waiting; body != "6" {
		t.Errorf("the waiting poll got %q, want a noop", body)
	}
	go h.sock.Emit(context.Background(), "queued during the upgrade")
	time.Sleep(20 * time.Millisecond)
	c.WriteMessage(websocket.TextMessage, []byte("5"))
	if got := readWS(t, c); got != `42/chat,["queued during the upgrade"]` {
		t.Errorf("after the upgrade: %q", got)
	}
	if h.sock.Transport() != "websocket" {
		t.Errorf("transport %s", h.sock.Transport())
	}
	if status, _ := get(t, url); status != 400 {
		t.Errorf("poll after the upgrade: %d", status)
	}
	c.WriteMessage(websocket.TextMessage, []byte(`42/chat,["over ws"]`))
	c.WriteMessage(websocket.TextMessage, []byte("1"))
	if reason := <-h.gone; reason != "closed by the client" {
		t.Errorf("reason %q", reason)
	}
	if got := h.seen(); len(got) != 1 || got[0] != "over ws" {
		t.Errorf("events %q", got)
	}
}

func TestWebSocketOnlyAndHeartbeat(t *testing.T) {
	ts, conns := testServer(t, func(s *Server) { s.PingInterval, s.PingTimeout = 50*time.Millisecond, 100*time.Millisecond })
	c, _, err := websocket.DefaultDialer.Dial(wsURL(ts.URL, "?EIO=4&transport=websocket"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	open := readWS(t, c)
	var hs map[string]any
	if json.Unmarshal([]byte(open[1:]), &hs); open[0] != '0' || len(hs["upgrades"].([]any)) != 0 || hs["pingInterval"] != 50.0 {
		t.Fatalf("handshake %q", open)
	}
	c.WriteMessage(websocket.TextMessage, []byte(`40/chat,{"token":"ok"}`))
	if got := readWS(t, c); !strings.HasPrefix(got, `40/chat,{"sid":"`) {
		t.Fatalf("connect %q", got)
	}
	h := <-conns
	for i := 0; i < 3; i++ {
		if got := readWS(t, c); got != "2" {
			t.Fatalf("ping %d: %q", i, got)
		}
		c.WriteMessage(websocket.TextMessage, []byte("3"))
	}
	select {
	case r := <-h.gone:
		t.Fatalf("ended while answering pings: %s", r)
	default:
	}
	// No more pongs: the session ends.
	select {
	case r := <-h.gone:
		if r != "ping timeout" {
			t.Errorf("reason %q", r)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no ping timeout")
	}
}

func TestShutdownDropsSessions(t *testing.T) {
	conns := make(chan *recorder, 1)
	srv := &Server{Connect: func(s *Socket, _ json.RawMessage) (Handler, error) {
		h := &recorder{gone: make(chan string, 1), sock: s}
		conns <- h
		return h, nil
	}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	url, _ := openPolling(t, ts.URL)
	post(t, url, "40")
	get(t, url)
	h := <-conns
	waiting := make(chan int)
	go func() { s, _ := get(t, url); waiting <- s }()
	time.Sleep(30 * time.Millisecond)
	srv.Shutdown()
	if s := <-waiting; s != 400 {
		t.Errorf("waiting poll at shutdown: %d", s)
	}
	if r := <-h.gone; r != "server shutting down" {
		t.Errorf("reason %q", r)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	srv.Wait(ctx)
	if ctx.Err() != nil {
		t.Error("sessions left after shutdown")
	}
	if s, _ := get(t, ts.URL+"/?EIO=4&transport=polling"); s != 503 {
		t.Errorf("handshake after shutdown: %d", s)
	}
}

// TestMaxWaiting: one address may hold only MaxWaiting sessions that joined
// no namespace; joining, or the session's end, frees its place.
func TestMaxWaiting(t *testing.T) {
	ts, conns := testServer(t, func(s *Server) { s.MaxWaiting = 3; s.ConnectTimeout = 300 * time.Millisecond })
	urls := make([]string, 3)
	for i := range urls {
		urls[i], _ = openPolling(t, ts.URL)
	}
	if status, body := get(t, ts.URL+"/?EIO=4&transport=polling"); status != http.StatusServiceUnavailable || !strings.Contains(body, "too many sessions") {
		t.Fatalf("a fourth waiting session: %d %q", status, body)
	}
	if c, resp, err := websocket.DefaultDialer.Dial(wsURL(ts.URL, "?EIO=4&transport=websocket"), nil); err == nil {
		c.Close()
		t.Fatal("a fourth waiting session over WebSocket was accepted")
	} else if resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("a fourth waiting session over WebSocket: %v %v", resp, err)
	}
	// A refused namespace does not count as joined; an accepted one does.
	post(t, urls[0], `40/chat,{"token":"bad"}`)
	if status, _ := get(t, ts.URL+"/?EIO=4&transport=polling"); status != http.StatusServiceUnavailable {
		t.Fatalf("after a refused join: %d", status)
	}
	post(t, urls[0], `40/chat,{"token":"ok"}`)
	<-conns
	openPolling(t, ts.URL) // the joined session's place
	if status, _ := get(t, ts.URL+"/?EIO=4&transport=polling"); status != http.StatusServiceUnavailable {
		t.Fatalf("after the join, a fifth: %d", status)
	}
	// Sessions that never join are closed after ConnectTimeout (and the
	// close grace), which frees their places.
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, _ := get(t, ts.URL+"/?EIO=4&transport=polling")
		if status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("places of sessions that never joined were not freed")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
