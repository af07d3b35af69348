package http

import (
	"net/http"
	"strconv"
	"time"

	"github.com/coinop/coinop"
)

// operator wraps a handler for operators only.
func (s *Server) operator(fn func(w http.ResponseWriter, r *http.Request, a *actor)) http.Handler {
	return s.user(func(w http.ResponseWriter, r *http.Request, a *actor) {
		if err := requireOperator(a); err != nil {
			s.writeError(w, r, err)
			return
		}
		fn(w, r, a)
	})
}

// pathID reads an integer path value.
func pathID(r *http.Request, name string) (int64, error) {
	v, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || v < 0 {
		return 0, coinop.Errorf(coinop.EINVALID, "%s must be a number", name)
	}
	return v, nil
}

type productRequest struct {
	Name        *string            `json:"name"`
	Description *string            `json:"description"`
	Type        coinop.ProductType `json:"type"`
	Image       *string            `json:"image"`
	URL         *string            `json:"url"`
	Price       Int                `json:"price"`
	ClientIDs   *[]string          `json:"client_ids"`
	PayoutLimit Int                `json:"payout_limit"`
}

func deref[T any](p *T) (v T) {
	if p != nil {
		v = *p
	}
	return v
}

func (s *Server) handleCreateProduct() http.Handler {
	return s.operator(func(w http.ResponseWriter, r *http.Request, a *actor) {
		var req productRequest
		if err := decodeJSON(w, r, &req, "invalid JSON"); err != nil {
			s.writeError(w, r, err)
			return
		}
		p := &coinop.Product{Name: deref(req.Name), Description: deref(req.Description), Type: req.Type, Image: deref(req.Image),
			URL: deref(req.URL), Price: req.Price.V, ClientIDs: deref(req.ClientIDs), PayoutLimit: req.PayoutLimit.V}
		if err := s.opts.Store.CreateProduct(r.Context(), a.person.ID, p); err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusCreated, map[string]int64{"product": p.ID})
	})
}

func (s *Server) handleUpdateProduct() http.Handler {
	return s.operator(func(w http.ResponseWriter, r *http.Request, a *actor) {
		id, err := pathID(r, "id")
		var req productRequest
		if err == nil {
			err = decodeJSON(w, r, &req, "invalid JSON")
		}
		if err == nil && req.Type != "" {
			err = coinop.Errorf(coinop.EINVALID, "a product's type cannot change")
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		u := coinop.ProductUpdate{Name: req.Name, Description: req.Description, Image: req.Image, URL: req.URL, ClientIDs: req.ClientIDs}
		if req.Price.Set {
			u.Price = &req.Price.V
		}
		if req.PayoutLimit.Set {
			u.PayoutLimit = &req.PayoutLimit.V
		}
		p, err := s.opts.Store.UpdateProduct(r.Context(), a.person.ID, id, u)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, productJSON(p, true))
	})
}

func (s *Server) handleAdminProducts() http.Handler {
	return s.operator(func(w http.ResponseWriter, r *http.Request, a *actor) {
		ps, err := s.opts.Store.Products(r.Context(), "")
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		out := make([]productResponse, len(ps))
		for i, p := range ps {
			out[i] = productJSON(p, true)
		}
		writeJSON(w, http.StatusOK, out)
	})
}

func (s *Server) handleCreateMachine() http.Handler {
	return s.operator(func(w http.ResponseWriter, r *http.Request, a *actor) {
		var req struct {
			Name, Description, Location string
			Kind                        coinop.MachineKind
		}
		if err := decodeJSON(w, r, &req, "invalid JSON"); err != nil {
			s.writeError(w, r, err)
			return
		}
		m := &coinop.Machine{Name: req.Name, Kind: req.Kind, Description: req.Description, Location: req.Location}
		key, err := s.opts.Store.CreateMachine(r.Context(), a.person.ID, m)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusCreated, map[string]any{"machine": m.ID, "api_key": key})
	})
}

type machineResponse struct {
	ID          int64              `json:"id"`
	Name        string             `json:"name"`
	Kind        coinop.MachineKind `json:"kind"`
	Description string             `json:"description"`
	Location    string             `json:"location"`
	Connected   bool               `json:"connected"`
	State       string             `json:"state"`
	Operation   int64              `json:"operation"`
	LastContact *time.Time         `json:"last_contact"`
	Stock       []stockResponse    `json:"stock"`
	CreatedAt   time.Time          `json:"created_at"`
}

type stockResponse struct {
	Slot     int64 `json:"slot"`
	Product  int64 `json:"product"`
	Quantity int64 `json:"quantity"`
}

// handleMachines lists the machines with their live status and stock.
func (s *Server) handleMachines() http.Handler {
	return s.operator(func(w http.ResponseWriter, r *http.Request, a *actor) {
		ms, err := s.opts.Store.MachineStatuses(r.Context())
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		out := make([]machineResponse, len(ms))
		for i, m := range ms {
			stock, err := s.opts.Store.MachineStock(r.Context(), m.ID)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			out[i] = machineResponse{ID: m.ID, Name: m.Name, Kind: m.Kind, Description: m.Description, Location: m.Location,
				Connected: m.Connected, State: m.State, Operation: m.OperationID, Stock: []stockResponse{}, CreatedAt: m.CreatedAt}
			if !m.LastContact.IsZero() {
				out[i].LastContact = &m.LastContact
			}
			for _, st := range stock {
				out[i].Stock = append(out[i].Stock, stockResponse{st.Slot, st.ProductID, st.Quantity})
			}
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// handleRotateKey gives a machine a new key; the old one stops working and
// its socket closes.
func (s *Server) handleRotateKey() http.Handler {
	return s.operator(func(w http.ResponseWriter, r *http.Request, a *actor) {
		id, err := pathID(r, "id")
		var key string
		var old int64
		if err == nil {
			key, old, err = s.opts.Store.RotateMachineKey(r.Context(), a.person.ID, id)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.machines.CloseKey(old)
		writeJSON(w, http.StatusOK, map[string]any{"machine": id, "api_key": key})
	})
}

// handleOperations lists operations by status (default unknown).
func (s *Server) handleOperations() http.Handler {
	return s.operator(func(w http.ResponseWriter, r *http.Request, a *actor) {
		status := coinop.OpStatus(r.URL.Query().Get("status"))
		if status == "" {
			status = coinop.StatusUnknown
		}
		switch status {
		case coinop.StatusPending, coinop.StatusCompleted, coinop.StatusVoided, coinop.StatusUnknown:
		default:
			s.writeError(w, r, coinop.Errorf(coinop.EINVALID, "status must be pending, completed, voided or unknown"))
			return
		}
		ops, err := s.opts.Store.Operations(r.Context(), status, 500)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, s.statementEntries(ops))
	})
}

// handleSettle completes or refunds an operation in unknown state.
func (s *Server) handleSettle() http.Handler {
	return s.operator(func(w http.ResponseWriter, r *http.Request, a *actor) {
		id, err := pathID(r, "id")
		var req struct{ Outcome string }
		if err == nil {
			err = decodeJSON(w, r, &req, "invalid JSON")
		}
		if err == nil && req.Outcome != "complete" && req.Outcome != "refund" {
			err = coinop.Errorf(coinop.EINVALID, `outcome must be "complete" or "refund"`)
		}
		var st *coinop.Settled
		if err == nil {
			st, err = s.opts.Store.Settle(r.Context(), a.person.ID, id, req.Outcome == "complete")
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.announce(r.Context(), st)
		writeJSON(w, http.StatusOK, s.statementEntries([]*coinop.Operation{st.Op})[0])
	})
}

func (s *Server) handleSetStock() http.Handler {
	return s.operator(func(w http.ResponseWriter, r *http.Request, a *actor) {
		machine, err := pathID(r, "id")
		slot, err2 := pathID(r, "slot")
		var req struct{ Product, Quantity Int }
		if err == nil && err2 == nil {
			err = decodeJSON(w, r, &req, "invalid JSON")
		} else if err == nil {
			err = err2
		}
		if err == nil {
			err = missing(req.Product, req.Quantity)
		}
		if err == nil {
			err = s.opts.Store.SetStock(r.Context(), a.person.ID, coinop.Stock{MachineID: machine, Slot: slot, ProductID: req.Product.V, Quantity: req.Quantity.V})
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, stockResponse{slot, req.Product.V, req.Quantity.V})
	})
}

func (s *Server) handlePeople() http.Handler {
	return s.operator(func(w http.ResponseWriter, r *http.Request, a *actor) {
		ps, err := s.opts.Store.SearchPeople(r.Context(), r.URL.Query().Get("q"), 100)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		out := make([]personResponse, len(ps))
		for i, p := range ps {
			b, err := s.opts.Store.Balance(r.Context(), p.ID)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			out[i] = personJSON(p, &b)
		}
		writeJSON(w, http.StatusOK, out)
	})
}

func (s *Server) handlePersonStatement() http.Handler {
	return s.operator(func(w http.ResponseWriter, r *http.Request, a *actor) {
		id, err := pathID(r, "id")
		if err == nil {
			_, err = s.opts.Store.Person(r.Context(), id)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.writeStatement(w, r, id)
	})
}

// handleAdminCredit credits a person from the bank (toBank false) or issues
// new money to the bank (toBank true).
func (s *Server) handleAdminCredit(toBank bool) http.Handler {
	return s.operator(func(w http.ResponseWriter, r *http.Request, a *actor) {
		var req struct {
			To, Value Int
			Reason    string
		}
		idem, err := readMoneyRequest(w, r, &req)
		if toBank {
			req.To = Int{V: coinop.BankID, Set: true}
		}
		if err == nil {
			err = missing(req.To, req.Value)
		}
		if err == nil && !toBank && req.To.V == coinop.BankID {
			err = coinop.Errorf(coinop.EINVALID, "to issue money to the bank, use /api/v2/admin/issue")
		}
		var op *coinop.Operation
		if err == nil {
			op, err = s.opts.Store.AdminCredit(r.Context(), coinop.AdminCreditRequest{ActorID: a.person.ID, ToID: req.To.V, Value: req.Value.V, Reason: req.Reason, Idem: idem})
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusCreated, operationResponse{op.ID})
	})
}

func (s *Server) handleBank() http.Handler {
	return s.operator(func(w http.ResponseWriter, r *http.Request, a *actor) {
		b, err := s.opts.Store.Bank(r.Context())
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, b)
	})
}

func (s *Server) handleAudit() http.Handler {
	return s.operator(func(w http.ResponseWriter, r *http.Request, a *actor) {
		es, err := s.opts.Store.Audit(r.Context(), 200)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		type entry struct {
			ID        int64     `json:"id"`
			Actor     int64     `json:"actor"`
			Action    string    `json:"action"`
			Detail    string    `json:"detail"`
			CreatedAt time.Time `json:"created_at"`
		}
		out := make([]entry, len(es))
		for i, e := range es {
			out[i] = entry{e.ID, e.ActorID, e.Action, e.Detail, e.CreatedAt}
		}
		writeJSON(w, http.StatusOK, out)
	})
}
