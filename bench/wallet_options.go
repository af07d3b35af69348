package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// The identities the wallet bench's issuer signs for. The server under
// test must accept them: see ServerFlags.
const (
	BenchApp      = "bench-app"                  // the players' client id (--oidc-audiences)
	BenchGame     = "bench-game"                 // the game's client id (--oidc-game-audiences)
	OperatorSub   = "bench-operator"             // the operator's subject
	OperatorEmail = "bench-operator@bench.local" // made an operator by --operators
	playerSub     = "bench-player-%d"            // player i's subject, the same every run
)

// WalletOptions configure a load test of the bank's HTTP API.
type WalletOptions struct {
	URL         string        // base URL of the server: http:// or https://
	IssuerAddr  string        // loopback address the bench's OpenID provider listens on
	Players     int           // people logged in and funded before the window
	Concurrency int           // workers sending requests, one at a time each
	Duration    time.Duration // length of the measured window
	Mix         string        // weights of the kinds, e.g. "transfer=70,credit=10,balance=20"

	// CheckStore, if set, checks the invariants in the server's own
	// database after the window (coinop.WalletService.CheckInvariants).
	CheckStore func(ctx context.Context) error
	StoreLabel string // names that database in the report
}

// DefaultWalletOptions returns the defaults of the command's flags.
func DefaultWalletOptions() WalletOptions {
	return WalletOptions{
		URL:         "http://127.0.0.1:8081",
		IssuerAddr:  "127.0.0.1:18095",
		Players:     1000,
		Concurrency: 32,
		Duration:    20 * time.Second,
		Mix:         "transfer=70,credit=10,balance=20",
	}
}

// ServerFlags are the flags the server under test needs to trust the
// bench's issuer at issuerAddr and let it work without 429s.
func ServerFlags(issuerAddr string) string {
	return "--oidc-issuer http://" + issuerAddr + " --oidc-audiences " + BenchApp +
		" --oidc-game-audiences " + BenchGame + " --operators " + OperatorEmail +
		" --credit-window 0 --transfer-window 0"
}

// Validate checks the options.
func (o WalletOptions) Validate() error {
	var errs []error
	if _, err := baseURL(o.URL); err != nil {
		errs = append(errs, err)
	}
	if host, _, err := net.SplitHostPort(o.IssuerAddr); err != nil {
		errs = append(errs, fmt.Errorf("issuer-addr: %w", err))
	} else if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		errs = append(errs, fmt.Errorf("issuer-addr %s: want a loopback address", o.IssuerAddr))
	}
	if o.Players < 2 || o.Players > 1_000_000 {
		errs = append(errs, errors.New("players must be between 2 and 1000000"))
	}
	if o.Concurrency < 1 || o.Concurrency > 10_000 {
		errs = append(errs, errors.New("concurrency must be between 1 and 10000"))
	}
	if o.Duration < 100*time.Millisecond {
		errs = append(errs, errors.New("duration must be at least 100ms"))
	}
	if _, err := ParseMix(o.Mix); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// kind is one sort of request the workers send.
type kind int

const (
	kTransfer kind = iota // POST /api/v2/transfer between two players
	kCredit               // POST /api/v2/credit from the game
	kBalance              // GET /api/v2/balance
	numKinds
)

var kindNames = [numKinds]string{"transfer", "credit", "balance"}

func (k kind) String() string { return kindNames[k] }

// Mix is the weight of each kind of request.
type Mix [numKinds]int

// ParseMix parses "transfer=70,credit=10,balance=20". Kinds left out weigh
// 0; at least one must weigh more.
func ParseMix(s string) (Mix, error) {
	var m Mix
	total := 0
	for part := range strings.SplitSeq(s, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		k := kindOf(name)
		n, err := strconv.Atoi(val)
		if !ok || k < 0 || err != nil || n < 0 || n > 1_000_000 {
			return Mix{}, fmt.Errorf("mix %q: want kind=weight,… with kinds transfer, credit, balance", s)
		}
		m[k] += n
		total += n
	}
	if total == 0 {
		return Mix{}, fmt.Errorf("mix %q: every weight is 0", s)
	}
	return m, nil
}

func kindOf(name string) kind {
	for k, n := range kindNames {
		if n == name {
			return kind(k)
		}
	}
	return -1
}

// total is the sum of the weights.
func (m Mix) total() int { return m[kTransfer] + m[kCredit] + m[kBalance] }

// pick maps r in [0, total) to a kind.
func (m Mix) pick(r int) kind {
	for k := range numKinds {
		if r < m[k] {
			return k
		}
		r -= m[k]
	}
	return numKinds - 1
}

// String is the mix as ParseMix reads it.
func (m Mix) String() string {
	var parts []string
	for k := range numKinds {
		if m[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
		}
	}
	return strings.Join(parts, ",")
}
