package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
)

// CheckInvariants implements coinop.WalletService. It reads one consistent
// snapshot.
func (s *Store) CheckInvariants(ctx context.Context) error {
	tx, err := s.read.BeginTx(ctx, s.d.SnapshotTx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	snap := readTx{tx}
	var balances, held, minBalance, minHeld, issued int64
	err = s.row(ctx, snap, `SELECT COALESCE(SUM(balance), 0), COALESCE(SUM(held), 0), COALESCE(MIN(balance), 0), COALESCE(MIN(held), 0),
		(SELECT COALESCE(SUM(value), 0) FROM operations WHERE kind = 'issue' AND status = 'completed') FROM people`).
		Scan(&balances, &held, &minBalance, &minHeld, &issued)
	if err != nil {
		return err
	}
	if balances+held != issued {
		return fmt.Errorf("invariant: balances %d + held %d = %d, but %d was issued", balances, held, balances+held, issued)
	}
	if minBalance < 0 || minHeld < 0 {
		return fmt.Errorf("invariant: a negative balance (%d) or hold (%d)", minBalance, minHeld)
	}
	return s.checkHistory(ctx, snap)
}

// readTx is a read transaction: never given the write path's prepared
// statements.
type readTx struct{ *sql.Tx }

// checkHistory compares every stored balance and hold with the history.
func (s *Store) checkHistory(ctx context.Context, tx readTx) error {
	var id, balance, hold, wantBalance, wantHold int64
	err := s.row(ctx, tx, `SELECT p.id, p.balance, p.held,
			COALESCE(i.v, 0) - COALESCE(o.v, 0) - COALESCE(h.v, 0), COALESCE(h.v, 0)
		FROM people p
		LEFT JOIN (SELECT to_id AS id, SUM(value) AS v FROM operations WHERE status = 'completed' GROUP BY to_id) i ON i.id = p.id
		LEFT JOIN (SELECT from_id AS id, SUM(value) AS v FROM operations WHERE status = 'completed' AND from_id IS NOT NULL GROUP BY from_id) o ON o.id = p.id
		LEFT JOIN (SELECT from_id AS id, SUM(value) AS v FROM operations WHERE status IN ('pending', 'unknown') AND from_id IS NOT NULL GROUP BY from_id) h ON h.id = p.id
		WHERE p.balance <> COALESCE(i.v, 0) - COALESCE(o.v, 0) - COALESCE(h.v, 0) OR p.held <> COALESCE(h.v, 0)
		LIMIT 1`).Scan(&id, &balance, &hold, &wantBalance, &wantHold)
	if isNoRows(err) {
		return nil
	} else if err != nil {
		return err
	}
	return fmt.Errorf("invariant: person %d has balance %d and hold %d; the history gives %d and %d", id, balance, hold, wantBalance, wantHold)
}
