// Package pgtest gives tests a PostgreSQL schema of their own.
package pgtest

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// URL returns a URL of the PostgreSQL server named by COINOP_TEST_POSTGRES
// whose search_path is a fresh schema, dropped when the test ends. Unset,
// the test is skipped, except under CI=true where it fails.
func URL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("COINOP_TEST_POSTGRES")
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but COINOP_TEST_POSTGRES is not set")
		}
		t.Skip("COINOP_TEST_POSTGRES not set: skipping PostgreSQL tests")
	}
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
		if a, err := sql.Open("pgx", base); err == nil {
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
	return u.String()
}
