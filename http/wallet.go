package http

import (
	"crypto/sha256"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/coinop/coinop"
)

type operationResponse struct {
	Operation int64 `json:"operation"`
}

// maxIdempotencyKey bounds the Idempotency-Key header.
const maxIdempotencyKey = 255

// readMoneyRequest decodes the body of a request that moves money and its
// Idempotency-Key, hashing path and body so that a replay can be told from
// a different request under the same key.
func readMoneyRequest(w http.ResponseWriter, r *http.Request, v any) (coinop.Idempotency, error) {
	key := r.Header.Get("Idempotency-Key")
	if len(key) > maxIdempotencyKey {
		return coinop.Idempotency{}, coinop.Errorf(coinop.EINVALID, "Idempotency-Key longer than %d characters", maxIdempotencyKey)
	}
	body, err := decodeJSONBody(w, r, v, "invalid JSON")
	if err != nil || key == "" {
		return coinop.Idempotency{}, err
	}
	h := sha256.New()
	h.Write([]byte(r.URL.Path + "\n"))
	h.Write(body)
	return coinop.Idempotency{Key: key, Hash: h.Sum(nil)}, nil
}

func missing(fields ...Int) error {
	for _, f := range fields {
		if !f.Set {
			return coinop.Errorf(coinop.EINVALID, "missing or invalid integer field")
		}
	}
	return nil
}

// handleCredit: a game pays its player. Only tokens of a game's client.
func (s *Server) handleCredit() http.Handler {
	return s.money(func(w http.ResponseWriter, r *http.Request, a *actor) (*coinop.Operation, error) {
		if a.identity == nil || !slices.Contains(s.opts.Bank.GameAudiences, a.identity.ClientID) {
			return nil, coinop.Errorf(coinop.EUNAUTHORIZED, "a game's token is required")
		}
		var req struct{ Product, Value Int }
		idem, err := readMoneyRequest(w, r, &req)
		if err == nil {
			err = missing(req.Product, req.Value)
		}
		if err != nil {
			return nil, err
		}
		return s.opts.Store.Credit(r.Context(), coinop.CreditRequest{
			PersonID: a.person.ID, ProductID: req.Product.V, ClientID: a.identity.ClientID, Value: req.Value.V,
			Limit: s.opts.Bank.CreditLimit, Window: s.opts.Bank.CreditWindow, Idem: idem,
		})
	})
}

// handleTransfer: one person pays another.
func (s *Server) handleTransfer() http.Handler {
	return s.money(func(w http.ResponseWriter, r *http.Request, a *actor) (*coinop.Operation, error) {
		var req struct{ To, Value Int }
		idem, err := readMoneyRequest(w, r, &req)
		if err == nil {
			err = missing(req.To, req.Value)
		}
		if err != nil {
			return nil, err
		}
		return s.opts.Store.Transfer(r.Context(), coinop.TransferRequest{
			FromID: a.person.ID, ToID: req.To.V, Value: req.Value.V, Window: s.opts.Bank.TransferWindow, Idem: idem,
		})
	})
}

// money is the shape of every handler that moves money: authenticate, one
// service call, 201 {"operation": id}.
func (s *Server) money(fn func(w http.ResponseWriter, r *http.Request, a *actor) (*coinop.Operation, error)) http.Handler {
	return s.user(func(w http.ResponseWriter, r *http.Request, a *actor) {
		op, err := fn(w, r, a)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if op.Kind != coinop.OpDebit { // a debit publishes its own stages
			s.publishOperation(r.Context(), op, "")
		}
		writeJSON(w, http.StatusCreated, operationResponse{op.ID})
	})
}

// user wraps a handler that needs an authenticated person.
func (s *Server) user(fn func(w http.ResponseWriter, r *http.Request, a *actor)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, err := s.authenticate(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		fn(w, r, a)
	})
}

// handleBalance answers the available balance.
func (s *Server) handleBalance() http.Handler {
	return s.user(func(w http.ResponseWriter, r *http.Request, a *actor) {
		b, err := s.opts.Store.Balance(r.Context(), a.person.ID)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]int64{"balance": b})
	})
}

// statementEntry is one line of a statement, as in the contract plus ids
// and status.
type statementEntry struct {
	Operation int64           `json:"operation"`
	Kind      coinop.OpKind   `json:"kind"`
	From      string          `json:"from"`
	To        string          `json:"to"`
	Product   string          `json:"product"`
	Value     int64           `json:"value"`
	Timestamp string          `json:"timestamp"`
	Completed bool            `json:"completed"`
	FromID    int64           `json:"from_id"`
	ToID      int64           `json:"to_id"`
	ProductID int64           `json:"product_id"`
	Status    coinop.OpStatus `json:"status"`
	Reason    string          `json:"reason,omitempty"`
	Machine   *opMachine      `json:"machine,omitempty"` // debits made at a machine only
}

// opMachine is where a debit was made: the machine and its slot (for an
// arcade, the arcade number). Slot 0 is a slot, so it is always written.
type opMachine struct {
	ID   int64              `json:"id"`
	Name string             `json:"name"`
	Kind coinop.MachineKind `json:"kind"`
	Slot int64              `json:"slot"`
}

// opMachineOf is the machine of o, or nil when o was not made at one.
func opMachineOf(o *coinop.Operation) *opMachine {
	if o.MachineID == 0 {
		return nil
	}
	return &opMachine{ID: o.MachineID, Name: o.MachineName, Kind: o.MachineKind, Slot: o.Slot}
}

func (s *Server) statementEntries(ops []*coinop.Operation) []statementEntry {
	out := make([]statementEntry, len(ops))
	for i, o := range ops {
		out[i] = statementEntry{
			Operation: o.ID, Kind: o.Kind, From: o.FromName, To: o.ToName, Product: o.ProductName, Value: o.Value,
			Timestamp: o.CreatedAt.In(s.opts.Bank.Location).Format("2006-01-02T15:04:05.000-07:00"),
			Completed: o.Completed(), FromID: o.FromID, ToID: o.ToID, ProductID: o.ProductID, Status: o.Status, Reason: o.Reason,
			Machine: opMachineOf(o),
		}
	}
	return out
}

// statementQuery reads limit (default 50, at most 500) and before.
func statementQuery(r *http.Request, personID int64) (coinop.StatementQuery, error) {
	q := coinop.StatementQuery{PersonID: personID, Limit: 50}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return q, coinop.Errorf(coinop.EINVALID, "limit must be 1 to 500")
		}
		q.Limit = n
	}
	if v := r.URL.Query().Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return q, coinop.Errorf(coinop.EINVALID, "before must be an operation id")
		}
		q.Before = n
	}
	return q, nil
}

// handleStatement answers the person's operations, newest first.
func (s *Server) handleStatement() http.Handler {
	return s.user(func(w http.ResponseWriter, r *http.Request, a *actor) {
		s.writeStatement(w, r, a.person.ID)
	})
}

func (s *Server) writeStatement(w http.ResponseWriter, r *http.Request, personID int64) {
	q, err := statementQuery(r, personID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ops, err := s.opts.Store.Statement(r.Context(), q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.statementEntries(ops))
}

// handleMe answers who the caller is, with the balance.
func (s *Server) handleMe() http.Handler {
	return s.user(func(w http.ResponseWriter, r *http.Request, a *actor) {
		b, err := s.opts.Store.Balance(r.Context(), a.person.ID)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, personJSON(a.person, &b))
	})
}

type personResponse struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	GivenName string    `json:"given_name"`
	Email     string    `json:"email"`
	Operator  bool      `json:"operator"`
	Balance   *int64    `json:"balance,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

func personJSON(p *coinop.Person, balance *int64) personResponse {
	return personResponse{ID: p.ID, Name: p.Name, GivenName: p.GivenName, Email: p.Email, Operator: p.Operator, Balance: balance, CreatedAt: p.CreatedAt}
}
