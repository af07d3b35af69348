package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/coinop/coinop/bench"
)

// benchOptions are the flags of coinop bench ticker.
type benchOptions struct{ bench.Options }

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
