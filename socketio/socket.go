package socketio

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
)

// Handler receives the events of one socket.
type Handler interface {
	// OnEvent is one event of the client, with its arguments as JSON. A
	// socket's events come one at a time, in the order sent.
	OnEvent(name string, args []json.RawMessage)
	// OnDisconnect is called once, when the socket ends, with the reason.
	OnDisconnect(reason string)
}

// Socket is a client's connection to one namespace.
type Socket struct {
	sess    *session
	ns, id  string
	handler Handler
	ready   chan struct{} // closed once CONNECT is queued
	ended   chan struct{}
	endOnce sync.Once
}

// Namespace is the socket's namespace, e.g. "/arcade".
func (s *Socket) Namespace() string { return s.ns }

// ID is the socket's id (the sid of the CONNECT answer).
func (s *Socket) ID() string { return s.id }

// Request is the request that opened the session (headers, remote
// address, query); its body is gone.
func (s *Socket) Request() *http.Request { return s.sess.req }

// Transport is "polling" or "websocket", as of now.
func (s *Socket) Transport() string { return s.sess.transport() }

// Done is closed when the socket ends.
func (s *Socket) Done() <-chan struct{} { return s.ended }

// Emit sends the event name with args (each encoded as JSON; a
// json.RawMessage as is) and returns once a transport wrote it, or with
// the error that prevented it: ErrClosed, or ctx's (the event is then
// taken back if no transport took it yet).
func (s *Socket) Emit(ctx context.Context, name string, args ...any) error {
	select {
	case <-s.ready:
	case <-s.ended:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	data, err := json.Marshal(append([]any{name}, args...))
	if err != nil {
		return err
	}
	pkt := sioPacket{typ: sioEvent, namespace: s.ns, data: data}
	op, err := s.sess.enqueue(eioPacket{typ: eioMessage, data: pkt.encode()}, true)
	if err != nil {
		return err
	}
	select {
	case err := <-op.done:
		return err
	case <-ctx.Done():
		if s.sess.cancel(op) {
			return ctx.Err()
		}
		select { // taken: the writer reports soon (its write has a deadline)
		case err := <-op.done:
			return err
		case <-s.sess.done:
			return ErrClosed
		}
	}
}

// Disconnect ends the socket: the client gets DISCONNECT and, when the
// session is left in no namespace, a close packet (a Socket.IO client does
// not reconnect after either).
func (s *Socket) Disconnect() {
	if !s.sess.detach(s) {
		return
	}
	s.sess.sendSIO(sioPacket{typ: sioDisconnect, namespace: s.ns})
	s.end("disconnected by the server")
	if s.sess.empty() {
		s.sess.finish("no namespace left")
	}
}

// Drop ends the socket's whole session at once, with no packet: the
// client sees its transport close and reconnects (e.g. to another
// instance, at shutdown).
func (s *Socket) Drop() { s.sess.terminate("dropped by the server") }

func (s *Socket) end(reason string) {
	s.endOnce.Do(func() {
		close(s.ended)
		if s.handler != nil {
			s.handler.OnDisconnect(reason)
		}
	})
}

var errNoHandler = errors.New("namespace refused")

// onMessage handles a Socket.IO packet of the client.
func (s *session) onMessage(data []byte) error {
	p, err := decodeSIO(data)
	if err != nil {
		return err
	}
	switch p.typ {
	case sioConnect:
		s.connect(p)
	case sioEvent:
		sock := s.socketOf(p.namespace)
		if sock == nil {
			return nil // not connected there: dropped
		}
		name, args, err := eventArgs(p.data)
		if err != nil {
			return err
		}
		sock.handler.OnEvent(name, args)
		if p.hasID {
			s.sendSIO(sioPacket{typ: sioAck, namespace: p.namespace, id: p.id, hasID: true, data: []byte("[]")})
		}
	case sioDisconnect:
		if sock := s.socketOf(p.namespace); sock != nil && s.detach(sock) {
			sock.end("disconnected by the client")
		}
	case sioBinaryEvent, sioBinaryAck:
		s.skip += p.attachments // not supported: dropped with its attachments
	case sioAck: // the server asks for none
	default:
		return errBadSIO
	}
	return nil
}

// connect answers a CONNECT: Server.Connect decides.
func (s *session) connect(p sioPacket) {
	if s.socketOf(p.namespace) != nil {
		return // already connected there
	}
	sock := &Socket{sess: s, ns: p.namespace, id: newID(), ready: make(chan struct{}), ended: make(chan struct{})}
	var h Handler
	err := errNoHandler
	if s.srv.Connect != nil {
		h, err = s.srv.Connect(sock, p.data)
	}
	if err == nil && h == nil {
		err = errNoHandler
	}
	if err != nil {
		msg, _ := json.Marshal(map[string]string{"message": err.Error()})
		s.sendSIO(sioPacket{typ: sioConnectError, namespace: p.namespace, data: msg})
		sock.end("refused")
		return
	}
	sock.handler = h
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		sock.end("session closed")
		return
	}
	first := !s.joined
	s.sockets[p.namespace], s.joined = sock, true
	s.mu.Unlock()
	if first {
		s.srv.joinedOrGone(s.addr)
	}
	sid, _ := json.Marshal(map[string]string{"sid": sock.id})
	s.sendSIO(sioPacket{typ: sioConnect, namespace: p.namespace, data: sid})
	close(sock.ready)
}

func (s *session) sendSIO(p sioPacket) {
	s.enqueue(eioPacket{typ: eioMessage, data: p.encode()}, false)
}

func (s *session) socketOf(ns string) *Socket {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sockets[ns]
}

// detach removes sock from the session; false if it was not there.
func (s *session) detach(sock *Socket) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sockets[sock.ns] != sock {
		return false
	}
	delete(s.sockets, sock.ns)
	return true
}

func (s *session) empty() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sockets) == 0
}
