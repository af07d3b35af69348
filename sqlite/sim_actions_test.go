package sqlite_test

import (
	"fmt"
	"regexp"
	"time"

	"github.com/coinop/coinop"
)

// act takes one random action.
func (s *sim) act() {
	s.t.Helper()
	switch n := s.rng.IntN(100); {
	case n < 16:
		s.debit()
	case n < 36:
		s.confirm()
	case n < 70:
		s.machineAct()
	case n < 81:
		s.advance()
	case n < 83:
		s.disconnect()
	case n < 87:
		s.reconnect()
	case n < 91:
		s.settle()
	case n < 92:
		s.void()
	case n < 95:
		s.fund(s.players[s.rng.IntN(len(s.players))], int64(1+s.rng.IntN(30)))
		s.logf("operator credits a player")
	case n < 98:
		s.restock()
	default:
		s.replay()
	}
}

// debit: a player buys a random product, at any machine or a given one.
func (s *sim) debit() {
	s.t.Helper()
	p := s.players[s.rng.IntN(len(s.players))]
	req, prod := s.debitRequest(p)
	balance, err := s.db.Balance(s.ctx, p.p.ID)
	s.must(err)
	m, sl, code := s.predictDebit(prod, req.MachineID, balance)
	cmd, err := s.db.Debit(s.ctx, req)
	s.logf("debit: %s (balance %d) buys %s at %d for %d: %v", p.p.GivenName, balance, prod.Name, req.MachineID, prod.Price, errOr(cmd, err))
	s.outcomes["(debit: "+simDigits.ReplaceAllString(coinop.ErrorMessage(err), "N")+")"]++
	if code != "" || err != nil {
		s.wantCode("debit", err, code)
		return
	}
	if cmd.MachineID != m.m.ID || cmd.Slot != sl.slot || cmd.Kind != m.m.Kind || cmd.Code != req.Code || cmd.Username != p.p.GivenName ||
		cmd.Op.Status != coinop.StatusPending || cmd.Op.Value != prod.Price || s.ops[cmd.Op.ID] != nil {
		s.fail("debit answered %+v (op %+v), want machine %d slot %d", cmd, cmd.Op, m.m.ID, sl.slot)
	}
	kind, timeout := "show", simCodeTimeout
	if m.m.Kind == coinop.KindArcade {
		kind, timeout = "coin", simCoinTimeout
	}
	op := &simOp{id: cmd.Op.ID, player: p, m: m, slot: sl.slot, value: prod.Price, code: req.Code,
		expires: s.clock.now().Add(timeout), status: coinop.StatusPending, said: coinop.StatusPending, clumsy: s.rng.IntN(100) < 15}
	s.ops[op.id], s.all, s.open = op, append(s.all, op), append(s.open, op)
	m.storeOp = op.id
	p.last = &simDebit{req: req, op: op}
	if !s.deliver(m, simMsg{kind, op}) { // as the server does with a command it cannot send
		st, err := s.db.Void(s.ctx, op.id, "the machine could not be reached")
		s.must(err)
		s.settled("void", st)
	}
}

// debitRequest: mostly a food sold somewhere, else an arcade credit or
// the food sold nowhere; mostly at any machine, else at one that sells it
// or at any.
func (s *sim) debitRequest(p *simPlayer) (coinop.DebitRequest, *coinop.Product) {
	prod := s.foods[s.rng.IntN(len(s.foods)-1)]
	switch n := s.rng.IntN(100); {
	case n < 25:
		prod = s.credits[s.rng.IntN(len(s.credits))]
	case n < 28:
		prod = s.foods[len(s.foods)-1]
	}
	var at int64
	if n := s.rng.IntN(100); n < 25 {
		m := s.pickMachine(func(m *simMachine) bool { return n < 5 || m.sells(prod.ID) })
		if m == nil {
			m = s.machines[s.rng.IntN(len(s.machines))]
		}
		at = m.m.ID
	}
	return coinop.DebitRequest{PersonID: p.p.ID, ProductID: prod.ID, MachineID: at, Code: 10 + s.rng.IntN(90),
		CodeTimeout: simCodeTimeout, CoinTimeout: simCoinTimeout,
		Idem: coinop.Idempotency{Key: fmt.Sprintf("debit-%d", s.step), Hash: fmt.Appendf(nil, "%d/%d", prod.ID, at)}}, prod
}

var simDigits = regexp.MustCompile(`[0-9]+`)

// predictDebit says which machine and slot a debit must take, or the error
// code it must fail with, in the store's order of checks.
func (s *sim) predictDebit(prod *coinop.Product, at int64, balance int64) (*simMachine, *simSlot, string) {
	var m *simMachine
	now := s.clock.now()
	for _, c := range s.machines {
		if c.m.ID == at || (at == 0 && c.lease.After(now) && c.storeOp == 0 && c.bestSlot(prod.ID) != nil && c.bestSlot(prod.ID).qty > 0) {
			m = c
			break
		}
	}
	for _, c := range s.machines {
		if m == nil && c.sells(prod.ID) {
			m = c
		}
	}
	switch {
	case m == nil || !m.sells(prod.ID):
		return nil, nil, coinop.EFORBIDDEN
	case balance < prod.Price:
		return nil, nil, coinop.EFUNDS
	case !m.lease.After(now) || m.storeOp != 0 || m.bestSlot(prod.ID).qty < 1:
		return nil, nil, coinop.EFORBIDDEN
	}
	return m, m.bestSlot(prod.ID), ""
}

// replay: a player retries their last debit with its Idempotency-Key
// (sometimes with another request), which must answer the same operation
// and send nothing.
func (s *sim) replay() {
	s.t.Helper()
	p := s.players[s.rng.IntN(len(s.players))]
	if p.last == nil {
		s.logf("replay: %s has no debit", p.p.GivenName)
		return
	}
	req := p.last.req
	other := s.rng.IntN(100) < 25
	if other {
		req.Idem.Hash = append([]byte("other "), req.Idem.Hash...)
	}
	cmd, err := s.db.Debit(s.ctx, req)
	s.logf("replay: %s retries the debit of op %d (other request %v): %v", p.p.GivenName, p.last.op.id, other, errOr(cmd, err))
	if other {
		s.wantCode("debit with a reused key", err, coinop.EIDEMPOTENCY)
		return
	}
	s.must(err)
	if cmd.Op.ID != p.last.op.id || cmd.MachineID != 0 {
		s.fail("replay answered %+v (op %d), want op %d and no command", cmd, cmd.Op.ID, p.last.op.id)
	}
}

// confirm: a player enters a code: mostly the right one for their own
// operation waiting for it, sometimes a wrong one, someone else's
// operation, or an old one.
func (s *sim) confirm() {
	s.t.Helper()
	now := s.clock.now()
	op := s.confirmOp(now)
	if op == nil {
		return
	}
	who, code := op.player, op.code
	switch n := s.rng.IntN(100); {
	case n < 8 || (op.clumsy && n < 90):
		code = 10 + (code-10+1+s.rng.IntN(89))%90
	case n >= 93: // someone else's operation
		who = s.players[s.rng.IntN(len(s.players))]
	}
	waiting, right := op.waiting(now) && who == op.player, code == op.code
	cmd, voided, err := s.db.ConfirmMFA(s.ctx, coinop.MFARequest{PersonID: who.p.ID, OperationID: op.id, Code: code,
		MaxAttempts: simMaxAttempts, ReportTimeout: simReportTimeout})
	s.logf("mfa: %s enters %d for op %d (code %d, waiting %v): %v", who.p.GivenName, code, op.id, op.code, waiting, errOr(cmd, err))
	s.outcomes[fmt.Sprintf("(mfa waiting %v right %v: %s)", waiting, right, coinop.ErrorCode(err))]++
	switch {
	case waiting && right:
		s.must(err)
		if cmd.MachineID != op.m.m.ID || cmd.Slot != op.slot || cmd.Op.ID != op.id || voided != nil {
			s.fail("mfa answered %+v, %+v, want op %d at machine %d slot %d", cmd, voided, op.id, op.m.m.ID, op.slot)
		}
		op.released, op.expires = true, now.Add(simReportTimeout)
		s.take(op, "release") // the item is the buyer's from the release on
		if !s.deliver(op.m, simMsg{"release", op}) {
			s.logf("  stateReleasing not delivered to %s", op.m)
		}
		return
	case waiting:
		op.attempts++
	}
	s.wantCode("mfa", err, coinop.EFORBIDDEN)
	if cmd != nil || (voided != nil) != (waiting && op.attempts == simMaxAttempts) {
		s.fail("mfa answered %+v and voided %+v after %d wrong codes", cmd, voided, op.attempts)
	}
	s.settled("mfa", voided)
}

// confirmOp is the operation a buyer enters a code for: mostly one waiting
// for it whose code the machine shows, sometimes any. With nobody buying,
// a machine acts instead (mostly).
func (s *sim) confirmOp(now time.Time) *simOp {
	s.t.Helper()
	shown := s.rng.IntN(100) < 90
	op := s.pick(s.open, func(o *simOp) bool { return o.waiting(now) && (!shown || o.m.screenOp == o.id) })
	if op == nil && s.rng.IntN(100) < 80 {
		s.machineAct()
		return nil
	}
	if op == nil || s.rng.IntN(100) < 8 {
		op = s.pick(s.all, func(*simOp) bool { return true })
	}
	return op
}

// advance: time passes (the server renews the leases of connected machines,
// mostly) and the sweeper expires what timed out.
func (s *sim) advance() {
	s.t.Helper()
	d := time.Duration(s.rng.IntN(8001)) * time.Millisecond // mostly a few seconds, else up to 40
	if s.rng.IntN(100) < 40 {
		d = time.Duration(s.rng.IntN(40001)) * time.Millisecond
	}
	s.clock.advance(d)
	now := s.clock.now()
	for _, m := range s.machines {
		if m.up && s.rng.IntN(100) < 90 {
			s.connect(m)
		}
	}
	want := map[int64]bool{}
	for _, op := range s.open {
		if op.status == coinop.StatusPending && op.expires.Before(now) {
			want[op.id] = true
		}
	}
	sts, err := s.db.Expire(s.ctx)
	s.must(err)
	s.logf("advance %v: %d expired", d, len(sts))
	for _, st := range sts {
		if !want[st.Op.ID] {
			s.fail("Expire settled operation %d, which had not expired", st.Op.ID)
		}
		delete(want, st.Op.ID)
		s.settled("expire", st)
	}
	if len(want) > 0 {
		s.fail("Expire left expired operations %v", want)
	}
}

func (s *sim) connect(m *simMachine) {
	s.t.Helper()
	lease := s.clock.now().Add(simLease)
	s.must(s.db.Connected(s.ctx, m.m.ID, lease))
	m.up, m.lease = true, lease
}

// disconnect: a machine's socket closes; its messages are lost.
func (s *sim) disconnect() {
	s.t.Helper()
	m := s.pickMachine(func(m *simMachine) bool { return m.up })
	if m == nil {
		return
	}
	var want *simOp
	if op := s.ops[m.storeOp]; op != nil && !op.released {
		want = op
	}
	sts, err := s.db.Disconnected(s.ctx, m.m.ID)
	s.must(err)
	s.logf("disconnect %s (op %d): %d settled", m, m.storeOp, len(sts))
	if (want == nil && len(sts) != 0) || (want != nil && (len(sts) != 1 || sts[0].Op.ID != want.id)) {
		s.fail("Disconnected settled %v, want only the operation waiting for a code (%v)", sts, want)
	}
	for _, st := range sts {
		s.settled("disconnect", st)
	}
	m.up, m.lease, m.inbox = false, time.Time{}, nil
}

// reconnect: a machine comes back and (mostly) says what it shows.
func (s *sim) reconnect() {
	s.t.Helper()
	m := s.pickMachine(func(m *simMachine) bool { return !m.up })
	if m == nil {
		return
	}
	s.connect(m)
	s.logf("reconnect %s", m)
	if m.m.Kind == coinop.KindVending && s.rng.IntN(100) < 70 {
		s.report(m, string(m.screen), m.screenOp, 0)
	}
}

// settle: an operator completes or refunds an unknown operation, or
// (sometimes) tries one that is not unknown.
func (s *sim) settle() {
	s.t.Helper()
	op := s.pick(s.open, func(o *simOp) bool { return o.status == coinop.StatusUnknown })
	if op == nil || s.rng.IntN(100) < 10 {
		op = s.pick(s.all, func(o *simOp) bool { return o.status != coinop.StatusUnknown })
	}
	if op == nil {
		return
	}
	complete := s.rng.IntN(2) == 0
	st, err := s.db.Settle(s.ctx, s.operator.ID, op.id, complete)
	s.logf("settle: op %d (%s) complete %v: %v", op.id, op.status, complete, err)
	if op.status != coinop.StatusUnknown {
		s.wantCode("settle", err, coinop.ECONFLICT)
		return
	}
	s.must(err)
	if want := map[bool]coinop.OpStatus{true: coinop.StatusCompleted, false: coinop.StatusVoided}[complete]; st.Op.Status != want {
		s.fail("settle answered %s, want %s", st.Op.Status, want)
	}
	s.settled("settle", st)
}

// void: the server voids an operation whose command it could not send.
func (s *sim) void() {
	s.t.Helper()
	op := s.pick(s.open, func(*simOp) bool { return true })
	if op == nil {
		return
	}
	st, err := s.db.Void(s.ctx, op.id, "the machine could not be reached")
	s.must(err)
	s.logf("void: op %d (%s, released %v): %v", op.id, op.status, op.released, st != nil)
	if (st != nil) != (op.status == coinop.StatusPending && !op.released) {
		s.fail("Void of op %d (%s, released %v) answered %+v", op.id, op.status, op.released, st)
	}
	s.settled("void", st)
}

// restock: an operator refills a slot.
func (s *sim) restock() {
	s.t.Helper()
	m := s.machines[s.rng.IntN(len(s.machines))]
	sl := m.slots[s.rng.IntN(len(m.slots))]
	qty := int64(1 + s.rng.IntN(6))
	s.must(s.db.SetStock(s.ctx, s.operator.ID, coinop.Stock{MachineID: m.m.ID, Slot: sl.slot, ProductID: sl.product, Quantity: qty}))
	s.logf("restock %s slot %d: %d → %d", m, sl.slot, sl.qty, qty)
	s.seq++
	sl.qty, sl.stocked, sl.stockedAt, s.stockDirty = qty, qty, s.seq, true
}

// pick returns a random operation of ops that ok accepts, or nil.
func (s *sim) pick(ops []*simOp, ok func(*simOp) bool) *simOp {
	var in []*simOp
	for _, op := range ops {
		if ok(op) {
			in = append(in, op)
		}
	}
	if len(in) == 0 {
		return nil
	}
	return in[s.rng.IntN(len(in))]
}

func (s *sim) pickMachine(ok func(*simMachine) bool) *simMachine {
	var in []*simMachine
	for _, m := range s.machines {
		if ok(m) {
			in = append(in, m)
		}
	}
	if len(in) == 0 {
		return nil
	}
	return in[s.rng.IntN(len(in))]
}

func errOr(v any, err error) any {
	if err != nil {
		return err
	}
	if c, ok := v.(*coinop.Command); ok && c != nil {
		return fmt.Sprintf("op %d at m%d slot %d", c.Op.ID, c.MachineID, c.Slot)
	}
	return "ok"
}
