package socketio

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// ErrClosed: the socket or its session ended.
var ErrClosed = errors.New("socket.io: closed")

// closeGrace is how long a session that says goodbye (a close packet) may
// take to deliver it before it is dropped.
const closeGrace = 2 * time.Second

// session is one Engine.IO connection: a queue of packets for the client,
// written by whichever transport holds the session (a polling GET, or the
// WebSocket's writer), and the client's packets, handled one at a time.
type session struct {
	srv *Server
	id  string
	req *http.Request // the handshake request

	mu        sync.Mutex
	queue     []*outPacket
	ws        *websocket.Conn // the transport once on a WebSocket
	upgrading bool            // probed; polling answers noop
	polling   bool            // a GET waits
	closing   bool            // a final close packet is queued
	closed    bool
	sockets   map[string]*Socket // by namespace
	joined    bool               // a namespace was connected once
	addr      string             // the client's address (Server.MaxWaiting counts the session under it until it joins)

	wake chan struct{} // a packet was queued, or the transport changes
	pong chan struct{}
	done chan struct{} // closed when the session ends

	in   sync.Mutex // one received packet at a time
	skip int        // binary attachments left to drop (under in)
}

// outPacket is a queued packet; done, if set, gets the write's outcome.
type outPacket struct {
	p     eioPacket
	final bool // the session ends once it is written
	done  chan error
	taken bool
}

func newSession(srv *Server, id string, r *http.Request, addr string) *session {
	req := r.Clone(context.Background())
	req.Body = http.NoBody
	return &session{srv: srv, id: id, req: req, addr: addr, sockets: map[string]*Socket{},
		wake: make(chan struct{}, 1), pong: make(chan struct{}, 1), done: make(chan struct{})}
}

// enqueue queues p for the client. With wait, the returned packet's done
// channel reports the write.
func (s *session) enqueue(p eioPacket, wait bool) (*outPacket, error) {
	op := &outPacket{p: p}
	if wait {
		op.done = make(chan error, 1)
	}
	s.mu.Lock()
	if s.closed || s.closing {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	s.queue = append(s.queue, op)
	s.mu.Unlock()
	s.signal()
	return op, nil
}

// signal wakes the transport's writer.
func (s *session) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// takeLocked removes up to n packets from the queue for writing, and at
// most about maxBytes of them (at least one). s.mu is held.
func (s *session) takeLocked(n int, maxBytes int64) []*outPacket {
	var size int64
	i := 0
	for i < len(s.queue) && i < n {
		size += int64(len(s.queue[i].p.data)) + 2
		if i > 0 && size > maxBytes {
			break
		}
		s.queue[i].taken = true
		i++
	}
	out := s.queue[:i:i]
	s.queue = append([]*outPacket(nil), s.queue[i:]...)
	return out
}

// cancel takes back a packet not yet written; false once a transport took it.
func (s *session) cancel(op *outPacket) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if op.taken {
		return false
	}
	for i, q := range s.queue {
		if q == op {
			s.queue = append(s.queue[:i], s.queue[i+1:]...)
			break
		}
	}
	return true
}

// written reports the write of taken packets; a failed write or a final
// packet ends the session.
func (s *session) written(ops []*outPacket, err error) {
	final := false
	for _, op := range ops {
		if op.done != nil {
			op.done <- err
		}
		final = final || op.final
	}
	switch {
	case err != nil:
		s.terminate("write failed")
	case final:
		s.terminate("closed by the server")
	}
}

// finish says goodbye: a close packet after what is queued, then the end
// (at the latest after closeGrace).
func (s *session) finish(reason string) {
	s.mu.Lock()
	if s.closed || s.closing {
		s.mu.Unlock()
		return
	}
	s.closing = true
	s.queue = append(s.queue, &outPacket{p: eioPacket{typ: eioClose}, final: true})
	s.mu.Unlock()
	s.signal()
	s.srv.Log.Debug("socket.io session closing", "sid", s.id, "reason", reason)
	time.AfterFunc(closeGrace, func() { s.terminate(reason) })
}

// terminate ends the session at once: queued packets fail, the transport
// closes, every socket ends.
func (s *session) terminate(reason string) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	queued, ws := s.queue, s.ws
	s.queue = nil
	socks := make([]*Socket, 0, len(s.sockets))
	for _, sock := range s.sockets {
		socks = append(socks, sock)
	}
	clear(s.sockets)
	close(s.done)
	waiting := !s.joined
	s.mu.Unlock()
	if waiting {
		s.srv.joinedOrGone(s.addr)
	}
	for _, op := range queued {
		if op.done != nil {
			op.done <- ErrClosed
		}
	}
	if ws != nil {
		ws.Close()
	}
	for _, sock := range socks {
		sock.end(reason)
	}
	s.srv.remove(s)
	s.srv.Log.Debug("socket.io session ended", "sid", s.id, "reason", reason)
}

// heartbeat pings every PingInterval and ends the session when a pong does
// not come within PingTimeout; it also closes a session that joined no
// namespace within ConnectTimeout.
func (s *session) heartbeat() {
	join := time.NewTimer(s.srv.ConnectTimeout)
	defer join.Stop()
	tick := time.NewTimer(s.srv.PingInterval)
	defer tick.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-join.C:
			if !s.hasJoined() {
				s.finish("no namespace joined in time")
			}
			continue
		case <-tick.C:
		}
		select {
		case <-s.pong: // a stale one
		default:
		}
		if _, err := s.enqueue(eioPacket{typ: eioPing}, false); err != nil {
			return
		}
		wait := time.NewTimer(s.srv.PingTimeout)
		select {
		case <-s.pong:
			wait.Stop()
		case <-wait.C:
			s.terminate("ping timeout")
			return
		case <-s.done:
			wait.Stop()
			return
		}
		tick.Reset(s.srv.PingInterval)
	}
}

func (s *session) hasJoined() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.joined
}

// receive handles one packet from the client; s.in is held. An error is a
// protocol violation: the caller ends the session.
func (s *session) receive(p eioPacket) error {
	switch p.typ {
	case eioPong:
		select {
		case s.pong <- struct{}{}:
		default:
		}
	case eioPing: // not sent by v4 clients but for the probe; answered anyway
		s.enqueue(eioPacket{typ: eioPong, data: p.data}, false)
	case eioMessage:
		if p.binary {
			if s.skip > 0 {
				s.skip--
			}
			return nil
		}
		return s.onMessage(p.data)
	case eioClose:
		s.terminate("closed by the client")
	case eioNoop:
	default:
		return errBadPacket
	}
	return nil
}

// receiveAll handles a batch of the client's packets in order.
func (s *session) receiveAll(ps []eioPacket) {
	s.in.Lock()
	defer s.in.Unlock()
	for _, p := range ps {
		if err := s.receive(p); err != nil {
			s.srv.Log.Info("socket.io protocol error", "sid", s.id, "err", err)
			s.terminate("protocol error")
			return
		}
	}
}

// transport names the transport the session writes on.
func (s *session) transport() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ws != nil {
		return "websocket"
	}
	return "polling"
}
