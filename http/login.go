package http

import (
	"crypto/subtle"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/coinop/coinop"
	"github.com/coinop/coinop/oidc"
)

// flowCookie carries the login flow's state between /auth/login and the
// callback, sealed by the server.
const flowCookie = "coinop_oauth"

// flowTTL bounds how long a person may take at the identity provider.
const flowTTL = 10 * time.Minute

type loginFlow struct {
	State    string `json:"state"`
	Nonce    string `json:"nonce"`
	Verifier string `json:"verifier"`
	Return   string `json:"return"`
}

type loginResponse struct {
	User int64 `json:"user"`
}

// handleLogin records the person of an ID token: 201 when new, 200 when
// known, as the contract says.
func (s *Server) handleLogin() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		scheme, tok, _ := strings.Cut(h, " ")
		if h == "" || !strings.EqualFold(scheme, "Bearer") {
			a, err := s.authenticate(r) // a session cookie
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			writeJSON(w, http.StatusOK, loginResponse{a.person.ID})
			return
		}
		if c, err := s.opts.Tokens.Verify(tok, coinop.TokenSession); err == nil {
			a, err := s.sessionActor(r.Context(), c, false)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			writeJSON(w, http.StatusOK, loginResponse{a.person.ID})
			return
		}
		id, err := s.verifyIDToken(r.Context(), tok)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		p, created, err := s.opts.Store.Login(r.Context(), id, s.isOperator(id))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		status := http.StatusOK
		if created {
			status = http.StatusCreated
		}
		writeJSON(w, status, loginResponse{p.ID})
	})
}

// isOperator: a verified e-mail listed in the operators' configuration.
func (s *Server) isOperator(id *coinop.Identity) bool {
	return id.EmailVerified && id.Email != "" && slices.ContainsFunc(s.opts.Bank.Operators, func(e string) bool {
		return strings.EqualFold(e, id.Email)
	})
}

// handleAuthLogin starts the browser login: state, nonce and PKCE (S256).
func (s *Server) handleAuthLogin() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.opts.Login == nil {
			s.writeError(w, r, coinop.Errorf(coinop.ENOTFOUND, "web login is not configured"))
			return
		}
		verifier, challenge := oidc.NewPKCE()
		f := loginFlow{State: oidc.RandomString(24), Nonce: oidc.RandomString(24), Verifier: verifier, Return: safeReturn(r.URL.Query().Get("return"))}
		to, err := s.opts.Login.AuthURL(r.Context(), f.State, f.Nonce, challenge)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		sealed, err := s.opts.Tokens.Seal("login", f, flowTTL)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.setCookie(w, flowCookie, sealed, "/api/v2/auth/", flowTTL)
		http.Redirect(w, r, to, http.StatusFound)
	})
}

// handleAuthCallback finishes the login and sets the session cookie.
func (s *Server) handleAuthCallback() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := s.checkCallback(r)
		s.setCookie(w, flowCookie, "", "/api/v2/auth/", -1)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		tok, err := s.opts.Login.Exchange(r.Context(), r.URL.Query().Get("code"), f.Verifier)
		if err != nil {
			s.log.Warn("login: code exchange failed", "err", err)
			s.writeError(w, r, coinop.Errorf(coinop.EUNAUTHORIZED, "login failed"))
			return
		}
		id, err := s.opts.IDTokens.Verify(r.Context(), tok)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if subtle.ConstantTimeCompare([]byte(id.Nonce), []byte(f.Nonce)) != 1 {
			s.writeError(w, r, coinop.Errorf(coinop.EUNAUTHORIZED, "login failed: nonce mismatch"))
			return
		}
		if err := s.startSession(w, r, id); err != nil {
			s.writeError(w, r, err)
			return
		}
		http.Redirect(w, r, f.Return, http.StatusFound)
	})
}

// checkCallback verifies the flow cookie and the state parameter.
func (s *Server) checkCallback(r *http.Request) (*loginFlow, error) {
	if s.opts.Login == nil {
		return nil, coinop.Errorf(coinop.ENOTFOUND, "web login is not configured")
	}
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		return nil, coinop.Errorf(coinop.EUNAUTHORIZED, "login refused by the provider: %s", e)
	}
	c, err := r.Cookie(flowCookie)
	if err != nil {
		return nil, coinop.Errorf(coinop.EUNAUTHORIZED, "login failed: no login in progress")
	}
	var f loginFlow
	if err := s.opts.Tokens.Unseal("login", c.Value, &f); err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(f.State)) != 1 {
		return nil, coinop.Errorf(coinop.EUNAUTHORIZED, "login failed: state mismatch")
	}
	return &f, nil
}

// startSession records the person and sets the session cookie.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, id *coinop.Identity) error {
	p, _, err := s.opts.Store.Login(r.Context(), id, s.isOperator(id))
	if err != nil {
		return err
	}
	tok, err := s.sessionToken(p)
	if err != nil {
		return err
	}
	s.setCookie(w, sessionCookie, tok, "/", s.opts.Bank.SessionTTL)
	return nil
}

// sessionToken is a coinop session for person p.
func (s *Server) sessionToken(p *coinop.Person) (string, error) {
	now := s.now()
	return s.opts.Tokens.Issue(coinop.Claims{
		Kind: coinop.TokenSession, Subject: strconv.FormatInt(p.ID, 10), Role: coinop.RoleUser,
		IssuedAt: now, ExpiresAt: now.Add(s.opts.Bank.SessionTTL),
	})
}

// handleAuthLogout clears the session cookie.
func (s *Server) handleAuthLogout() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.csrf.Check(r); err != nil {
			s.writeError(w, r, coinop.Errorf(coinop.EFORBIDDEN, "cross-site request refused"))
			return
		}
		s.setCookie(w, sessionCookie, "", "/", -1)
		w.WriteHeader(http.StatusNoContent)
	})
}

func (s *Server) setCookie(w http.ResponseWriter, name, value, path string, ttl time.Duration) {
	c := &http.Cookie{Name: name, Value: value, Path: path, HttpOnly: true, Secure: s.opts.Bank.SecureCookies, SameSite: http.SameSiteLaxMode}
	if ttl < 0 {
		c.MaxAge = -1
	} else {
		c.MaxAge = int(ttl.Seconds())
	}
	http.SetCookie(w, c)
}

// safeReturn keeps only local paths, so the login cannot redirect elsewhere.
func safeReturn(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
		return "/"
	}
	return p
}
