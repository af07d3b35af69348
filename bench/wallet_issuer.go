package bench

import (
	"errors"
	"fmt"
	"sync"

	"github.com/coinop/coinop/oidc/oidctest"
)

// programTB runs oidctest outside a test: Fatal panics with a fatalError,
// which guard turns back into an error, and Cleanup collects functions that
// cleanup runs, last first.
type programTB struct {
	mu       sync.Mutex
	cleanups []func()
}

var _ oidctest.TB = (*programTB)(nil)

// fatalError is what programTB.Fatal panics with.
type fatalError struct{ msg string }

func (*programTB) Helper() {}

// Fatal panics; guard recovers.
func (*programTB) Fatal(args ...any) { panic(fatalError{fmt.Sprint(args...)}) }

// Cleanup registers f to run in cleanup.
func (t *programTB) Cleanup(f func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cleanups = append(t.cleanups, f)
}

// cleanup runs the registered functions, last first, once each.
func (t *programTB) cleanup() {
	t.mu.Lock()
	fs := t.cleanups
	t.cleanups = nil
	t.mu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
}

// guard runs f and returns the message of a Fatal inside it as an error.
// Other panics go on.
func guard(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			fe, ok := r.(fatalError)
			if !ok {
				panic(r)
			}
			err = errors.New(fe.msg)
		}
	}()
	f()
	return nil
}

// issuer is the bench's OpenID provider: it signs the ID tokens the
// players, the game and the operator present.
type issuer struct {
	p *oidctest.Provider
}

// startIssuer serves a provider at addr until tb's cleanup.
func startIssuer(tb *programTB, addr string) (*issuer, error) {
	var p *oidctest.Provider
	if err := guard(func() { p = oidctest.NewAt(tb, addr) }); err != nil {
		return nil, fmt.Errorf("starting the issuer at %s: %w", addr, err)
	}
	return &issuer{p: p}, nil
}

// url is the issuer's URL, the iss of its tokens.
func (is *issuer) url() string { return is.p.URL() }

// token returns an ID token for sub issued to client (aud and azp), with a
// verified e-mail.
func (is *issuer) token(sub, email, client string) (tok string, err error) {
	claims := map[string]any{
		"sub": sub, "aud": client, "azp": client, "email": email, "email_verified": true,
		"name": sub, "given_name": sub,
	}
	err = guard(func() { tok = is.p.IDToken(claims) })
	return tok, err
}

// player is one person of the bench, with the tokens it presents.
type player struct {
	id        int64
	auth      string // "Bearer " + ID token for BenchApp
	gameAuth  string // "Bearer " + ID token for BenchGame
	newPerson bool   // the login created the person
}

// newPlayer mints player i's tokens.
func (is *issuer) newPlayer(i int) (player, error) {
	sub := fmt.Sprintf(playerSub, i)
	email := sub + "@bench.local"
	app, err := is.token(sub, email, BenchApp)
	if err != nil {
		return player{}, err
	}
	game, err := is.token(sub, email, BenchGame)
	if err != nil {
		return player{}, err
	}
	return player{auth: "Bearer " + app, gameAuth: "Bearer " + game}, nil
}
