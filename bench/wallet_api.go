package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// api calls the bank of the server under test over one keep-alive client.
// With several base URLs (instances of one bank), each request goes to the
// next in turn.
type api struct {
	bases []string // base URLs, no trailing slash
	next  *atomic.Uint64
	hc    *http.Client
}

// newAPI returns an api for bases whose client keeps up to conns idle
// connections to each, one per worker, and never goes through a proxy.
func newAPI(bases []string, conns int) *api {
	tr := &http.Transport{MaxIdleConnsPerHost: conns, DisableCompression: true}
	return &api{bases: bases, next: new(atomic.Uint64), hc: &http.Client{Timeout: 30 * time.Second, Transport: tr}}
}

// base is the base URL of the next request: round-robin over the bases.
func (a *api) base() string {
	if len(a.bases) == 1 {
		return a.bases[0]
	}
	return a.bases[(a.next.Add(1)-1)%uint64(len(a.bases))]
}

// at is an api sending every request to base, over the same client.
func (a *api) at(base string) *api {
	return &api{bases: []string{base}, next: new(atomic.Uint64), hc: a.hc}
}

// apiError is an answer with another status than expected.
type apiError struct {
	method, path string
	status       int
	body         string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s %s: HTTP %d %s", e.method, e.path, e.status, e.body)
}

// roundTrip sends a request; auth is the Authorization header ("" for
// none), body JSON (nil for none).
func (a *api) roundTrip(ctx context.Context, method, path, auth string, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base()+path, rd)
	if err != nil {
		return nil, err
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return a.hc.Do(req)
}

// post sends a JSON body and returns the status and up to 4 KiB of the
// answer, read to the end so that the connection is reused.
func (a *api) post(ctx context.Context, path, auth string, body []byte) (int, []byte, error) {
	resp, err := a.roundTrip(ctx, "POST", path, auth, body)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if err == nil {
		_, err = io.Copy(io.Discard, resp.Body)
	}
	return resp.StatusCode, raw, err
}

// send makes a request and returns its status, reading the answer to the
// end so that the connection is reused.
func (a *api) send(ctx context.Context, method, path, auth string, body []byte) (int, error) {
	resp, err := a.roundTrip(ctx, method, path, auth, body)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, err
}

// call makes a request with in as its JSON body (nil: none) and decodes the
// answer into out (nil: discarded). An answer with another status than
// want is an *apiError.
func (a *api) call(ctx context.Context, method, path, auth string, in, out any, want ...int) (int, error) {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return 0, err
		}
	}
	resp, err := a.roundTrip(ctx, method, path, auth, body)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if !slices.Contains(want, resp.StatusCode) {
		return resp.StatusCode, &apiError{method, path, resp.StatusCode, strings.TrimSpace(string(raw))}
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

// bankStatus is GET /api/v2/admin/bank.
type bankStatus struct {
	Balance int64 `json:"balance"`
	Held    int64 `json:"held"`
	Issued  int64 `json:"issued"`
}

// bank reads the central bank's account with an operator's auth.
func (a *api) bank(ctx context.Context, auth string) (bankStatus, error) {
	var b bankStatus
	_, err := a.call(ctx, "GET", "/api/v2/admin/bank", auth, nil, &b, http.StatusOK)
	return b, err
}

// balance reads a player's available balance.
func (a *api) balance(ctx context.Context, auth string) (int64, error) {
	var b struct {
		Balance int64 `json:"balance"`
	}
	_, err := a.call(ctx, "GET", "/api/v2/balance", auth, nil, &b, http.StatusOK)
	return b.Balance, err
}

// login logs the token's person in; created is true for a new person.
func (a *api) login(ctx context.Context, auth string) (id int64, created bool, err error) {
	var out struct {
		User int64 `json:"user"`
	}
	status, err := a.call(ctx, "POST", "/api/v2/login", auth, nil, &out, http.StatusOK, http.StatusCreated)
	return out.User, status == http.StatusCreated, err
}
