package http

import (
	"context"
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
		go s.serveMachine(&machineConn{m: m, keyID: keyID, conn: conn,
			out: make(chan outFrame, 32), closing: make(chan closeFrame, 1), done: make(chan struct{})})
	})
}

func (s *Server) serveMachine(c *machineConn) {
	ctx := context.Background()
	if !s.machines.register(c) {
		goingAway(c.conn)
		return
	}
	renew := func() {
		if err := s.opts.Store.Connected(ctx, c.m.ID, time.Now().Add(machineLease)); err != nil {
			s.log.Warn("machine lease", "machine", c.m.ID, "err", err)
		}
	}
	renew()
	s.log.Info("machine connected", "machine", c.m.ID, "name", c.m.Name)
	go s.machineReadLoop(c)
	c.writeLoop(renew)
	<-c.done
	// A socket replaced by a newer one (here or on another instance) is no
	// disconnection of the machine.
	if s.machines.unregister(c) && !c.replaced.Load() {
		settled, err := s.opts.Store.Disconnected(ctx, c.m.ID)
		if err != nil {
			s.log.Error("machine disconnect", "machine", c.m.ID, "err", err)
		}
		if s.machines.Connected(c.m.ID) {
			renew() // it reconnected meanwhile: keep its lease
		}
		s.announce(ctx, settled...)
	}
	s.log.Info("machine disconnected", "machine", c.m.ID)
}

// machineReadLoop applies the machine's reports; a bad frame gets an error
// frame and changes nothing.
func (s *Server) machineReadLoop(c *machineConn) {
	defer close(c.done)
	c.conn.SetReadLimit(machineReadLimit)
	alive := func() { c.conn.SetReadDeadline(time.Now().Add(machinePing + machinePongWait)) }
	alive()
	c.conn.SetPongHandler(func(string) error { alive(); return nil })
	for {
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		alive()
		if err := s.machineMessage(c, data); err != nil {
			code := coinop.ErrorCode(err)
			if code == coinop.EINTERNAL {
				s.log.Error("machine message", "machine", c.m.ID, "err", err)
			} else {
				s.log.Info("machine message refused", "machine", c.m.ID, "err", err)
			}
			select {
			case c.out <- outFrame{data: machineFrame("error", errorMsg{code, coinop.ErrorMessage(err)})}:
			default: // a machine flooding bad frames gets fewer answers
			}
		}
	}
}

func (s *Server) machineMessage(c *machineConn, data []byte) error {
	msg, err := parseMachineFrame(data)
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
