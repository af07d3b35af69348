package http

import (
	"context"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// socketSet tracks the WebSockets that have no hub of their own (events,
// the demo's screens), so that shutdown closes them with 1001 too.
type socketSet struct {
	mu     sync.Mutex
	conns  map[*websocket.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// add tracks c; false if the server is shutting down (c is then closed).
func (s *socketSet) add(c *websocket.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		goingAway(c)
		return false
	}
	if s.conns == nil {
		s.conns = map[*websocket.Conn]struct{}{}
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	return true
}

func (s *socketSet) remove(c *websocket.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.conns[c]; ok {
		delete(s.conns, c)
		s.wg.Done()
	}
}

// shutdown closes every socket with 1001.
func (s *socketSet) shutdown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for c := range s.conns {
		goingAway(c)
	}
}

func (s *socketSet) wait(ctx context.Context) {
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// goingAway sends close 1001 and closes the connection.
func goingAway(c *websocket.Conn) {
	c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down"), time.Now().Add(time.Second))
	c.Close()
}
