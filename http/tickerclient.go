package http

import (
	"encoding/json"
	"io"
	"net"
	"sync/atomic"
	"time"

	"github.com/coinop/coinop"
	"github.com/gorilla/websocket"
)

// tickerClient is one ticker socket. The reader goroutine only reads: it
// never writes, even to answer a ping or a close, but leaves a note and
// wakes the writer goroutine. Ticks are written by the client's shard
// (offer) while the socket takes them at once; everything else, and any
// tick the socket could not take at once, by the writer. Exactly one of the
// two writes at a time (own), so frames never interleave on the wire.
type tickerClient struct {
	hub     *TickerHub
	shard   *tickerShard    // guarded by TickerHub.mu
	conn    *websocket.Conn // for reading
	raw     net.Conn        // for the writer's writes
	claims  coinop.Claims
	notify  chan struct{}   // wake the writer
	closing chan closeFrame // the server wants this socket closed
	done    chan struct{}   // the reader has stopped

	own atomic.Int32 // ownNone, ownShard or ownWriter
	// Only the owner (own) touches these.
	last uint64    // seq of the newest tick written or begun
	rest []byte    // the unwritten end of a tick the shard began
	nb   nbWriter  // the shard's non-blocking writes
	dl   time.Time // when the writer last moved the write deadline; zero: none set

	pongs    atomic.Int32           // {"type":"pong"} owed
	ctrlPong atomic.Pointer[[]byte] // a control ping's payload to echo
	pingDue  atomic.Bool            // the server should ping now
	nextPing atomic.Int64           // Unix ns of the next ping (maintain)
	_        [0]func()              // not comparable by value
}

// Who may write to a ticker socket.
const (
	ownNone   int32 = iota // nobody: the shard may take it for one write
	ownShard               // the shard is writing one tick
	ownWriter              // the client's writer goroutine
)

type closeFrame struct {
	code   int
	reason string
}

func (c *tickerClient) signal() {
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

func (c *tickerClient) requestClose(code int, reason string) {
	select {
	case c.closing <- closeFrame{code, reason}:
	default:
	}
}

// due is called by the hub once a second.
func (c *tickerClient) due(now time.Time) {
	if !now.Before(c.claims.ExpiresAt) {
		c.requestClose(CloseTokenExpired, "token expired")
		return
	}
	if now.UnixNano() >= c.nextPing.Load() {
		c.nextPing.Store(now.Add(c.hub.opts.PingInterval).UnixNano())
		c.pingDue.Store(true)
		c.signal()
	}
}

func (h *TickerHub) serve(conn *websocket.Conn, claims coinop.Claims) {
	c := &tickerClient{
		hub: h, conn: conn, raw: conn.NetConn(), claims: claims,
		notify: make(chan struct{}, 1), closing: make(chan closeFrame, 1), done: make(chan struct{}),
	}
	c.own.Store(ownWriter) // until the welcome and the snapshot are out
	c.nb.init(c.raw)
	c.nextPing.Store(time.Now().Add(h.opts.PingInterval).UnixNano())
	if !h.add(c) {
		c.raw.SetWriteDeadline(time.Now().Add(time.Second))
		c.raw.Write(wsFrame(opClose, closePayload(websocket.CloseGoingAway, "server shutting down")))
		c.raw.Close()
		return
	}
	defer h.remove(c)
	setSendBuffer(c.raw, h.opts.SendBuffer)
	conn.SetPingHandler(func(payload string) error {
		p := []byte(payload)
		c.ctrlPong.Store(&p)
		c.signal()
		return nil
	})
	conn.SetCloseHandler(func(code int, _ string) error {
		if code == websocket.CloseNoStatusReceived {
			code = websocket.CloseNormalClosure
		}
		c.requestClose(code, "")
		return nil
	})
	go c.readLoop()
	c.writeLoop()
}

// readLoop answers pings (through the writer) and watches liveness;
// anything else is ignored. A message over the read limit closes with 1009.
func (c *tickerClient) readLoop() {
	defer close(c.done)
	o := c.hub.opts
	alive := func() { c.conn.SetReadDeadline(time.Now().Add(o.PingInterval + o.PongWait)) }
	alive()
	c.conn.SetPongHandler(func(string) error { alive(); return nil })
	var msg struct {
		Type string `json:"type"`
	}
	for {
		_, r, err := c.conn.NextReader()
		if err != nil {
			return
		}
		data, err := io.ReadAll(io.LimitReader(r, o.ReadLimit+1))
		if err != nil {
			return
		}
		if int64(len(data)) > o.ReadLimit {
			c.requestClose(websocket.CloseMessageTooBig, "message too big")
			return
		}
		alive()
		msg.Type = ""
		if json.Unmarshal(data, &msg) == nil && msg.Type == "ping" && c.pongs.Load() < 8 {
			c.pongs.Add(1) // a flood of pings gets fewer pongs
			c.signal()
		}
	}
}

var (
	pongWire = wsFrame(opText, []byte(`{"type":"pong"}`))
	pingWire = wsFrame(opPing, nil)
)

// writeLoop sends the welcome and the snapshot, then whatever the shard
// leaves to it: control frames, and ticks for a socket that could not take
// them at once. It holds the socket only while it writes.
func (c *tickerClient) writeLoop() {
	defer func() {
		c.acquireWait() // and keep it: the shard writes no more
		c.raw.Close()
	}()
	welcome, _ := json.Marshal(map[string]string{"type": "welcome", "user_id": c.claims.Subject})
	if c.write(wsFrame(opText, welcome)) != nil || c.sendLatest() != nil {
		return
	}
	c.yield()
	for {
		select {
		case <-c.notify:
		case cf := <-c.closing:
			c.close(cf)
			return
		case <-c.done:
			select {
			case cf := <-c.closing: // the client closed: answer its close
				c.close(cf)
			default:
			}
			return
		}
		if !c.acquire() {
			continue // the shard is writing; it wakes us again if we are owed anything
		}
		if err := c.flush(); err != nil {
			c.hub.log.Debug("ticker client dropped", "user", c.claims.Subject, "err", err)
			return
		}
		c.yield()
	}
}

// yield ends the writer's turn: it clears the write deadline, which once
// passed would fail the shard's writes too, and releases the socket.
func (c *tickerClient) yield() {
	if !c.dl.IsZero() {
		c.dl = time.Time{}
		c.raw.SetWriteDeadline(time.Time{})
	}
	c.release()
}

// flush writes whatever the client is owed: the rest of a tick the shard
// began, pongs, a ping, the newest tick.
func (c *tickerClient) flush() error {
	if c.rest != nil {
		if err := c.write(c.rest); err != nil {
			return err
		}
		c.rest = nil
		c.hub.sent.Add(1)
	}
	for n := c.pongs.Swap(0); n > 0; n-- {
		if err := c.write(pongWire); err != nil {
			return err
		}
	}
	if p := c.ctrlPong.Swap(nil); p != nil {
		if err := c.write(wsFrame(opPong, *p)); err != nil {
			return err
		}
	}
	if c.pingDue.Swap(false) {
		if err := c.write(pingWire); err != nil {
			return err
		}
	}
	return c.sendLatest()
}

// sendLatest writes the newest tick if the client has not had it.
func (c *tickerClient) sendLatest() error {
	f := c.hub.latest.Load()
	if f == nil || f.seq <= c.last {
		return nil
	}
	c.hub.dropped.Add(c.advance(f.seq))
	if err := c.write(f.wire); err != nil {
		return err
	}
	c.hub.sent.Add(1)
	return nil
}

// advance records that the tick seq is being written and returns how many
// ticks the client skipped.
func (c *tickerClient) advance(seq uint64) uint64 {
	var skipped uint64
	if c.last > 0 && seq > c.last+1 {
		skipped = seq - c.last - 1
	}
	c.last = seq
	return skipped
}

// write writes one whole frame, blocking. The deadline is set at the
// turn's first write and moves at most ten times per WriteTimeout: a client
// that takes nothing for that long is dropped.
func (c *tickerClient) write(frame []byte) error {
	if now := time.Now(); now.Sub(c.dl) >= c.hub.opts.WriteTimeout/10 {
		c.dl = now
		c.raw.SetWriteDeadline(now.Add(c.hub.opts.WriteTimeout))
	}
	_, err := c.raw.Write(frame)
	return err
}

// close sends a close frame and waits briefly for the client's answer.
func (c *tickerClient) close(cf closeFrame) {
	c.acquireWait()
	if c.rest != nil { // finish the frame under way first
		c.raw.SetWriteDeadline(time.Now().Add(time.Second))
		if _, err := c.raw.Write(c.rest); err != nil {
			return
		}
	}
	c.raw.SetWriteDeadline(time.Now().Add(time.Second))
	c.raw.Write(wsFrame(opClose, closePayload(cf.code, cf.reason)))
	select {
	case <-c.done:
	case <-time.After(time.Second):
	}
}
