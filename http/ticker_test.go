package http_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	nethttp "net/http"
	"strings"
	"testing"
	"time"

	"github.com/coinop/coinop"
	coinophttp "github.com/coinop/coinop/http"
	"github.com/coinop/coinop/metrics"
	"github.com/coinop/coinop/ticker"
	"github.com/coinop/coinop/token"
	"github.com/gorilla/websocket"
)

// keys is an API key store for the HTTP tests: one valid key, or failing.
type keys struct {
	coinop.APIKeyService
	fail bool
}

func (k keys) FindAPIKey(_ context.Context, secret string) (*coinop.APIKey, error) {
	if k.fail {
		return nil, errors.New("disk I/O error: /var/lib/coinop/coinop.db")
	}
	if secret == "cok_good" {
		return &coinop.APIKey{ID: 1, UserID: "demo", Role: "user"}, nil
	}
	return nil, coinop.Errorf(coinop.EUNAUTHORIZED, "invalid API key")
}

type fixture struct {
	srv    *coinophttp.Server
	url    string
	tokens *token.Service
	reg    *metrics.Registry
}

func newFixture(t *testing.T, k keys, opts coinophttp.TickerOptions) *fixture {
	t.Helper()
	tokens, _ := token.New([]byte("0123456789abcdef0123456789abcdef"))
	reg := metrics.NewRegistry()
	srv := coinophttp.NewServer(coinophttp.Options{
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), APIKeys: k, Tokens: tokens, Metrics: reg, Ticker: opts,
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return &fixture{srv: srv, url: ln.Addr().String(), tokens: tokens, reg: reg}
}

func (f *fixture) token(t *testing.T) string {
	tok, err := f.tokens.Issue(coinop.Claims{Kind: coinop.TokenAPI, Subject: "demo", Role: "user", KeyID: 1, ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestStoreFailureIs500WithoutInternals(t *testing.T) {
	f := newFixture(t, keys{fail: true}, coinophttp.TickerOptions{})
	resp, err := nethttp.Post("http://"+f.url+"/auth/token", "application/json", strings.NewReader(`{"api_key":"cok_good"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 500 || !strings.Contains(string(body), `"error":"internal"`) || strings.Contains(string(body), "disk") {
		t.Fatalf("store failure: %d %s", resp.StatusCode, body)
	}
}

// rawSlowClient does the WebSocket handshake by hand on a socket with a tiny
// receive buffer and then never reads.
func rawSlowClient(t *testing.T, addr, tok string) net.Conn {
	t.Helper()
	d := net.Dialer{Control: nil}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).SetReadBuffer(1024)
	fmt.Fprintf(c, "GET /ws/ticker HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer %s\r\n\r\n", addr, tok)
	resp, err := nethttp.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("handshake: %v %v", resp, err)
	}
	return c
}

func TestSlowClientNeitherDelaysOthersNorStays(t *testing.T) {
	f := newFixture(t, keys{}, coinophttp.TickerOptions{WriteTimeout: 300 * time.Millisecond, SendBuffer: 4096})
	hub := f.srv.Ticker()
	src := ticker.NewSim(1)
	b := &ticker.Broadcaster{Source: src, Publish: hub.Publish}
	b.Step(context.Background(), time.Now())

	slow := rawSlowClient(t, f.url, f.token(t))
	defer slow.Close()
	fast, _, err := websocket.DefaultDialer.Dial("ws://"+f.url+"/ws/ticker", nethttp.Header{"Authorization": {"Bearer " + f.token(t)}})
	if err != nil {
		t.Fatal(err)
	}
	defer fast.Close()
	fast.ReadMessage() // welcome
	fast.ReadMessage() // snapshot

	// 2,000 ticks of padding-sized frames, 1 ms apart: the slow client's
	// buffers fill within a few hundred; the fast one must see every tick
	// on time.
	var last uint64 = 1
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; i < 2000 && time.Now().Before(deadline); i++ {
		start := time.Now()
		b.Step(context.Background(), time.Now())
		if d := time.Since(start); d > 50*time.Millisecond {
			t.Fatalf("publishing one tick took %v: a slow client delayed the broadcaster", d)
		}
		fast.SetReadDeadline(time.Now().Add(time.Second))
		_, data, err := fast.ReadMessage()
		if err != nil {
			t.Fatalf("fast client, tick %d: %v", i, err)
		}
		var fr struct{ Seq uint64 }
		json.Unmarshal(data, &fr)
		if fr.Seq != last+1 {
			t.Fatalf("fast client got seq %d after %d", fr.Seq, last)
		}
		last = fr.Seq
		time.Sleep(time.Millisecond)
	}
	// The slow client was disconnected: its socket reaches EOF or reset
	// once we drain what was buffered.
	slow.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.Copy(io.Discard, slow); err != nil && !strings.Contains(err.Error(), "reset") {
		t.Fatalf("slow client was not disconnected: %v", err)
	}
	var m strings.Builder
	f.reg.Write(&m)
	if !strings.Contains(m.String(), "coinop_ws_connections_open 1\n") {
		t.Fatalf("open connections after the slow client left:\n%s", m.String())
	}
}
