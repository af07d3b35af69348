package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/coinop/coinop"
)

// fair is a store with a vending machine (slot 3: chips at 5, 2 in stock),
// an arcade (arcade 1: credits at 2) and two players with 20 each.
type fair struct {
	s                   coinop.Store
	vending, arcade     *coinop.Machine
	chips, coin         *coinop.Product
	ana, bruno          *coinop.Person
	ctx                 context.Context
	timeout, reportWait time.Duration
}

func newFair(t *testing.T, open Open) *fair {
	t.Helper()
	s := open(t)
	f := &fair{s: s, ctx: context.Background(), timeout: 30 * time.Second, reportWait: time.Minute}
	f.chips = &coinop.Product{Name: "Chips", Type: coinop.TypeFoods, Price: 5}
	f.coin = &coinop.Product{Name: "Arcade credit", Type: coinop.TypeArcade, Price: 2}
	f.vending = &coinop.Machine{Name: "Vending", Kind: coinop.KindVending}
	f.arcade = &coinop.Machine{Name: "Arcade", Kind: coinop.KindArcade}
	for _, p := range []*coinop.Product{f.chips, f.coin} {
		if err := s.CreateProduct(f.ctx, 0, p); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range []*coinop.Machine{f.vending, f.arcade} {
		if _, err := s.CreateMachine(f.ctx, 0, m); err != nil {
			t.Fatal(err)
		}
		f.connect(t, m)
	}
	s.SetStock(f.ctx, 0, coinop.Stock{MachineID: f.vending.ID, Slot: 3, ProductID: f.chips.ID, Quantity: 2})
	s.SetStock(f.ctx, 0, coinop.Stock{MachineID: f.arcade.ID, Slot: 1, ProductID: f.coin.ID, Quantity: 100})
	f.ana, f.bruno = login(t, s, "ana"), login(t, s, "bruno")
	fund(t, s, f.ana, 20)
	fund(t, s, f.bruno, 20)
	return f
}

func (f *fair) connect(t *testing.T, m *coinop.Machine) {
	t.Helper()
	if err := f.s.Connected(f.ctx, m.ID, time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
}

func (f *fair) debit(p *coinop.Person, product, machine int64, code int) (*coinop.Command, error) {
	return f.s.Debit(f.ctx, coinop.DebitRequest{PersonID: p.ID, ProductID: product, MachineID: machine, Code: code, CodeTimeout: f.timeout, CoinTimeout: f.timeout})
}

func (f *fair) mfa(p *coinop.Person, op int64, code int) (*coinop.Command, *coinop.Settled, error) {
	return f.s.ConfirmMFA(f.ctx, coinop.MFARequest{PersonID: p.ID, OperationID: op, Code: code, MaxAttempts: 3, ReportTimeout: f.reportWait})
}

func (f *fair) report(t *testing.T, m *coinop.Machine, state string, op int64) *coinop.Settled {
	t.Helper()
	st, err := f.s.Report(f.ctx, coinop.MachineReport{MachineID: m.ID, State: state, OperationID: op, Arcade: 1})
	if err != nil {
		t.Fatalf("report %s %d: %v", state, op, err)
	}
	return st
}

func (f *fair) balances(t *testing.T, ana, bruno int64) {
	t.Helper()
	a, _ := f.s.Balance(f.ctx, f.ana.ID)
	b, _ := f.s.Balance(f.ctx, f.bruno.ID)
	if a != ana || b != bruno {
		t.Fatalf("balances ana %d bruno %d, want %d %d", a, b, ana, bruno)
	}
	checkInvariants(t, f.s)
}

// at fails unless op was made at machine m, slot slot (with m's name and kind).
func at(t *testing.T, what string, op *coinop.Operation, m *coinop.Machine, slot int64) {
	t.Helper()
	if op.MachineID != m.ID || op.MachineName != m.Name || op.MachineKind != m.Kind || op.Slot != slot {
		t.Fatalf("%s: machine %d %q %q slot %d, want %d %q %q slot %d", what,
			op.MachineID, op.MachineName, op.MachineKind, op.Slot, m.ID, m.Name, m.Kind, slot)
	}
}

func (f *fair) stock(t *testing.T, want int64) {
	t.Helper()
	st, _ := f.s.MachineStock(f.ctx, f.vending.ID)
	if len(st) != 1 || st[0].Quantity != want {
		t.Fatalf("stock %v, want %d", st, want)
	}
}

// testVendingBestCase is the seed's best case, step by step.
func testVendingBestCase(t *testing.T, open Open) {
	f := newFair(t, open)
	cmd, err := f.debit(f.ana, f.chips.ID, 0, 86)
	if err != nil {
		t.Fatal(err)
	}
	if cmd.MachineID != f.vending.ID || cmd.Slot != 3 || cmd.Code != 86 || cmd.Username != "ana" || cmd.Op.Status != coinop.StatusPending {
		t.Fatalf("debit command %+v", cmd)
	}
	at(t, "the debit's operation", cmd.Op, f.vending, 3) // its live event names the machine too
	f.balances(t, 15, 20)                                // the price is held
	if b, _ := f.s.Bank(f.ctx); b.Held != 0 {
		t.Fatalf("bank held %d", b.Held)
	}
	f.report(t, f.vending, "mfa", cmd.Op.ID)
	rel, voided, err := f.mfa(f.ana, cmd.Op.ID, 86)
	if err != nil || voided != nil || rel.Slot != 3 || rel.MachineID != f.vending.ID {
		t.Fatalf("mfa = %+v %v %v", rel, voided, err)
	}
	f.report(t, f.vending, "releasing", cmd.Op.ID)
	f.stock(t, 1) // the item is the buyer's from the release on
	st := f.report(t, f.vending, "idle", cmd.Op.ID)
	if st == nil || st.Op.Status != coinop.StatusCompleted {
		t.Fatalf("idle after releasing settled %+v", st)
	}
	f.balances(t, 15, 20)
	f.stock(t, 1)
	// Duplicates and late reorderings change nothing.
	for _, state := range []string{"releasing", "idle", "mfa"} {
		if st := f.report(t, f.vending, state, cmd.Op.ID); st != nil {
			t.Fatalf("duplicate %s settled %+v", state, st)
		}
	}
	f.stock(t, 1)
	f.balances(t, 15, 20)
	ops, _ := f.s.Statement(f.ctx, coinop.StatementQuery{PersonID: f.ana.ID, Limit: 5})
	if ops[0].Status != coinop.StatusCompleted || ops[0].ProductName != "Chips" || ops[0].ToID != coinop.BankID {
		t.Fatalf("statement %+v", ops[0])
	}
	at(t, "the purchase in the statement", ops[0], f.vending, 3)
	if last := ops[len(ops)-1]; last.Kind != coinop.OpCredit || last.MachineID != 0 || last.MachineName != "" || last.MachineKind != "" || last.Slot != 0 {
		t.Fatalf("a credit made at no machine: %+v", last)
	}
}

func testWrongCodeThrice(t *testing.T, open Open) {
	f := newFair(t, open)
	cmd, _ := f.debit(f.ana, f.chips.ID, 0, 42)
	_, _, err := f.mfa(f.bruno, cmd.Op.ID, 42)
	wantCode(t, "someone else's operation", err, coinop.EFORBIDDEN)
	for i := 1; i <= 3; i++ {
		_, voided, err := f.mfa(f.ana, cmd.Op.ID, 41)
		wantCode(t, "wrong code", err, coinop.EFORBIDDEN)
		if (voided != nil) != (i == 3) {
			t.Fatalf("attempt %d voided = %+v", i, voided)
		}
		if i == 3 && (!voided.Cancel || voided.Op.Status != coinop.StatusVoided) {
			t.Fatalf("third wrong code: %+v", voided)
		}
	}
	_, _, err = f.mfa(f.ana, cmd.Op.ID, 42)
	wantCode(t, "right code after the third wrong one", err, coinop.EFORBIDDEN)
	f.balances(t, 20, 20)
	// The machine is free again.
	if _, err := f.debit(f.bruno, f.chips.ID, f.vending.ID, 11); err != nil {
		t.Fatalf("machine not freed: %v", err)
	}
}

func testExpiredCode(t *testing.T, open Open) {
	f := newFair(t, open)
	f.timeout = 2 * time.Second
	cmd, _ := f.debit(f.ana, f.chips.ID, 0, 42)
	if st, err := f.s.Expire(f.ctx); err != nil || len(st) != 0 {
		t.Fatalf("expired too early: %v %v", st, err)
	}
	time.Sleep(2100 * time.Millisecond)
	st, err := f.s.Expire(f.ctx)
	if err != nil || len(st) != 1 || st[0].Op.Status != coinop.StatusVoided || !st[0].Cancel {
		t.Fatalf("Expire = %v, %v", st, err)
	}
	_, _, err = f.mfa(f.ana, cmd.Op.ID, 42)
	wantCode(t, "expired code", err, coinop.EFORBIDDEN)
	if st, _ := f.s.Expire(f.ctx); len(st) != 0 {
		t.Fatal("voided twice")
	}
	f.balances(t, 20, 20)
}

func testDebitRefusals(t *testing.T, open Open) {
	f := newFair(t, open)
	_, err := f.debit(f.ana, f.chips.ID, 999, 10)
	wantCode(t, "unknown machine", err, coinop.EFORBIDDEN)
	_, err = f.debit(f.ana, 999, f.vending.ID, 10)
	wantCode(t, "unknown product", err, coinop.EFORBIDDEN)
	_, err = f.debit(f.ana, f.coin.ID, f.vending.ID, 10)
	wantCode(t, "product not sold there", err, coinop.EFORBIDDEN)
	poor := login(t, f.s, "poor")
	_, err = f.debit(poor, f.chips.ID, 0, 10)
	wantCode(t, "no money", err, coinop.EFUNDS)
	f.s.Disconnected(f.ctx, f.vending.ID)
	_, err = f.debit(f.ana, f.chips.ID, f.vending.ID, 10)
	wantCode(t, "not connected", err, coinop.EFORBIDDEN)
	f.connect(t, f.vending)
	f.s.SetStock(f.ctx, 0, coinop.Stock{MachineID: f.vending.ID, Slot: 3, ProductID: f.chips.ID, Quantity: 0})
	_, err = f.debit(f.ana, f.chips.ID, f.vending.ID, 10)
	wantCode(t, "out of stock", err, coinop.EFORBIDDEN)
	f.balances(t, 20, 20)
}

// testRaces: two players race for one machine; one player races two
// machines with money for one purchase.
func testRaces(t *testing.T, open Open) {
	f := newFair(t, open)
	results := make([]error, 2)
	var wg sync.WaitGroup
	for i, p := range []*coinop.Person{f.ana, f.bruno} {
		wg.Add(1)
		go func() { defer wg.Done(); _, results[i] = f.debit(p, f.chips.ID, f.vending.ID, 10) }()
	}
	wg.Wait()
	if (results[0] == nil) == (results[1] == nil) || coinop.ErrorCode(results[0])+coinop.ErrorCode(results[1]) != coinop.EFORBIDDEN {
		t.Fatalf("two players, one machine: %v / %v", results[0], results[1])
	}
	g := newFair(t, open)
	v2 := &coinop.Machine{Name: "Vending 2", Kind: coinop.KindVending}
	g.s.CreateMachine(g.ctx, 0, v2)
	g.connect(t, v2)
	g.s.SetStock(g.ctx, 0, coinop.Stock{MachineID: v2.ID, Slot: 1, ProductID: g.chips.ID, Quantity: 5})
	poor := login(t, g.s, "carla")
	fund(t, g.s, poor, 5)
	for i, m := range []int64{g.vending.ID, v2.ID} {
		wg.Add(1)
		go func() { defer wg.Done(); _, results[i] = g.debit(poor, g.chips.ID, m, 10) }()
	}
	wg.Wait()
	if (results[0] == nil) == (results[1] == nil) || coinop.ErrorCode(results[0])+coinop.ErrorCode(results[1]) != coinop.EFUNDS {
		t.Fatalf("one player, two machines, money for one: %v / %v", results[0], results[1])
	}
	checkInvariants(t, g.s)
}

func testDisconnects(t *testing.T, open Open) {
	f := newFair(t, open)
	f.reportWait = 20 * time.Millisecond
	cmd, _ := f.debit(f.ana, f.chips.ID, 0, 10)
	st, err := f.s.Disconnected(f.ctx, f.vending.ID)
	if err != nil || len(st) != 1 || st[0].Op.Status != coinop.StatusVoided {
		t.Fatalf("disconnect before release: %v %v", st, err)
	}
	f.balances(t, 20, 20)
	f.connect(t, f.vending)
	cmd, _ = f.debit(f.ana, f.chips.ID, 0, 10)
	f.mfa(f.ana, cmd.Op.ID, 10)
	if st, _ := f.s.Disconnected(f.ctx, f.vending.ID); len(st) != 0 {
		t.Fatalf("disconnect after release settled %v", st)
	}
	f.balances(t, 15, 20) // still held: the machine's to report
	time.Sleep(30 * time.Millisecond)
	st, _ = f.s.Expire(f.ctx)
	if len(st) != 1 || st[0].Op.Status != coinop.StatusUnknown {
		t.Fatalf("no report in time: %v", st)
	}
	unknown, _ := f.s.Operations(f.ctx, coinop.StatusUnknown, 10)
	if len(unknown) != 1 || unknown[0].ID != cmd.Op.ID {
		t.Fatalf("unknown operations %v", unknown)
	}
	at(t, "the unknown operation, for the operator to go and look", unknown[0], f.vending, 3)
	checkInvariants(t, f.s)
	// The machine comes back and reports the release, then idle: that
	// settles it. Idle alone does not (it may have cancelled).
	f.connect(t, f.vending)
	if st := f.report(t, f.vending, "idle", cmd.Op.ID); st != nil {
		t.Fatalf("a late idle without the release settled %+v", st)
	}
	if st := f.report(t, f.vending, "releasing", cmd.Op.ID); st != nil {
		t.Fatalf("a late releasing settled %+v", st)
	}
	if st := f.report(t, f.vending, "idle", cmd.Op.ID); st == nil || st.Op.Status != coinop.StatusCompleted {
		t.Fatalf("late report: %+v", st)
	}
	_, err = f.s.Settle(f.ctx, 0, cmd.Op.ID, false)
	wantCode(t, "settling a completed operation", err, coinop.ECONFLICT)
	f.balances(t, 15, 20)
	f.stock(t, 1)
}

// testLateReports: what a machine reported before it went silent counts
// when it comes back; a greeting that crosses stateMFA voids nothing.
func testLateReports(t *testing.T, open Open) {
	f := newFair(t, open)
	f.reportWait = 20 * time.Millisecond
	// Released, reported releasing, then rebooted and went silent.
	cmd, _ := f.debit(f.ana, f.chips.ID, 0, 10)
	f.report(t, f.vending, "mfa", cmd.Op.ID)
	f.mfa(f.ana, cmd.Op.ID, 10)
	f.report(t, f.vending, "releasing", cmd.Op.ID)
	f.report(t, f.vending, "idle", 0) // a reboot: the outcome is still open
	time.Sleep(30 * time.Millisecond)
	if st, _ := f.s.Expire(f.ctx); len(st) != 1 || st[0].Op.Status != coinop.StatusUnknown {
		t.Fatalf("no report in time: %v", st)
	}
	if st := f.report(t, f.vending, "idle", cmd.Op.ID); st == nil || st.Op.Status != coinop.StatusCompleted {
		t.Fatalf("idle after a reported release: %+v", st)
	}
	f.balances(t, 15, 20)
	f.stock(t, 1)
	// Released, never reported releasing, back to idle on the operation:
	// unknown for an operator, and a later idle changes nothing.
	cmd, _ = f.debit(f.ana, f.chips.ID, 0, 11)
	f.mfa(f.ana, cmd.Op.ID, 11)
	if st := f.report(t, f.vending, "idle", cmd.Op.ID); st == nil || st.Op.Status != coinop.StatusUnknown {
		t.Fatalf("idle without the release: %+v", st)
	}
	if st := f.report(t, f.vending, "idle", cmd.Op.ID); st != nil {
		t.Fatalf("a second idle settled %+v", st)
	}
	f.balances(t, 10, 20) // still held
	// The machine's greeting (idle, no operation) crossing stateMFA on the
	// wire voids nothing: the purchase goes on.
	f.s.SetStock(f.ctx, 0, coinop.Stock{MachineID: f.vending.ID, Slot: 3, ProductID: f.chips.ID, Quantity: 1})
	cmd, _ = f.debit(f.bruno, f.chips.ID, 0, 12)
	if st := f.report(t, f.vending, "idle", 0); st != nil {
		t.Fatalf("greeting settled %+v", st)
	}
	f.report(t, f.vending, "mfa", cmd.Op.ID)
	if _, _, err := f.mfa(f.bruno, cmd.Op.ID, 12); err != nil {
		t.Fatalf("code after the greeting: %v", err)
	}
	f.report(t, f.vending, "releasing", cmd.Op.ID)
	if st := f.report(t, f.vending, "idle", cmd.Op.ID); st == nil || st.Op.Status != coinop.StatusCompleted {
		t.Fatalf("purchase after the greeting: %+v", st)
	}
	f.balances(t, 10, 15)
}

func testSettle(t *testing.T, open Open) {
	f := newFair(t, open)
	f.reportWait = time.Millisecond
	for _, complete := range []bool{false, true} {
		cmd, _ := f.debit(f.ana, f.chips.ID, 0, 10)
		f.mfa(f.ana, cmd.Op.ID, 10)
		time.Sleep(5 * time.Millisecond)
		f.s.Expire(f.ctx)
		st, err := f.s.Settle(f.ctx, f.bruno.ID, cmd.Op.ID, complete)
		if err != nil {
			t.Fatal(err)
		}
		want := coinop.StatusVoided
		if complete {
			want = coinop.StatusCompleted
		}
		if st.Op.Status != want {
			t.Fatalf("settle %v: %s", complete, st.Op.Status)
		}
		at(t, "the settled operation", st.Op, f.vending, 3)
		// A refund puts the item back; a completion keeps it sold.
		want2 := int64(2)
		if complete {
			want2 = 1
		}
		f.stock(t, want2)
	}
	f.balances(t, 15, 20)
}

func testImpersonation(t *testing.T, open Open) {
	f := newFair(t, open)
	cmd, _ := f.debit(f.ana, f.chips.ID, 0, 10)
	v2 := &coinop.Machine{Name: "Vending 2", Kind: coinop.KindVending}
	f.s.CreateMachine(f.ctx, 0, v2)
	for _, state := range []string{"mfa", "releasing", "idle"} {
		_, err := f.s.Report(f.ctx, coinop.MachineReport{MachineID: v2.ID, State: state, OperationID: cmd.Op.ID})
		wantCode(t, "another machine's operation", err, coinop.EINVALID)
	}
	_, err := f.s.Report(f.ctx, coinop.MachineReport{MachineID: f.arcade.ID, State: "coin", OperationID: cmd.Op.ID})
	wantCode(t, "an arcade claiming a vending operation", err, coinop.EINVALID)
	_, err = f.s.Report(f.ctx, coinop.MachineReport{MachineID: f.vending.ID, State: "releasing", OperationID: cmd.Op.ID})
	wantCode(t, "releasing before the code", err, coinop.EINVALID)
	f.balances(t, 15, 20)
	ops, _ := f.s.Operations(f.ctx, coinop.StatusPending, 10)
	if len(ops) != 1 {
		t.Fatalf("pending %v", ops)
	}
}

func testArcade(t *testing.T, open Open) {
	f := newFair(t, open)
	cmd, err := f.debit(f.ana, f.coin.ID, 0, 0)
	if err != nil || cmd.Kind != coinop.KindArcade || cmd.Slot != 1 || cmd.MachineID != f.arcade.ID {
		t.Fatalf("arcade debit %+v %v", cmd, err)
	}
	_, err = f.debit(f.bruno, f.coin.ID, f.arcade.ID, 0)
	wantCode(t, "arcade busy", err, coinop.EFORBIDDEN)
	_, _, err = f.mfa(f.ana, cmd.Op.ID, 0)
	wantCode(t, "mfa on an arcade", err, coinop.EFORBIDDEN)
	_, err = f.s.Report(f.ctx, coinop.MachineReport{MachineID: f.arcade.ID, State: "coin", OperationID: cmd.Op.ID, Arcade: 2})
	wantCode(t, "coin for another arcade", err, coinop.EINVALID)
	st := f.report(t, f.arcade, "coin", cmd.Op.ID)
	if st == nil || st.Op.Status != coinop.StatusCompleted {
		t.Fatalf("coin inserted: %+v", st)
	}
	at(t, "the coin", st.Op, f.arcade, 1)
	if st := f.report(t, f.arcade, "coin", cmd.Op.ID); st != nil {
		t.Fatal("duplicate coinInserted settled again")
	}
	f.balances(t, 18, 20)
	f.timeout = time.Millisecond
	f.debit(f.bruno, f.coin.ID, 0, 0)
	time.Sleep(5 * time.Millisecond)
	if st, _ := f.s.Expire(f.ctx); len(st) != 1 || st[0].Op.Status != coinop.StatusVoided || st[0].Cancel {
		t.Fatalf("coin timeout: %v", st)
	}
	f.balances(t, 18, 20)
}
