package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"
)

// expectedRate sizes each worker's latency slices in advance: the requests
// per second all workers together may reach before the slices must grow.
const expectedRate = 20000

// workerStats is what one worker saw in the window. Only its worker writes
// it; the run merges every worker's once they are done.
type workerStats struct {
	lat      [numKinds][]time.Duration
	status   [numKinds]map[int]int64 // by HTTP status; 0 is a transport error
	credited int64                   // value of the credits answered 201
	firstErr error
	buy      buyStats
	phases   [numPhases]phaseStats
}

// phaseStats is what a worker did in one phase of the window.
type phaseStats struct {
	ops       int64           // operations started (a purchase is one)
	lat       []time.Duration // every request's latency
	status5xx int64
	transport int64 // requests without an answer
	status4xx int64
	purchases int64 // purchases completed
}

// newWorkerStats preallocates a worker's share of a window of d.
func newWorkerStats(mix Mix, workers int, d time.Duration) *workerStats {
	w := &workerStats{}
	per := int(d.Seconds()*expectedRate) / workers
	for k := range numKinds {
		weight := 0
		switch k {
		case kBuy:
		case kDebit, kMFA:
			weight = mix[kBuy]
		default:
			weight = mix[k]
		}
		w.lat[k] = make([]time.Duration, 0, per*weight/mix.total()+16)
		w.status[k] = map[int]int64{}
	}
	return w
}

// record notes one request of kind k, sent in phase ph, that took d.
func (w *workerStats) record(k kind, ph phase, status int, err error, d time.Duration, value int64) {
	w.lat[k] = append(w.lat[k], d)
	w.status[k][status]++
	if err != nil && w.firstErr == nil {
		w.firstErr = fmt.Errorf("%s: %w", k, err)
	}
	if k == kCredit && status == http.StatusCreated {
		w.credited += value
	}
	p := &w.phases[ph]
	p.lat = append(p.lat, d)
	switch {
	case status == 0:
		p.transport++
	case status >= 500:
		p.status5xx++
	case status >= 400:
		p.status4xx++
	}
}

// runWindow runs the workers until o.Duration has passed (operations under
// way then are finished and counted) and returns their stats.
func (r *walletRun) runWindow(ctx context.Context) []*workerStats {
	stats := make([]*workerStats, r.o.Concurrency)
	for i := range stats {
		stats[i] = newWorkerStats(r.mix, r.o.Concurrency, r.o.Duration)
	}
	start := time.Now()
	deadline := start.Add(r.o.Duration)
	if r.o.Rate > 0 {
		r.pacer = newPacer(r.sched, start)
	}
	phasesDone := make(chan struct{})
	if r.sched.peaked() {
		go r.samplePhases(ctx, start, phasesDone)
	} else {
		close(phasesDone)
	}
	var wg sync.WaitGroup
	for i, w := range stats {
		rng := rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano())))
		wg.Go(func() { r.work(ctx, w, rng, start, deadline) })
	}
	wg.Wait()
	<-phasesDone
	return stats
}

// work runs operations of the mix one at a time until deadline: as fast as
// they are answered, or at the pacer's slots.
func (r *walletRun) work(ctx context.Context, w *workerStats, rng *rand.Rand, start, deadline time.Time) {
	total := r.mix.total()
	for ctx.Err() == nil {
		var off time.Duration
		if r.pacer != nil {
			var ok bool
			if off, ok = r.pacer.wait(ctx); !ok {
				return
			}
		} else {
			now := time.Now()
			if !now.Before(deadline) {
				return
			}
			off = now.Sub(start)
		}
		ph := r.sched.phaseAt(off)
		w.phases[ph].ops++
		k := r.mix.pick(rng.IntN(total))
		if k == kBuy {
			r.buy(ctx, w, rng, ph, deadline)
			continue
		}
		t0 := time.Now()
		value := 1 + rng.Int64N(5)
		status, err := r.request(ctx, rng, k, value)
		w.record(k, ph, status, err, time.Since(t0), value)
	}
}

// request sends one request of kind k: a transfer of value between two
// distinct random players, a credit of value to one, or a balance read.
func (r *walletRun) request(ctx context.Context, rng *rand.Rand, k kind, value int64) (int, error) {
	ps := r.players
	from := rng.IntN(len(ps))
	switch k {
	case kTransfer:
		to := rng.IntN(len(ps) - 1)
		if to >= from {
			to++
		}
		body := fmt.Appendf(nil, `{"to":%d,"value":%d}`, ps[to].id, value)
		return r.api.send(ctx, "POST", "/api/v2/transfer", ps[from].auth, body)
	case kCredit:
		body := fmt.Appendf(nil, `{"product":%d,"value":%d}`, r.rep.Setup.Game, value)
		return r.api.send(ctx, "POST", "/api/v2/credit", ps[from].gameAuth, body)
	}
	return r.api.send(ctx, "GET", "/api/v2/balance", ps[from].auth, nil)
}

// KindStats is the outcome of one kind of request in the window.
type KindStats struct {
	Count         int64
	Statuses      map[int]int64 // by HTTP status; 0 counts transport errors
	P50, P99, Max time.Duration
}

// Latency summarizes durations.
type Latency struct {
	Count         int
	P50, P99, Max time.Duration
}

// latencyOf sorts ds and summarizes them.
func latencyOf(ds []time.Duration) Latency {
	slices.Sort(ds)
	l := Latency{Count: len(ds), P50: Percentile(ds, 50), P99: Percentile(ds, 99)}
	if len(ds) > 0 {
		l.Max = ds[len(ds)-1]
	}
	return l
}

// merge adds up the workers' stats into the report.
func (r *walletRun) merge(stats []*workerStats) {
	rep := r.rep
	for k := range numKinds {
		n := 0
		for _, w := range stats {
			n += len(w.lat[k])
		}
		all := make([]time.Duration, 0, n)
		ks := KindStats{Statuses: map[int]int64{}}
		for _, w := range stats {
			all = append(all, w.lat[k]...)
			for st, n := range w.status[k] {
				ks.Statuses[st] += n
			}
		}
		l := latencyOf(all)
		ks.Count, ks.P50, ks.P99, ks.Max = int64(l.Count), l.P50, l.P99, l.Max
		rep.Kinds[k] = ks
	}
	for _, w := range stats {
		rep.Credited += w.credited
		if w.firstErr != nil && rep.FirstError == "" {
			rep.FirstError = w.firstErr.Error()
		}
	}
	r.mergeBuys(stats)
	r.mergePhases(stats)
}

// mergeBuys adds up the workers' purchases.
func (r *walletRun) mergeBuys(stats []*workerStats) {
	if r.fleet == nil {
		return
	}
	ps := &r.rep.Purchases
	ps.Failed = map[string]int64{}
	var toMFA, toRel, whole []time.Duration
	for _, w := range stats {
		b := &w.buy
		ps.Started += b.started
		ps.Completed += b.completed
		ps.NoMachine += b.noMachine
		ps.Retries += b.retries
		ps.Busy += b.busy
		ps.GaveUp += b.gaveUp
		ps.Waited += b.waited
		for reason, n := range b.failed {
			ps.Failed[reason] += n
		}
		if ps.Refusal == "" {
			ps.Refusal = b.refusal
		}
		toMFA = append(toMFA, b.toMFA...)
		toRel = append(toRel, b.toReleasing...)
		whole = append(whole, b.whole...)
	}
	ps.ToMFA, ps.ToReleasing, ps.Whole = latencyOf(toMFA), latencyOf(toRel), latencyOf(whole)
	f := r.fleet
	ps.MFAFrames, ps.ReleasingFrames, ps.CancelFrames = f.frames[0].Load(), f.frames[1].Load(), f.frames[2].Load()
	ps.Released = f.released()
}

// mergePhases adds up the workers' phases and the pacer's skips.
func (r *walletRun) mergePhases(stats []*workerStats) {
	rep := r.rep
	var skips [numPhases]int64
	if r.pacer != nil {
		skips = r.pacer.skips()
	}
	for p := range numPhases {
		ph := PhaseStats{Name: p.String(), Skipped: skips[p]}
		ph.From, ph.To = r.sched.span(p)
		ph.Rate = r.sched.rateAt(ph.From)
		var lat []time.Duration
		for _, w := range stats {
			s := &w.phases[p]
			ph.Ops += s.ops
			ph.ServerErrors += s.status5xx
			ph.TransportErrors += s.transport
			ph.ClientErrors += s.status4xx
			ph.Purchases += s.purchases
			lat = append(lat, s.lat...)
		}
		ph.Latency = latencyOf(lat)
		rep.Phases[p] = ph
	}
}

// samplePhases scrapes the servers and reads the machine's CPU at the
// peak's start and end, for each phase's CPU.
func (r *walletRun) samplePhases(ctx context.Context, start time.Time, done chan<- struct{}) {
	defer close(done)
	for i, at := range []time.Duration{r.sched.peakStart, r.sched.peakEnd} {
		if sleep(ctx, time.Until(start.Add(at))) != nil {
			return
		}
		r.rep.PhaseSamples[i] = scrapeAll(ctx, r.metrics, r.api.bases)
		r.rep.PhaseMachine[i] = readMachineCPU()
	}
}
