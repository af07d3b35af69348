// Package sqlstore implements coinop's services once, in SQL that both
// storage adapters run: the sqlite and postgres packages supply the
// connection, the schema (their own migrations), the write path and a small
// dialect. Every service method is one transaction.
package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coinop/coinop"
)

// Dialect is what differs between the databases.
type Dialect struct {
	// Positional rewrites a query written with $1, $2… for the driver.
	Positional func(q string) string
	// ForUpdate is appended to a SELECT that must lock its rows until the
	// transaction ends ("" where writers are serialised anyway).
	ForUpdate string
	// Prepared, if set, returns a prepared statement of query bound to tx,
	// or nil to run it unprepared.
	Prepared func(ctx context.Context, tx *sql.Tx, query string) *sql.Stmt
	// PrepareReads keeps a prepared statement of each read query on the
	// read pool (for a driver that does not cache them itself: SQLite
	// spends most of a small query's time parsing it).
	PrepareReads bool
	// SnapshotTx are the options of a read transaction that sees one
	// consistent snapshot (nil where that is the default).
	SnapshotTx *sql.TxOptions
	// Call, if set, runs query, one statement, as a transaction of its own
	// and hands its rows to scan; after a deadlock or serialization failure
	// it runs it again (scan then sees the new rows). It returns once the
	// transaction has committed. Setting it also says that the database has
	// coinop's stored procedures (PostgreSQL's migrations define them), with
	// which transfers, and games' credits, that arrive together take one
	// round trip and one commit instead of one round trip per statement each
	// (batch.go).
	Call func(ctx context.Context, scan func(*sql.Rows) error, query string, args ...any) error
	// RolledBack (with Call) reports whether err is the database's refusal
	// of a statement, after which nothing of its transaction remains; any
	// other error (a lost connection) leaves a commit in doubt.
	RolledBack func(err error) bool
}

// WriteFunc runs fn in one write transaction, committing if fn returns nil.
// fn must run its statements with the context it is given, which the
// adapter may detach from the caller's cancellation.
type WriteFunc func(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error

// Store implements the coinop services on a database.
type Store struct {
	read  *sql.DB
	write WriteFunc
	d     Dialect
	// Now returns the current time; tests may replace it.
	Now func() time.Time

	queries sync.Map // query text → dialect's text

	transfers, credits batcher // with Dialect.Call (batch.go)

	readStmts sync.Map     // dialect's text → *sql.Stmt on read (PrepareReads)
	nReads    atomic.Int32 // statements in readStmts, at most maxReadStmts
}

// maxReadStmts bounds the read statements kept prepared; past it, queries
// run unprepared.
const maxReadStmts = 256

// New returns a Store reading from read and writing through write.
func New(read *sql.DB, write WriteFunc, d Dialect) *Store {
	return &Store{read: read, write: write, d: d, Now: time.Now,
		transfers: batcher{call: transferBatch}, credits: batcher{call: creditBatch}}
}

var (
	_ coinop.APIKeyService  = (*Store)(nil)
	_ coinop.PersonService  = (*Store)(nil)
	_ coinop.WalletService  = (*Store)(nil)
	_ coinop.ProductService = (*Store)(nil)
	_ coinop.MachineService = (*Store)(nil)
	_ coinop.AuditService   = (*Store)(nil)
)

// q returns the dialect's text of query, cached.
func (s *Store) q(query string) string {
	if v, ok := s.queries.Load(query); ok {
		return v.(string)
	}
	out := query
	if s.d.Positional != nil {
		out = s.d.Positional(query)
	}
	s.queries.Store(query, out)
	return out
}

// queryer is a *sql.DB or a *sql.Tx.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func (s *Store) row(ctx context.Context, db queryer, query string, args ...any) *sql.Row {
	return s.on(ctx, db, query).QueryRowContext(ctx, s.q(query), args...)
}

func (s *Store) exec(ctx context.Context, db queryer, query string, args ...any) (sql.Result, error) {
	return s.on(ctx, db, query).ExecContext(ctx, s.q(query), args...)
}

// on returns where to run query: a prepared statement inside a write
// transaction when the adapter has one, a prepared statement of the read
// pool when the dialect asks for it, else db itself.
func (s *Store) on(ctx context.Context, db queryer, query string) queryer {
	switch db := db.(type) {
	case *sql.Tx:
		if s.d.Prepared != nil {
			if st := s.d.Prepared(ctx, db, s.q(query)); st != nil {
				return stmtQueryer{st}
			}
		}
	case *sql.DB:
		if db == s.read && s.d.PrepareReads {
			if st := s.readStmt(s.q(query)); st != nil {
				return stmtQueryer{st}
			}
		}
	}
	return db
}

// readStmt returns query prepared on the read pool, preparing it the first
// time; nil (run it unprepared) if it cannot be prepared or the cache is
// full. A *sql.Stmt of a pool is safe for concurrent use: database/sql
// prepares it again on each connection it runs on.
func (s *Store) readStmt(query string) *sql.Stmt {
	if v, ok := s.readStmts.Load(query); ok {
		return v.(*sql.Stmt)
	}
	if s.nReads.Load() >= maxReadStmts {
		return nil
	}
	// Not the request's context: a cancelled request must not leave a
	// statement that fails for everyone.
	st, err := s.read.PrepareContext(context.Background(), query)
	if err != nil {
		return nil
	}
	if v, loaded := s.readStmts.LoadOrStore(query, st); loaded {
		st.Close()
		return v.(*sql.Stmt)
	}
	s.nReads.Add(1)
	return st
}

// CloseStatements closes the read statements; the adapter's Close calls it
// before closing the read pool.
func (s *Store) CloseStatements() {
	s.readStmts.Range(func(k, v any) bool {
		v.(*sql.Stmt).Close()
		s.readStmts.Delete(k)
		s.nReads.Add(-1)
		return true
	})
}

// stmtQueryer runs a prepared statement, ignoring the query text.
type stmtQueryer struct{ st *sql.Stmt }

func (q stmtQueryer) QueryContext(ctx context.Context, _ string, args ...any) (*sql.Rows, error) {
	return q.st.QueryContext(ctx, args...)
}

func (q stmtQueryer) QueryRowContext(ctx context.Context, _ string, args ...any) *sql.Row {
	return q.st.QueryRowContext(ctx, args...)
}

func (q stmtQueryer) ExecContext(ctx context.Context, _ string, args ...any) (sql.Result, error) {
	return q.st.ExecContext(ctx, args...)
}

func (s *Store) rows(ctx context.Context, db queryer, query string, args ...any) (*sql.Rows, error) {
	return s.on(ctx, db, query).QueryContext(ctx, s.q(query), args...)
}

// ms is the stored form of a time: Unix milliseconds.
func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v) }

func fromNullMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64)
}

// nullInt stores 0 as NULL.
func nullInt(v int64) sql.NullInt64 { return sql.NullInt64{Int64: v, Valid: v != 0} }

// DollarToQuestion rewrites $1 placeholders as SQLite's numbered ?1.
func DollarToQuestion(q string) string { return strings.ReplaceAll(q, "$", "?") }
