package http

import (
	"net/http"

	"github.com/coinop/coinop"
)

type gameResponse struct {
	Product     int64  `json:"product"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Image       string `json:"image"`
	URL         string `json:"url"`
}

type productResponse struct {
	Product     int64              `json:"product"`
	Name        string             `json:"name"`
	Description string             `json:"description"`
	Type        coinop.ProductType `json:"type"`
	Image       string             `json:"image"`
	URL         string             `json:"url,omitempty"`
	Price       int64              `json:"price"`
	Stock       int64              `json:"stock"`
	ClientIDs   []string           `json:"client_ids,omitempty"`
	PayoutLimit int64              `json:"payout_limit,omitempty"`
}

func productJSON(p *coinop.Product, admin bool) productResponse {
	out := productResponse{Product: p.ID, Name: p.Name, Description: p.Description, Type: p.Type, Image: p.Image, URL: p.URL, Price: p.Price, Stock: p.Stock}
	if admin {
		out.ClientIDs, out.PayoutLimit = p.ClientIDs, p.PayoutLimit
	}
	return out
}

// handleGames lists the games.
func (s *Server) handleGames() http.Handler {
	return s.user(func(w http.ResponseWriter, r *http.Request, a *actor) {
		ps, err := s.opts.Store.Products(r.Context(), coinop.TypeGames)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		out := make([]gameResponse, len(ps))
		for i, p := range ps {
			out[i] = gameResponse{Product: p.ID, Name: p.Name, Description: p.Description, Image: p.Image, URL: p.URL}
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// handleProducts lists what machines sell (foods and arcade credits), with
// price and total stock.
func (s *Server) handleProducts() http.Handler {
	return s.user(func(w http.ResponseWriter, r *http.Request, a *actor) {
		ps, err := s.opts.Store.Products(r.Context(), "")
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		out := []productResponse{}
		for _, p := range ps {
			if p.Type != coinop.TypeGames {
				out = append(out, productJSON(p, false))
			}
		}
		writeJSON(w, http.StatusOK, out)
	})
}
