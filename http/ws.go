package http

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/gorilla/websocket"
)

// Close codes coinop sends on its WebSockets, beside the standard 1001
// (server shutting down) and 1009 (message too big).
const (
	CloseTokenExpired = 4401 // the token expired: get a new one and reconnect
	CloseKeyRevoked   = 4403 // the API key was revoked: do not reconnect with it
	CloseReplaced     = 4409 // a newer connection of the same client replaced this one
)

// upgrader is shared by every WebSocket endpoint. Origins are checked
// before the upgrade (originAllowed), so CheckOrigin admits all here.
var upgrader = websocket.Upgrader{
	ReadBufferSize:  1024,
	WriteBufferSize: 1024,
	WriteBufferPool: &sync.Pool{},
	CheckOrigin:     func(*http.Request) bool { return true },
}

// originAllowed admits requests without an Origin (non-browser clients),
// same-origin requests and origins in the allow list.
func (s *Server) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	return s.originListed(origin)
}

// setSendBuffer bounds the kernel's send buffer of a socket, so a client
// that stops reading is noticed by the write deadline instead of hiding
// behind megabytes of buffer.
func setSendBuffer(c net.Conn, n int) {
	if tc, ok := c.(*net.TCPConn); ok && n > 0 {
		_ = tc.SetWriteBuffer(n)
	}
}
