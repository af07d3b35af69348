package http

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/coinop/coinop"
	"github.com/gorilla/websocket"
)

// operationEvent is the data of an "operation" event: a statement line and
// the stage a pending operation is at. The line's machine is written after
// the stage (this field hides the embedded one), so that the keys that came
// before it keep their order.
type operationEvent struct {
	statementEntry
	Stage   string     `json:"stage,omitempty"` // awaiting_code, releasing, inserting_coin
	Machine *opMachine `json:"machine,omitempty"`
}

type event struct {
	Type string `json:"type"`
	Data any    `json:"data"`
}

// announce tells the people concerned about settled operations, and tells
// a vending machine still showing a code to leave that screen.
func (s *Server) announce(ctx context.Context, settled ...*coinop.Settled) {
	for _, st := range settled {
		if st == nil {
			continue
		}
		if st.Cancel {
			frame := machineFrame("stateCancel", stateCancelMsg{Operation: st.Op.ID, Reason: st.Op.Reason})
			if err := s.machines.Send(ctx, st.MachineID, frame); err != nil {
				s.log.Debug("cancel not delivered", "machine", st.MachineID, "operation", st.Op.ID, "err", err)
			}
		}
		s.publishOperation(ctx, st.Op, "")
	}
}

// publishOperation sends an operation's change, and the new balances, to
// both people of the operation. What the write already returned (names,
// balances after it) is used as it is; only what it did not know is read.
func (s *Server) publishOperation(ctx context.Context, op *coinop.Operation, stage string) {
	if s.opts.Bus == nil || op == nil {
		return
	}
	if op.FromName == "" && op.ToName == "" { // not from a write that names them: load the names
		if named, err := s.opts.Store.Operation(ctx, op.ID); err == nil {
			named.After = op.After
			op = named
		}
	}
	entry := s.statementEntries([]*coinop.Operation{op})[0]
	data, _ := json.Marshal(event{"operation", operationEvent{entry, stage, entry.Machine}})
	for _, id := range []int64{op.FromID, op.ToID} {
		if id == 0 || id == coinop.BankID {
			continue
		}
		s.opts.Bus.Publish(coinop.PersonTopic(id), data)
		if b, err := s.balanceAfter(ctx, op, id); err == nil {
			bal, _ := json.Marshal(event{"balance", map[string]int64{"balance": b}})
			s.opts.Bus.Publish(coinop.PersonTopic(id), bal)
		}
	}
}

// balanceAfter is the balance of person id, one side of op, right after op:
// as the write returned it, or else read now.
func (s *Server) balanceAfter(ctx context.Context, op *coinop.Operation, id int64) (int64, error) {
	switch {
	case op.After == nil:
		return s.opts.Store.Balance(ctx, id)
	case id == op.FromID:
		return op.After.From, nil
	default:
		return op.After.To, nil
	}
}

// handleEvents: GET /api/v2/events, a person's live events over a
// WebSocket (session cookie, bearer token, or x-auth-token in the query).
func (s *Server) handleEvents() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tok := r.URL.Query().Get("x-auth-token"); tok != "" && r.Header.Get("Authorization") == "" {
			r.Header.Set("Authorization", "Bearer "+tok)
		}
		a, err := s.authenticate(r)
		if err == nil && !s.originAllowed(r) {
			err = coinop.Errorf(coinop.EFORBIDDEN, "origin not allowed")
		}
		if err == nil && !websocket.IsWebSocketUpgrade(r) {
			err = coinop.Errorf(coinop.EINVALID, "expected a WebSocket upgrade")
		}
		if err == nil && s.opts.Bus == nil {
			err = coinop.Errorf(coinop.EUNAVAILABLE, "events are not available")
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		conn, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		go s.serveEvents(conn, a.person.ID)
	})
}

func (s *Server) serveEvents(conn *websocket.Conn, personID int64) {
	defer conn.Close()
	if !s.sockets.add(conn) {
		return
	}
	defer s.sockets.remove(conn)
	events, cancel := s.opts.Bus.Subscribe(coinop.PersonTopic(personID))
	defer cancel()
	done := make(chan struct{})
	go func() { // read only to notice the client leave and answer its pings
		defer close(done)
		conn.SetReadLimit(4096)
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
		}
	}()
	if b, err := s.opts.Store.Balance(context.Background(), personID); err == nil {
		first, _ := json.Marshal(event{"balance", map[string]int64{"balance": b}})
		conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if conn.WriteMessage(websocket.TextMessage, first) != nil {
			return
		}
	}
	ping := time.NewTicker(30 * time.Second)
	defer ping.Stop()
	for {
		select {
		case data := <-events:
			conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if conn.WriteMessage(websocket.TextMessage, data) != nil {
				return
			}
		case <-ping.C:
			if conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(10*time.Second)) != nil {
				return
			}
		case <-done:
			return
		}
	}
}
