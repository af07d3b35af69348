package http

import (
	"net/http"
	"sort"

	"github.com/coinop/coinop"
)

// handleConfig tells the web pages what they need to know of the server.
func (s *Server) handleConfig() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{
			"timezone":        s.opts.Bank.Location.String(),
			"demo":            s.opts.Demo != nil,
			"login":           s.opts.Login != nil,
			"code_timeout":    int(s.opts.Vending.CodeTimeout.Seconds()),
			"max_attempts":    s.opts.Vending.MaxAttempts,
			"transfer_window": int(s.opts.Bank.TransferWindow.Seconds()),
		})
	})
}

type slotResponse struct {
	Slot     int64  `json:"slot"`
	Product  int64  `json:"product"`
	Name     string `json:"name"`
	Image    string `json:"image"`
	Price    int64  `json:"price"`
	Quantity int64  `json:"quantity"`
}

type shopMachine struct {
	ID        int64              `json:"id"`
	Name      string             `json:"name"`
	Kind      coinop.MachineKind `json:"kind"`
	Location  string             `json:"location"`
	Connected bool               `json:"connected"`
	Busy      bool               `json:"busy"`
	Slots     []slotResponse     `json:"slots"`
}

// handleShopMachines lists the machines with what each sells, for players.
func (s *Server) handleShopMachines() http.Handler {
	return s.user(func(w http.ResponseWriter, r *http.Request, a *actor) {
		ms, err := s.opts.Store.MachineStatuses(r.Context())
		var ps []*coinop.Product
		if err == nil {
			ps, err = s.opts.Store.Products(r.Context(), "")
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		byID := map[int64]*coinop.Product{}
		for _, p := range ps {
			byID[p.ID] = p
		}
		out := make([]shopMachine, 0, len(ms))
		for _, m := range ms {
			stock, err := s.opts.Store.MachineStock(r.Context(), m.ID)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			sm := shopMachine{ID: m.ID, Name: m.Name, Kind: m.Kind, Location: m.Location, Connected: m.Connected, Busy: m.OperationID != 0, Slots: []slotResponse{}}
			for _, st := range stock {
				if p := byID[st.ProductID]; p != nil {
					sm.Slots = append(sm.Slots, slotResponse{st.Slot, p.ID, p.Name, p.Image, p.Price, st.Quantity})
				}
			}
			sort.Slice(sm.Slots, func(i, j int) bool { return sm.Slots[i].Slot < sm.Slots[j].Slot })
			out = append(out, sm)
		}
		writeJSON(w, http.StatusOK, out)
	})
}

type rankLine struct {
	Person int64  `json:"person"`
	Name   string `json:"name"`
	Value  int64  `json:"value"`
}

// handleRanking answers the players' ranking: top balances and top
// earnings from games.
func (s *Server) handleRanking() http.Handler {
	return s.user(func(w http.ResponseWriter, r *http.Request, a *actor) {
		bal, earn, err := s.opts.Store.Ranking(r.Context(), 10)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		conv := func(es []coinop.RankEntry) []rankLine {
			out := make([]rankLine, len(es))
			for i, e := range es {
				out[i] = rankLine{e.PersonID, e.Name, e.Value}
			}
			return out
		}
		writeJSON(w, http.StatusOK, map[string][]rankLine{"balances": conv(bal), "earnings": conv(earn)})
	})
}
