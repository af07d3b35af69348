package http

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coinop/coinop"
	"github.com/coinop/coinop/socketio"
	"github.com/gorilla/websocket"
)

// LegacyOptions turn on Socket.IO at /api/v2/machine/ for the fair's legacy
// machine programs (namespaces /vending-machine and /arcade). A namespace
// is on when its secret is set.
type LegacyOptions struct {
	VendingSecret string // HS256 secret of the /vending-machine tokens
	ArcadeSecret  string // HS256 secret of the /arcade tokens
	// Engine.IO heartbeat; zero: Socket.IO's defaults (25s, 20s).
	PingInterval, PingTimeout time.Duration
}

func (o LegacyOptions) enabled() bool { return o.VendingSecret != "" || o.ArcadeSecret != "" }

func (o LegacyOptions) secret(namespace string) string {
	switch namespace {
	case coinop.LegacyVending:
		return o.VendingSecret
	case coinop.LegacyArcade:
		return o.ArcadeSecret
	}
	return ""
}

// newLegacyServer is the Socket.IO server of the legacy machines, nil when
// legacy mode is off.
func (s *Server) newLegacyServer() *socketio.Server {
	o := s.opts.Legacy
	if !o.enabled() || s.opts.Store == nil {
		return nil
	}
	// The programs join their namespace at once (they wait 1 s for it): a
	// session that has not within 10 s is closed.
	return &socketio.Server{Connect: s.legacyConnect, Error: s.legacyError, Log: s.log,
		PingInterval: o.PingInterval, PingTimeout: o.PingTimeout, MaxPayload: machineReadLimit,
		ConnectTimeout: 10 * time.Second}
}

// handleLegacySocket: GET and POST /api/v2/machine/, Engine.IO v4 for the
// legacy machine programs (the plain WebSocket stays at /api/v2/machine).
func (s *Server) handleLegacySocket() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var err error
		switch {
		case r.URL.Query().Get("EIO") == "":
			err = coinop.Errorf(coinop.EINVALID, "not a Socket.IO request (no EIO query parameter); machines with an API key use the WebSocket at /api/v2/machine")
		case s.legacy == nil:
			err = coinop.Errorf(coinop.ENOTFOUND, "legacy machines (Socket.IO) are off")
		case !s.originAllowed(r):
			err = coinop.Errorf(coinop.EFORBIDDEN, "origin not allowed")
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.legacy.ServeHTTP(w, r)
	})
}

// legacyError answers the requests the Engine.IO layer refuses.
func (s *Server) legacyError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	code := coinop.EINVALID
	switch status {
	case http.StatusRequestEntityTooLarge:
		code = coinop.ETOOLARGE
	case http.StatusServiceUnavailable:
		code = coinop.EUNAVAILABLE
	}
	s.writeError(w, r, coinop.Errorf(code, "%s", msg))
}

// legacyConnect admits a legacy program to its namespace: its token must
// be signed with the namespace's secret and name a legacy identity that an
// operator mapped to a machine of the namespace's kind. The message of a
// refusal reaches the program in CONNECT_ERROR.
func (s *Server) legacyConnect(sock *socketio.Socket, auth json.RawMessage) (socketio.Handler, error) {
	ns := strings.TrimPrefix(sock.Namespace(), "/")
	refuse := func(format string, args ...any) (socketio.Handler, error) {
		err := fmt.Errorf(format, args...)
		s.log.Warn("legacy machine refused", "namespace", sock.Namespace(), "addr", clientIP(sock.Request()), "reason", err)
		return nil, err
	}
	secret := s.opts.Legacy.secret(ns)
	if coinop.LegacyKind(ns) == "" || secret == "" {
		return refuse("namespace %s is not served: use /%s or /%s", sock.Namespace(), coinop.LegacyVending, coinop.LegacyArcade)
	}
	var a struct {
		Token string `json:"token"`
	}
	json.Unmarshal(auth, &a)
	claims, err := verifyLegacyToken([]byte(secret), a.Token, time.Now())
	if err != nil || claims.Machine != ns {
		s.log.Debug("legacy token refused", "namespace", sock.Namespace(), "err", err, "machine", claims.Machine)
		return refuse("Authentication error") // the old server's words
	}
	m, err := s.opts.Store.LegacyMachine(context.Background(), ns, claims.ID)
	if coinop.ErrorCode(err) == coinop.ENOTFOUND {
		return refuse("no machine is mapped to %s %q (coinop machine legacy)", ns, claims.ID)
	} else if err != nil {
		s.log.Error("legacy machine lookup", "err", err)
		return nil, errors.New("unavailable: try again")
	}
	t := &sioMachine{sock: sock, legacyID: claims.ID, arcade: m.Kind == coinop.KindArcade, slots: map[int64]int64{}}
	c := newMachineConn(m, 0, t)
	if !s.machines.register(c) {
		return nil, errors.New("server shutting down")
	}
	go func() { // the program waits about 1 s for the answer: the lease after it
		s.renewLease(c)
		s.log.Info("machine connected", "machine", m.ID, "name", m.Name, "transport", "socket.io", "namespace", sock.Namespace(), "legacy_id", claims.ID)
		s.runMachine(c)
	}()
	return &legacyHandler{s: s, c: c, t: t}, nil
}

// legacyHandler feeds a legacy program's events to the machine logic.
type legacyHandler struct {
	s *Server
	c *machineConn
	t *sioMachine
}

// OnEvent takes one JSON object per event: the message's payload.
func (h *legacyHandler) OnEvent(name string, args []json.RawMessage) {
	var payload json.RawMessage
	if len(args) > 0 {
		payload = args[0]
	}
	if name == "coinInserted" {
		payload = h.t.coinInserted(payload)
	}
	h.s.machineInput(h.c, name, payload)
}

func (h *legacyHandler) OnDisconnect(string) { h.c.stopped() }

// sioMachine is the Socket.IO transport of a legacy program: each message
// is an event named after it, its one argument the payload (keys in the
// same order as on the WebSocket).
//
// Legacy arcades know themselves by the id in their token and act on a
// coinInsert only when its arcade is that id, which they echo in
// coinInserted (as a string). So coinInsert carries the legacy id (a JSON
// number when it is one), and a coinInserted naming it is read as the slot
// of the coinInsert it answers.
type sioMachine struct {
	sock     *socketio.Socket
	legacyID string
	arcade   bool
	mu       sync.Mutex
	slots    map[int64]int64 // operation → slot of the coinInserts sent
	said     bool            // goodbye was said: close leaves the session to end
}

func (t *sioMachine) send(name string, payload json.RawMessage) error {
	if t.arcade && name == "coinInsert" {
		payload = t.coinInsert(payload)
	}
	ctx, cancel := context.WithTimeout(context.Background(), machineSendWait)
	defer cancel()
	return t.sock.Emit(ctx, name, payload)
}

func (t *sioMachine) ping() error { return nil } // Engine.IO pings

// goodbye: DISCONNECT (the program does not reconnect), but when the
// server stops the session just drops, so that the program reconnects.
func (t *sioMachine) goodbye(code int, _ string) {
	t.mu.Lock()
	t.said = true
	t.mu.Unlock()
	if code == websocket.CloseGoingAway {
		t.sock.Drop()
		return
	}
	t.sock.Disconnect()
}

func (t *sioMachine) close() {
	t.mu.Lock()
	said := t.said
	t.mu.Unlock()
	if !said {
		t.sock.Drop()
	}
}

// legacyCoinInsert is coinInsert with the arcade as the legacy id.
type legacyCoinInsert struct {
	Arcade    json.RawMessage `json:"arcade"`
	Coins     int             `json:"coins"`
	Operation int64           `json:"operation"`
}

func (t *sioMachine) coinInsert(payload json.RawMessage) json.RawMessage {
	var m coinInsertMsg
	if json.Unmarshal(payload, &m) != nil {
		return payload
	}
	t.mu.Lock()
	if len(t.slots) > 64 { // answered or voided long ago
		clear(t.slots)
	}
	t.slots[m.Operation] = m.Arcade
	t.mu.Unlock()
	id, _ := json.Marshal(t.legacyID)
	if n, err := strconv.ParseUint(t.legacyID, 10, 31); err == nil && strconv.FormatUint(n, 10) == t.legacyID {
		id = []byte(t.legacyID)
	}
	out, _ := json.Marshal(legacyCoinInsert{Arcade: id, Coins: m.Coins, Operation: m.Operation})
	return out
}

// coinInserted reads the legacy id in a coinInserted as the slot of the
// coinInsert it answers.
func (t *sioMachine) coinInserted(payload json.RawMessage) json.RawMessage {
	var m struct {
		Arcade    json.RawMessage `json:"arcade"`
		Operation Int             `json:"operation"`
	}
	if json.Unmarshal(payload, &m) != nil || !m.Operation.Set {
		return payload
	}
	arcade, _ := legacyID(m.Arcade)
	t.mu.Lock()
	slot, ok := t.slots[m.Operation.V]
	if ok && arcade == t.legacyID {
		delete(t.slots, m.Operation.V)
	}
	t.mu.Unlock()
	if !ok || arcade != t.legacyID {
		return payload
	}
	out, _ := json.Marshal(coinInsertedMsg{Arcade: Int{V: slot, Set: true}, Operation: m.Operation})
	return out
}
