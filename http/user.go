package http

import (
	"context"
	"crypto/sha256"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coinop/coinop"
)

// sessionCookie holds a signed coinop session token after the browser login.
const sessionCookie = "coinop_session"

// actor is the person making a request, and how they proved it.
type actor struct {
	person   *coinop.Person
	identity *coinop.Identity // set when an ID token was presented
	cookie   bool             // authenticated by the session cookie
}

// authenticate finds the person of a request: an ID token of the identity
// provider or a coinop session token as Authorization bearer, else the
// session cookie (unsafe methods then must be same-origin). A person who has
// never logged in is not authenticated.
func (s *Server) authenticate(r *http.Request) (*actor, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") || tok == "" {
			return nil, coinop.Errorf(coinop.EUNAUTHORIZED, "expected a Bearer token")
		}
		if c, err := s.opts.Tokens.Verify(tok, coinop.TokenSession); err == nil {
			return s.sessionActor(r.Context(), c, false)
		}
		return s.idTokenActor(r.Context(), tok)
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		claims, err := s.opts.Tokens.Verify(c.Value, coinop.TokenSession)
		if err != nil {
			return nil, err
		}
		if err := s.csrf.Check(r); err != nil {
			return nil, coinop.Errorf(coinop.EFORBIDDEN, "cross-site request refused")
		}
		return s.sessionActor(r.Context(), claims, true)
	}
	return nil, coinop.Errorf(coinop.EUNAUTHORIZED, "authentication required")
}

func (s *Server) sessionActor(ctx context.Context, c coinop.Claims, cookie bool) (*actor, error) {
	id, err := strconv.ParseInt(c.Subject, 10, 64)
	if err != nil {
		return nil, coinop.Errorf(coinop.EUNAUTHORIZED, "invalid session")
	}
	key := "id:" + c.Subject
	p := s.people.get(key, s.now())
	if p == nil {
		p, err = s.opts.Store.Person(ctx, id)
		if coinop.ErrorCode(err) == coinop.ENOTFOUND {
			return nil, coinop.Errorf(coinop.EUNAUTHORIZED, "unknown person")
		} else if err != nil {
			return nil, err
		}
		s.people.put(key, p, s.now())
	}
	return &actor{person: p, cookie: cookie}, nil
}

func (s *Server) idTokenActor(ctx context.Context, tok string) (*actor, error) {
	id, err := s.verifyIDToken(ctx, tok)
	if err != nil {
		return nil, err
	}
	key := "sub:" + id.Issuer + "\x00" + id.Subject
	p := s.people.get(key, s.now())
	if p == nil {
		p, err = s.opts.Store.PersonByIdentity(ctx, id.Issuer, id.Subject)
		if coinop.ErrorCode(err) == coinop.ENOTFOUND {
			return nil, coinop.Errorf(coinop.EUNAUTHORIZED, "unknown person: log in first (POST /api/v2/login)")
		} else if err != nil {
			return nil, err
		}
		s.people.put(key, p, s.now())
	}
	return &actor{person: p, identity: id}, nil
}

// verifyIDToken verifies an ID token, remembering verified tokens until they
// expire so that a client's repeated requests cost one signature check.
func (s *Server) verifyIDToken(ctx context.Context, tok string) (*coinop.Identity, error) {
	if s.opts.IDTokens == nil {
		return nil, coinop.Errorf(coinop.EUNAUTHORIZED, "sign-in is not configured")
	}
	if id := s.idCache.get(tok, s.now()); id != nil {
		return id, nil
	}
	id, err := s.opts.IDTokens.Verify(ctx, tok)
	if err != nil {
		if coinop.ErrorCode(err) == coinop.EUNAUTHORIZED && coinop.ErrorMessage(err) != err.Error() {
			s.log.Debug("ID token refused", "err", err)
		}
		return nil, err
	}
	s.idCache.put(tok, id)
	return id, nil
}

// requireOperator refuses people without the operator role.
func requireOperator(a *actor) error {
	if !a.person.Operator {
		return coinop.Errorf(coinop.EFORBIDDEN, "operators only")
	}
	return nil
}

// idCache remembers verified ID tokens by hash until their expiry.
type idCache struct {
	mu      sync.Mutex
	entries map[[sha256.Size]byte]*coinop.Identity
}

// maxIDCache bounds the cache; when full it starts over.
const maxIDCache = 50000

func (c *idCache) get(tok string, now time.Time) *coinop.Identity {
	h := sha256.Sum256([]byte(tok))
	c.mu.Lock()
	defer c.mu.Unlock()
	id := c.entries[h]
	if id != nil && !now.Before(id.ExpiresAt) {
		delete(c.entries, h)
		return nil
	}
	return id
}

func (c *idCache) put(tok string, id *coinop.Identity) {
	h := sha256.Sum256([]byte(tok))
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= maxIDCache {
		c.entries = map[[sha256.Size]byte]*coinop.Identity{}
	}
	c.entries[h] = id
}
