package oidctest

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// CodeLifetime is how long an authorization code can be exchanged.
const CodeLifetime = 60 * time.Second

// grant is what an authorization code stands for.
type grant struct {
	clientID, redirectURL string
	nonce, challenge      string
	user                  User
	issued                time.Time
}

// serveAuthorize acts as the user consenting: it checks the request and
// redirects to the client's redirect URL with a code, or with an error.
// An unknown client or redirect URL gets a 400 page, never a redirect.
func (p *Provider) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p.mu.Lock()
	c, ok := p.clients[q.Get("client_id")]
	user := p.user
	p.mu.Unlock()
	if !ok || q.Get("redirect_uri") != c.redirectURL {
		http.Error(w, "unknown client_id or redirect_uri", http.StatusBadRequest)
		return
	}
	back, err := url.Parse(c.redirectURL)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	v := back.Query()
	if state := q.Get("state"); state != "" {
		v.Set("state", state)
	}
	if problem := checkAuthRequest(q); problem != "" {
		v.Set("error", "invalid_request")
		v.Set("error_description", problem)
	} else {
		code := rand.Text()
		p.mu.Lock()
		p.codes[code] = grant{
			clientID: q.Get("client_id"), redirectURL: c.redirectURL,
			nonce: q.Get("nonce"), challenge: q.Get("code_challenge"),
			user: user, issued: time.Now(),
		}
		p.mu.Unlock()
		v.Set("code", code)
	}
	back.RawQuery = v.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// checkAuthRequest returns what is wrong with an authorization request of
// a known client, or "".
func checkAuthRequest(q url.Values) string {
	switch {
	case q.Get("response_type") != "code":
		return "response_type must be code"
	case !slices.Contains(strings.Fields(q.Get("scope")), "openid"):
		return "scope must include openid"
	case q.Get("code_challenge_method") != "S256":
		return "code_challenge_method must be S256"
	case len(q.Get("code_challenge")) != 43:
		return "code_challenge must be a base64url SHA-256"
	}
	return ""
}

// serveToken exchanges a code for tokens. The client authenticates with
// client_secret_basic or client_secret_post; the code is single use and
// must come with its redirect_uri and the PKCE verifier of its challenge.
func (p *Provider) serveToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	id, ok := p.authenticate(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Basic realm="oidctest"`)
		writeError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	if r.PostForm.Get("grant_type") != "authorization_code" {
		writeError(w, http.StatusBadRequest, "unsupported_grant_type")
		return
	}
	p.mu.Lock()
	code := r.PostForm.Get("code")
	g, found := p.codes[code]
	delete(p.codes, code) // single use, even when the rest is wrong
	p.mu.Unlock()
	if !found || g.clientID != id || time.Since(g.issued) > CodeLifetime ||
		r.PostForm.Get("redirect_uri") != g.redirectURL || !pkceMatches(g.challenge, r.PostForm.Get("code_verifier")) {
		writeError(w, http.StatusBadRequest, "invalid_grant")
		return
	}
	idToken, err := p.mint(nil, p.grantClaims(g))
	if err != nil {
		writeError(w, http.StatusInternalServerError, "server_error")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": rand.Text(), "token_type": "Bearer", "expires_in": 3600, "id_token": idToken,
	})
}

// authenticate returns the client ID if the request carries its secret,
// by basic auth (form-encoded credentials, RFC 6749 §2.3.1) or in the form.
func (p *Provider) authenticate(r *http.Request) (string, bool) {
	id, secret, basic := r.BasicAuth()
	if basic {
		var err1, err2 error
		id, err1 = url.QueryUnescape(id)
		secret, err2 = url.QueryUnescape(secret)
		if err1 != nil || err2 != nil {
			return "", false
		}
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	p.mu.Lock()
	c, ok := p.clients[id]
	p.mu.Unlock()
	return id, ok && subtle.ConstantTimeCompare([]byte(secret), []byte(c.secret)) == 1
}

// pkceMatches checks an S256 code verifier against its challenge.
func pkceMatches(challenge, verifier string) bool {
	if len(verifier) < 43 || len(verifier) > 128 {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(b64(sum[:])), []byte(challenge)) == 1
}

// grantClaims are the claims of the ID token issued for g.
func (p *Provider) grantClaims(g grant) map[string]any {
	c := map[string]any{
		"aud": g.clientID, "azp": g.clientID, "sub": g.user.Sub,
		"email": g.user.Email, "email_verified": g.user.EmailVerified,
		"name": g.user.Name, "given_name": g.user.GivenName,
	}
	if g.nonce != "" {
		c["nonce"] = g.nonce
	}
	return c
}

func writeError(w http.ResponseWriter, status int, code string) {
	writeJSON(w, status, map[string]string{"error": code})
}
