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
}

// newWorkerStats preallocates a worker's share of a window of d.
func newWorkerStats(mix Mix, workers int, d time.Duration) *workerStats {
	w := &workerStats{}
	per := int(d.Seconds()*expectedRate) / workers
	for k := range numKinds {
		w.lat[k] = make([]time.Duration, 0, per*mix[k]/mix.total()+16)
		w.status[k] = map[int]int64{}
	}
	return w
}

// record notes one request of kind k that took d.
func (w *workerStats) record(k kind, status int, err error, d time.Duration, value int64) {
	w.lat[k] = append(w.lat[k], d)
	w.status[k][status]++
	if err != nil && w.firstErr == nil {
		w.firstErr = fmt.Errorf("%s: %w", k, err)
	}
	if k == kCredit && status == http.StatusCreated {
		w.credited += value
	}
}

// runWindow runs the workers until o.Duration has passed (requests under
// way then are finished and counted) and returns their stats.
func (r *walletRun) runWindow(ctx context.Context) []*workerStats {
	stats := make([]*workerStats, r.o.Concurrency)
	for i := range stats {
		stats[i] = newWorkerStats(r.mix, r.o.Concurrency, r.o.Duration)
	}
	deadline := time.Now().Add(r.o.Duration)
	var wg sync.WaitGroup
	for i, w := range stats {
		rng := rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano())))
		wg.Go(func() { r.work(ctx, w, rng, deadline) })
	}
	wg.Wait()
	return stats
}

// work sends requests of the mix one at a time until deadline.
func (r *walletRun) work(ctx context.Context, w *workerStats, rng *rand.Rand, deadline time.Time) {
	total := r.mix.total()
	for ctx.Err() == nil {
		t0 := time.Now()
		if !t0.Before(deadline) {
			return
		}
		k := r.mix.pick(rng.IntN(total))
		value := 1 + rng.Int64N(5)
		status, err := r.request(ctx, rng, k, value)
		w.record(k, status, err, time.Since(t0), value)
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
		slices.Sort(all)
		ks.Count = int64(len(all))
		ks.P50, ks.P99 = Percentile(all, 50), Percentile(all, 99)
		if len(all) > 0 {
			ks.Max = all[len(all)-1]
		}
		rep.Kinds[k] = ks
	}
	for _, w := range stats {
		rep.Credited += w.credited
		if w.firstErr != nil && rep.FirstError == "" {
			rep.FirstError = w.firstErr.Error()
		}
	}
}
