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
	Mix    Mix
	Base   string // the server's base URL
	Issuer string // the bench's issuer
	Setup  Setup

	Window     time.Duration       // from the window's start to the last answer
	Kinds      [numKinds]KindStats // by kind
	Credited   int64               // value of the window's credits answered 201
	FirstError string              // the first transport error of the window

	Start, End        Sample        // the server's /metrics around the window
	SelfCPU, SelfWall time.Duration // this process's CPU over the window
	Machine           machineCPU    // every process's CPU over the window

	Checks []Check
}

// Write prints the report.
func (rep *WalletReport) Write(w io.Writer) {
	fmt.Fprintf(w, "coinop bench wallet: %s (issuer %s)\n", rep.Base, rep.Issuer)
	fmt.Fprintf(w, "  %d players, %d workers, window %s, mix %s\n", rep.Players, rep.Concurrency, rep.Duration, rep.Mix)
	s := rep.Setup
	fmt.Fprintf(w, "setup\n")
	fmt.Fprintf(w, "  operator              person %d; game product %d\n", s.Operator, s.Game)
	fmt.Fprintf(w, "  players               %d logged in (%d new) in %s\n", rep.Players, s.Created, s.LoginTime.Round(time.Millisecond))
	fmt.Fprintf(w, "  funding               %d credits of %d in %s; the bench issued %d first; players' total before %d\n",
		rep.Players, fundValue, s.FundTime.Round(time.Millisecond), s.Issued, s.Before)
	rep.writeRequests(w)
	rep.writeServer(w)
	writeSelfCPU(w, rep.SelfCPU, rep.SelfWall, rep.Machine)
	rep.writeChecks(w)
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

func (rep *WalletReport) writeRequests(w io.Writer) {
	secs := rep.Window.Seconds()
	fmt.Fprintf(w, "requests (window %s)\n", rep.Window.Round(time.Millisecond))
	fmt.Fprintf(w, "  %-10s %9s %9s %9s %9s %9s  %s\n", "kind", "count", "per s", "p50", "p99", "max", "statuses")
	var errs int64
	for k, ks := range rep.Kinds {
		if ks.Count == 0 && rep.Mix[k] == 0 {
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
	fmt.Fprintf(w, "server (from /metrics)\n")
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
