package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/coinop/coinop"
	"github.com/coinop/coinop/sqlite"
	"github.com/coinop/coinop/storetest"
)

func open(t *testing.T) coinop.Store {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "coinop.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestStore(t *testing.T) { storetest.Run(t, open) }

func TestPragmas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got := db.Pragmas(context.Background())
	want := map[string]string{"journal_mode": "wal", "foreign_keys": "1", "synchronous": "2"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("pragma %s = %q, want %q", k, got[k], v)
		}
	}
}

func TestPruneOldIdempotencyKeys(t *testing.T) {
	db := open(t).(*sqlite.DB)
	ctx := context.Background()
	a, _, _ := db.Login(ctx, &coinop.Identity{Issuer: "i", Subject: "a"}, false)
	b, _, _ := db.Login(ctx, &coinop.Identity{Issuer: "i", Subject: "b"}, false)
	db.AdminCredit(ctx, coinop.AdminCreditRequest{ToID: a.ID, Value: 10})
	db.Now = func() time.Time { return time.Now().Add(-25 * time.Hour) }
	old, err := db.Transfer(ctx, coinop.TransferRequest{FromID: a.ID, ToID: b.ID, Value: 1, Idem: coinop.Idempotency{Key: "k", Hash: []byte("h")}})
	if err != nil {
		t.Fatal(err)
	}
	db.Now = time.Now
	if n, err := db.PruneIdempotencyKeys(ctx); err != nil || n != 1 {
		t.Fatalf("pruned %d, %v; want the one day-old key", n, err)
	}
	op, err := db.Transfer(ctx, coinop.TransferRequest{FromID: a.ID, ToID: b.ID, Value: 1, Idem: coinop.Idempotency{Key: "k", Hash: []byte("h")}})
	if err != nil || op.ID == old.ID {
		t.Fatalf("a pruned key still answered the old operation: %v %v", op, err)
	}
}
