package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"
)

const (
	// buyAttempts bounds the debits of one purchase: a 403 (the machine is
	// still busy at the server, which has not yet applied its last idle
	// report) is retried at another machine.
	buyAttempts = 8
	// eventWait bounds the wait for a machine's frame about an operation.
	eventWait = 10 * time.Second
)

// buyStats is what one worker's purchases did.
type buyStats struct {
	started   int64 // purchases begun (a machine taken)
	completed int64 // stateReleasing received after the mfa
	noMachine int64 // no machine free before the window ended
	retries   int64 // debits retried at another machine after a 403
	busy      int64 // of those 403s, "busy or not connected"
	gaveUp    int64 // every attempt answered 403
	failed    map[string]int64
	waited    time.Duration // waiting for a free machine
	refusal   string        // the first 403 that did not say busy

	toMFA, toReleasing, whole []time.Duration
}

func (b *buyStats) fail(reason string) {
	if b.failed == nil {
		b.failed = map[string]int64{}
	}
	b.failed[reason]++
}

// buy makes one purchase: a random player debits the product at a random
// free bench machine; the machine, told stateMFA, hands the code over;
// the player confirms it; the machine, told stateReleasing, reports
// releasing and idle. Its requests are recorded in phase ph.
func (r *walletRun) buy(ctx context.Context, w *workerStats, rng *rand.Rand, ph phase, deadline time.Time) {
	f, b := r.fleet, &w.buy
	p := r.players[rng.IntN(len(r.players))]
	t0 := time.Now()
	mi, ok := f.pool.take(ctx, deadline, rng)
	if !ok {
		b.noMachine++
		return
	}
	b.waited += time.Since(t0)
	b.started++
	var op int64
	var sent, first time.Time
	for attempt := 1; ; attempt++ {
		m := f.ms[mi]
		sent = time.Now()
		if attempt == 1 {
			first = sent
		}
		status, body, err := r.api.post(ctx, "/api/v2/debit", p.auth,
			fmt.Appendf(nil, `{"product":%d,"machine":%d}`, f.product, m.id))
		w.record(kDebit, ph, status, err, time.Since(sent), 0)
		if status == http.StatusCreated {
			var out struct {
				Operation int64 `json:"operation"`
			}
			if json.Unmarshal(body, &out) == nil && out.Operation > 0 {
				op = out.Operation
				break
			}
			b.fail("debit 201 without an operation")
			f.pool.put(mi)
			return
		}
		if status != http.StatusForbidden {
			b.fail(fmt.Sprintf("debit %s", statusName(status)))
			f.pool.put(mi)
			return
		}
		if bytes.Contains(body, []byte("busy")) {
			b.busy++
		} else if b.refusal == "" {
			b.refusal = string(bytes.TrimSpace(body))
		}
		f.pool.put(mi)
		if attempt == buyAttempts {
			b.gaveUp++
			return
		}
		b.retries++
		if mi, ok = f.pool.take(ctx, time.Now().Add(eventWait), rng); !ok {
			b.fail("no machine free for a retry")
			return
		}
	}
	m := f.ms[mi]
	defer f.pool.put(mi)
	events := f.events.ch(op)
	defer f.events.done(op)
	mfa, ok := awaitEvent(ctx, events, "stateMFA")
	if !ok {
		b.fail("no stateMFA: " + mfa.kind)
		r.abort(m)
		return
	}
	b.toMFA = append(b.toMFA, mfa.at.Sub(sent))
	sent = time.Now()
	status, err := r.api.send(ctx, "POST", "/api/v2/mfa", p.auth, fmt.Appendf(nil, `{"operation":%d,"code":%d}`, op, mfa.code))
	w.record(kMFA, ph, status, err, time.Since(sent), 0)
	if status != http.StatusOK && status != 0 {
		// Refused: the operation is pending or voided, never released.
		b.fail(fmt.Sprintf("mfa %d", status))
		r.abort(m)
		return
	}
	// Confirmed, or no answer: the release may still come.
	rel, ok := awaitEvent(ctx, events, "stateReleasing")
	if !ok {
		b.fail("no stateReleasing: " + rel.kind)
		r.abort(m)
		return
	}
	b.completed++
	b.toReleasing = append(b.toReleasing, rel.at.Sub(sent))
	b.whole = append(b.whole, rel.done.Sub(first))
	w.phases[ph].purchases++
}

// awaitEvent waits for the event kind of an operation; on a stateCancel or
// after eventWait, ok is false and the event's kind says which.
func awaitEvent(ctx context.Context, events chan machineEvent, kind string) (machineEvent, bool) {
	t := time.NewTimer(eventWait)
	defer t.Stop()
	for {
		select {
		case e := <-events:
			if e.kind == kind {
				return e, true
			}
			if e.kind == "stateCancel" {
				return e, false
			}
		case <-t.C:
			return machineEvent{kind: "timeout"}, false
		case <-ctx.Done():
			return machineEvent{kind: "interrupted"}, false
		}
	}
}

// abort has the machine leave the code screen: an idle report without an
// operation voids one awaiting its code and leaves a released one alone.
func (r *walletRun) abort(m *benchMachine) {
	if err := m.report("idle", 0); err != nil {
		r.fleet.note(fmt.Sprintf("machine %d: abort: %v", m.id, err))
	}
}

// statusName is a status for a failure's reason: the number, or "error"
// for no answer.
func statusName(status int) string {
	if status == 0 {
		return "error"
	}
	return fmt.Sprint(status)
}
