package http

import (
	"net/http"
	"time"

	"github.com/coinop/coinop"
)

type apiKeyResponse struct {
	ID        int64      `json:"id"`
	Prefix    string     `json:"prefix"`
	User      string     `json:"user"`
	Role      string     `json:"role"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at"`
	APIKey    string     `json:"api_key,omitempty"` // only in the answer that creates it
}

func apiKeyJSON(k *coinop.APIKey) apiKeyResponse {
	out := apiKeyResponse{ID: k.ID, Prefix: k.Prefix, User: k.UserID, Role: k.Role, CreatedAt: k.CreatedAt}
	if k.Revoked() {
		out.RevokedAt = &k.RevokedAt
	}
	return out
}

// handleAPIKeys lists the API keys (never the keys themselves).
func (s *Server) handleAPIKeys() http.Handler {
	return s.operator(func(w http.ResponseWriter, r *http.Request, a *actor) {
		keys, err := s.opts.Store.ListAPIKeys(r.Context())
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		out := make([]apiKeyResponse, len(keys))
		for i, k := range keys {
			out[i] = apiKeyJSON(k)
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// handleCreateAPIKey makes a key; the answer is the one place it is shown.
func (s *Server) handleCreateAPIKey() http.Handler {
	return s.operator(func(w http.ResponseWriter, r *http.Request, a *actor) {
		var req struct{ User, Role string }
		err := decodeJSON(w, r, &req, "invalid JSON")
		if req.Role == "" {
			req.Role = coinop.RoleUser
		}
		var k *coinop.APIKey
		var secret string
		if err == nil {
			k, secret, err = s.opts.Store.CreateAPIKeyAs(r.Context(), a.person.ID, req.User, req.Role)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		out := apiKeyJSON(k)
		out.APIKey = secret
		writeJSON(w, http.StatusCreated, out)
	})
}

// handleRevokeAPIKey revokes a key: its tokens and sockets end within
// seconds.
func (s *Server) handleRevokeAPIKey() http.Handler {
	return s.operator(func(w http.ResponseWriter, r *http.Request, a *actor) {
		id, err := pathID(r, "id")
		if err == nil {
			err = s.opts.Store.RevokeAPIKeyAs(r.Context(), a.person.ID, id)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
