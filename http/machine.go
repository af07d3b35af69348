package http

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/coinop/coinop"
	"github.com/gorilla/websocket"
)

// machineKey finds the API key of a machine's request: a token from
// /auth/token with the machine role, or the key itself, as a bearer.
func (s *Server) machineKey(r *http.Request) (int64, error) {
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return 0, coinop.Errorf(coinop.EUNAUTHORIZED, "a machine credential is required")
	}
	bad := coinop.Errorf(coinop.EUNAUTHORIZED, "not a machine credential")
	if coinop.LooksLikeAPIKey(tok) {
		k, err := s.opts.APIKeys.FindAPIKey(r.Context(), tok)
		if err != nil || k.Role != coinop.RoleMachine || s.opts.Revoked(k.ID) {
			return 0, bad
		}
		return k.ID, nil
	}
	c, err := s.opts.Tokens.Verify(tok, coinop.TokenAPI)
	if err != nil || c.Role != coinop.RoleMachine || s.opts.Revoked(c.KeyID) {
		return 0, bad
	}
	return c.KeyID, nil
}

// machineTransport is how one connected machine's messages travel: the
// plain WebSocket of /api/v2/machine, or a Socket.IO namespace for the
// fair's legacy programs (legacy.go). The machine logic (machineInput,
// MachineHub, the commands of vending.go) is the same for both. Only the
// connection's writer goroutine calls send, ping, goodbye and close.
type machineTransport interface {
	// send writes one message and returns once it is written: its name
	// and its payload, a JSON object with its keys in the order machines
	// read them.
	send(name string, payload json.RawMessage) error
	// ping checks that the machine is still there; a transport with a
	// heartbeat of its own does nothing.
	ping() error
	// goodbye tells the machine why the connection ends: a close code of
	// sockets.go, or 1001 when the server stops (the machine should
	// reconnect).
	goodbye(code int, reason string)
	// close releases the connection.
	close()
}

// wsMachine is the plain WebSocket transport: each message is a text frame
// {"name": payload}.
type wsMachine struct{ conn *websocket.Conn }

func (w wsMachine) send(name string, payload json.RawMessage) error {
	w.conn.SetWriteDeadline(time.Now().Add(machineSendWait))
	return w.conn.WriteMessage(websocket.TextMessage, joinFrame(name, payload))
}

func (w wsMachine) ping() error {
	return w.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(machineSendWait))
}

func (w wsMachine) goodbye(code int, reason string) {
	w.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
}

func (w wsMachine) close() { w.conn.Close() }

// handleMachineSocket: GET /api/v2/machine, the machines' persistent
// connection. The credential alone says which machine it is.
func (s *Server) handleMachineSocket() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		keyID, err := s.machineKey(r)
		var m *coinop.Machine
		if err == nil {
			m, err = s.opts.Store.MachineByKey(r.Context(), keyID)
		}
		if err == nil && !s.originAllowed(r) {
			err = coinop.Errorf(coinop.EFORBIDDEN, "origin not allowed")
		}
		if err == nil && !websocket.IsWebSocketUpgrade(r) {
			err = coinop.Errorf(coinop.EINVALID, "expected a WebSocket upgrade")
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		conn, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		c := newMachineConn(m, keyID, wsMachine{conn})
		go func() {
			if !s.startMachine(c, "websocket") {
				c.t.goodbye(websocket.CloseGoingAway, "server shutting down")
				c.t.close()
				return
			}
			go s.machineReadLoop(c, conn)
			s.runMachine(c)
		}()
	})
}

// startMachine makes c its machine's connection (replacing an older one)
// and records the machine connected; false when the server is shutting
// down (c is not registered: close it, and do not run it).
func (s *Server) startMachine(c *machineConn, transport string) bool {
	if !s.machines.register(c) {
		return false
	}
	s.renewLease(c)
	s.log.Info("machine connected", "machine", c.m.ID, "name", c.m.Name, "transport", transport)
	return true
}

func (s *Server) renewLease(c *machineConn) {
	if err := s.opts.Store.Connected(context.Background(), c.m.ID, time.Now().Add(machineLease)); err != nil {
		s.log.Warn("machine lease", "machine", c.m.ID, "err", err)
	}
}

// runMachine writes to the machine until the connection ends, then records
// the disconnection.
func (s *Server) runMachine(c *machineConn) {
	ctx := context.Background()
	c.writeLoop(func() { s.renewLease(c) })
	<-c.done
	// A socket replaced by a newer one (here or on another instance) is no
	// disconnection of the machine.
	if s.machines.unregister(c) && !c.replaced.Load() {
		settled, err := s.opts.Store.Disconnected(ctx, c.m.ID)
		if err != nil {
			s.log.Error("machine disconnect", "machine", c.m.ID, "err", err)
		}
		if s.machines.Connected(c.m.ID) {
			s.renewLease(c) // it reconnected meanwhile: keep its lease
		}
		s.announce(ctx, settled...)
	}
	s.log.Info("machine disconnected", "machine", c.m.ID)
}

// machineReadLoop reads the frames of a machine's WebSocket.
func (s *Server) machineReadLoop(c *machineConn, conn *websocket.Conn) {
	defer c.stopped()
	conn.SetReadLimit(machineReadLimit)
	alive := func() { conn.SetReadDeadline(time.Now().Add(machinePing + machinePongWait)) }
	alive()
	conn.SetPongHandler(func(string) error { alive(); return nil })
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			return
		}
		alive()
		name, payload, err := splitFrame(data)
		if err != nil {
			s.machineRefused(c, coinop.Errorf(coinop.EINVALID, "%v", err))
			continue
		}
		s.machineInput(c, name, payload)
	}
}

// machineInput applies one message of a machine; a refused one is answered
// with an error message and changes nothing.
func (s *Server) machineInput(c *machineConn, name string, payload json.RawMessage) {
	if err := s.machineMessage(c, name, payload); err != nil {
		s.machineRefused(c, err)
	}
}

func (s *Server) machineRefused(c *machineConn, err error) {
	code := coinop.ErrorCode(err)
	if code == coinop.EINTERNAL {
		s.log.Error("machine message", "machine", c.m.ID, "err", err)
	} else {
		s.log.Info("machine message refused", "machine", c.m.ID, "err", err)
	}
	payload, _ := json.Marshal(errorMsg{code, coinop.ErrorMessage(err)})
	select {
	case c.out <- outFrame{name: "error", payload: payload}:
	default: // a machine flooding bad frames gets fewer answers
	}
}

func (s *Server) machineMessage(c *machineConn, name string, payload json.RawMessage) error {
	msg, err := parseMachineMessage(name, payload)
	if err != nil {
		return coinop.Errorf(coinop.EINVALID, "%v", err)
	}
	r := coinop.MachineReport{MachineID: c.m.ID}
	if msg.name == "coinInserted" {
		r.State, r.OperationID, r.Arcade = "coin", msg.coin.Operation.V, msg.coin.Arcade.V
	} else {
		r.State, r.OperationID = msg.stateUpdate.State, msg.stateUpdate.Operation.V
	}
	ctx := context.Background()
	st, err := s.opts.Store.Report(ctx, r)
	if err != nil {
		return err
	}
	s.announce(ctx, st)
	return nil
}
