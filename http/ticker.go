package http

import (
	"context"
	"log/slog"
	"net/http"
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
}

// tickFrame is one tick, framed once for every client.
type tickFrame struct {
	seq  uint64
	wire []byte
}

// TickerHub fans each tick out to every ticker client. Publishing never
// blocks: each client holds only a wake-up signal and, when it writes, takes
// the newest frame, so a slow client skips ticks (coalescing) and never
// delays the others.
type TickerHub struct {
	opts TickerOptions
	log  *slog.Logger

	latest  atomic.Pointer[tickFrame]
	clients atomic.Pointer[[]*tickerClient] // copy-on-write snapshot for Publish

	mu     sync.Mutex
	set    map[*tickerClient]struct{}
	closed bool
	wg     sync.WaitGroup
	stop   chan struct{} // ends maintain

	open          atomic.Int64
	sent, dropped atomic.Uint64
	tickSeconds   *metrics.Histogram
}

func newTickerHub(opts TickerOptions, reg *metrics.Registry, log *slog.Logger) *TickerHub {
	opts.defaults()
	h := &TickerHub{opts: opts, log: log, set: map[*tickerClient]struct{}{}, stop: make(chan struct{})}
	go h.maintain()
	h.clients.Store(&[]*tickerClient{})
	reg.NewGaugeFunc("coinop_ws_connections_open", "Open ticker WebSocket connections.", func() float64 { return float64(h.open.Load()) })
	reg.NewCounterFunc("coinop_ticker_frames_sent_total", "Ticker frames written to clients.", func() float64 { return float64(h.sent.Load()) })
	reg.NewCounterFunc("coinop_ticker_frames_dropped_total", "Ticker frames a slow client skipped (coalesced).", func() float64 { return float64(h.dropped.Load()) })
	h.tickSeconds = reg.NewHistogram("coinop_ticker_tick_seconds", "Time to produce and publish one tick.",
		[]float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025})
	return h
}

// Publish makes frame the newest tick and wakes every client.
func (h *TickerHub) Publish(t coinop.Tick, frame []byte) {
	h.latest.Store(&tickFrame{seq: t.Seq, wire: wsFrame(opText, frame)})
	for _, c := range *h.clients.Load() {
		c.signal() // a client already signalled takes the newest frame
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
	for _, c := range *h.clients.Load() {
		if c.claims.KeyID == keyID {
			c.requestClose(CloseKeyRevoked, "API key revoked")
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
	for _, c := range *h.clients.Load() {
		c.requestClose(websocket.CloseGoingAway, "server shutting down")
	}
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

func (h *TickerHub) add(c *tickerClient) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.set[c] = struct{}{}
	h.wg.Add(1)
	h.open.Add(1)
	h.snapshot()
	return true
}

func (h *TickerHub) remove(c *tickerClient) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.set, c)
	h.snapshot()
	h.open.Add(-1)
	h.wg.Done()
}

func (h *TickerHub) snapshot() {
	list := make([]*tickerClient, 0, len(h.set))
	for c := range h.set {
		list = append(list, c)
	}
	h.clients.Store(&list)
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
			for _, c := range *h.clients.Load() {
				c.due(now)
			}
		}
	}
}
