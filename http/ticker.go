package http

import (
	"context"
	"log/slog"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coinop/coinop"
	"github.com/coinop/coinop/metrics"
	"github.com/gorilla/websocket"
)

// TickerOptions tune the ticker WebSocket.
type TickerOptions struct {
	PingInterval time.Duration // server pings; default 30s
	PongWait     time.Duration // a client silent this long after a ping is closed; default 30s
	WriteTimeout time.Duration // a client that takes no frame for this long is closed; default 10s
	ReadLimit    int64         // largest client frame; default 32 KiB, beyond: close 1009
	SendBuffer   int           // kernel send buffer per socket; default 32 KiB
	Shards       int           // goroutines writing ticks to the sockets; default GOMAXPROCS
}

func (o *TickerOptions) defaults() {
	if o.PingInterval == 0 {
		o.PingInterval = 30 * time.Second
	}
	if o.PongWait == 0 {
		o.PongWait = 30 * time.Second
	}
	if o.WriteTimeout == 0 {
		o.WriteTimeout = 10 * time.Second
	}
	if o.ReadLimit == 0 {
		o.ReadLimit = 32 << 10
	}
	if o.SendBuffer == 0 {
		o.SendBuffer = 32 << 10
	}
	if o.Shards <= 0 {
		o.Shards = runtime.GOMAXPROCS(0)
	}
}

// tickFrame is one tick, framed once for every client.
type tickFrame struct {
	seq  uint64
	wire []byte
}

// TickerHub fans each tick out to every ticker client. Publishing never
// blocks: it wakes a few shard goroutines, each of which writes the newest
// frame to its clients' sockets in turn without waiting (tickershard.go).
// A socket that cannot take a frame at once is handed to its client's own
// writer goroutine, which finishes the frame and then takes the newest, so
// a slow client skips ticks (coalescing) and never delays the others.
type TickerHub struct {
	opts TickerOptions
	log  *slog.Logger

	latest atomic.Pointer[tickFrame]
	shards []*tickerShard

	mu     sync.Mutex // guards closed, the shards' sets and add/remove
	closed bool
	wg     sync.WaitGroup
	stop   chan struct{} // ends maintain and the shards

	open                atomic.Int64
	sent, dropped, slow atomic.Uint64
	tickSeconds, fanout *metrics.Histogram
}

func newTickerHub(opts TickerOptions, reg *metrics.Registry, log *slog.Logger) *TickerHub {
	opts.defaults()
	h := &TickerHub{opts: opts, log: log, stop: make(chan struct{})}
	reg.NewGaugeFunc("coinop_ws_connections_open", "Open ticker WebSocket connections.", func() float64 { return float64(h.open.Load()) })
	reg.NewCounterFunc("coinop_ticker_frames_sent_total", "Ticker frames written to clients.", func() float64 { return float64(h.sent.Load()) })
	reg.NewCounterFunc("coinop_ticker_frames_dropped_total", "Ticker frames a slow client skipped (coalesced).", func() float64 { return float64(h.dropped.Load()) })
	reg.NewCounterFunc("coinop_ticker_slow_writes_total", "Ticker frames a socket could not take at once, left to its client's writer.", func() float64 { return float64(h.slow.Load()) })
	buckets := []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025}
	h.tickSeconds = reg.NewHistogram("coinop_ticker_tick_seconds", "Time to produce and publish one tick.", buckets)
	h.fanout = reg.NewHistogram("coinop_ticker_fanout_seconds", "Time for one shard to write one tick to its clients.", buckets)
	for range opts.Shards {
		s := newTickerShard()
		h.shards = append(h.shards, s)
		go s.run(h)
	}
	go h.maintain()
	return h
}

// Publish makes frame the newest tick and wakes the shards that write it.
func (h *TickerHub) Publish(t coinop.Tick, frame []byte) {
	h.latest.Store(&tickFrame{seq: t.Seq, wire: wsFrame(opText, frame)})
	for _, s := range h.shards {
		s.signal() // a shard still busy writes the newest frame next
	}
}

// Latest returns the newest tick's frame (unframed JSON is not kept: the
// seq only), for a new ticker leader to continue from.
func (h *TickerHub) Latest() uint64 {
	if f := h.latest.Load(); f != nil {
		return f.seq
	}
	return 0
}

// ObserveTick records the duration of one tick.
func (h *TickerHub) ObserveTick(d time.Duration) { h.tickSeconds.Observe(d.Seconds()) }

// CloseKey closes every socket opened with a token of the revoked key.
func (h *TickerHub) CloseKey(keyID int64) {
	h.each(func(c *tickerClient) {
		if c.claims.KeyID == keyID {
			c.requestClose(CloseKeyRevoked, "API key revoked")
		}
	})
}

// each calls fn for every client.
func (h *TickerHub) each(fn func(*tickerClient)) {
	for _, s := range h.shards {
		for _, c := range *s.clients.Load() {
			fn(c)
		}
	}
}

// Shutdown closes every socket with 1001 and refuses new ones.
func (h *TickerHub) Shutdown() {
	h.mu.Lock()
	if !h.closed {
		close(h.stop)
	}
	h.closed = true
	h.mu.Unlock()
	h.each(func(c *tickerClient) { c.requestClose(websocket.CloseGoingAway, "server shutting down") })
}

// Wait waits until every client has gone, or ctx ends.
func (h *TickerHub) Wait(ctx context.Context) {
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// add gives c to the shard with the fewest clients.
func (h *TickerHub) add(c *tickerClient) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	c.shard = h.shards[0]
	for _, s := range h.shards[1:] {
		if len(s.set) < len(c.shard.set) {
			c.shard = s
		}
	}
	c.shard.set[c] = struct{}{}
	c.shard.snapshot()
	h.wg.Add(1)
	h.open.Add(1)
	return true
}

func (h *TickerHub) remove(c *tickerClient) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(c.shard.set, c)
	c.shard.snapshot()
	h.open.Add(-1)
	h.wg.Done()
}

// handleTickerSocket authenticates, checks the origin and upgrades.
func (s *Server) handleTickerSocket() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, err := s.apiClaims(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if !s.originAllowed(r) {
			s.writeError(w, r, coinop.Errorf(coinop.EFORBIDDEN, "origin not allowed"))
			return
		}
		if !websocket.IsWebSocketUpgrade(r) {
			s.writeError(w, r, coinop.Errorf(coinop.EINVALID, "expected a WebSocket upgrade"))
			return
		}
		conn, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return // the upgrader has answered
		}
		// Return from the handler so net/http frees its buffers for this
		// connection; the socket lives on in its own goroutines.
		go s.ticker.serve(conn, claims)
	})
}

// maintain asks each client's writer for a ping when one is due and closes
// sockets whose token expired, once a second: the writers wait on no timer.
func (h *TickerHub) maintain() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case now := <-t.C:
			h.each(func(c *tickerClient) { c.due(now) })
		}
	}
}
