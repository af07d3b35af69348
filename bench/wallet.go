package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Wallet load-tests the bank's HTTP API of the server at o.URL (or of the
// instances, o.URL listing several) and writes the report to w. It serves
// its own OpenID provider at o.IssuerAddr (the server must trust it:
// ServerFlags), logs in an operator, creates a game, logs in and funds
// o.Players players, with o.Machines creates, stocks and connects vending
// machines it plays itself, runs o.Concurrency workers for o.Duration
// sending the mix of transfers, credits, balance reads and purchases
// (closed loop, or paced at o.Rate with an optional peak), waits for the
// purchases to settle, and then checks the money invariants through the API
// and, with o.CheckStore, in the server's database. It returns an error if
// a check fails or a request was answered 5xx.
func Wallet(ctx context.Context, o WalletOptions, w io.Writer) error {
	if err := o.Validate(); err != nil {
		return err
	}
	bases, _ := o.urls() // validated
	mix, _ := ParseMix(o.mix())
	r := &walletRun{
		o: o, mix: mix, api: newAPI(bases, o.Concurrency), metrics: newHTTPClient(), sched: newSchedule(o),
		players: make([]player, o.Players), progress: w,
		rep: &WalletReport{WalletOptions: o, Mix: mix, Base: strings.Join(bases, ", "), Instances: len(distinct(bases))},
	}
	r.rep.Schedule = r.sched
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
	if o.Machines > 0 {
		defer func() { r.fleet.close() }() // r.fleet is set by setupMachines
		if err := r.setupMachines(ctx); err != nil {
			return err
		}
	}
	r.measure(ctx)
	if err := ctx.Err(); err != nil {
		return err
	}
	r.settle(ctx)
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
	fleet    *fleet   // the bench's machines; nil without
	sched    schedule
	pacer    *pacer // nil: closed loop
	rep      *WalletReport
	progress io.Writer               // notes while the run waits
	machines map[int64]machineStatus // the bench machines after the window
	settled  error                   // why they did not all settle
}

// measure runs the window between two scrapes of the servers' metrics,
// timing this process's and the machine's CPU.
func (r *walletRun) measure(ctx context.Context) {
	rep := r.rep
	rep.Start = scrapeAll(ctx, r.metrics, r.api.bases)
	cpu0, m0, t0 := selfCPU(), readMachineCPU(), time.Now()
	rep.MachineStart = m0
	stats := r.runWindow(ctx)
	rep.Window = time.Since(t0)
	rep.End = scrapeAll(ctx, r.metrics, r.api.bases)
	rep.SelfCPU, rep.SelfWall = selfCPU()-cpu0, rep.Window
	rep.MachineEnd = readMachineCPU()
	rep.Machine = rep.MachineEnd.sub(m0)
	r.merge(stats)
}

// settleWait bounds the wait for the bench machines to be free after the
// window: longer than the server's default code timeout, after which a
// forgotten code is voided.
const settleWait = 35 * time.Second

// settle waits until every bench machine is idle and busy with no
// operation, so that the purchases in flight have settled.
func (r *walletRun) settle(ctx context.Context) {
	if r.fleet == nil {
		return
	}
	t0 := time.Now()
	r.machines, r.settled = r.waitMachines(ctx, settleWait, machineStatus.free)
	r.rep.Purchases.SettleTime = time.Since(t0)
	f := r.fleet
	r.rep.Purchases.Disconnects, r.rep.Purchases.ErrorFrames = f.disconnects.Load(), f.errorFrames.Load()
	r.rep.Purchases.Released = f.released()
	f.mu.Lock()
	r.rep.Purchases.MachineError = f.firstErr
	f.mu.Unlock()
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
