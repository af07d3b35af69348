package sqlstore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/coinop/coinop"
	"github.com/coinop/coinop/sqlite"
)

// TestReadStatements: on SQLite a read query is prepared once on the read
// pool and reused, a request cancelled before its read does not leave a
// statement that fails the next ones, and Close closes them.
func TestReadStatements(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "coinop.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := db.Balance(cancelled, coinop.BankID); err == nil {
		t.Error("a read with a cancelled context succeeded")
	}
	for range 3 {
		if _, err := db.Balance(ctx, coinop.BankID); err != nil {
			t.Fatalf("balance after a cancelled read: %v", err)
		}
	}
	if db.ReadStatements() != 1 {
		t.Errorf("%d read statements kept, want 1 (the balance query, prepared once)", db.ReadStatements())
	}
	if _, err := db.PersonByIdentity(ctx, "https://issuer.example", "nobody"); err == nil {
		t.Error("an unknown identity was found")
	}
	if db.ReadStatements() != 2 {
		t.Errorf("%d read statements after a second query, want 2", db.ReadStatements())
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if db.ReadStatements() != 0 {
		t.Errorf("%d read statements left after Close, want 0", db.ReadStatements())
	}
}
