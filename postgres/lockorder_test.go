package postgres_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/coinop/coinop"
)

// TestLockOrder: confirming a code locks the machine before the operation,
// as a machine's report does (machine, then operation). The other order
// deadlocked a player's POST /mfa against the machine's stateUpdate mfa of
// the same purchase, each costing a second of deadlock detection. With the
// machine's row held elsewhere, a confirmation must wait without having
// locked the operation.
func TestLockOrder(t *testing.T) {
	db, dbURL := openNamed(t, "coinop_lockorder_test")
	ctx := context.Background()
	chips := &coinop.Product{Name: "Chips", Type: coinop.TypeFoods, Price: 5}
	if err := db.CreateProduct(ctx, 0, chips); err != nil {
		t.Fatal(err)
	}
	m := &coinop.Machine{Name: "Vending", Kind: coinop.KindVending}
	if _, err := db.CreateMachine(ctx, 0, m); err != nil {
		t.Fatal(err)
	}
	if err := db.Connected(ctx, m.ID, time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := db.SetStock(ctx, 0, coinop.Stock{MachineID: m.ID, Slot: 1, ProductID: chips.ID, Quantity: 5}); err != nil {
		t.Fatal(err)
	}
	ana := newPerson(t, db, "ana", 20)
	cmd, err := db.Debit(ctx, coinop.DebitRequest{PersonID: ana.ID, ProductID: chips.ID, MachineID: m.ID, Code: 42,
		CodeTimeout: time.Minute, CoinTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}

	other, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	hold, err := other.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Rollback()
	if _, err := hold.ExecContext(ctx, `SELECT id FROM machines WHERE id = $1 FOR UPDATE`, m.ID); err != nil {
		t.Fatal(err)
	}
	confirmed := make(chan error, 1)
	go func() {
		_, _, err := db.ConfirmMFA(ctx, coinop.MFARequest{PersonID: ana.ID, OperationID: cmd.Op.ID, Code: 42, MaxAttempts: 3, ReportTimeout: time.Minute})
		confirmed <- err
	}()
	waitFor(t, "the confirmation to wait for a lock", func() bool {
		var n int
		other.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE application_name = 'coinop_lockorder_test' AND wait_event_type = 'Lock'`).Scan(&n)
		return n == 1
	})
	probe, err := other.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = probe.ExecContext(ctx, `SELECT id FROM operations WHERE id = $1 FOR UPDATE NOWAIT`, cmd.Op.ID)
	probe.Rollback()
	if err != nil {
		t.Errorf("the waiting confirmation holds the operation's row (it must lock the machine first): %v", err)
	}
	hold.Rollback()
	if err := <-confirmed; err != nil {
		t.Fatalf("confirm after the machine was free: %v", err)
	}
}
