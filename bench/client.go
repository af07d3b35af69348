package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// handshakeTimeout bounds one client's TCP connect and WebSocket upgrade.
const handshakeTimeout = 10 * time.Second

// prefixLen is how much of each frame a client reads into its buffer; the
// seq stands in the first few dozen bytes, the rest is discarded.
const prefixLen = 128

// newDialer returns a dialer for many cheap clients: small read buffers,
// pooled write buffers (clients only write control frames), no proxy.
func newDialer() *websocket.Dialer {
	return &websocket.Dialer{
		HandshakeTimeout: handshakeTimeout,
		ReadBufferSize:   512,
		WriteBufferSize:  128,
		WriteBufferPool:  &sync.Pool{},
	}
}

// client is one ticker WebSocket and what it received in the window. Its
// reader goroutine owns every field but conn once dialing is over.
type client struct {
	conn      *websocket.Conn
	frames    int64  // ticker frames received in the window
	missed    int64  // seqs skipped (seq jumps) in the window
	reordered int64  // frames whose seq was not above the previous one
	last      uint64 // newest seq received
	err       error  // why the socket ended before the tool closed it
	buf       [prefixLen]byte
}

// dial opens the client's socket.
func (c *client) dial(ctx context.Context, d *websocket.Dialer, url string, hdr http.Header) error {
	conn, resp, err := d.DialContext(ctx, url, hdr)
	if err != nil {
		if resp != nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
			return fmt.Errorf("%w: HTTP %s %s", err, resp.Status, strings.TrimSpace(string(body)))
		}
		return err
	}
	c.conn = conn
	return nil
}

// readLoop reads frames until the socket ends, timing each one as soon as
// its header arrives and parsing only its seq.
func (c *client) readLoop(r *run) error {
	for {
		_, rd, err := c.conn.NextReader()
		if err != nil {
			return err
		}
		t := r.now()
		n, err := c.readPrefix(rd)
		if err != nil {
			return err
		}
		if seq, ok := ParseSeq(c.buf[:n]); ok {
			r.sawSeq(seq)
			c.observe(seq, t, r.win.Load())
		}
	}
}

// readPrefix reads the frame's first bytes into buf and discards the rest.
func (c *client) readPrefix(rd io.Reader) (int, error) {
	n, err := io.ReadFull(rd, c.buf[:])
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return n, nil
	}
	if err != nil {
		return n, err
	}
	var scratch [prefixLen]byte
	for {
		_, err := rd.Read(scratch[:])
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// observe counts a frame of seq received at t, if t is inside w.
func (c *client) observe(seq uint64, t int64, w *window) {
	if w != nil && w.contains(t) {
		c.frames++
		switch {
		case c.last > 0 && seq > c.last+1:
			c.missed += int64(seq - c.last - 1)
		case seq <= c.last:
			c.reordered++
		}
		w.record(seq, t)
	}
	c.last = max(c.last, seq)
}
