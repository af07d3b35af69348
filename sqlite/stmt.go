package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps the write connection's prepared statements. SQLite
// spends much of a small statement's time preparing it, and the single
// writer runs the same few statements all day. A statement is prepared the
// first time a transaction asks for it, between batches (when the one write
// connection is free); until then the transaction runs it unprepared.
type stmtCache struct {
	db *sql.DB

	mu     sync.Mutex
	stmts  map[string]*sql.Stmt
	wanted map[string]bool
}

// maxStmts bounds the cache.
const maxStmts = 256

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, stmts: map[string]*sql.Stmt{}, wanted: map[string]bool{}}
}

// get returns query's prepared statement bound to tx, or nil (run it
// unprepared) when it is not prepared yet.
func (c *stmtCache) get(ctx context.Context, tx *sql.Tx, query string) *sql.Stmt {
	c.mu.Lock()
	st := c.stmts[query]
	if st == nil && len(c.stmts)+len(c.wanted) < maxStmts {
		c.wanted[query] = true
	}
	c.mu.Unlock()
	if st == nil {
		return nil
	}
	return tx.StmtContext(ctx, st)
}

// prepareWanted prepares the statements asked for; the committer calls it
// when no transaction holds the write connection.
func (c *stmtCache) prepareWanted() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q := range c.wanted {
		if st, err := c.db.Prepare(q); err == nil {
			c.stmts[q] = st
		}
		delete(c.wanted, q)
	}
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.stmts {
		st.Close()
		delete(c.stmts, q)
	}
}
