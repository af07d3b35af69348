// Package postgres is coinop's PostgreSQL store, for several coinop
// processes sharing one database. Every rule that must hold across processes
// is enforced inside its transactions, with row locks taken in id order.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"strconv"

	"github.com/coinop/coinop"
	"github.com/coinop/coinop/internal/sqlmigrate"
	"github.com/coinop/coinop/internal/sqlstore"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrationLockID is the advisory lock that serialises migrators.
const migrationLockID = 0x636f696e6f70 // "coinop"

// maxAttempts bounds retries of a transaction that hit a deadlock or a
// serialization failure.
const maxAttempts = 5

var _ coinop.Store = (*DB)(nil)

// DB is an open PostgreSQL database.
type DB struct {
	*sqlstore.Store
	db *sql.DB
}

// Open connects to the database at url (postgres://...).
func Open(url string) (*DB, error) {
	sdb, err := sql.Open("pgx", url)
	if err != nil {
		return nil, err
	}
	sdb.SetMaxOpenConns(40)
	sdb.SetMaxIdleConns(40)
	db := &DB{db: sdb}
	db.Store = sqlstore.New(sdb, db.update, sqlstore.Dialect{
		ForUpdate:  " FOR UPDATE",
		SnapshotTx: &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true},
		Call:       db.call,
		RolledBack: func(err error) bool {
			var pg *pgconn.PgError
			return errors.As(err, &pg)
		},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10e9)
	defer cancel()
	if err := db.Ping(ctx); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	return db, nil
}

// Ping checks that the database answers, for readiness probes.
func (db *DB) Ping(ctx context.Context) error { return db.db.PingContext(ctx) }

// Close closes the connection pool.
func (db *DB) Close() error { return db.db.Close() }

// Migrate applies the embedded migrations not yet applied. Several processes
// may call it at once.
func (db *DB) Migrate(ctx context.Context) (int, error) {
	ms, err := sqlmigrate.Load(migrationFS, "migrations")
	if err != nil {
		return 0, err
	}
	return sqlmigrate.Up(ctx, db.db, sqlmigrate.Dialect{
		CreateTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
			version INTEGER PRIMARY KEY, name TEXT NOT NULL,
			applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
		Lock: func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLockID))
			return err
		},
		Placeholder: func(n int) string { return "$" + strconv.Itoa(n) },
	}, ms)
}

// update runs fn in one transaction, committing if fn returns nil, and
// retries it when PostgreSQL reports a deadlock or serialization failure.
func (db *DB) update(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	var err error
	for range maxAttempts {
		if err = db.once(ctx, fn); !retryable(err) {
			return err
		}
	}
	return err
}

func (db *DB) once(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(ctx, tx); err != nil {
		return err
	}
	return tx.Commit()
}

// call runs one statement (a call of a stored procedure) as a transaction
// of its own, retried like update's, and hands its rows to scan. It returns
// once the statement's implicit transaction has committed: its rows arrive
// before the commit, whose failure shows in the rows' error or Close.
func (db *DB) call(ctx context.Context, scan func(*sql.Rows) error, query string, args ...any) error {
	var err error
	for range maxAttempts {
		if err = db.callOnce(ctx, scan, query, args); !retryable(err) {
			return err
		}
	}
	return err
}

func (db *DB) callOnce(ctx context.Context, scan func(*sql.Rows) error, query string, args []any) error {
	rows, err := db.db.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	if err := scan(rows); err != nil {
		rows.Close()
		return err
	}
	return rows.Close()
}

func retryable(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (pg.Code == "40001" || pg.Code == "40P01")
}
