package postgres_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/coinop/coinop"
	"github.com/coinop/coinop/postgres"
	"github.com/coinop/coinop/storetest"
)

// testURL returns the PostgreSQL URL from COINOP_TEST_POSTGRES. Unset, the
// tests skip, except under CI=true where a missing database fails the run.
func testURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("COINOP_TEST_POSTGRES")
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but COINOP_TEST_POSTGRES is not set")
		}
		t.Skip("COINOP_TEST_POSTGRES not set: skipping PostgreSQL tests")
	}
	return u
}

// open creates a schema of its own for the test and a store that uses it.
func open(t *testing.T) coinop.Store {
	t.Helper()
	base := testURL(t)
	b := make([]byte, 6)
	rand.Read(b)
	schema := "coinop_test_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema (is PostgreSQL running at %s?): %v", base, err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err == nil {
			a.Exec("DROP SCHEMA " + schema + " CASCADE")
			a.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	db, err := postgres.Open(u.String())
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
