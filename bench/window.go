package bench

import (
	"sort"
	"sync/atomic"
	"time"
)

const (
	// backSlots are the slots kept for seqs older than the newest seq seen
	// when the window opens: a client may still have older frames queued.
	backSlots = 1024
	// maxSlots bounds the ring's memory (24 bytes a slot).
	maxSlots = 1 << 22
)

// slot holds, for one seq, when the first and the last client received it
// (nanoseconds since the run's epoch; 0: nobody yet) and how many did.
type slot struct {
	first, last atomic.Int64
	count       atomic.Int64
}

// window is the measured interval and the receive times of every seq in it,
// in a preallocated array indexed by seq-base. Clients record into it
// concurrently without locks.
type window struct {
	start, end int64  // nanoseconds since the run's epoch; end excluded
	base       uint64 // the seq of slots[0]
	slots      []slot
	outside    atomic.Int64 // frames whose seq had no slot
}

// newWindow returns a window over [start, start+d) for a server ticking
// about every tick, whose newest seq so far is latest.
func newWindow(start int64, d, tick time.Duration, latest uint64) *window {
	n := 2*int(d/tick) + 2*backSlots + 64
	n = min(n, maxSlots)
	base := latest - min(latest, backSlots)
	return &window{start: start, end: start + int64(d), base: base, slots: make([]slot, n)}
}

// contains reports whether time t falls in the window.
func (w *window) contains(t int64) bool { return t >= w.start && t < w.end }

// record notes that one client received seq at time t.
func (w *window) record(seq uint64, t int64) {
	if seq < w.base || seq-w.base >= uint64(len(w.slots)) {
		w.outside.Add(1)
		return
	}
	s := &w.slots[seq-w.base]
	s.count.Add(1)
	storeMin(&s.first, t)
	storeMax(&s.last, t)
}

// storeMin lowers v to t, treating 0 as unset.
func storeMin(v *atomic.Int64, t int64) {
	for {
		cur := v.Load()
		if cur != 0 && cur <= t {
			return
		}
		if v.CompareAndSwap(cur, t) {
			return
		}
	}
}

// storeMax raises v to t.
func storeMax(v *atomic.Int64, t int64) {
	for {
		cur := v.Load()
		if cur >= t {
			return
		}
		if v.CompareAndSwap(cur, t) {
			return
		}
	}
}

// Skew summarizes the per-tick delivery skew: for each seq, the time from
// the first to the last client that received it.
type Skew struct {
	Seqs              int    // seqs received by at least one client
	FirstSeq, LastSeq uint64 // lowest and highest seq received
	// Span is from the first receipt of FirstSeq to the first of LastSeq.
	Span          time.Duration
	P50, P99, Max time.Duration
}

// skew summarizes the window's slots. Call it once no client records.
func (w *window) skew() Skew {
	var s Skew
	var skews []time.Duration
	var firstAt int64
	for i := range w.slots {
		sl := &w.slots[i]
		if sl.count.Load() == 0 {
			continue
		}
		seq := w.base + uint64(i)
		if s.Seqs == 0 {
			s.FirstSeq, firstAt = seq, sl.first.Load()
		}
		s.LastSeq, s.Span = seq, time.Duration(sl.first.Load()-firstAt)
		s.Seqs++
		skews = append(skews, time.Duration(sl.last.Load()-sl.first.Load()))
	}
	sort.Slice(skews, func(i, j int) bool { return skews[i] < skews[j] })
	s.P50, s.P99 = Percentile(skews, 50), Percentile(skews, 99)
	if len(skews) > 0 {
		s.Max = skews[len(skews)-1]
	}
	return s
}

// Percentile returns the p-th percentile (0 < p <= 100) of sorted, an
// ascending slice, by the nearest-rank method; 0 if sorted is empty.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p / 100 * float64(len(sorted)))
	if float64(rank) < p/100*float64(len(sorted)) {
		rank++ // ceil without float rounding surprises at exact ranks
	}
	rank = max(1, min(rank, len(sorted)))
	return sorted[rank-1]
}

// TickInterval is the server's mean tick interval as the clients saw it;
// 0 if fewer than two seqs were received.
func (s Skew) TickInterval() time.Duration {
	if s.LastSeq <= s.FirstSeq {
		return 0
	}
	return s.Span / time.Duration(s.LastSeq-s.FirstSeq)
}
