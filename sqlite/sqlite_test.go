package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

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
