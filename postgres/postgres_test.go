package postgres_test

import (
	"context"
	"testing"

	"github.com/coinop/coinop"
	"github.com/coinop/coinop/postgres"
	"github.com/coinop/coinop/postgres/pgtest"
	"github.com/coinop/coinop/storetest"
)

// open makes a store in a schema of its own.
func open(t *testing.T) coinop.Store {
	t.Helper()
	db, err := postgres.Open(pgtest.URL(t))
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
