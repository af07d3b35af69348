// Package sqlite is coinop's embedded store: a single SQLite file through a
// pure-Go driver, in WAL mode with full synchronous commits. All writes go
// through one connection in BEGIN IMMEDIATE transactions, grouped so that
// concurrent operations share one durable commit (see commit.go); reads use
// a small pool.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"net/url"

	"github.com/coinop/coinop"
	"github.com/coinop/coinop/internal/sqlmigrate"
	"github.com/coinop/coinop/internal/sqlstore"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrationFS embed.FS

var _ coinop.Store = (*DB)(nil)

// DB is an open SQLite database.
type DB struct {
	*sqlstore.Store
	path   string
	write  *sql.DB // one connection, BEGIN IMMEDIATE
	read   *sql.DB // several connections, read-only
	commit *committer
}

// Open opens (creating if needed) the database file at path. It does not
// migrate; call Migrate.
func Open(path string) (*DB, error) {
	pragmas := []string{"journal_mode(WAL)", "foreign_keys(1)", "busy_timeout(10000)", "synchronous(FULL)"}
	dsn := func(extra ...string) string {
		q := url.Values{}
		for _, p := range append(pragmas, extra...) {
			q.Add("_pragma", p)
		}
		return "file:" + path + "?" + q.Encode()
	}
	write, err := sql.Open("sqlite", dsn()+"&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxLifetime(0)
	read, err := sql.Open("sqlite", dsn("query_only(1)"))
	if err != nil {
		write.Close()
		return nil, err
	}
	read.SetMaxOpenConns(8)
	read.SetMaxIdleConns(8)
	db := &DB{path: path, write: write, read: read, commit: newCommitter(write)}
	db.Store = sqlstore.New(read, db.commit.do, sqlstore.Dialect{Positional: sqlstore.DollarToQuestion, Prepared: db.commit.stmts.get, PrepareReads: true})
	if err := db.Ping(context.Background()); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// Ping checks that the database answers, for readiness probes.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.write.PingContext(ctx); err != nil {
		return err
	}
	return db.read.PingContext(ctx)
}

// Close stops the committer and closes the database.
func (db *DB) Close() error {
	db.commit.stop()
	db.Store.CloseStatements()
	err := db.read.Close()
	if werr := db.write.Close(); err == nil {
		err = werr
	}
	return err
}

// Migrate applies the embedded migrations not yet applied and returns how
// many it applied.
func (db *DB) Migrate(ctx context.Context) (int, error) {
	ms, err := sqlmigrate.Load(migrationFS, "migrations")
	if err != nil {
		return 0, err
	}
	return sqlmigrate.Up(ctx, db.write, sqlmigrate.Dialect{
		CreateTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
			version INTEGER PRIMARY KEY, name TEXT NOT NULL,
			applied_at INTEGER NOT NULL DEFAULT (unixepoch()))`,
		Placeholder: func(int) string { return "?" },
	}, ms)
}

// Pragmas reports the settings of the write connection that matter for
// durability, for diagnostics and tests.
func (db *DB) Pragmas(ctx context.Context) map[string]string {
	out := map[string]string{}
	for _, p := range []string{"journal_mode", "foreign_keys", "synchronous", "busy_timeout"} {
		var v string
		if err := db.write.QueryRowContext(ctx, "PRAGMA "+p).Scan(&v); err == nil {
			out[p] = v
		}
	}
	return out
}
