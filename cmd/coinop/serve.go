package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/coinop/coinop"
	"github.com/coinop/coinop/demo"
	coinophttp "github.com/coinop/coinop/http"
	"github.com/coinop/coinop/inmem"
	"github.com/coinop/coinop/metrics"
	"github.com/coinop/coinop/ticker"
	"github.com/coinop/coinop/token"
)

// shutdownTimeout bounds how long in-flight requests may take at shutdown.
const shutdownTimeout = 10 * time.Second

func runServe(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Sprintf("serve takes no arguments, got %q", args)}
	}
	cfg := &e.cfg
	log := newLogger(cfg, e.stderr)
	store, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer store.Close()
	key, err := tokenKey(cfg, log)
	if err != nil {
		return err
	}
	tokens, err := token.New(key)
	if err != nil {
		return err
	}
	revocations := token.NewRevocations(store, log)
	if err := revocations.Refresh(ctx); err != nil {
		return fmt.Errorf("loading revoked keys: %w", err)
	}
	if err := ensureDemoKey(ctx, store, log); err != nil {
		return err
	}

	keys := inmem.NewAPIKeyCache(store, time.Minute)
	revocations.OnRevoke(keys.Evict)

	reg := metrics.NewRegistry()
	reg.RegisterProcess()
	tlsCfg, err := tlsConfig(cfg, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr) // ":port" listens on IPv4 and IPv6
	if err != nil {
		return err
	}
	if tlsCfg != nil {
		ln = tls.NewListener(ln, tlsCfg)
	}
	if cfg.RedirectAddr != "" {
		rl, err := net.Listen("tcp", cfg.RedirectAddr)
		if err != nil {
			return err
		}
		rs := serveRedirect(rl, cfg.PublicURL, log)
		defer rs.Close()
		log.Info("redirecting HTTP to HTTPS", "addr", rl.Addr().String())
	}
	bus, closeBus, err := openBus(cfg, log)
	if err != nil {
		return err
	}
	defer closeBus()
	var sims *demo.Machines
	if cfg.Demo {
		sims = demo.NewMachines()
		log.Warn("DEMO MODE: development login for anyone, simulated machines; never use it for a real fair")
	}
	srv := coinophttp.NewServer(coinophttp.Options{
		Log: log, APIKeys: keys, Tokens: tokens, Revoked: revocations.Revoked,
		Ready: store.Ping, Metrics: reg, AllowedOrigins: cfg.Origins(),
		Store: store, Bank: bankOptions(cfg), Bus: bus,
		Vending:  coinophttp.VendingOptions{CodeTimeout: cfg.CodeTimeout, CoinTimeout: cfg.CoinTimeout, ReportTimeout: cfg.ReportTimeout},
		IDTokens: idTokenVerifier(cfg, log), Login: loginProvider(cfg, ln.Addr()),
		Demo: demoMachines(sims), Legacy: legacyOptions(cfg, log),
	})
	hub := srv.Ticker()
	revocations.OnRevoke(hub.CloseKey)
	revocations.OnRevoke(srv.Machines().CloseKey)

	bg, stopBackground := context.WithCancel(context.Background())
	defer stopBackground()
	go revocations.Watch(bg, cfg.RevocationInterval)
	go pruneIdempotencyKeys(bg, store, log)
	sweep, stopSweeping := context.WithCancel(bg)
	defer stopSweeping()
	go srv.RunSweeper(sweep, time.Second)
	source := newPriceSource(bg, cfg, log, reg)
	runTicker(bg, cfg, store, bus, hub, source)

	if cfg.PprofAddr != "" {
		go servePprof(cfg.PprofAddr, log)
	}
	log.Info("listening", "addr", ln.Addr().String(), "tls", tlsCfg != nil, "db", storeKind(cfg), "tick", cfg.Tick)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	if sims != nil {
		if err := startDemo(bg, store, sims, ln.Addr(), log); err != nil {
			return err
		}
	}

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	stopSweeping() // the other instances, or the next start, settle what expires now
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	stopBackground()
	log.Info("stopped")
	return nil
}

// ensureDemoKey creates the seed's demo key on first start and logs it: the
// one place a key is ever logged.
func ensureDemoKey(ctx context.Context, store coinop.APIKeyService, log *slog.Logger) error {
	has, err := store.UserHasAPIKey(ctx, "demo")
	if err != nil || has {
		return err
	}
	_, secret, err := store.CreateAPIKey(ctx, "demo", coinop.RoleUser)
	if err != nil {
		return err
	}
	log.Info("demo API key created; it is shown only this once", "api_key", secret)
	return nil
}

func newPriceSource(ctx context.Context, cfg *Config, log *slog.Logger, reg *metrics.Registry) coinop.PriceSource {
	if cfg.PriceURL == "" {
		return ticker.NewSim(0)
	}
	errs := reg.NewCounter("coinop_ticker_upstream_errors_total", "Failed polls of the price upstream.")
	u := ticker.NewUpstream(cfg.PriceURL, cfg.PriceInterval, log)
	u.OnError = func(error) { errs.With().Inc() }
	go u.Run(ctx)
	return u
}

func storeKind(cfg *Config) string {
	if cfg.DB == "" || !(len(cfg.DB) > 11 && cfg.DB[:8] == "postgres") {
		return "sqlite"
	}
	return "postgres"
}

// servePprof serves the Go profiler on its own (private) address.
func servePprof(addr string, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	log.Warn("profiling enabled", "addr", addr)
	if err := http.ListenAndServe(addr, mux); err != nil {
		log.Error("pprof server", "err", err)
	}
}

// pruneIdempotencyKeys forgets day-old Idempotency-Keys every hour.
func pruneIdempotencyKeys(ctx context.Context, store coinop.WalletService, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := store.PruneIdempotencyKeys(ctx); err != nil && ctx.Err() == nil {
				log.Warn("pruning idempotency keys", "err", err)
			} else if n > 0 {
				log.Debug("pruned idempotency keys", "count", n)
			}
		}
	}
}

// demoMachines is the demo's screens for the server, or nil.
func demoMachines(d *demo.Machines) coinophttp.DemoMachines {
	if d == nil {
		return nil
	}
	return d
}

// startDemo seeds the demo catalogue and runs its simulated machines
// against this server.
func startDemo(ctx context.Context, store coinop.Store, sims *demo.Machines, addr net.Addr, log *slog.Logger) error {
	ms, err := demo.Seed(ctx, store)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	_, port, _ := net.SplitHostPort(addr.String())
	sims.Run(ctx, "http://127.0.0.1:"+port, ms, log)
	log.Info("demo ready: open /app/ to buy, /machines/ to watch the machines, /admin/ as an operator", "machines", len(ms))
	return nil
}
