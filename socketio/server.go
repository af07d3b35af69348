package socketio

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Defaults of the Server's settings (those of the Socket.IO v4 server).
const (
	DefaultPingInterval   = 25 * time.Second
	DefaultPingTimeout    = 20 * time.Second
	DefaultMaxPayload     = 1_000_000
	DefaultConnectTimeout = 45 * time.Second
	DefaultMaxWaiting     = 16
)

// maxPollPackets bounds the packets of one polling response: the Python
// client refuses a body of more than 16.
const maxPollPackets = 16

// Server serves Engine.IO v4 / Socket.IO v5 at one path; mount it on the
// path the clients use (e.g. /socket.io/).
type Server struct {
	// Connect admits a client to a namespace, given the CONNECT packet's
	// auth payload (nil when none); it returns the handler of the socket's
	// events, or an error whose text the client gets in CONNECT_ERROR.
	// Nil refuses every namespace.
	Connect func(s *Socket, auth json.RawMessage) (Handler, error)
	// Error answers a request the server refuses (bad query, unknown
	// session, body too large); nil: plain text.
	Error          func(w http.ResponseWriter, r *http.Request, status int, message string)
	PingInterval   time.Duration // between the server's pings; default 25s
	PingTimeout    time.Duration // for the pong; default 20s
	MaxPayload     int64         // bytes of a POST body or WebSocket message; default 1e6
	ConnectTimeout time.Duration // a session in no namespace by then is closed; default 45s
	// MaxWaiting bounds the sessions of one client address that have not
	// joined a namespace yet (the handshake needs no credential: without a
	// bound, anyone could hold any number of them for ConnectTimeout); past
	// it a new session is refused with 503. Default 16.
	MaxWaiting int
	Log        *slog.Logger // default: discard

	once     sync.Once
	upgrader websocket.Upgrader
	mu       sync.Mutex
	sessions map[string]*session
	waiting  map[string]int // sessions in no namespace yet, by client address
	closed   bool
	wg       sync.WaitGroup
}

func (srv *Server) init() {
	srv.once.Do(func() {
		if srv.PingInterval <= 0 {
			srv.PingInterval = DefaultPingInterval
		}
		if srv.PingTimeout <= 0 {
			srv.PingTimeout = DefaultPingTimeout
		}
		if srv.MaxPayload <= 0 {
			srv.MaxPayload = DefaultMaxPayload
		}
		if srv.ConnectTimeout <= 0 {
			srv.ConnectTimeout = DefaultConnectTimeout
		}
		if srv.MaxWaiting <= 0 {
			srv.MaxWaiting = DefaultMaxWaiting
		}
		if srv.Log == nil {
			srv.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
		}
		if srv.Error == nil {
			srv.Error = func(w http.ResponseWriter, _ *http.Request, status int, msg string) { http.Error(w, msg, status) }
		}
		// Origins are the caller's to check, before ServeHTTP.
		srv.upgrader = websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 1024, CheckOrigin: func(*http.Request) bool { return true }}
		srv.sessions = map[string]*session{}
		srv.waiting = map[string]int{}
	})
}

// ServeHTTP serves one Engine.IO request: a handshake, a poll, a post, or
// a WebSocket (new, or the upgrade of a polling session).
func (srv *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	srv.init()
	q := r.URL.Query()
	if q.Get("EIO") != "4" {
		srv.Error(w, r, http.StatusBadRequest, "unsupported protocol version: EIO=4 is required")
		return
	}
	transport, sid := q.Get("transport"), q.Get("sid")
	if transport != "polling" && transport != "websocket" {
		srv.Error(w, r, http.StatusBadRequest, "transport must be polling or websocket")
		return
	}
	if transport == "websocket" && !websocket.IsWebSocketUpgrade(r) {
		srv.Error(w, r, http.StatusBadRequest, "transport websocket needs a WebSocket upgrade")
		return
	}
	if sid == "" {
		if transport == "polling" && r.Method != http.MethodGet {
			srv.Error(w, r, http.StatusBadRequest, "a session opens with GET")
			return
		}
		srv.open(w, r, transport)
		return
	}
	s := srv.session(sid)
	switch {
	case s == nil:
		srv.Error(w, r, http.StatusBadRequest, "session ID unknown")
	case transport == "websocket":
		s.upgrade(w, r)
	case r.Method == http.MethodGet:
		s.poll(w, r)
	case r.Method == http.MethodPost:
		s.post(w, r)
	default:
		srv.Error(w, r, http.StatusBadRequest, "polling takes GET or POST")
	}
}

// handshake is the open packet's data.
type handshake struct {
	SID          string   `json:"sid"`
	Upgrades     []string `json:"upgrades"`
	PingInterval int64    `json:"pingInterval"`
	PingTimeout  int64    `json:"pingTimeout"`
	MaxPayload   int64    `json:"maxPayload"`
}

// open starts a session and answers its handshake.
func (srv *Server) open(w http.ResponseWriter, r *http.Request, transport string) {
	addr := clientAddr(r)
	if !srv.wait(addr) {
		srv.Error(w, r, http.StatusServiceUnavailable, "too many sessions from this address waiting to join a namespace")
		return
	}
	var conn *websocket.Conn
	if transport == "websocket" {
		c, err := srv.upgrader.Upgrade(w, r, nil)
		if err != nil {
			srv.joinedOrGone(addr)
			return // the upgrader answered
		}
		conn = c
	}
	s := newSession(srv, newID(), r, addr)
	if !srv.add(s) {
		srv.joinedOrGone(addr)
		if conn != nil {
			conn.Close()
		} else {
			srv.Error(w, r, http.StatusServiceUnavailable, "server shutting down")
		}
		return
	}
	hs := handshake{SID: s.id, Upgrades: []string{"websocket"}, PingInterval: srv.PingInterval.Milliseconds(),
		PingTimeout: srv.PingTimeout.Milliseconds(), MaxPayload: srv.MaxPayload}
	if conn != nil {
		hs.Upgrades = []string{}
	}
	data, _ := json.Marshal(hs)
	open := eioPacket{typ: eioOpen, data: data}
	go s.heartbeat()
	if conn == nil {
		writePolling(w, open.encode())
		return
	}
	conn.SetWriteDeadline(time.Now().Add(srv.PingTimeout))
	if err := conn.WriteMessage(websocket.TextMessage, open.encode()); err != nil {
		conn.Close()
		s.terminate("handshake not written")
		return
	}
	s.attach(conn)
}

func (srv *Server) add(s *session) bool {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.closed {
		return false
	}
	srv.sessions[s.id] = s
	srv.wg.Add(1)
	return true
}

// wait counts a new session of addr as waiting to join a namespace, if
// addr has fewer than MaxWaiting such sessions.
func (srv *Server) wait(addr string) bool {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.waiting[addr] >= srv.MaxWaiting {
		return false
	}
	srv.waiting[addr]++
	return true
}

// joinedOrGone stops counting a session of addr as waiting: it joined a
// namespace, or ended before.
func (srv *Server) joinedOrGone(addr string) {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.waiting[addr]--; srv.waiting[addr] <= 0 {
		delete(srv.waiting, addr)
	}
}

// clientAddr is the host of the request's peer address.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (srv *Server) remove(s *session) {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.sessions[s.id] == s {
		delete(srv.sessions, s.id)
		srv.wg.Done()
	}
}

func (srv *Server) session(sid string) *session {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return srv.sessions[sid]
}

// Shutdown ends every session at once, without a close packet (clients
// reconnect, to another instance or after the restart), and refuses new
// ones.
func (srv *Server) Shutdown() {
	srv.init()
	srv.mu.Lock()
	srv.closed = true
	all := make([]*session, 0, len(srv.sessions))
	for _, s := range srv.sessions {
		all = append(all, s)
	}
	srv.mu.Unlock()
	for _, s := range all {
		s.terminate("server shutting down")
	}
}

// Wait waits until every session ended, or ctx.
func (srv *Server) Wait(ctx context.Context) {
	srv.init()
	done := make(chan struct{})
	go func() { srv.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// newID is a random session or socket id: 20 URL-safe characters.
func newID() string {
	b := make([]byte, 15)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// writePolling answers a poll or a handshake with a text body.
func writePolling(w http.ResponseWriter, body []byte) error {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=UTF-8")
	h.Set("Cache-Control", "no-store")
	_, err := w.Write(body)
	return err
}
