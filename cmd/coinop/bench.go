package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/coinop/coinop/bench"
)

// benchOptions are the flags of coinop bench ticker and bench wallet.
type benchOptions struct {
	bench.Options
	Wallet bench.WalletOptions
}

func bindBenchFlags(fs *flag.FlagSet, o *cmdOptions) {
	b, d := &o.bench.Options, bench.DefaultOptions()
	fs.StringVar(&b.URL, "url", d.URL, "base URL of the server under test (default "+d.URL+")")
	fs.StringVar(&b.Key, "key", "", "API key, exchanged once for a token (default env COINOP_API_KEY)")
	fs.StringVar(&b.Token, "token", "", "token to use instead of --key")
	fs.IntVar(&b.Clients, "clients", d.Clients, fmt.Sprintf("WebSocket clients to open (default %d)", d.Clients))
	fs.DurationVar(&b.Duration, "duration", d.Duration, fmt.Sprintf("length of the measured window (default %s)", d.Duration))
	fs.Float64Var(&b.Ramp, "ramp", d.Ramp, fmt.Sprintf("connections per second while connecting, 0: all at once (default %g)", d.Ramp))
	fs.DurationVar(&b.ExpectTick, "expect-tick", d.ExpectTick, fmt.Sprintf("the server's tick interval (default %s)", d.ExpectTick))
	fs.DurationVar(&b.Warmup, "warmup", d.Warmup, fmt.Sprintf("wait after all clients connected before measuring (default %s)", d.Warmup))
}

func runBenchTicker(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Sprintf("bench ticker takes no arguments, got %q", args)}
	}
	o := e.opts.bench.Options
	if o.Key == "" && o.Token == "" {
		o.Key = e.getenv("COINOP_API_KEY")
	}
	if err := o.Validate(); err != nil {
		return usageError{err.Error()}
	}
	return bench.Ticker(ctx, o, e.stdout)
}

// benchWalletHelp is the help line of bench wallet: what the server needs.
var benchWalletHelp = "load-test the bank API of a running server, then check the money invariants\n" +
	helpIndent + "(also in the store with --data/--db); start the server on a fresh database with\n" +
	helpIndent + bench.ServerFlags(bench.DefaultWalletOptions().IssuerAddr)

// helpIndent aligns a continued help line under the first (printHelp).
const helpIndent = "                         "

func bindBenchWalletFlags(fs *flag.FlagSet, o *cmdOptions) {
	b, d := &o.bench.Wallet, bench.DefaultWalletOptions()
	fs.StringVar(&b.URL, "url", d.URL, "base URL of the server under test, or several comma-separated (instances of one bank: requests and machines go to them in turn) (default "+d.URL+")")
	fs.StringVar(&b.IssuerAddr, "issuer-addr", d.IssuerAddr, "loopback address of the bench's OpenID provider, the server's --oidc-issuer (default "+d.IssuerAddr+")")
	fs.IntVar(&b.Players, "players", d.Players, fmt.Sprintf("players logged in and funded before the window (default %d)", d.Players))
	fs.IntVar(&b.Concurrency, "concurrency", d.Concurrency, fmt.Sprintf("workers, one operation at a time each: the bound on requests in flight (default %d)", d.Concurrency))
	fs.DurationVar(&b.Duration, "duration", d.Duration, fmt.Sprintf("length of the measured window (default %s)", d.Duration))
	fs.StringVar(&b.Mix, "mix", d.Mix, "weights of transfer, credit, balance and buy (default "+bench.DefaultMix+"; with --machines "+bench.DefaultMachinesMix+")")
	fs.IntVar(&b.Machines, "machines", d.Machines, "vending machines the bench creates, stocks and plays over their WebSocket, for the buy kind (default 0)")
	fs.Float64Var(&b.Rate, "rate", d.Rate, "operations a second, paced open-loop by a token bucket the workers share; 0: closed loop (default 0)")
	fs.Float64Var(&b.Peak, "peak", d.Peak, "with --rate: multiply the rate by FACTOR for --peak-duration in the middle of the window (default none)")
	fs.DurationVar(&b.PeakDuration, "peak-duration", d.PeakDuration, "length of the peak (default a third of --duration)")
}

func runBenchWallet(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Sprintf("bench wallet takes no arguments, got %q", args)}
	}
	o := e.opts.bench.Wallet
	if err := o.Validate(); err != nil {
		return usageError{err.Error()}
	}
	if storeGiven(&e.cfg) {
		cfg := e.cfg
		o.StoreLabel = storeLabel(&cfg)
		o.CheckStore = func(ctx context.Context) error { return checkStore(ctx, &cfg, e.stderr) }
	}
	return bench.Wallet(ctx, o, e.stdout)
}

// storeGiven reports whether --data or --db (or their environment
// variables) name the server's database: a --db, or a data folder other than
// the default. The commands only see the values, so --data ./data, the
// default spelled out, reads as not given; the report then says the store was
// not checked.
func storeGiven(cfg *Config) bool {
	return cfg.DB != "" || cfg.Data != DefaultConfig().Data
}

// checkStore opens the server's database as the server does and checks
// the wallet's invariants in it.
func checkStore(ctx context.Context, cfg *Config, stderr io.Writer) error {
	s, err := openStore(ctx, cfg, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer s.Close()
	return s.CheckInvariants(ctx)
}

// storeLabel names the configured database without its password.
func storeLabel(cfg *Config) string {
	switch {
	case strings.HasPrefix(cfg.DB, "postgres://"), strings.HasPrefix(cfg.DB, "postgresql://"):
		if u, err := url.Parse(cfg.DB); err == nil {
			return "postgres " + u.Redacted()
		}
		return "postgres"
	case cfg.DB == "":
		return "sqlite " + filepath.Join(cfg.Data, "coinop.db")
	}
	return "sqlite " + strings.TrimPrefix(cfg.DB, "sqlite://")
}
