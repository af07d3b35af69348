package socketio

import (
	"bytes"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
)

// upgrade moves a polling session to a WebSocket: probe (2probe → 3probe),
// a noop ends the waiting poll, then the client's upgrade packet (5).
func (s *session) upgrade(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	busy := s.closed || s.ws != nil || s.upgrading
	s.mu.Unlock()
	if busy {
		s.srv.Error(w, r, http.StatusBadRequest, "session closed, upgraded or upgrading")
		return
	}
	conn, err := s.srv.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	conn.SetReadLimit(s.srv.MaxPayload)
	expect := func(want string) bool {
		conn.SetReadDeadline(time.Now().Add(s.srv.PingTimeout))
		mt, data, err := conn.ReadMessage()
		return err == nil && mt == websocket.TextMessage && string(data) == want
	}
	fail := func() {
		s.mu.Lock()
		s.upgrading = false
		s.mu.Unlock()
		conn.Close()
	}
	if !expect(string(eioPing) + "probe") {
		conn.Close()
		return
	}
	conn.SetWriteDeadline(time.Now().Add(s.srv.PingTimeout))
	if conn.WriteMessage(websocket.TextMessage, []byte(string(eioPong)+"probe")) != nil {
		conn.Close()
		return
	}
	s.mu.Lock()
	s.upgrading = true
	s.mu.Unlock()
	s.signal() // a waiting poll answers noop
	if !expect(string(eioUpgrade)) {
		fail()
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		conn.Close()
		return
	}
	s.upgrading, s.ws = false, conn
	s.mu.Unlock()
	s.signal()
	go s.writeWS(conn)
	s.readWS(conn)
}

// attach makes conn the transport of a session opened on it.
func (s *session) attach(conn *websocket.Conn) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		conn.Close()
		return
	}
	s.ws = conn
	s.mu.Unlock()
	conn.SetReadLimit(s.srv.MaxPayload)
	go s.writeWS(conn)
	s.readWS(conn)
}

// writeWS writes queued packets, one frame each, until the session ends.
func (s *session) writeWS(conn *websocket.Conn) {
	for {
		s.mu.Lock()
		closed := s.closed
		var ops []*outPacket
		if !closed {
			ops = s.takeLocked(len(s.queue), 1<<62)
		}
		s.mu.Unlock()
		if closed {
			return
		}
		if len(ops) == 0 {
			select {
			case <-s.wake:
			case <-s.done:
			}
			continue
		}
		var err error
		for _, op := range ops {
			conn.SetWriteDeadline(time.Now().Add(s.srv.PingTimeout))
			if op.p.binary {
				err = conn.WriteMessage(websocket.BinaryMessage, op.p.data)
			} else {
				err = conn.WriteMessage(websocket.TextMessage, op.p.encode())
			}
			if err != nil {
				break
			}
		}
		s.written(ops, err)
	}
}

// readWS reads the client's packets until the connection ends.
func (s *session) readWS(conn *websocket.Conn) {
	for {
		// The heartbeat decides; this only backs it up.
		conn.SetReadDeadline(time.Now().Add(s.srv.PingInterval + 2*s.srv.PingTimeout))
		mt, data, err := conn.ReadMessage()
		if err != nil {
			s.terminate("transport closed")
			return
		}
		p := eioPacket{typ: eioMessage, data: data, binary: true}
		if mt == websocket.TextMessage {
			if p, err = decodeEIO(bytes.Clone(data)); err != nil {
				s.terminate("malformed packet")
				return
			}
		}
		s.receiveAll([]eioPacket{p})
	}
}
