package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// maxBatch bounds how many operations share one commit.
const maxBatch = 512

// committer is SQLite's group commit. SQLite has one writer and every
// durable commit costs an fsync, so one goroutine takes whatever write
// requests are waiting, runs each in its own savepoint inside one BEGIN
// IMMEDIATE transaction, and commits once. A request whose function fails
// is rolled back to its savepoint alone; each is answered only after the
// commit that made it durable. With a single request waiting, it commits at
// once: batching adds no delay, it only shares fsyncs under load.
type committer struct {
	db       *sql.DB
	stmts    *stmtCache
	requests chan *writeRequest
	quit     chan struct{}
	done     chan struct{}
	once     sync.Once
}

type writeRequest struct {
	ctx  context.Context
	fn   func(ctx context.Context, tx *sql.Tx) error
	err  error
	done chan struct{}
}

var errClosed = errors.New("sqlite: database closed")

func newCommitter(db *sql.DB) *committer {
	c := &committer{db: db, stmts: newStmtCache(db), requests: make(chan *writeRequest, maxBatch), quit: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

// do runs fn in a write transaction and returns once it is durable. fn's
// statements run detached from ctx's cancellation: interrupting a
// statement would make SQLite roll back the whole shared transaction.
func (c *committer) do(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	r := &writeRequest{ctx: ctx, fn: fn, done: make(chan struct{})}
	select {
	case c.requests <- r:
	case <-c.quit:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	<-r.done // once queued, the answer always comes: the commit decides
	return r.err
}

func (c *committer) stop() {
	c.once.Do(func() { close(c.quit) })
	<-c.done
}

func (c *committer) run() {
	defer close(c.done)
	batch := make([]*writeRequest, 0, maxBatch)
	for {
		select {
		case r := <-c.requests:
			batch = append(batch[:0], r)
		case <-c.quit:
			c.drain()
			c.stmts.close()
			return
		}
	fill:
		for len(batch) < maxBatch {
			select {
			case r := <-c.requests:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		c.commit(batch)
		c.stmts.prepareWanted()
	}
}

// drain answers requests still queued at close.
func (c *committer) drain() {
	for {
		select {
		case r := <-c.requests:
			r.err = errClosed
			close(r.done)
		default:
			return
		}
	}
}

// commit runs a batch in one transaction.
func (c *committer) commit(batch []*writeRequest) {
	err := c.runBatch(batch)
	for _, r := range batch {
		if err != nil && r.err == nil {
			r.err = err
		}
		close(r.done)
	}
}

func (c *committer) runBatch(batch []*writeRequest) error {
	tx, err := c.db.BeginTx(context.Background(), nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, r := range batch {
		if r.err = r.ctx.Err(); r.err != nil {
			continue
		}
		if _, err := tx.Exec("SAVEPOINT op"); err != nil {
			return err
		}
		if r.err = call(context.WithoutCancel(r.ctx), r.fn, tx); r.err != nil {
			if _, err := tx.Exec("ROLLBACK TO op"); err != nil {
				return err
			}
		}
		if _, err := tx.Exec("RELEASE op"); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// call runs fn, turning a panic into an error so one bad request cannot
// take the batch or the process down.
func call(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error, tx *sql.Tx) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic in write transaction: %v", v)
		}
	}()
	return fn(ctx, tx)
}
