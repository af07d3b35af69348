package postgres_test

import (
	"context"
	"database/sql"
	"math"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/coinop/coinop"
	"github.com/coinop/coinop/postgres"
	"github.com/coinop/coinop/postgres/pgtest"
)

// TestTransferBatch: transfers that arrive together run as one call of
// coinop_transfers, each checked on its own, and one that fails in the
// database fails alone. Transfers held up by a lock on their payer's row
// keep every batch slot busy, so the next ones queue into one batch; among
// them one overflows its recipient's balance.
func TestTransferBatch(t *testing.T) {
	db, dbURL := openNamed(t, "coinop_batch_test")
	ctx := context.Background()
	person := func(sub string, funds int64) *coinop.Person { return newPerson(t, db, sub, funds) }
	blocked, sink := person("blocked", 100), person("sink", 0)
	payers := make([]*coinop.Person, 9)
	for i := range payers {
		payers[i] = person("payer"+string(rune('a'+i)), 50)
	}
	// rich's balance is near the largest integer: a transfer to it fails
	// in the database (bigint out of range), not by a rule. (The money
	// issued then no longer fits an integer: the test checks balances one
	// by one instead of CheckInvariants.)
	bank, err := db.Bank(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AdminCredit(ctx, coinop.AdminCreditRequest{ToID: coinop.BankID, Value: math.MaxInt64 - bank.Balance}); err != nil {
		t.Fatal(err)
	}
	rich := person("rich", math.MaxInt64-10)

	lock, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	tx, err := lock.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `SELECT id FROM people WHERE id = $1 FOR UPDATE`, blocked.ID); err != nil {
		t.Fatal(err)
	}

	type outcome struct {
		op  *coinop.Operation
		err error
	}
	var wg sync.WaitGroup
	run := func(out *outcome, r coinop.TransferRequest) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out.op, out.err = db.Transfer(ctx, r)
		}()
	}
	// Transfers from the blocked payer take every batch slot (each waits
	// for the lock), until one more has to queue.
	waiting := func() (n int) {
		lock.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE application_name = 'coinop_batch_test' AND wait_event_type = 'Lock'`).Scan(&n)
		return n
	}
	first := make([]outcome, 8)
	launched := 0
	for launched < len(first) && db.QueuedTransfers() == 0 {
		run(&first[launched], coinop.TransferRequest{FromID: blocked.ID, ToID: sink.ID, Value: 10})
		launched++
		waitFor(t, "the transfer to wait or queue", func() bool { return waiting()+db.QueuedTransfers() == launched })
	}
	if db.QueuedTransfers() != 1 {
		t.Fatalf("%d transfers waiting for the lock and %d queued", waiting(), db.QueuedTransfers())
	}
	first = first[:launched]
	queued := make([]outcome, len(payers)+1)
	for i, p := range payers {
		run(&queued[i], coinop.TransferRequest{FromID: p.ID, ToID: sink.ID, Value: 5})
	}
	run(&queued[len(payers)], coinop.TransferRequest{FromID: payers[0].ID, ToID: rich.ID, Value: 20})
	waitFor(t, "the next ten queued", func() bool { return db.QueuedTransfers() == 1+len(queued) })
	tx.Rollback()
	wg.Wait()

	left := map[int64]bool{}
	for i, o := range first {
		if o.err != nil {
			t.Fatalf("held-up transfer %d: %v", i, o.err)
		}
		left[o.op.After.From] = true
	}
	for k := range launched {
		if !left[100-10*int64(k+1)] {
			t.Errorf("the held-up transfers left the payer %v, want each of 100-10k for k = 1..%d", left, launched)
		}
	}
	for i, o := range queued[:len(payers)] {
		if o.err != nil || o.op.ID == 0 || o.op.After.From != 45 {
			t.Errorf("queued transfer %d of payer %d: %+v, %v", i, payers[i].ID, o.op, o.err)
		}
	}
	if o := queued[len(payers)]; o.err == nil || coinop.ErrorCode(o.err) != coinop.EINTERNAL {
		t.Errorf("overflowing transfer: %+v, %v; want an internal error", o.op, o.err)
	}
	if b, want := mustBalance(t, db, sink.ID), 10*int64(launched)+int64(len(payers))*5; b != want {
		t.Errorf("sink's balance %d, want %d", b, want)
	}
	if b, _ := db.Balance(ctx, rich.ID); b != math.MaxInt64-10 {
		t.Errorf("rich's balance %d changed", b)
	}
	for _, p := range append(payers, blocked) {
		if b, _ := db.Balance(ctx, p.ID); b != map[bool]int64{true: 100 - 10*int64(launched), false: 45}[p == blocked] {
			t.Errorf("%s's balance %d", p.Name, b)
		}
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func mustBalance(t *testing.T, db *postgres.DB, id int64) int64 {
	t.Helper()
	b, err := db.Balance(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// openNamed opens a store in a schema of its own whose connections carry
// application name app (so that a test can find them in pg_stat_activity),
// and returns it with its URL.
func openNamed(t *testing.T, app string) (*postgres.DB, string) {
	t.Helper()
	u, err := url.Parse(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	db, err := postgres.Open(u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db, u.String()
}

// newPerson logs in a person named sub and credits funds to them.
func newPerson(t *testing.T, db *postgres.DB, sub string, funds int64) *coinop.Person {
	t.Helper()
	ctx := context.Background()
	p, _, err := db.Login(ctx, &coinop.Identity{Issuer: "https://issuer.test", Subject: sub, Name: sub}, false)
	if err != nil {
		t.Fatal(err)
	}
	if funds > 0 {
		if _, err := db.AdminCredit(ctx, coinop.AdminCreditRequest{ToID: p.ID, Value: funds}); err != nil {
			t.Fatal(err)
		}
	}
	return p
}
