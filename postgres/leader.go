package postgres

import (
	"context"
	"time"
)

// Campaign runs lead while this process holds the advisory lock id, and
// tries to take it every second while it does not. When the process
// holding it dies, its session ends and the lock passes to another within
// about a second. lead's context ends when the lock is lost.
func (db *DB) Campaign(ctx context.Context, id int64, lead func(ctx context.Context)) {
	for ctx.Err() == nil {
		if db.leadOnce(ctx, id, lead) {
			continue
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// leadOnce takes the lock if it can and leads until the lock is lost.
func (db *DB) leadOnce(ctx context.Context, id int64, lead func(ctx context.Context)) bool {
	conn, err := db.db.Conn(ctx)
	if err != nil {
		return false
	}
	defer conn.Close()
	var got bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, id).Scan(&got); err != nil || !got {
		return false
	}
	lctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); lead(lctx) }()
	for lctx.Err() == nil {
		select {
		case <-lctx.Done():
		case <-time.After(time.Second):
			if _, err := conn.ExecContext(ctx, `SELECT 1`); err != nil {
				cancel() // the session, and with it the lock, is gone
			}
		}
	}
	cancel()
	<-done
	conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, id)
	return true
}
