package http

import (
	"context"
	"encoding/json"
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

// tickFrame is one tick encoded once for every client.
type tickFrame struct {
	seq uint64
	msg *websocket.PreparedMessage
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

	open          atomic.Int64
	sent, dropped atomic.Uint64
	tickSeconds   *metrics.Histogram
}

func newTickerHub(opts TickerOptions, reg *metrics.Registry, log *slog.Logger) *TickerHub {
	opts.defaults()
	h := &TickerHub{opts: opts, log: log, set: map[*tickerClient]struct{}{}}
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
	pm, err := websocket.NewPreparedMessage(websocket.TextMessage, frame)
	if err != nil {
		h.log.Error("encoding tick", "err", err)
		return
	}
	h.latest.Store(&tickFrame{seq: t.Seq, msg: pm})
	for _, c := range *h.clients.Load() {
		select {
		case c.notify <- struct{}{}:
		default: // already signalled; it will take the newest frame
		}
	}
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
		s.ticker.serve(conn, claims)
	})
}

// tickerClient is one ticker socket: a reader goroutine, and the writer,
// which is the only goroutine that writes data frames.
type tickerClient struct {
	hub      *TickerHub
	conn     *websocket.Conn
	claims   coinop.Claims
	notify   chan struct{}   // a newer tick exists
	pongs    chan struct{}   // the client sent {"type":"ping"}
	closing  chan closeFrame // the server wants this socket closed
	readDone chan struct{}
	deadline time.Time // when the write deadline was last moved
}

type closeFrame struct {
	code   int
	reason string
}

func (c *tickerClient) requestClose(code int, reason string) {
	select {
	case c.closing <- closeFrame{code, reason}:
	default:
	}
}

func (h *TickerHub) serve(conn *websocket.Conn, claims coinop.Claims) {
	c := &tickerClient{
		hub: h, conn: conn, claims: claims,
		notify: make(chan struct{}, 1), pongs: make(chan struct{}, 8),
		closing: make(chan closeFrame, 1), readDone: make(chan struct{}),
	}
	if !h.add(c) {
		conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down"), time.Now().Add(time.Second))
		conn.Close()
		return
	}
	defer h.remove(c)
	setSendBuffer(conn.NetConn(), h.opts.SendBuffer)
	conn.SetReadLimit(h.opts.ReadLimit)
	go c.readLoop()
	c.writeLoop()
}

// readLoop answers pings and watches liveness; anything else is ignored.
func (c *tickerClient) readLoop() {
	defer close(c.readDone)
	o := c.hub.opts
	alive := func() { c.conn.SetReadDeadline(time.Now().Add(o.PingInterval + o.PongWait)) }
	alive()
	c.conn.SetPongHandler(func(string) error { alive(); return nil })
	var msg struct {
		Type string `json:"type"`
	}
	for {
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		alive()
		msg.Type = ""
		if json.Unmarshal(data, &msg) == nil && msg.Type == "ping" {
			select {
			case c.pongs <- struct{}{}:
			default: // a flood of pings gets fewer pongs
			}
		}
	}
}

var pongFrame = []byte(`{"type":"pong"}`)

// writeLoop sends the welcome, the snapshot, then every tick it can.
func (c *tickerClient) writeLoop() {
	defer c.conn.Close()
	h := c.hub
	ping := time.NewTicker(h.opts.PingInterval)
	defer ping.Stop()
	expiry := time.NewTimer(time.Until(c.claims.ExpiresAt))
	defer expiry.Stop()

	welcome, _ := json.Marshal(map[string]string{"type": "welcome", "user_id": c.claims.Subject})
	if c.write(websocket.TextMessage, welcome) != nil {
		return
	}
	var last uint64
	sendLatest := func() error {
		f := h.latest.Load()
		if f == nil || f.seq <= last {
			return nil
		}
		if last > 0 && f.seq > last+1 {
			h.dropped.Add(f.seq - last - 1)
		}
		c.extendDeadline()
		if err := c.conn.WritePreparedMessage(f.msg); err != nil {
			return err
		}
		last = f.seq
		h.sent.Add(1)
		return nil
	}
	if sendLatest() != nil { // the snapshot
		return
	}
	for {
		var err error
		select {
		case <-c.notify:
			err = sendLatest()
		case <-c.pongs:
			err = c.write(websocket.TextMessage, pongFrame)
		case <-ping.C:
			err = c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(h.opts.WriteTimeout))
		case <-expiry.C:
			c.close(closeFrame{CloseTokenExpired, "token expired"})
			return
		case cf := <-c.closing:
			c.close(cf)
			return
		case <-c.readDone:
			return
		}
		if err != nil {
			h.log.Debug("ticker client dropped", "user", c.claims.Subject, "err", err)
			return
		}
	}
}

func (c *tickerClient) write(typ int, data []byte) error {
	c.extendDeadline()
	return c.conn.WriteMessage(typ, data)
}

// extendDeadline keeps the write deadline between 0.9 and 1 WriteTimeout
// ahead, moving it at most ten times per WriteTimeout rather than on every
// frame.
func (c *tickerClient) extendDeadline() {
	now := time.Now()
	if now.Sub(c.deadline) < c.hub.opts.WriteTimeout/10 {
		return
	}
	c.deadline = now
	c.conn.SetWriteDeadline(now.Add(c.hub.opts.WriteTimeout))
}

// close sends a close frame and waits briefly for the client's answer.
func (c *tickerClient) close(cf closeFrame) {
	c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(cf.code, cf.reason), time.Now().Add(time.Second))
	select {
	case <-c.readDone:
	case <-time.After(time.Second):
	}
}
