package bench

import (
	"context"
	"sync"
	"time"
)

// phase is a part of the window with its own rate: before, during and after
// the peak. A run without a peak is all phaseBase.
type phase int

const (
	phaseBase phase = iota
	phasePeak
	phaseAfter
	numPhases
)

var phaseNames = [numPhases]string{"base", "peak", "after"}

func (p phase) String() string { return phaseNames[p] }

// schedule is the window's rate over time: rate, then rate×factor from
// peakStart to peakEnd, then rate again. Offsets are from the window's start.
type schedule struct {
	window             time.Duration
	rate               float64 // operations a second; 0: closed loop
	factor             float64 // the peak's multiplier; 1: no peak
	peakStart, peakEnd time.Duration
}

// newSchedule centres a peak of o.PeakDuration (a third of the window if
// 0) in the window.
func newSchedule(o WalletOptions) schedule {
	s := schedule{window: o.Duration, rate: o.Rate, factor: 1, peakStart: o.Duration, peakEnd: o.Duration}
	if o.peaked() {
		d := o.PeakDuration
		if d == 0 {
			d = o.Duration / 3
		}
		s.factor = o.Peak
		s.peakStart = (o.Duration - d) / 2
		s.peakEnd = s.peakStart + d
	}
	return s
}

// peaked reports whether the schedule has a peak.
func (s schedule) peaked() bool { return s.factor > 1 && s.rate > 0 }

// phaseAt is the phase of offset off.
func (s schedule) phaseAt(off time.Duration) phase {
	switch {
	case off < s.peakStart:
		return phaseBase
	case off < s.peakEnd:
		return phasePeak
	}
	return phaseAfter
}

// span is where phase p starts and ends.
func (s schedule) span(p phase) (from, to time.Duration) {
	switch p {
	case phaseBase:
		return 0, s.peakStart
	case phasePeak:
		return s.peakStart, s.peakEnd
	}
	return s.peakEnd, s.window
}

// rateAt is the rate at offset off.
func (s schedule) rateAt(off time.Duration) float64 {
	if s.phaseAt(off) == phasePeak {
		return s.rate * s.factor
	}
	return s.rate
}

// interval is the time from a slot at off to the next.
func (s schedule) interval(off time.Duration) time.Duration {
	return max(time.Duration(float64(time.Second)/s.rateAt(off)), 1)
}

// paceSlack is how late a slot may still be taken: the token bucket's
// depth, in time. Slots later than that were offered while every worker
// was busy and are skipped.
const paceSlack = 50 * time.Millisecond

// pacer hands out the schedule's slots to the workers: a token bucket of
// depth paceSlack shared by all. Each worker reserves the next slot and
// sleeps until its time; the concurrency (the number of workers) still
// bounds the operations in flight.
type pacer struct {
	s     schedule
	start time.Time
	now   func() time.Time

	mu      sync.Mutex
	next    time.Duration // offset of the next slot not yet given out
	skipped [numPhases]int64
}

func newPacer(s schedule, start time.Time) *pacer {
	return &pacer{s: s, start: start, now: time.Now}
}

// reserve gives out the next slot that is not too late and returns its
// offset; ok is false once the slots reach the end of the window.
func (p *pacer) reserve() (slot time.Duration, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	late := p.now().Sub(p.start) - paceSlack
	for p.next < late && p.next < p.s.window {
		p.skipped[p.s.phaseAt(p.next)]++
		p.next += p.s.interval(p.next)
	}
	slot = p.next
	if slot >= p.s.window {
		return slot, false
	}
	p.next += p.s.interval(slot)
	return slot, true
}

// wait reserves a slot and sleeps until its time. ok is false at the end of
// the window or of ctx.
func (p *pacer) wait(ctx context.Context) (slot time.Duration, ok bool) {
	slot, ok = p.reserve()
	if !ok {
		return slot, false
	}
	if d := p.start.Add(slot).Sub(p.now()); d > 0 {
		if sleep(ctx, d) != nil {
			return slot, false
		}
	}
	return slot, ctx.Err() == nil
}

// skips returns the slots skipped in each phase.
func (p *pacer) skips() [numPhases]int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.skipped
}
