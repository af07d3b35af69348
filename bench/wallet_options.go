package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
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
	// URL is the base URL of the server (http:// or https://), or several,
	// comma-separated: instances of one bank. Requests go to them in turn,
	// one request each; machines connect to them in turn.
	URL         string
	IssuerAddr  string        // loopback address the bench's OpenID provider listens on
	Players     int           // people logged in and funded before the window
	Concurrency int           // workers, one operation at a time each: they bound the requests in flight
	Duration    time.Duration // length of the measured window
	// Mix weighs the kinds, e.g. "transfer=70,credit=10,balance=20"; empty:
	// DefaultMix, or DefaultMachinesMix with machines.
	Mix string
	// Machines is the number of vending machines the bench creates and
	// plays itself over their WebSocket: the buy kind's.
	Machines int
	// Rate, if above 0, paces the workers open-loop: operations start at
	// this rate (a purchase is one operation), from a token bucket they
	// share, whether or not earlier ones were answered; operations no worker
	// is free to start are counted as skipped. 0: closed loop, each worker
	// starts the next operation when the last one ended.
	Rate float64
	// Peak, above 1 and with Rate, multiplies the rate by Peak for
	// PeakDuration in the middle of the window (0: a third of it); the
	// report then gives each phase (base, peak, after) its own figures.
	Peak         float64
	PeakDuration time.Duration

	// CheckStore, if set, checks the invariants in the server's own
	// database after the window (coinop.WalletService.CheckInvariants).
	CheckStore func(ctx context.Context) error
	StoreLabel string // names that database in the report
}

// The mixes used when WalletOptions.Mix is empty.
const (
	DefaultMix         = "transfer=70,credit=10,balance=20"
	DefaultMachinesMix = "transfer=60,credit=10,balance=20,buy=10"
)

// DefaultWalletOptions returns the defaults of the command's flags.
func DefaultWalletOptions() WalletOptions {
	return WalletOptions{
		URL:         "http://127.0.0.1:8081",
		IssuerAddr:  "127.0.0.1:18095",
		Players:     1000,
		Concurrency: 32,
		Duration:    20 * time.Second,
	}
}

// ServerFlags are the flags the server under test needs to trust the
// bench's issuer at issuerAddr and let it work without 429s.
func ServerFlags(issuerAddr string) string {
	return "--oidc-issuer http://" + issuerAddr + " --oidc-audiences " + BenchApp +
		" --oidc-game-audiences " + BenchGame + " --operators " + OperatorEmail +
		" --credit-window 0 --transfer-window 0"
}

// mix is the mix to run: Mix, or the default for the machines.
func (o WalletOptions) mix() string {
	switch {
	case o.Mix != "":
		return o.Mix
	case o.Machines > 0:
		return DefaultMachinesMix
	}
	return DefaultMix
}

// urls parses URL: one base URL or several, comma-separated.
func (o WalletOptions) urls() ([]string, error) {
	var out []string
	for part := range strings.SplitSeq(o.URL, ",") {
		u, err := baseURL(strings.TrimSpace(part))
		if err != nil {
			return nil, err
		}
		out = append(out, u.String())
	}
	return out, nil
}

// peaked reports whether the run has a peak phase.
func (o WalletOptions) peaked() bool { return o.Rate > 0 && o.Peak > 1 }

// Validate checks the options.
func (o WalletOptions) Validate() error {
	var errs []error
	if _, err := o.urls(); err != nil {
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
	if o.Machines < 0 || o.Machines > 10_000 {
		errs = append(errs, errors.New("machines must be between 0 and 10000"))
	}
	if m, err := ParseMix(o.mix()); err != nil {
		errs = append(errs, err)
	} else if m[kBuy] > 0 && o.Machines == 0 {
		errs = append(errs, errors.New("the mix buys: give --machines N"))
	}
	if o.Rate < 0 || o.Rate > 1_000_000 || math.IsNaN(o.Rate) {
		errs = append(errs, errors.New("rate must be between 0 (closed loop) and 1000000 a second"))
	}
	switch {
	case o.Peak < 0 || o.Peak > 1000 || math.IsNaN(o.Peak):
		errs = append(errs, errors.New("peak must be a factor between 1 and 1000 (0: none)"))
	case o.Peak > 1 && o.Rate == 0:
		errs = append(errs, errors.New("peak needs --rate, the base rate it multiplies"))
	case o.Peak > 1 && (o.PeakDuration < 0 || o.PeakDuration >= o.Duration):
		errs = append(errs, errors.New("peak-duration must be shorter than duration"))
	}
	return errors.Join(errs...)
}

// kind is one sort of request the workers send, or (kBuy) of operation.
type kind int

const (
	kTransfer kind = iota // POST /api/v2/transfer between two players
	kCredit               // POST /api/v2/credit from the game
	kBalance              // GET /api/v2/balance
	kBuy                  // the mix's purchase: kDebit, the code from the machine, kMFA
	kDebit                // POST /api/v2/debit at a bench machine
	kMFA                  // POST /api/v2/mfa with the machine's code
	numKinds

	numMix = kBuy + 1 // the kinds a mix weighs
)

var kindNames = [numKinds]string{"transfer", "credit", "balance", "buy", "debit", "mfa"}

func (k kind) String() string { return kindNames[k] }

// Mix is the weight of each kind of operation a worker picks.
type Mix [numMix]int

// ParseMix parses "transfer=70,credit=10,balance=20,buy=5". Kinds left out
// weigh 0; at least one must weigh more.
func ParseMix(s string) (Mix, error) {
	var m Mix
	total := 0
	for part := range strings.SplitSeq(s, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		k := kindOf(name)
		n, err := strconv.Atoi(val)
		if !ok || k < 0 || err != nil || n < 0 || n > 1_000_000 {
			return Mix{}, fmt.Errorf("mix %q: want kind=weight,… with kinds transfer, credit, balance, buy", s)
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
	for k := range numMix {
		if kindNames[k] == name {
			return k
		}
	}
	return -1
}

// total is the sum of the weights.
func (m Mix) total() int {
	n := 0
	for _, w := range m {
		n += w
	}
	return n
}

// pick maps r in [0, total) to a kind.
func (m Mix) pick(r int) kind {
	for k := range numMix {
		if r < m[k] {
			return k
		}
		r -= m[k]
	}
	return numMix - 1
}

// String is the mix as ParseMix reads it.
func (m Mix) String() string {
	var parts []string
	for k := range numMix {
		if m[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
		}
	}
	return strings.Join(parts, ",")
}
