package postgres_test

import (
	"context"
	"database/sql"
	"math"
	"sync"
	"testing"

	"github.com/coinop/coinop"
)

// TestCreditBatch: games' credits that arrive together run as one call of
// coinop_credits, each checked on its own and in order (the bank pays the
// first and refuses the second when it can pay only one), and one that
// fails in the database fails alone. A lock on the bank's row holds up the
// credit in flight, so the next ones queue into one batch.
func TestCreditBatch(t *testing.T) {
	db, dbURL := openNamed(t, "coinop_creditbatch_test")
	ctx := context.Background()
	game := &coinop.Product{Name: "Game", Type: coinop.TypeGames, ClientIDs: []string{"game"}}
	if err := db.CreateProduct(ctx, 0, game); err != nil {
		t.Fatal(err)
	}
	credit := func(p *coinop.Person, value int64) coinop.CreditRequest {
		return coinop.CreditRequest{PersonID: p.ID, ProductID: game.ID, ClientID: "game", Value: value, Limit: math.MaxInt32}
	}
	lock, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	type outcome struct {
		op  *coinop.Operation
		err error
	}
	// batch holds the bank's row while first runs (and waits for it), queues
	// rest behind it, then lets them all go.
	batch := func(first coinop.CreditRequest, rest ...coinop.CreditRequest) []outcome {
		t.Helper()
		tx, err := lock.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, `SELECT id FROM people WHERE id = 1 FOR UPDATE`); err != nil {
			t.Fatal(err)
		}
		out := make([]outcome, 1+len(rest))
		var wg sync.WaitGroup
		for i, r := range append([]coinop.CreditRequest{first}, rest...) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out[i].op, out[i].err = db.Credit(ctx, r)
			}()
			if i == 0 {
				waitFor(t, "the first credit to wait for the bank", func() bool {
					var n int
					lock.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity
						WHERE application_name = 'coinop_creditbatch_test' AND wait_event_type = 'Lock'`).Scan(&n)
					return n == 1
				})
			}
		}
		waitFor(t, "the others to queue", func() bool { return db.QueuedCredits() == len(rest) })
		tx.Rollback()
		wg.Wait()
		return out
	}

	// The bank can pay 15: 10, then not 10, then 3.
	a, b, c := newPerson(t, db, "a", 0), newPerson(t, db, "b", 0), newPerson(t, db, "c", 0)
	bank, err := db.Bank(ctx)
	if err != nil {
		t.Fatal(err)
	}
	newPerson(t, db, "heir", bank.Balance-15)
	out := batch(credit(a, 10), credit(b, 10), credit(c, 3))
	if out[0].err != nil || out[0].op.After.From != 5 {
		t.Errorf("credit of 10 with 15 in the bank: %+v, %v", out[0].op, out[0].err)
	}
	if coinop.ErrorCode(out[1].err) != coinop.EBANKFUNDS {
		t.Errorf("second credit of 10 with 5 in the bank: %+v, %v", out[1].op, out[1].err)
	}
	if out[2].err != nil || out[2].op.After.From != 2 || out[2].op.After.To != 3 || out[2].op.ToName != "c" || out[2].op.FromName != "Banco Central" {
		t.Errorf("credit of 3 after the refusal: %+v, %v", out[2].op, out[2].err)
	}
	if bank, _ := db.Bank(ctx); bank.Balance != 2 {
		t.Errorf("bank's balance %d, want 2", bank.Balance)
	}
	if err := db.CheckInvariants(ctx); err != nil {
		t.Fatal(err)
	}

	// rich's balance is near the largest integer: a credit to it fails in
	// the database (bigint out of range), not by a rule, and alone.
	if _, err := db.AdminCredit(ctx, coinop.AdminCreditRequest{ToID: coinop.BankID, Value: math.MaxInt64 - 2}); err != nil {
		t.Fatal(err)
	}
	rich := newPerson(t, db, "rich", math.MaxInt64-100)
	if _, err := db.AdminCredit(ctx, coinop.AdminCreditRequest{ToID: coinop.BankID, Value: 1000}); err != nil {
		t.Fatal(err)
	}
	out = batch(credit(a, 1), credit(rich, 200), credit(b, 7))
	if out[0].err != nil || out[2].err != nil || out[2].op.After.To != 7 {
		t.Errorf("credits beside the failing one: %+v %v, %+v %v", out[0].op, out[0].err, out[2].op, out[2].err)
	}
	if coinop.ErrorCode(out[1].err) != coinop.EINTERNAL {
		t.Errorf("overflowing credit: %+v, %v; want an internal error", out[1].op, out[1].err)
	}
	if got := mustBalance(t, db, rich.ID); got != math.MaxInt64-100 {
		t.Errorf("rich's balance %d changed", got)
	}
	if got := mustBalance(t, db, a.ID); got != 11 {
		t.Errorf("a's balance %d, want 11", got)
	}
}
