package http_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	nethttp "net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coinop/coinop"
	coinophttp "github.com/coinop/coinop/http"
	"github.com/gorilla/websocket"
)

// dialSmall opens a ticker socket whose kernel receive buffer is small, so
// a client that reads slowly soon leaves the server unable to write.
func dialSmall(t *testing.T, f *fixture, rcvbuf int) *websocket.Conn {
	t.Helper()
	d := websocket.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil && rcvbuf > 0 {
			c.(*net.TCPConn).SetReadBuffer(rcvbuf)
		}
		return c, err
	}}
	c, _, err := d.Dial("ws://"+f.url+"/ws/ticker", nethttp.Header{"Authorization": {"Bearer " + f.token(t)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// publishPadded publishes tick seq as a ticker frame padded to about size
// bytes.
func publishPadded(hub *coinophttp.TickerHub, seq uint64, size int) {
	frame := fmt.Sprintf(`{"type":"ticker","seq":%d,"pad":"%s"}`, seq, strings.Repeat("x", size))
	hub.Publish(coinop.Tick{Seq: seq}, []byte(frame))
}

// tickerMsg reads one text message: a ticker frame's seq, or 0 for a pong.
func tickerMsg(t *testing.T, c *websocket.Conn, timeout time.Duration) uint64 {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(timeout))
	kind, data, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var m struct {
		Type string `json:"type"`
		Seq  uint64 `json:"seq"`
		Pad  string `json:"pad"`
	}
	if kind != websocket.TextMessage || json.Unmarshal(data, &m) != nil {
		t.Fatalf("garbled message (kind %d, %d bytes): %.80q", kind, len(data), data)
	}
	switch {
	case m.Type == "pong":
		return 0
	case m.Type == "ticker" && m.Seq > 0 && strings.Trim(m.Pad, "x") == "":
		return m.Seq
	}
	t.Fatalf("unexpected message %.80q", data)
	return 0
}

// metric reads one counter from the fixture's registry.
func metric(t *testing.T, f *fixture, name string) float64 {
	t.Helper()
	var b strings.Builder
	f.reg.Write(&b)
	for _, line := range strings.Split(b.String(), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			x, _ := strconv.ParseFloat(v, 64)
			return x
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// A client that stops reading is handed to its own writer: meanwhile a
// reading client gets every tick, one after the other, and the stalled
// one, once it reads again, gets whole frames in order up to the newest
// tick, having skipped some.
func TestSlowClientHandedToWriterGetsNewestTick(t *testing.T) {
	f := newFixture(t, keys{}, coinophttp.TickerOptions{SendBuffer: 4096, WriteTimeout: 5 * time.Second, Shards: 1})
	hub := f.srv.Ticker()
	publishPadded(hub, 1, 10)
	stalled := dialSmall(t, f, 4096)
	fast := dialSmall(t, f, 0)
	for _, c := range []*websocket.Conn{stalled, fast} {
		c.ReadMessage() // welcome
		if seq := tickerMsg(t, c, time.Second); seq != 1 {
			t.Fatalf("snapshot seq %d", seq)
		}
	}
	const ticks = 300
	for seq := uint64(2); seq <= ticks; seq++ {
		publishPadded(hub, seq, 2000)
		if got := tickerMsg(t, fast, time.Second); got != seq {
			t.Fatalf("reading client got seq %d, want %d", got, seq)
		}
	}
	if n := metric(t, f, "coinop_ticker_slow_writes_total"); n == 0 {
		t.Fatal("the stalled client's socket never refused a tick: the test proves nothing")
	}
	var last uint64 = 1
	for last < ticks {
		seq := tickerMsg(t, stalled, 2*time.Second)
		if seq <= last {
			t.Fatalf("stalled client got seq %d after %d", seq, last)
		}
		last = seq
	}
	if d := metric(t, f, "coinop_ticker_frames_dropped_total"); d == 0 {
		t.Fatal("the stalled client skipped no tick")
	}
	// Back to reading, it is served by the shard again.
	publishPadded(hub, ticks+1, 10)
	if seq := tickerMsg(t, stalled, time.Second); seq != ticks+1 {
		t.Fatalf("after catching up: seq %d, want %d", seq, ticks+1)
	}
}

// Ticks, pongs, server pings and answers to the client's pings share the
// socket, written by the shard or by the writer: on the wire, as a real
// WebSocket client reads it, every frame is whole.
func TestTickerFramesNeverInterleave(t *testing.T) {
	f := newFixture(t, keys{}, coinophttp.TickerOptions{SendBuffer: 4096, PingInterval: time.Millisecond, Shards: 2})
	hub := f.srv.Ticker()
	publishPadded(hub, 1, 10)
	c := dialSmall(t, f, 8192)
	var serverPings, ctrlPongs atomic.Int64
	c.SetPingHandler(func(p string) error {
		serverPings.Add(1)
		return c.WriteControl(websocket.PongMessage, []byte(p), time.Now().Add(time.Second))
	})
	c.SetPongHandler(func(string) error { ctrlPongs.Add(1); return nil })

	stop := make(chan struct{})
	defer close(stop)
	go func() { // ticks of all sizes; the client's pings in between
		for seq := uint64(2); ; seq++ {
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Microsecond):
			}
			publishPadded(hub, seq, []int{10, 200, 3000, 7000}[seq%4])
			if seq%3 == 0 {
				c.WriteMessage(websocket.TextMessage, []byte(`{"type":"ping"}`))
				c.WriteControl(websocket.PingMessage, []byte("p"), time.Now().Add(time.Second))
			}
		}
	}()
	c.ReadMessage() // welcome
	var last, pongs uint64
	for start := time.Now(); time.Since(start) < 2500*time.Millisecond; {
		seq := tickerMsg(t, c, 2*time.Second)
		if seq == 0 {
			pongs++
			continue
		}
		if seq <= last {
			t.Fatalf("seq %d after %d", seq, last)
		}
		last = seq
		if seq%50 == 0 {
			time.Sleep(20 * time.Millisecond) // let the socket fill
		}
	}
	if pongs == 0 || ctrlPongs.Load() == 0 || serverPings.Load() == 0 {
		t.Fatalf("pongs %d, control pongs %d, server pings %d: each should have come", pongs, ctrlPongs.Load(), serverPings.Load())
	}
	slow, sent := metric(t, f, "coinop_ticker_slow_writes_total"), metric(t, f, "coinop_ticker_frames_sent_total")
	t.Logf("%.0f frames sent, %.0f left to the writer, %d pongs, %d control pongs, %d server pings", sent, slow, pongs, ctrlPongs.Load(), serverPings.Load())
	if slow == 0 || sent-slow < 100 {
		t.Fatal("the shard never wrote or never handed over: the test proves nothing")
	}
}

// A client that reads every tick is written to by its shard alone, also
// long after its writer last wrote: the writer leaves no deadline behind
// that would fail the shard's writes once passed.
func TestReadingClientStaysWithShard(t *testing.T) {
	f := newFixture(t, keys{}, coinophttp.TickerOptions{WriteTimeout: 100 * time.Millisecond})
	hub := f.srv.Ticker()
	publishPadded(hub, 1, 10)
	c := dialSmall(t, f, 0)
	c.ReadMessage() // welcome
	tickerMsg(t, c, time.Second)
	for seq := uint64(2); seq < 100; seq++ {
		time.Sleep(5 * time.Millisecond)
		publishPadded(hub, seq, 10)
		if got := tickerMsg(t, c, time.Second); got != seq {
			t.Fatalf("got seq %d, want %d", got, seq)
		}
	}
	if n := metric(t, f, "coinop_ticker_slow_writes_total"); n != 0 {
		t.Fatalf("%.0f ticks went through the writer", n)
	}
}
