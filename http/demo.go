package http

import (
	"crypto/rand"
	"encoding/json"
	"math/big"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/coinop/coinop"
	"github.com/gorilla/websocket"
)

// DemoIssuer is the issuer of the demo's development logins: never a real
// identity provider's.
const DemoIssuer = "coinop-demo"

// DemoMachines is what the demo's machines page shows.
type DemoMachines interface {
	Snapshot() any
	Subscribe() (<-chan struct{}, func())
}

// demoRoutes exist only with --demo.
func (s *Server) demoRoutes() {
	m := s.mux
	m.Handle("GET /api/v2/demo", s.handleDemoInfo())
	m.Handle("POST /api/v2/demo/login", s.handleDemoLogin())
	m.Handle("POST /api/v2/demo/play", s.handleDemoPlay())
	m.Handle("GET /api/v2/demo/machines", s.handleDemoMachines())
}

func (s *Server) handleDemoInfo() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"demo": true, "issuer": DemoIssuer})
	})
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// handleDemoLogin signs anyone in by name: the demo's development login.
func (s *Server) handleDemoLogin() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.csrf.Check(r); err != nil {
			s.writeError(w, r, coinop.Errorf(coinop.EFORBIDDEN, "cross-site request refused"))
			return
		}
		var req struct {
			Name     string `json:"name"`
			Operator bool   `json:"operator"`
		}
		err := decodeJSON(w, r, &req, "invalid JSON")
		name := strings.Join(strings.Fields(req.Name), " ")
		slug := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(name), "-"), "-")
		if err == nil && (slug == "" || len(name) > 60) {
			err = coinop.Errorf(coinop.EINVALID, "a name of 1 to 60 characters, with letters or digits, is required")
		}
		var p *coinop.Person
		var created bool
		if err == nil {
			id := &coinop.Identity{Issuer: DemoIssuer, Subject: slug, Name: name, GivenName: strings.Fields(name)[0], Email: slug + "@demo.coinop"}
			p, created, err = s.opts.Store.Login(r.Context(), id, req.Operator)
		}
		var tok string
		if err == nil {
			tok, err = s.sessionToken(p)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.setCookie(w, sessionCookie, tok, "/", s.opts.Bank.SessionTTL)
		status := http.StatusOK
		if created {
			status = http.StatusCreated
		}
		writeJSON(w, status, loginResponse{p.ID})
	})
}

// handleDemoPlay stands for a game paying its player: a credit from the
// game, under the bank's rules (the game's payout limit; no window).
func (s *Server) handleDemoPlay() http.Handler {
	return s.user(func(w http.ResponseWriter, r *http.Request, a *actor) {
		var req struct{ Game Int }
		err := decodeJSON(w, r, &req, "invalid JSON")
		if err == nil {
			err = missing(req.Game)
		}
		var p *coinop.Product
		if err == nil {
			p, err = s.opts.Store.Product(r.Context(), req.Game.V)
		}
		if err == nil && (p.Type != coinop.TypeGames || len(p.ClientIDs) == 0) {
			err = coinop.Errorf(coinop.EINVALID, "not a game")
		}
		var op *coinop.Operation
		if err == nil {
			n, _ := rand.Int(rand.Reader, big.NewInt(21))
			op, err = s.opts.Store.Credit(r.Context(), coinop.CreditRequest{PersonID: a.person.ID, ProductID: p.ID,
				ClientID: p.ClientIDs[0], Value: 5 + n.Int64(), Limit: s.opts.Bank.CreditLimit})
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.publishOperation(r.Context(), op, "")
		writeJSON(w, http.StatusCreated, map[string]int64{"operation": op.ID, "value": op.Value})
	})
}

// handleDemoMachines answers the simulated machines' screens as JSON, or,
// on a WebSocket upgrade, streams them at every change.
func (s *Server) handleDemoMachines() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !websocket.IsWebSocketUpgrade(r) {
			writeJSON(w, http.StatusOK, s.opts.Demo.Snapshot())
			return
		}
		if !s.originAllowed(r) {
			s.writeError(w, r, coinop.Errorf(coinop.EFORBIDDEN, "origin not allowed"))
			return
		}
		conn, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		go s.streamDemo(conn)
	})
}

func (s *Server) streamDemo(conn *websocket.Conn) {
	defer conn.Close()
	if !s.sockets.add(conn) {
		return
	}
	defer s.sockets.remove(conn)
	changed, cancel := s.opts.Demo.Subscribe()
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
		}
	}()
	for {
		b, _ := json.Marshal(s.opts.Demo.Snapshot())
		conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if conn.WriteMessage(websocket.TextMessage, b) != nil {
			return
		}
		select {
		case <-changed:
		case <-done:
			return
		}
	}
}
