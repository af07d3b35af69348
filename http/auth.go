package http

import (
	"net/http"
	"strings"

	"github.com/coinop/coinop"
)

// tokenResponse is the answer of POST /auth/token.
type tokenResponse struct {
	Token     string `json:"token"`
	UserID    string `json:"user_id"`
	Role      string `json:"role"`
	ExpiresIn int    `json:"expires_in"`
}

// handleAuthToken exchanges an API key for a signed token. Failures count
// toward the per-address limit.
func (s *Server) handleAuthToken() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip := clientIP(r)
		if wait := s.failures.blocked(ip); wait > 0 {
			s.writeError(w, r, &coinop.Error{Code: coinop.ERATELIMIT, Message: "too many failed attempts; try again later", RetryAfter: wait})
			return
		}
		resp, err := s.exchangeKey(w, r)
		if err != nil {
			if c := coinop.ErrorCode(err); c == coinop.EINVALID || c == coinop.EUNAUTHORIZED || c == coinop.ETOOLARGE {
				s.failures.fail(ip)
			}
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, resp)
	})
}

func (s *Server) exchangeKey(w http.ResponseWriter, r *http.Request) (*tokenResponse, error) {
	var req struct {
		APIKey *string `json:"api_key"`
	}
	if err := decodeJSON(w, r, &req, "invalid JSON"); err != nil {
		return nil, err
	}
	if req.APIKey == nil || *req.APIKey == "" {
		return nil, coinop.Errorf(coinop.EINVALID, "api_key required")
	}
	key, err := s.opts.APIKeys.FindAPIKey(r.Context(), *req.APIKey)
	if err != nil {
		return nil, err
	}
	if s.opts.Revoked(key.ID) {
		return nil, coinop.Errorf(coinop.EUNAUTHORIZED, "invalid API key")
	}
	now := s.now()
	tok, err := s.opts.Tokens.Issue(coinop.Claims{
		Kind: coinop.TokenAPI, Subject: key.UserID, Role: key.Role, KeyID: key.ID,
		IssuedAt: now, ExpiresAt: now.Add(s.opts.TokenTTL),
	})
	if err != nil {
		return nil, err
	}
	return &tokenResponse{Token: tok, UserID: key.UserID, Role: key.Role, ExpiresIn: int(s.opts.TokenTTL.Seconds())}, nil
}

// requestToken finds the token of a request: the Authorization bearer, else
// the x-auth-token query parameter, else the x-auth-token cookie (browsers
// cannot set headers on a WebSocket handshake).
func requestToken(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if scheme, tok, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(tok)
		}
		return ""
	}
	if tok := r.URL.Query().Get("x-auth-token"); tok != "" {
		return tok
	}
	if c, err := r.Cookie("x-auth-token"); err == nil {
		return c.Value
	}
	return ""
}

// apiClaims verifies the request's API token, including revocation.
func (s *Server) apiClaims(r *http.Request) (coinop.Claims, error) {
	tok := requestToken(r)
	if tok == "" {
		return coinop.Claims{}, coinop.Errorf(coinop.EUNAUTHORIZED, "authentication required")
	}
	c, err := s.opts.Tokens.Verify(tok, coinop.TokenAPI)
	if err != nil {
		return coinop.Claims{}, err
	}
	if s.opts.Revoked(c.KeyID) {
		return coinop.Claims{}, coinop.Errorf(coinop.EUNAUTHORIZED, "invalid or expired token")
	}
	return c, nil
}
