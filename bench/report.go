package bench

import (
	"fmt"
	"io"
	"runtime"
	"time"
)

// Report is the outcome of a ticker load test.
type Report struct {
	Options
	WSURL string

	Connected, Failed int
	FirstError        string // the first failed connection's error
	ConnectTime       time.Duration
	Dropped           int    // sockets that ended before the tool closed them
	DropError         string // the first of those endings

	Window    time.Duration // the measured window
	Frames    int64         // ticker frames received in the window, all clients
	Missed    int64         // seqs skipped by clients in the window
	Reordered int64         // frames not newer than the client's previous one
	Outside   int64         // frames whose seq fell outside the skew ring
	Skew      Skew

	Idle, Start, End Sample // server metrics: before connecting, window start, window end

	SelfCPU, SelfWall time.Duration // this process's CPU over the window
	Machine           machineCPU    // every process's CPU over the window
}

// Series the report reads from the server's /metrics.
const (
	mCPU      = "process_cpu_seconds_total"
	mRSS      = "process_resident_memory_bytes"
	mHeap     = "go_memstats_heap_inuse_bytes"
	mOpen     = "coinop_ws_connections_open"
	mSent     = "coinop_ticker_frames_sent_total"
	mCoalesce = "coinop_ticker_frames_dropped_total"
)

// Write prints the report.
func (r *Report) Write(w io.Writer) {
	fmt.Fprintf(w, "coinop bench ticker: %s\n", r.WSURL)
	ramp := "all at once"
	if r.Ramp > 0 {
		ramp = fmt.Sprintf("%g/s", r.Ramp)
	}
	fmt.Fprintf(w, "  %d clients, window %s, expected tick %s, ramp %s, warmup %s\n",
		r.Clients, r.Duration, r.ExpectTick, ramp, r.Warmup)
	r.writeConnections(w)
	if r.Connected == 0 {
		return
	}
	r.writeDelivery(w)
	r.writeServer(w)
	r.writeSelf(w)
}

func (r *Report) writeConnections(w io.Writer) {
	fmt.Fprintf(w, "connections\n")
	fmt.Fprintf(w, "  connected             %d in %s\n", r.Connected, r.ConnectTime.Round(time.Millisecond))
	fmt.Fprintf(w, "  failed                %d%s\n", r.Failed, firstErr(r.FirstError))
	fmt.Fprintf(w, "  disconnected early    %d%s\n", r.Dropped, firstErr(r.DropError))
}

func firstErr(s string) string {
	if s == "" {
		return ""
	}
	return " (first error: " + s + ")"
}

// IdealRate is the frames per second every client receiving every tick
// would give.
func (r *Report) IdealRate() float64 {
	return float64(r.Clients) * float64(time.Second) / float64(r.ExpectTick)
}

func (r *Report) writeDelivery(w io.Writer) {
	secs := r.Window.Seconds()
	rate, ideal := float64(r.Frames)/secs, r.IdealRate()
	fmt.Fprintf(w, "delivery\n")
	fmt.Fprintf(w, "  frames delivered      %d in %.3fs = %.1f/s\n", r.Frames, secs, rate)
	fmt.Fprintf(w, "  ideal                 %.1f/s (%d clients x 1s/%s)\n", ideal, r.Clients, r.ExpectTick)
	fmt.Fprintf(w, "  delivered/ideal       %.1f%%\n", 100*rate/ideal)
	s := r.Skew
	fmt.Fprintf(w, "  seqs observed         %d (expected ~%d)", s.Seqs, int64(r.Window/r.ExpectTick))
	if iv := s.TickInterval(); iv > 0 {
		fmt.Fprintf(w, ", seq %d..%d: server ticked every %s", s.FirstSeq, s.LastSeq, iv.Round(time.Microsecond))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  tick skew             p50 %s  p99 %s  max %s (last minus first client's receive time, per seq)\n",
		s.P50.Round(time.Microsecond), s.P99.Round(time.Microsecond), s.Max.Round(time.Microsecond))
	perClient := float64(r.Missed) / float64(max(r.Connected, 1))
	fmt.Fprintf(w, "  frames missed (gaps)  %d total, %.1f per client, %d out of order\n", r.Missed, perClient, r.Reordered)
	if r.Outside > 0 {
		fmt.Fprintf(w, "  note: %d frames had seqs outside the skew ring (is --expect-tick right?)\n", r.Outside)
	}
}

func (r *Report) writeServer(w io.Writer) {
	fmt.Fprintf(w, "server (from /metrics)\n")
	for _, s := range []Sample{r.Idle, r.Start, r.End} {
		if s.Err != nil {
			fmt.Fprintf(w, "  unavailable           %v\n", s.Err)
			return
		}
	}
	if r.Start.Has(mCPU) && r.End.Has(mCPU) {
		cpu := r.End.Values[mCPU] - r.Start.Values[mCPU]
		wall := r.End.At.Sub(r.Start.At).Seconds()
		fmt.Fprintf(w, "  cpu                   %.2f core-s in %.2fs = %.2f cores\n", cpu, wall, cpu/wall)
		if r.Frames > 0 {
			fmt.Fprintf(w, "  cpu per 100k frames   %.3f core-s\n", cpu/float64(r.Frames)*1e5)
		}
	}
	if r.Start.Has(mSent) && r.End.Has(mSent) {
		fmt.Fprintf(w, "  frames sent/dropped   %.0f sent, %.0f dropped (coalesced) in the window\n",
			r.End.Values[mSent]-r.Start.Values[mSent], r.End.Values[mCoalesce]-r.Start.Values[mCoalesce])
	}
	if r.Start.Has(mOpen) {
		fmt.Fprintf(w, "  open connections      %.0f at window start\n", r.Start.Values[mOpen])
	}
	r.writeMemory(w, "resident memory", mRSS)
	r.writeMemory(w, "heap in use", mHeap)
}

// writeMemory prints a memory series before connecting and once connected.
func (r *Report) writeMemory(w io.Writer, label, name string) {
	if !r.Idle.Has(name) || !r.Start.Has(name) {
		return
	}
	before, after := r.Idle.Values[name], r.Start.Values[name]
	per := (after - before) / float64(max(r.Connected, 1))
	fmt.Fprintf(w, "  %-21s %s before connecting, %s connected = %s per connection\n",
		label, bytesText(before), bytesText(after), bytesText(per))
}

func (r *Report) writeSelf(w io.Writer) { writeSelfCPU(w, r.SelfCPU, r.SelfWall, r.Machine) }

// writeSelfCPU prints this process's CPU over a window of wall and the
// machine's, warning when either was saturated.
func writeSelfCPU(w io.Writer, self, wall time.Duration, m machineCPU) {
	cores, usable := self.Seconds()/wall.Seconds(), runtime.NumCPU()
	fmt.Fprintf(w, "load tool (this process)\n")
	fmt.Fprintf(w, "  cpu                   %.2f core-s in %.2fs = %.2f cores (may use %d CPUs)\n",
		self.Seconds(), wall.Seconds(), cores, usable)
	if cores > 0.8*float64(usable) {
		fmt.Fprintf(w, "  warning: the load tool is near saturating its CPUs; results may reflect the client\n")
	}
	if !m.ok || m.cpus == 0 {
		return
	}
	busy := m.busy.Seconds() / wall.Seconds()
	fmt.Fprintf(w, "machine (all processes, /proc/stat)\n")
	fmt.Fprintf(w, "  cpu busy              %.2f of %d CPUs (steal %.2f)\n", busy, m.cpus, m.steal.Seconds()/wall.Seconds())
	if busy > 0.9*float64(m.cpus) {
		fmt.Fprintf(w, "  warning: the machine's CPUs were saturated; a server on this machine competed with the load tool\n")
	}
}

// bytesText formats a byte count in binary units.
func bytesText(b float64) string {
	switch a := max(b, -b); {
	case a >= 1<<30:
		return fmt.Sprintf("%.2f GiB", b/(1<<30))
	case a >= 1<<20:
		return fmt.Sprintf("%.1f MiB", b/(1<<20))
	case a >= 1<<10:
		return fmt.Sprintf("%.1f KiB", b/(1<<10))
	}
	return fmt.Sprintf("%.0f B", b)
}
