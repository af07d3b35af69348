package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// fundValue is what the game pays each player before the window.
	fundValue = 500
	// creditReserve is the money the bank keeps beyond the funding for the
	// window's credits (at most 5 each): 200,000 credits.
	creditReserve = 1_000_000
	// loginRetry is how long the operator's login is retried while the
	// server cannot find the issuer's key: a server that fetched the keys of
	// an earlier bench fetches again at most every 30s.
	loginRetry = 35 * time.Second
)

// Setup is what the bench did before the window.
type Setup struct {
	Operator, Game int64         // the operator's person id, the game's product id
	Created        int           // players the login created (the others existed)
	LoginTime      time.Duration // logging every player in
	FundTime       time.Duration // one credit of fundValue to each
	Issued         int64         // money the bench issued to the bank first
	Before         int64         // the players' total balance before funding
}

// setup logs the operator in, creates the game, logs the players in,
// issues money if the bank lacks it and funds every player.
func (r *walletRun) setup(ctx context.Context) (err error) {
	s := &r.rep.Setup
	if s.Operator, err = r.loginOperator(ctx); err != nil {
		return err
	}
	if s.Game, err = r.createGame(ctx); err != nil {
		return err
	}
	t0 := time.Now()
	if err = r.forEach(ctx, len(r.players), r.loginPlayer); err != nil {
		return r.hint(fmt.Errorf("player login: %w", err))
	}
	s.LoginTime = time.Since(t0)
	for i := range r.players {
		if r.players[i].newPerson {
			s.Created++
		}
	}
	if s.Before, _, err = r.balances(ctx); err != nil {
		return err
	}
	if s.Issued, err = r.ensureFunds(ctx); err != nil {
		return err
	}
	t0 = time.Now()
	if err = r.forEach(ctx, len(r.players), r.fundPlayer); err != nil {
		return fmt.Errorf("funding: %w", err)
	}
	s.FundTime = time.Since(t0)
	return nil
}

// loginOperator logs the operator in at every instance, retrying for
// loginRetry while one cannot find the issuer's key: each fetches the keys
// itself, and the players' logins go to all of them.
func (r *walletRun) loginOperator(ctx context.Context) (int64, error) {
	tok, err := r.is.token(OperatorSub, OperatorEmail, BenchApp)
	if err != nil {
		return 0, err
	}
	r.opAuth = "Bearer " + tok
	var id int64
	deadline := time.Now().Add(loginRetry)
	waited := false
	for _, base := range r.api.bases {
		for {
			id, _, err = r.api.at(base).login(ctx, r.opAuth)
			if err == nil {
				break
			}
			if !retryableLogin(err) || time.Now().After(deadline) {
				return 0, r.hint(fmt.Errorf("operator login: %w", err))
			}
			if !waited {
				fmt.Fprintf(r.progress, "waiting for the server to fetch the issuer's keys (it does so at most every 30s)\n")
				waited = true
			}
			if err := sleep(ctx, time.Second); err != nil {
				return 0, err
			}
		}
	}
	return id, nil
}

// retryableLogin: a 401 because the server has not (re)fetched the keys.
func retryableLogin(err error) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.status == http.StatusUnauthorized &&
		(strings.Contains(ae.body, "unknown key") || strings.Contains(ae.body, "provider unavailable"))
}

// hint adds the server's required flags to a 401 or 403.
func (r *walletRun) hint(err error) error {
	var ae *apiError
	if errors.As(err, &ae) && (ae.status == http.StatusUnauthorized || ae.status == http.StatusForbidden) {
		return fmt.Errorf("%w\nthe server under test must trust the bench's issuer and make its operator; start it with\n  %s",
			err, ServerFlags(r.o.IssuerAddr))
	}
	return err
}

// createGame creates a game product paid out through BenchGame.
func (r *walletRun) createGame(ctx context.Context) (int64, error) {
	in := map[string]any{
		"name": "Bench game " + time.Now().UTC().Format(time.RFC3339), "description": "coinop bench wallet",
		"type": "games", "image": "bench.png", "url": "https://bench.local/game", "client_ids": []string{BenchGame},
	}
	var out struct {
		Product int64 `json:"product"`
	}
	_, err := r.api.call(ctx, "POST", "/api/v2/admin/products", r.opAuth, in, &out, http.StatusCreated)
	if err != nil {
		return 0, r.hint(fmt.Errorf("creating the game: %w", err))
	}
	return out.Product, nil
}

// loginPlayer mints player i's tokens and logs it in.
func (r *walletRun) loginPlayer(ctx context.Context, i int) error {
	p, err := r.is.newPlayer(i)
	if err != nil {
		return err
	}
	if p.id, p.newPerson, err = r.api.login(ctx, p.auth); err != nil {
		return err
	}
	r.players[i] = p
	return nil
}

// ensureFunds issues money if the bank has less than the funding and the
// reserve need, and returns how much it issued.
func (r *walletRun) ensureFunds(ctx context.Context) (int64, error) {
	b, err := r.api.bank(ctx, r.opAuth)
	if err != nil {
		return 0, err
	}
	need := int64(len(r.players))*fundValue + creditReserve
	if b.Balance >= need {
		return 0, nil
	}
	in := map[string]any{"value": need - b.Balance, "reason": "coinop bench wallet"}
	if _, err := r.api.call(ctx, "POST", "/api/v2/admin/issue", r.opAuth, in, nil, http.StatusCreated); err != nil {
		return 0, err
	}
	return need - b.Balance, nil
}

// fundPlayer has the game pay player i fundValue.
func (r *walletRun) fundPlayer(ctx context.Context, i int) error {
	in := map[string]int64{"product": r.rep.Setup.Game, "value": fundValue}
	_, err := r.api.call(ctx, "POST", "/api/v2/credit", r.players[i].gameAuth, in, nil, http.StatusCreated)
	return err
}

// forEach calls f for 0..n-1 on r.o.Concurrency goroutines and returns the
// first error; after one, the remaining calls are skipped.
func (r *walletRun) forEach(ctx context.Context, n int, f func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var next atomic.Int64
	var once sync.Once
	var first error
	var wg sync.WaitGroup
	for range min(r.o.Concurrency, n) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n && ctx.Err() == nil; i = int(next.Add(1) - 1) {
				if err := f(ctx, i); err != nil {
					once.Do(func() { first = err; cancel() })
				}
			}
		})
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}
