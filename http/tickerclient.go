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
// wakes the writer. The writer is the only goroutine that writes, so it
// writes pre-framed bytes straight to the socket: a tick costs one write.
type tickerClient struct {
	hub     *TickerHub
	conn    *websocket.Conn // for reading
	raw     net.Conn        // for writing
	claims  coinop.Claims
	notify  chan struct{}   // wake the writer
	closing chan closeFrame // the server wants this socket closed
	done    chan struct{}   // the reader has stopped

	pongs    atomic.Int32           // {"type":"pong"} owed
	ctrlPong atomic.Pointer[[]byte] // a control ping's payload to echo
	pingDue  atomic.Bool            // the server should ping now
	nextPing atomic.Int64           // Unix ns of the next ping (maintain)
	deadline time.Time              // when the write deadline was last moved (writer)
	_        [0]func()              // not comparable by value
}

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

// writeLoop sends the welcome, the snapshot, then every tick it can.
func (c *tickerClient) writeLoop() {
	defer c.raw.Close()
	welcome, _ := json.Marshal(map[string]string{"type": "welcome", "user_id": c.claims.Subject})
	var last uint64
	if c.write(wsFrame(opText, welcome)) != nil || c.sendLatest(&last) != nil {
		return
	}
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
		if err := c.flush(&last); err != nil {
			c.hub.log.Debug("ticker client dropped", "user", c.claims.Subject, "err", err)
			return
		}
	}
}

// flush writes whatever the client is owed: pongs, a ping, the newest tick.
func (c *tickerClient) flush(last *uint64) error {
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
	return c.sendLatest(last)
}

// sendLatest writes the newest tick if the client has not had it, counting
// the ticks it skipped.
func (c *tickerClient) sendLatest(last *uint64) error {
	h := c.hub
	f := h.latest.Load()
	if f == nil || f.seq <= *last {
		return nil
	}
	if *last > 0 && f.seq > *last+1 {
		h.dropped.Add(f.seq - *last - 1)
	}
	if err := c.write(f.wire); err != nil {
		return err
	}
	*last = f.seq
	h.sent.Add(1)
	return nil
}

// write writes one whole frame. The deadline moves at most ten times per
// WriteTimeout: a client that takes nothing for that long is dropped.
func (c *tickerClient) write(frame []byte) error {
	if now := time.Now(); now.Sub(c.deadline) >= c.hub.opts.WriteTimeout/10 {
		c.deadline = now
		c.raw.SetWriteDeadline(now.Add(c.hub.opts.WriteTimeout))
	}
	_, err := c.raw.Write(frame)
	return err
}

// close sends a close frame and waits briefly for the client's answer.
func (c *tickerClient) close(cf closeFrame) {
	c.raw.SetWriteDeadline(time.Now().Add(time.Second))
	c.raw.Write(wsFrame(opClose, closePayload(cf.code, cf.reason)))
	select {
	case <-c.done:
	case <-time.After(time.Second):
	}
}
