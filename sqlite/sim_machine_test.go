package sqlite_test

import (
	"github.com/coinop/coinop"
	"github.com/coinop/coinop/machine"
)

// deliver queues a command for a machine, if its socket is open.
func (s *sim) deliver(m *simMachine, msg simMsg) bool {
	if !m.up {
		return false
	}
	m.inbox = append(m.inbox, msg)
	return true
}

// machineAct: a connected machine (mostly one with something to do) does
// its next step, or misbehaves: reboots, repeats an old report, reports
// another machine's operation or an illegal state.
func (s *sim) machineAct() {
	s.t.Helper()
	m := s.pickMachine(func(m *simMachine) bool { return m.up && (len(m.inbox) > 0 || m.screen == machine.Releasing) })
	if m == nil || s.rng.IntN(100) < 20 {
		m = s.pickMachine(func(m *simMachine) bool { return m.up })
	}
	if m == nil {
		s.logf("no machine is connected")
		return
	}
	switch n := s.rng.IntN(100); {
	case n < 2:
		s.reboot(m)
	case n < 10:
		s.resend(m)
	case n < 13:
		s.foreignReport(m)
	case n < 16:
		s.nonsense(m)
	case n < 19 && m.screen == machine.MFA: // the buyer walks away: cancelled at the machine
		op := m.screenOp
		m.screen, m.screenOp = machine.Idle, 0
		s.reportAs("machine-cancel", m, string(machine.Idle), op, 0)
	default:
		s.progress(m)
	}
}

// progress: the machine handles its next command (which the network may
// drop or duplicate), or finishes a release, or repeats its state.
func (s *sim) progress(m *simMachine) {
	s.t.Helper()
	if len(m.inbox) == 0 {
		switch {
		case m.screen == machine.Releasing && s.rng.IntN(100) < 12: // crashes while releasing
			s.reboot(m)
		case m.screen == machine.Releasing:
			op := m.screenOp
			m.screen, m.screenOp = machine.Idle, 0
			s.report(m, string(machine.Idle), op, 0)
		case m.m.Kind == coinop.KindVending:
			s.report(m, string(m.screen), m.screenOp, 0)
		default:
			s.resend(m)
		}
		return
	}
	msg := m.inbox[0]
	switch n := s.rng.IntN(100); {
	case n < 8:
		m.inbox = m.inbox[1:]
		s.logf("%s loses %s of op %d", m, msg.kind, msg.op.id)
		return
	case n < 16: // handled now and again later
	default:
		m.inbox = m.inbox[1:]
	}
	s.handle(m, msg)
}

// handle is what a machine does with a command.
func (s *sim) handle(m *simMachine, msg simMsg) {
	s.t.Helper()
	op := msg.op
	switch msg.kind {
	case "show":
		m.screen, m.screenOp = machine.MFA, op.id
		s.report(m, string(machine.MFA), op.id, 0)
	case "release":
		m.screen, m.screenOp = machine.Releasing, op.id
		s.report(m, string(machine.Releasing), op.id, 0)
	case "cancel":
		if m.screen != machine.MFA || m.screenOp != op.id {
			s.logf("%s ignores the cancel of op %d (shows %s %d)", m, op.id, m.screen, m.screenOp)
			return
		}
		m.screen, m.screenOp = machine.Idle, 0
		s.reportAs("machine-cancel", m, string(machine.Idle), op.id, 0)
	case "coin":
		arcade := op.slot
		if s.rng.IntN(100) < 8 {
			arcade = op.slot%2 + 1 // the wrong arcade number
		}
		s.report(m, "coin", op.id, arcade)
	}
}

// reboot: the machine forgets everything and says it is idle.
func (s *sim) reboot(m *simMachine) {
	s.t.Helper()
	m.inbox, m.screen, m.screenOp = nil, machine.Idle, 0
	s.logf("%s reboots", m)
	s.report(m, string(machine.Idle), 0, 0)
}

// resend repeats one of the machine's recent reports: a duplicate, or a
// report arriving out of order.
func (s *sim) resend(m *simMachine) {
	s.t.Helper()
	if len(m.sent) == 0 {
		return
	}
	r := m.sent[s.rng.IntN(len(m.sent))]
	s.logf("%s repeats an old report", m)
	s.report(m, r.State, r.OperationID, r.Arcade)
}

// foreignReport: a machine names another machine's operation, which the
// store must refuse.
func (s *sim) foreignReport(m *simMachine) {
	s.t.Helper()
	op := s.pick(s.all, func(o *simOp) bool { return o.m != m })
	if op == nil {
		return
	}
	state := []string{"mfa", "releasing", "idle", "coin"}[s.rng.IntN(4)]
	st, err := s.db.Report(s.ctx, coinop.MachineReport{MachineID: m.m.ID, State: state, OperationID: op.id, Arcade: op.slot})
	s.logf("%s reports %s of %s's op %d: %v", m, state, op.m, op.id, err)
	s.wantCode("a report of another machine's operation", err, coinop.EINVALID)
	if st != nil {
		s.fail("a report of another machine's operation settled %+v", st)
	}
}

// nonsense: any state about one of the machine's own operations (or none).
func (s *sim) nonsense(m *simMachine) {
	s.t.Helper()
	var id int64
	if op := s.pick(s.all, func(o *simOp) bool { return o.m == m }); op != nil && s.rng.IntN(4) > 0 {
		id = op.id
	}
	state := []string{"mfa", "releasing", "idle", "coin", "dancing"}[s.rng.IntN(5)]
	s.logf("%s says nonsense", m)
	s.report(m, state, id, int64(1+s.rng.IntN(2)))
}

// report sends a machine's report; the store must do exactly what
// predictReport says: refuse it (EINVALID), or settle what it says, and
// never fail otherwise.
func (s *sim) report(m *simMachine, state string, op, arcade int64) {
	s.t.Helper()
	s.reportAs("report", m, state, op, arcade)
}

// reportAs is report, counting what it settles under source.
func (s *sim) reportAs(source string, m *simMachine, state string, op, arcade int64) {
	s.t.Helper()
	r := coinop.MachineReport{MachineID: m.m.ID, State: state, OperationID: op, Arcade: arcade}
	want := s.predictReport(m, r)
	st, err := s.db.Report(s.ctx, r)
	s.logf("%s reports %s op %d arcade %d: %v", m, state, op, arcade, errOr(nil, err))
	s.wantCode("report", err, "", coinop.EINVALID)
	if err != nil && st != nil {
		s.fail("a refused report settled %+v", st)
	}
	if (err != nil) != want.refused {
		s.fail("report %s op %d arcade %d to %s (store state %s, current op %d): error %v, want refused %v",
			state, op, arcade, m, m.state, m.storeOp, err, want.refused)
	}
	switch {
	case want.op == nil && st != nil:
		s.fail("report %s op %d to %s (store state %s, current op %d) settled op %d as %s, want nothing settled",
			state, op, m, m.state, m.storeOp, st.Op.ID, st.Op.Status)
	case want.op != nil && st == nil:
		s.fail("report %s op %d to %s (store state %s, current op %d) settled nothing, want op %d %s",
			state, op, m, m.state, m.storeOp, want.op.id, want.to)
	case want.op != nil && (st.Op.ID != want.op.id || st.Op.Status != want.to):
		s.fail("report %s op %d to %s (store state %s, current op %d) settled op %d as %s (%s), want op %d %s",
			state, op, m, m.state, m.storeOp, st.Op.ID, st.Op.Status, st.Op.Reason, want.op.id, want.to)
	}
	if !want.refused {
		m.state = want.state
		if want.reported != nil {
			want.reported.reported = true
		}
	}
	s.settled(source, st)
	if m.sent = append(m.sent, r); len(m.sent) > 8 {
		m.sent = m.sent[1:]
	}
}

// simReport is what the store must do with a machine's report.
type simReport struct {
	refused bool            // EINVALID, and nothing changes
	op      *simOp          // the operation it settles, if any
	to      coinop.OpStatus // how
	state   machine.State   // the machine's state in the store after it
	// reported: the operation whose release it reports (releasing).
	reported *simOp
}

// predictReport says what the store must do with a report, from the model
// of the store's view of the machine (its current operation, whether that
// was released, the last state it reported), in the store's order:
//
//   - about an operation that is not the current one: another machine's is
//     refused; an unknown one of its own is completed by a late idle once
//     the machine has reported releasing it (or an arcade's coin), and a
//     late releasing is taken note of; anything else is a duplicate;
//   - a coin: completes the arcade's current operation if the arcade
//     number is its;
//   - a vending machine's state: mfa acknowledges the code screen (late
//     after the release: ignored); releasing needs a released operation;
//     idle voids an operation before the release (but an idle without an
//     operation before the code screen was acknowledged is a greeting that
//     crossed stateMFA, and changes nothing), after it completes the one
//     named only if the machine has reported releasing it, else makes it
//     unknown (the machine went back to idle without reporting the
//     release); an idle without an operation after the release (a reboot)
//     keeps waiting.
func (s *sim) predictReport(m *simMachine, r coinop.MachineReport) simReport {
	s.t.Helper()
	want := simReport{state: m.state}
	cur := s.ops[m.storeOp]
	if cur != nil && cur.said != coinop.StatusPending {
		s.fail("the model has %s busy with op %d, which is %s", m, cur.id, cur.said)
	}
	if r.OperationID != 0 && (cur == nil || r.OperationID != cur.id) {
		o := s.ops[r.OperationID]
		switch {
		case o == nil || o.m != m:
			want.refused = true
		case o.said != coinop.StatusUnknown:
		case (r.State == string(machine.Idle) && o.reported) || (r.State == "coin" && !o.vending()):
			want.op, want.to = o, coinop.StatusCompleted
		case r.State == string(machine.Releasing) && o.released:
			want.reported = o
		}
		return want
	}
	if r.State == "coin" {
		if m.m.Kind != coinop.KindArcade || cur == nil || r.OperationID == 0 || r.Arcade != cur.slot {
			want.refused = true
		} else {
			want.op, want.to = cur, coinop.StatusCompleted
		}
		return want
	}
	if m.m.Kind != coinop.KindVending {
		want.refused = true
		return want
	}
	awaiting, released := cur != nil && !cur.released, cur != nil && cur.released
	switch machine.State(r.State) {
	case machine.MFA:
		switch {
		case r.OperationID != 0 && released: // a late acknowledgement: nothing changes
		case r.OperationID == 0 || !awaiting:
			want.refused = true
		default:
			want.state = machine.MFA
		}
	case machine.Releasing:
		if r.OperationID == 0 || !released {
			want.refused = true
		} else {
			want.state, want.reported = machine.Releasing, cur
		}
	case machine.Idle:
		want.state = machine.Idle
		switch {
		case awaiting && r.OperationID == 0 && m.state == machine.Idle: // a greeting crossing stateMFA
		case awaiting: // left the code screen, or rebooted: nothing sold
			want.op, want.to = cur, coinop.StatusVoided
		case released && r.OperationID == cur.id && cur.reported: // releasing, then idle: sold
			want.op, want.to = cur, coinop.StatusCompleted
		case released && r.OperationID == cur.id: // idle without having reported the release
			want.op, want.to = cur, coinop.StatusUnknown
		}
	default:
		want.refused = true
	}
	return want
}
