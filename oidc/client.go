package oidc

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/coinop/coinop"
)

// DefaultScopes are requested when Client.Scopes is empty.
var DefaultScopes = []string{"openid", "email", "profile"}

// Client sends the browser through the authorization code flow with PKCE
// (S256) and exchanges the code for an ID token. Verify the ID token with a
// Verifier. A Client must not be copied after first use; it is safe for
// concurrent use once its fields are set.
type Client struct {
	Issuer       string // the provider, e.g. https://accounts.google.com
	ClientID     string
	ClientSecret string
	RedirectURL  string   // the callback registered with the provider
	Scopes       []string // nil means DefaultScopes
	HTTPClient   *http.Client

	disc discovery
}

// AuthURL returns the provider's authorization URL to send the browser to.
// state, nonce and codeChallenge (see NewPKCE) are required; the caller
// keeps state, nonce and the code verifier to check the callback.
func (c *Client) AuthURL(ctx context.Context, state, nonce, codeChallenge string) (string, error) {
	if state == "" || nonce == "" || codeChallenge == "" {
		return "", errors.New("oidc: state, nonce and code challenge are required")
	}
	doc, err := c.disc.get(ctx, httpClient(c.HTTPClient), c.Issuer)
	if err != nil {
		return "", newProviderError(err)
	}
	u, err := url.Parse(doc.AuthorizationEndpoint)
	if err != nil {
		return "", newProviderError(err)
	}
	scopes := c.Scopes
	if len(scopes) == 0 {
		scopes = DefaultScopes
	}
	q := u.Query()
	q.Set("response_type", "code")
	q.Set("client_id", c.ClientID)
	q.Set("redirect_uri", c.RedirectURL)
	q.Set("scope", strings.Join(scopes, " "))
	q.Set("state", state)
	q.Set("nonce", nonce)
	q.Set("code_challenge", codeChallenge)
	q.Set("code_challenge_method", "S256")
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// tokenResponse is the token endpoint's answer, success or error.
type tokenResponse struct {
	IDToken          string `json:"id_token"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// Exchange trades an authorization code and its PKCE verifier for the
// provider's ID token, authenticating with client_secret_basic. The ID token
// is not verified here. Every failure is an EUNAUTHORIZED *coinop.Error, or
// wraps one with the cause.
func (c *Client) Exchange(ctx context.Context, code, codeVerifier string) (idToken string, err error) {
	if code == "" || codeVerifier == "" {
		return "", coinop.Errorf(coinop.EUNAUTHORIZED, "missing authorization code")
	}
	hc := httpClient(c.HTTPClient)
	doc, err := c.disc.get(ctx, hc, c.Issuer)
	if err != nil {
		return "", newProviderError(err)
	}
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {c.RedirectURL},
		"code_verifier": {codeVerifier},
	}
	return c.postToken(ctx, hc, doc.TokenEndpoint, form)
}

// postToken posts form to the token endpoint and returns the id_token of
// its answer.
func (c *Client) postToken(ctx context.Context, hc *http.Client, endpoint string, form url.Values) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", newProviderError(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	// RFC 6749 §2.3.1: the credentials are form-encoded before basic auth.
	req.SetBasicAuth(url.QueryEscape(c.ClientID), url.QueryEscape(c.ClientSecret))
	resp, err := hc.Do(req)
	if err != nil {
		return "", newProviderError(err)
	}
	defer resp.Body.Close()
	body, err := readBody(resp)
	if err != nil {
		return "", newProviderError(err)
	}
	var tr tokenResponse
	jsonErr := json.Unmarshal(body, &tr)
	switch {
	case resp.StatusCode != http.StatusOK: // invalid_grant: a bad, used or expired code or verifier
		return "", wrapError("sign-in failed", fmt.Errorf("token endpoint: %s: %s %s", resp.Status, tr.Error, tr.ErrorDescription))
	case jsonErr != nil:
		return "", newProviderError(fmt.Errorf("token endpoint: %w", jsonErr))
	case tr.IDToken == "":
		return "", newProviderError(errors.New("token endpoint returned no id_token"))
	}
	return tr.IDToken, nil
}

// NewPKCE returns a fresh PKCE code verifier and its S256 challenge
// (RFC 7636): the verifier stays with the caller, the challenge goes in
// AuthURL.
func NewPKCE() (verifier, challenge string) {
	verifier = RandomString(32)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// RandomString returns nbytes from crypto/rand, base64url-encoded without
// padding: a state, a nonce or a PKCE verifier.
func RandomString(nbytes int) string {
	b := make([]byte, nbytes)
	rand.Read(b) // never fails since Go 1.24
	return base64.RawURLEncoding.EncodeToString(b)
}
