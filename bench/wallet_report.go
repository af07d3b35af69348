package bench

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// WalletReport is the outcome of a wallet load test.
type WalletReport struct {
	WalletOptions
	Mix       Mix
	Base      string // the server's base URL, or the instances' joined
	Instances int
	Issuer    string // the bench's issuer
	Setup     Setup
	Schedule  schedule

	Window     time.Duration       // from the window's start to the last answer
	Kinds      [numKinds]KindStats // requests by kind (kBuy: none, see Purchases)
	Credited   int64               // value of the window's credits answered 201
	FirstError string              // the first transport error of the window
	Purchases  PurchaseStats
	Phases     [numPhases]PhaseStats // with a peak

	Start, End   Sample    // the servers' /metrics around the window, summed
	PhaseSamples [2]Sample // and at the peak's start and end

	SelfCPU, SelfWall        time.Duration // this process's CPU over the window
	Machine                  machineCPU    // every process's CPU over the window
	MachineStart, MachineEnd machineCPU
	PhaseMachine             [2]machineCPU // at the peak's start and end

	Checks []Check
}

// PurchaseStats is what the purchases did (the buy kind).
type PurchaseStats struct {
	Run       string        // names the machines (bench-RUN-i) and the product
	Product   int64         // the product the machines sell
	SetupTime time.Duration // creating, stocking and connecting the machines

	Started   int64            // purchases begun at a free bench machine
	Completed int64            // their release reached the machine
	Released  int64            // releases the machines answered with releasing and idle
	NoMachine int64            // no bench machine free before the window ended
	Retries   int64            // debits sent again at another machine after a 403
	Busy      int64            // 403s saying the machine was busy (its idle not yet applied)
	GaveUp    int64            // purchases whose every debit was refused
	Failed    map[string]int64 // other failures, by reason
	Refusal   string           // the first 403 that was not about a busy machine
	Waited    time.Duration    // workers' total wait for a free bench machine

	ToMFA       Latency // debit sent → stateMFA at the machine (debits answered 201)
	ToReleasing Latency // mfa sent → stateReleasing at the machine
	Whole       Latency // first debit sent → the machine's idle report written

	MFAFrames, ReleasingFrames, CancelFrames int64
	ErrorFrames, Disconnects                 int64
	MachineError                             string        // the first error frame or disconnection
	SettleTime                               time.Duration // after the window, until every machine was free
}

// PhaseStats is one phase of a run with a peak.
type PhaseStats struct {
	Name     string
	From, To time.Duration // offsets in the window
	Rate     float64       // the paced rate
	Ops      int64         // operations started (a purchase is one)
	Skipped  int64         // slots no worker was free to take

	Latency                                     Latency // every request's
	ServerErrors, TransportErrors, ClientErrors int64
	Purchases                                   int64 // completed
}

// Write prints the report.
func (rep *WalletReport) Write(w io.Writer) {
	fmt.Fprintf(w, "coinop bench wallet: %s (issuer %s)\n", rep.Base, rep.Issuer)
	machines := ""
	if rep.Machines > 0 {
		machines = fmt.Sprintf(", %d machines", rep.Machines)
	}
	fmt.Fprintf(w, "  %d players, %d workers, window %s, mix %s%s\n", rep.Players, rep.Concurrency, rep.Duration, rep.Mix, machines)
	fmt.Fprintf(w, "  %s\n", rep.pacingText())
	s := rep.Setup
	fmt.Fprintf(w, "setup\n")
	fmt.Fprintf(w, "  operator              person %d; game product %d\n", s.Operator, s.Game)
	fmt.Fprintf(w, "  players               %d logged in (%d new) in %s\n", rep.Players, s.Created, s.LoginTime.Round(time.Millisecond))
	fmt.Fprintf(w, "  funding               %d credits of %d in %s; the bench issued %d first; players' total before %d\n",
		rep.Players, fundValue, s.FundTime.Round(time.Millisecond), s.Issued, s.Before)
	if rep.Machines > 0 {
		p := rep.Purchases
		fmt.Fprintf(w, "  machines              %d (bench-%s-0…) connected over %d instance(s), slot %d stocked with %d of product %d at %d, in %s\n",
			rep.Machines, p.Run, rep.Instances, machineSlot, machineStock, p.Product, machinePrice, p.SetupTime.Round(time.Millisecond))
	}
	rep.writeRequests(w)
	rep.writePurchases(w)
	rep.writePhases(w)
	rep.writeServer(w)
	writeSelfCPU(w, rep.SelfCPU, rep.SelfWall, rep.Machine)
	rep.writeChecks(w)
}

// pacingText says how the workers were paced.
func (rep *WalletReport) pacingText() string {
	sc := rep.Schedule
	if sc.rate == 0 {
		return "pacing: closed loop (each worker starts its next operation when the last ended)"
	}
	t := fmt.Sprintf("pacing: open loop at %g operations/s (a token bucket %s deep shared by the workers; a purchase is one operation)",
		sc.rate, paceSlack)
	if sc.peaked() {
		t += fmt.Sprintf("; peak ×%g = %g/s from %s to %s", sc.factor, sc.rate*sc.factor, sc.peakStart, sc.peakEnd)
	}
	return t
}

// requests is the number of requests of the window, answered or not.
func (rep *WalletReport) requests() int64 {
	var n int64
	for _, ks := range rep.Kinds {
		n += ks.Count
	}
	return n
}

// serverErrors is the number of answers 5xx in the window.
func (rep *WalletReport) serverErrors() int64 {
	var n int64
	for _, ks := range rep.Kinds {
		n += ks.serverErrors()
	}
	return n
}

// weight is the mix's weight of request kind k (debits and mfas: buy's).
func (rep *WalletReport) weight(k kind) int {
	if k == kDebit || k == kMFA {
		return rep.Mix[kBuy]
	}
	if k < numMix {
		return rep.Mix[k]
	}
	return 0
}

func (rep *WalletReport) writeRequests(w io.Writer) {
	secs := rep.Window.Seconds()
	fmt.Fprintf(w, "requests (window %s)\n", rep.Window.Round(time.Millisecond))
	fmt.Fprintf(w, "  %-10s %9s %9s %9s %9s %9s  %s\n", "kind", "count", "per s", "p50", "p99", "max", "statuses")
	var errs int64
	for k, ks := range rep.Kinds {
		if kind(k) == kBuy || (ks.Count == 0 && rep.weight(kind(k)) == 0) {
			continue
		}
		fmt.Fprintf(w, "  %-10s %9d %9.1f %9s %9s %9s  %s\n", kind(k), ks.Count, float64(ks.Count)/secs,
			durText(ks.P50), durText(ks.P99), durText(ks.Max), statusText(ks.Statuses))
		errs += ks.Statuses[0]
	}
	n := rep.requests()
	fmt.Fprintf(w, "  %-10s %9d %9.1f  5xx %d, transport errors %d%s\n", "all", n, float64(n)/secs,
		rep.serverErrors(), errs, firstErr(rep.FirstError))
}

// durText rounds a latency for the table.
func durText(d time.Duration) string {
	if d >= 10*time.Millisecond {
		return d.Round(100 * time.Microsecond).String()
	}
	return d.Round(time.Microsecond).String()
}

// statusText is a status histogram as "201:70 402:3 err:1", in status order.
func statusText(h map[int]int64) string {
	codes := make([]int, 0, len(h))
	for c := range h {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	parts := make([]string, len(codes))
	for i, c := range codes {
		name := fmt.Sprint(c)
		if c == 0 {
			name = "err"
		}
		parts[i] = fmt.Sprintf("%s:%d", name, h[c])
	}
	return strings.Join(parts, " ")
}

func (rep *WalletReport) writeServer(w io.Writer) {
	if rep.Instances > 1 {
		fmt.Fprintf(w, "servers (from /metrics, %d instances added up)\n", rep.Instances)
	} else {
		fmt.Fprintf(w, "server (from /metrics)\n")
	}
	for _, s := range []Sample{rep.Start, rep.End} {
		if s.Err != nil {
			fmt.Fprintf(w, "  unavailable           %v\n", s.Err)
			return
		}
	}
	if rep.Start.Has(mCPU) && rep.End.Has(mCPU) {
		cpu := rep.End.Values[mCPU] - rep.Start.Values[mCPU]
		wall := rep.End.At.Sub(rep.Start.At).Seconds()
		fmt.Fprintf(w, "  cpu                   %.2f core-s in %.2fs = %.2f cores\n", cpu, wall, cpu/wall)
		if n := rep.requests(); n > 0 {
			fmt.Fprintf(w, "  cpu per 1k requests   %.4f core-s (%.0f µs a request)\n", cpu/float64(n)*1e3, cpu/float64(n)*1e6)
		}
	}
	if rep.End.Has(mRSS) {
		fmt.Fprintf(w, "  resident memory       %s at window end\n", bytesText(rep.End.Values[mRSS]))
	}
}

func (rep *WalletReport) writeChecks(w io.Writer) {
	fmt.Fprintf(w, "invariants\n")
	for _, c := range rep.Checks {
		verdict := "PASS"
		switch {
		case c.Skipped:
			verdict = "SKIP"
		case !c.OK:
			verdict = "FAIL"
		}
		fmt.Fprintf(w, "  %s  %s: %s\n", verdict, c.Name, c.Detail)
	}
	if rep.Err() != nil {
		fmt.Fprintf(w, "result: FAIL\n")
	} else {
		fmt.Fprintf(w, "result: PASS\n")
	}
}

// writePurchases prints the buy kind's outcome and latencies.
func (rep *WalletReport) writePurchases(w io.Writer) {
	if rep.Machines == 0 {
		return
	}
	p := rep.Purchases
	secs := rep.Window.Seconds()
	fmt.Fprintf(w, "purchases (debit at a random free bench machine, its stateMFA's code, mfa; the machine answers mfa, releasing, idle)\n")
	fmt.Fprintf(w, "  started %d, completed %d (%.1f/s); the machines released %d\n", p.Started, p.Completed, float64(p.Completed)/secs, p.Released)
	fmt.Fprintf(w, "  debits retried at a random free machine after a 403: %d (%d said busy), gave up after %d: %d, no free machine: %d, failed: %s\n",
		p.Retries, p.Busy, buyAttempts, p.GaveUp, p.NoMachine, reasonsText(p.Failed))
	if p.Refusal != "" {
		fmt.Fprintf(w, "  first other 403: %s\n", p.Refusal)
	}
	fmt.Fprintf(w, "  waiting for a free bench machine: %s in all\n", p.Waited.Round(time.Millisecond))
	fmt.Fprintf(w, "  %-38s %7s %9s %9s %9s\n", "latency", "count", "p50", "p99", "max")
	for _, l := range []struct {
		name string
		l    Latency
	}{
		{"debit sent → stateMFA at the machine", p.ToMFA},
		{"mfa sent → stateReleasing at the machine", p.ToReleasing},
		{"purchase: first debit → idle reported", p.Whole},
	} {
		fmt.Fprintf(w, "  %-38s %7d %9s %9s %9s\n", l.name, l.l.Count, durText(l.l.P50), durText(l.l.P99), durText(l.l.Max))
	}
	fmt.Fprintf(w, "  machine sockets: stateMFA %d, stateReleasing %d, stateCancel %d, error frames %d, disconnects %d%s\n",
		p.MFAFrames, p.ReleasingFrames, p.CancelFrames, p.ErrorFrames, p.Disconnects, firstErr(p.MachineError))
	fmt.Fprintf(w, "  settling after the window: %s\n", p.SettleTime.Round(time.Millisecond))
}

// reasonsText is "none" or "debit 402:3, no stateMFA: timeout:1".
func reasonsText(m map[string]int64) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s ×%d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

// writePhases prints each phase of a run with a peak.
func (rep *WalletReport) writePhases(w io.Writer) {
	if !rep.Schedule.peaked() {
		if rep.Schedule.rate > 0 {
			ph := rep.Phases[phaseBase]
			fmt.Fprintf(w, "pacing: offered %d, started %d, skipped %d (every worker busy)\n", ph.Ops+ph.Skipped, ph.Ops, ph.Skipped)
		}
		return
	}
	fmt.Fprintf(w, "phases (requests and purchases by the phase their operation started in)\n")
	fmt.Fprintf(w, "  %-6s %-13s %7s %8s %8s %8s %8s %9s %9s %9s %5s %5s %6s %6s %11s %11s\n", "phase", "span", "rate", "offered",
		"started", "skipped", "requests", "req/s", "p50", "p99", "5xx", "err", "4xx", "buys", "server cpu", "machine cpu")
	samples := []Sample{rep.Start, rep.PhaseSamples[0], rep.PhaseSamples[1], rep.End}
	machine := []machineCPU{rep.MachineStart, rep.PhaseMachine[0], rep.PhaseMachine[1], rep.MachineEnd}
	for i, ph := range rep.Phases {
		secs := (ph.To - ph.From).Seconds()
		if phase(i) == phaseAfter {
			secs = max(secs, rep.Window.Seconds()-ph.From.Seconds()) // the window ends with the last answer
		}
		span := fmt.Sprintf("%s-%s", ph.From.Round(time.Second), ph.To.Round(time.Second))
		fmt.Fprintf(w, "  %-6s %-13s %7g %8d %8d %8d %8d %9.1f %9s %9s %5d %5d %6d %6d %11s %11s\n", ph.Name, span, ph.Rate,
			ph.Ops+ph.Skipped, ph.Ops, ph.Skipped, ph.Latency.Count, float64(ph.Latency.Count)/secs,
			durText(ph.Latency.P50), durText(ph.Latency.P99), ph.ServerErrors, ph.TransportErrors, ph.ClientErrors,
			ph.Purchases, serverCores(samples[i], samples[i+1]), machineBusy(machine[i], machine[i+1], samples[i], samples[i+1]))
	}
}

// serverCores is the servers' CPU between two samples, in cores.
func serverCores(a, b Sample) string {
	if a.Err != nil || b.Err != nil || !a.Has(mCPU) || !b.Has(mCPU) || !b.At.After(a.At) {
		return "?"
	}
	return fmt.Sprintf("%.2f cores", (b.Values[mCPU]-a.Values[mCPU])/b.At.Sub(a.At).Seconds())
}

// machineBusy is the machine's busy CPUs between two readings taken with
// the samples a and b.
func machineBusy(x, y machineCPU, a, b Sample) string {
	if !x.ok || !y.ok || !b.At.After(a.At) {
		return "?"
	}
	return fmt.Sprintf("%.2f of %d", y.sub(x).busy.Seconds()/b.At.Sub(a.At).Seconds(), y.cpus)
}
