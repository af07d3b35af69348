package socketio

import (
	"io"
	"net/http"
	"time"
)

// poll answers a GET with the queued packets, waiting for some if there
// are none (a ping comes every PingInterval).
func (s *session) poll(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	switch {
	case s.closed:
		s.mu.Unlock()
		s.srv.Error(w, r, http.StatusBadRequest, "session closed")
		return
	case s.ws != nil:
		s.mu.Unlock()
		s.srv.Error(w, r, http.StatusBadRequest, "the session was upgraded to a WebSocket")
		return
	case s.polling:
		s.mu.Unlock()
		s.srv.Error(w, r, http.StatusBadRequest, "duplicate poll")
		s.terminate("duplicate poll")
		return
	}
	s.polling = true
	s.mu.Unlock()
	defer func() { s.mu.Lock(); s.polling = false; s.mu.Unlock() }()
	limit := time.NewTimer(s.srv.PingInterval + s.srv.PingTimeout)
	defer limit.Stop()
	for {
		s.mu.Lock()
		closed, upgrading := s.closed, s.upgrading || s.ws != nil
		var ops []*outPacket
		if !closed && !upgrading {
			ops = s.takeLocked(maxPollPackets, s.srv.MaxPayload)
		}
		s.mu.Unlock()
		switch {
		case closed:
			s.srv.Error(w, r, http.StatusBadRequest, "session closed")
			return
		case upgrading: // end this poll: the WebSocket takes over
			writePolling(w, []byte{eioNoop})
			return
		case len(ops) > 0:
			ps := make([]eioPacket, len(ops))
			for i, op := range ops {
				ps[i] = op.p
			}
			http.NewResponseController(w).SetWriteDeadline(time.Now().Add(s.srv.PingTimeout))
			s.written(ops, writePolling(w, encodePayload(ps)))
			return
		}
		select {
		case <-s.wake:
		case <-s.done:
		case <-limit.C:
			writePolling(w, []byte{eioNoop})
			return
		case <-r.Context().Done():
			return
		}
	}
}

// post reads the client's packets.
func (s *session) post(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	closed, upgraded := s.closed, s.ws != nil
	s.mu.Unlock()
	if closed || upgraded {
		s.srv.Error(w, r, http.StatusBadRequest, "session closed or upgraded")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, s.srv.MaxPayload+1))
	if err != nil {
		s.srv.Error(w, r, http.StatusBadRequest, "unreadable body")
		return
	}
	if int64(len(body)) > s.srv.MaxPayload {
		s.srv.Error(w, r, http.StatusRequestEntityTooLarge, "payload over maxPayload")
		s.terminate("payload too large")
		return
	}
	ps, err := decodePayload(body)
	if err != nil {
		s.srv.Error(w, r, http.StatusBadRequest, "malformed payload")
		s.terminate("malformed payload")
		return
	}
	s.receiveAll(ps)
	writePolling(w, []byte("ok"))
}
