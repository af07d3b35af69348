package sqlite_test

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/coinop/coinop"
	"github.com/coinop/coinop/machine"
)

// simClock is the store's fake clock, in whole milliseconds (the store's
// resolution), advanced only by the simulation.
type simClock struct{ ms atomic.Int64 }

func (c *simClock) now() time.Time          { return time.UnixMilli(c.ms.Load()).UTC() }
func (c *simClock) advance(d time.Duration) { c.ms.Add(d.Milliseconds()) }

type simPlayer struct {
	p      *coinop.Person
	funded int64     // all the operator credited
	last   *simDebit // the last debit that made an operation, for replays
}

type simDebit struct {
	req coinop.DebitRequest
	op  *simOp
}

// simSlot is a machine's slot; qty is what the store must hold. A release
// reserves its item (qty - 1), a refund after the release gives it back
// (qty + 1), an arcade's coin takes one; a restock sets qty and stocked.
type simSlot struct {
	slot, product, qty int64
	stocked            int64 // the quantity of its last restock (or setup)
	stockedAt          int   // the stock event of that restock (sim.seq)
}

// simMachine is a machine as the model knows it: the store's view (synced
// after each step) and the machine's own (what it was told and did).
type simMachine struct {
	m        *coinop.Machine
	slots    []*simSlot
	up       bool          // its socket is open
	lease    time.Time     // as last given to Connected; zero after Disconnected
	storeOp  int64         // the store's current operation
	state    machine.State // the store's state of it: the last state it reported and the store accepted
	inbox    []simMsg      // commands sent to it, not handled yet
	screen   machine.State
	screenOp int64
	sent     []coinop.MachineReport // its last reports, to duplicate
}

// simMsg is a command to a machine: show (stateMFA), coin (coinInsert),
// release (stateReleasing) or cancel (stateCancel).
type simMsg struct {
	kind string
	op   *simOp
}

type simOp struct {
	id       int64
	player   *simPlayer
	m        *simMachine
	slot     int64
	value    int64
	code     int
	expires  time.Time
	clumsy   bool // the buyer mostly enters wrong codes
	released bool // ConfirmMFA answered stateReleasing (and reserved the item)
	reported bool // the machine's report of releasing it was taken
	took     bool // its release or coin took an item from a slot that had one
	tookAt   int  // the stock event of its release (vending) or coin (arcade), 0 if none
	refundAt int  // the stock event of its refund after the release, 0 if none
	attempts int  // wrong codes counted
	status   coinop.OpStatus
	said     coinop.OpStatus // the status the store's answers (Settled) gave
	finals   int             // answers that settled it completed or voided
	unknowns int             // answers that made it unknown
}

func (o *simOp) vending() bool { return o.m.m.Kind == coinop.KindVending }

func (o *simOp) final() bool {
	return o.status == coinop.StatusCompleted || o.status == coinop.StatusVoided
}

// waiting reports whether the store must accept the right code now.
func (o *simOp) waiting(now time.Time) bool {
	return o.vending() && o.status == coinop.StatusPending && !o.released && now.Before(o.expires) && o.attempts < simMaxAttempts
}

func (m *simMachine) sells(product int64) bool {
	for _, sl := range m.slots {
		if sl.product == product {
			return true
		}
	}
	return false
}

// bestSlot is the slot a debit takes: the fullest with the product, the
// lowest number first.
func (m *simMachine) bestSlot(product int64) *simSlot {
	var best *simSlot
	for _, sl := range m.slots {
		if sl.product == product && (best == nil || sl.qty > best.qty) {
			best = sl
		}
	}
	return best
}

func (m *simMachine) slot(n int64) *simSlot {
	for _, sl := range m.slots {
		if sl.slot == n {
			return sl
		}
	}
	return nil
}

func (m *simMachine) String() string { return fmt.Sprintf("m%d", m.m.ID) }

// settled records one of the store's answers that changed an operation
// (and tells the machine to cancel if it says so); it fails on an
// operation settled twice.
func (s *sim) settled(source string, st *coinop.Settled) {
	s.t.Helper()
	if st == nil {
		return
	}
	op := s.ops[st.Op.ID]
	if op == nil {
		s.fail("%s settled operation %d, which no Debit made", source, st.Op.ID)
	}
	if st.MachineID != op.m.m.ID || st.Op.Value != op.value || st.Op.FromID != op.player.p.ID {
		s.fail("%s settled operation %d as %+v, machine %d; want machine %d, value %d, buyer %d", source, op.id, st.Op, st.MachineID, op.m.m.ID, op.value, op.player.p.ID)
	}
	from, to := op.said, st.Op.Status
	switch to {
	case coinop.StatusCompleted, coinop.StatusVoided:
		op.finals++
	case coinop.StatusUnknown:
		op.unknowns++
	}
	if op.finals > 1 || op.unknowns > 1 || (to == coinop.StatusUnknown && op.finals > 0) || from == to {
		s.fail("%s settled operation %d again: %s → %s (%d final and %d unknown answers)", source, op.id, from, to, op.finals, op.unknowns)
	}
	if want := to == coinop.StatusVoided && op.vending() && !op.released; st.Cancel != want {
		s.fail("%s settled operation %d %s with Cancel %v, want %v", source, op.id, to, st.Cancel, want)
	}
	switch {
	case to == coinop.StatusCompleted && op.vending() && !op.released:
		s.fail("%s completed vending operation %d, which was never released: nothing reserved its item", source, op.id)
	case to == coinop.StatusCompleted && !op.vending():
		s.take(op, "coin")
	case to == coinop.StatusVoided && op.released:
		s.giveBack(op)
	}
	op.said = to
	if op.m.storeOp == op.id { // every settlement (unknown too) frees the machine
		op.m.storeOp = 0
	}
	if st.Cancel { // the server tells the machine to leave the code screen
		s.deliver(op.m, simMsg{"cancel", op})
	}
	s.outcomes[fmt.Sprintf("%s %s→%s %s", source, from, to, op.m.m.Kind)]++
	s.logf("  %s: op %d %s → %s (%s)", source, op.id, from, to, st.Op.Reason)
}

// check runs after every step.
func (s *sim) check() {
	s.t.Helper()
	if err := s.db.CheckInvariants(s.ctx); err != nil {
		s.fail("CheckInvariants: %v", err)
	}
	s.syncOps()
	s.syncMachines()
	s.syncStock()
}

// syncOps reads the status of every operation the model has as pending or
// unknown: every change must be one the store answered, and allowed.
// (An operation made behind the model's back shows as a machine's current
// one in syncMachines, or in checkFull's listing.)
func (s *sim) syncOps() {
	s.t.Helper()
	open := s.open[:0]
	for _, op := range s.open {
		s.observe(op, s.lookup(op))
		if !op.final() {
			open = append(open, op)
		}
	}
	s.open = open
}

// lookup reads one operation's status from its buyer's statement.
func (s *sim) lookup(op *simOp) coinop.OpStatus {
	s.t.Helper()
	ops, err := s.db.Statement(s.ctx, coinop.StatementQuery{PersonID: op.player.p.ID, Before: op.id + 1, Limit: 1})
	s.must(err)
	if len(ops) != 1 || ops[0].ID != op.id {
		s.fail("operation %d is missing from its buyer's statement: %v", op.id, ops)
	}
	return ops[0].Status
}

func (s *sim) observe(op *simOp, status coinop.OpStatus) {
	s.t.Helper()
	from := op.status
	if status != from {
		ok := (from == coinop.StatusPending && status != coinop.StatusPending) ||
			(from == coinop.StatusUnknown && (status == coinop.StatusCompleted || status == coinop.StatusVoided))
		if !ok {
			s.fail("operation %d went from %s to %s", op.id, from, status)
		}
		op.status = status
	}
	if op.status != op.said {
		s.fail("operation %d is %s in the store, but the store's answers made it %s", op.id, op.status, op.said)
	}
}

// take removes the item of a release (the store reserves it when it sends
// stateReleasing) or of an arcade's coin from the model's stock. The store
// keeps an empty slot at 0 (quantity > 0 guards the decrement): a release
// or a coin on an empty slot sells a product the slot no longer has, which
// fails the run (counted and logged only with -sim.strictstock=false or
// COINOP_SIM_STRICT_STOCK=0).
func (s *sim) take(op *simOp, what string) {
	s.t.Helper()
	s.stockDirty = true
	s.seq++
	op.tookAt = s.seq
	sl := op.m.slot(op.slot)
	if sl.qty > 0 {
		sl.qty--
		op.took = true
		return
	}
	s.emptyTakes++
	s.logf("  op %d: %s on %s slot %d, which was already empty", op.id, what, op.m, op.slot)
	if simStrictStock() {
		s.fail("operation %d: %s on %s slot %d, which was already empty: the store sells one product twice", op.id, what, op.m, op.slot)
	}
}

// giveBack returns a refunded released operation's item to its slot.
func (s *sim) giveBack(op *simOp) {
	s.stockDirty = true
	s.seq++
	op.refundAt = s.seq
	op.m.slot(op.slot).qty++
}

// syncMachines checks each machine's current operation, state and
// connection: a machine has at most one pending operation, every pending
// operation is its machine's current one, and no other operation is; the
// current operation and the state are the model's.
func (s *sim) syncMachines() {
	s.t.Helper()
	sts, err := s.db.MachineStatuses(s.ctx)
	s.must(err)
	if len(sts) != len(s.machines) {
		s.fail("%d machine statuses, want %d", len(sts), len(s.machines))
	}
	pending := map[int64][]int64{}
	for _, op := range s.open {
		if op.status == coinop.StatusPending {
			pending[op.m.m.ID] = append(pending[op.m.m.ID], op.id)
		}
	}
	now := s.clock.now()
	for i, st := range sts {
		m := s.machines[i]
		if st.ID != m.m.ID || st.Connected != m.lease.After(now) || st.State != string(m.state) {
			s.fail("machine status %+v, want machine %d in state %s, connected %v (lease %v)", st, m.m.ID, m.state, m.lease.After(now), m.lease)
		}
		if op := s.ops[st.OperationID]; st.OperationID != 0 && (op == nil || op.m != m) {
			s.fail("machine %d is busy with operation %d, which no Debit made there", m.m.ID, st.OperationID)
		}
		ops := pending[m.m.ID]
		if len(ops) > 1 || (len(ops) == 1) != (st.OperationID != 0) || (len(ops) == 1 && ops[0] != st.OperationID) {
			s.fail("machine %d is busy with operation %d, but its pending operations are %v", m.m.ID, st.OperationID, ops)
		}
		if st.OperationID != m.storeOp {
			s.fail("machine %d is busy with operation %d, the model's current one is %d", m.m.ID, st.OperationID, m.storeOp)
		}
	}
}

// syncStock checks each product's total stock, and each slot after a step
// that changed one: no stock is negative, each release and each arcade's
// coin took exactly one product from its slot, each refund after a release
// gave it back, and completing a released operation took nothing more.
func (s *sim) syncStock() {
	s.t.Helper()
	products, err := s.db.Products(s.ctx, "")
	s.must(err)
	total := map[int64]int64{}
	for _, m := range s.machines {
		for _, sl := range m.slots {
			total[sl.product] += sl.qty
		}
	}
	for _, p := range products {
		if p.Stock != total[p.ID] {
			s.stockDirty = true
		}
	}
	if s.stockDirty {
		s.checkSlots()
	}
	s.stockDirty = false
}

func (s *sim) checkSlots() {
	s.t.Helper()
	for _, m := range s.machines {
		stock, err := s.db.MachineStock(s.ctx, m.m.ID)
		s.must(err)
		if len(stock) != len(m.slots) {
			s.fail("%s stock %v, want %d slots", m, stock, len(m.slots))
		}
		for i, st := range stock {
			if sl := m.slots[i]; st.Quantity < 0 || st.Slot != sl.slot || st.Quantity != sl.qty {
				s.fail("%s slot %d holds %d, want slot %d holding %d", m, st.Slot, st.Quantity, sl.slot, sl.qty)
			}
		}
	}
}

// checkFull compares every operation, balance and the bank with the model.
func (s *sim) checkFull() {
	s.t.Helper()
	debits := 0
	for _, status := range []coinop.OpStatus{coinop.StatusPending, coinop.StatusUnknown, coinop.StatusCompleted, coinop.StatusVoided} {
		ops, err := s.db.Operations(s.ctx, status, 1000000)
		s.must(err)
		for _, o := range ops {
			if o.Kind != coinop.OpDebit {
				continue
			}
			debits++
			if op := s.ops[o.ID]; op == nil || op.status != status {
				s.fail("operation %d is %s in the store, not in the model (%+v)", o.ID, status, op)
			}
		}
	}
	if debits != len(s.all) {
		s.fail("the store lists %d debits, the model made %d (one listed twice or lost)", debits, len(s.all))
	}
	s.checkSlots()
	s.checkLedger()
	s.checkBalances()
}

// checkLedger recomputes each slot from the operations: what it was last
// stocked with, less the items released and the arcades' coins inserted
// since (that found one to take), plus the released items refunded since.
// Completions of released operations take nothing: their item left at the
// release. With strict stock, every release and coin found one.
func (s *sim) checkLedger() {
	s.t.Helper()
	for _, m := range s.machines {
		for _, sl := range m.slots {
			want, released, coins, refunds := sl.stocked, 0, 0, 0
			for _, op := range s.all {
				if op.m != m || op.slot != sl.slot {
					continue
				}
				if op.took && op.tookAt > sl.stockedAt {
					if op.vending() {
						released++
					} else {
						coins++
					}
				}
				if op.refundAt > sl.stockedAt {
					refunds++
				}
			}
			want += int64(refunds - released - coins)
			if sl.qty != want {
				s.fail("%s slot %d: the model holds %d, the ledger %d (stocked %d, released %d, refunded %d, coins %d)",
					m, sl.slot, sl.qty, want, sl.stocked, released, refunds, coins)
			}
		}
	}
}

func (s *sim) checkBalances() {
	s.t.Helper()
	var sold int64
	spent, held := map[*simPlayer]int64{}, map[*simPlayer]int64{}
	for _, op := range s.all {
		switch op.status {
		case coinop.StatusCompleted:
			spent[op.player] += op.value
			sold += op.value
		case coinop.StatusPending, coinop.StatusUnknown:
			held[op.player] += op.value
		}
	}
	for _, p := range s.players {
		b, err := s.db.Balance(s.ctx, p.p.ID)
		s.must(err)
		if want := p.funded - spent[p] - held[p]; b != want {
			s.fail("%s has %d, want %d (funded %d, spent %d, held %d)", p.p.GivenName, b, want, p.funded, spent[p], held[p])
		}
	}
	bank, err := s.db.Bank(s.ctx)
	s.must(err)
	if want := 1000000 - s.credited + sold; bank.Balance != want || bank.Held != 0 {
		s.fail("bank %+v, want balance %d and nothing held", bank, want)
	}
}
