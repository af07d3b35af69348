package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Wallet load-tests the bank's HTTP API of the server at o.URL and writes
// the report to w. It serves its own OpenID provider at o.IssuerAddr (the
// server must trust it: ServerFlags), logs in an operator, creates a game,
// logs in and funds o.Players players, runs o.Concurrency workers for
// o.Duration sending the mix of transfers, credits and balance reads, and
// then checks the money invariants through the API and, with o.CheckStore,
// in the server's database. It returns an error if a check fails or a
// request was answered 5xx.
func Wallet(ctx context.Context, o WalletOptions, w io.Writer) error {
	if err := o.Validate(); err != nil {
		return err
	}
	u, _ := baseURL(o.URL) // validated
	mix, _ := ParseMix(o.Mix)
	r := &walletRun{
		o: o, mix: mix, api: newAPI(u.String(), o.Concurrency), metrics: newHTTPClient(),
		players: make([]player, o.Players), progress: w,
		rep: &WalletReport{WalletOptions: o, Mix: mix, Base: u.String()},
	}
	defer r.api.hc.CloseIdleConnections()
	tb := &programTB{}
	defer tb.cleanup()
	var err error
	if r.is, err = startIssuer(tb, o.IssuerAddr); err != nil {
		return err
	}
	r.rep.Issuer = r.is.url()
	if err := r.setup(ctx); err != nil {
		return err
	}
	r.measure(ctx)
	if err := ctx.Err(); err != nil {
		return err
	}
	r.check(ctx)
	r.rep.Write(w)
	return r.rep.Err()
}

// walletRun is one wallet load test in progress.
type walletRun struct {
	o        WalletOptions
	mix      Mix
	api      *api
	metrics  *http.Client // for /metrics, apart from the load's connections
	is       *issuer
	opAuth   string   // the operator's Authorization header
	players  []player // by index; player i's subject is playerSub of i
	rep      *WalletReport
	progress io.Writer // notes while the run waits
}

// measure runs the window between two scrapes of the server's metrics,
// timing this process's and the machine's CPU.
func (r *walletRun) measure(ctx context.Context) {
	rep := r.rep
	rep.Start = scrape(ctx, r.metrics, r.api.base)
	cpu0, m0, t0 := selfCPU(), readMachineCPU(), time.Now()
	stats := r.runWindow(ctx)
	rep.Window = time.Since(t0)
	rep.End = scrape(ctx, r.metrics, r.api.base)
	rep.SelfCPU, rep.SelfWall = selfCPU()-cpu0, rep.Window
	rep.Machine = readMachineCPU().sub(m0)
	r.merge(stats)
}

// Err is the run's verdict: nil when every check passed (one is that no
// request was answered 5xx) and requests were made.
func (rep *WalletReport) Err() error {
	var errs []error
	for _, c := range rep.Checks {
		if !c.OK {
			errs = append(errs, fmt.Errorf("FAIL: %s: %s", c.Name, c.Detail))
		}
	}
	if rep.requests() == 0 {
		errs = append(errs, errors.New("no request was sent in the window"))
	}
	return errors.Join(errs...)
}
