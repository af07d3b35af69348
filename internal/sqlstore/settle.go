package sqlstore

import (
	"context"
	"database/sql"

	"github.com/coinop/coinop"
)

// opRow is a debit operation as settling it needs.
type opRow struct {
	id, from, value, attempts int64
	machine, slot, code       sql.NullInt64
	product                   sql.NullInt64
	status                    coinop.OpStatus
	expires, released         sql.NullInt64
	releasing                 sql.NullInt64 // the machine reported releasing the item
}

// lockOp loads and locks a debit operation for a caller that does not hold
// its machine. Writers lock rows in one order, so that they cannot
// deadlock: a machine, then its operation, then people in id order, the
// bank last. So the operation's machine is locked first (an operation's
// machine never changes), in one statement.
func (s *Store) lockOp(ctx context.Context, tx *sql.Tx, id int64) (*opRow, error) {
	if s.d.ForUpdate != "" {
		var m int64
		err := s.row(ctx, tx, `SELECT m.id FROM machines m JOIN operations o ON o.machine_id = m.id
			WHERE o.id = $1`+s.d.ForUpdate+` OF m`, id).Scan(&m)
		if err != nil && !isNoRows(err) {
			return nil, err
		}
	}
	return s.loadOp(ctx, tx, id)
}

// loadOp loads and locks a debit operation whose machine the caller holds
// (lockOp otherwise).
func (s *Store) loadOp(ctx context.Context, tx *sql.Tx, id int64) (*opRow, error) {
	var o opRow
	var kind string
	err := s.row(ctx, tx, `SELECT id, COALESCE(from_id, 0), value, attempts, machine_id, slot, code, product_id, status, expires_at, released_at, releasing_at, kind
		FROM operations WHERE id = $1`+s.d.ForUpdate, id).
		Scan(&o.id, &o.from, &o.value, &o.attempts, &o.machine, &o.slot, &o.code, &o.product, &o.status, &o.expires, &o.released, &o.releasing, &kind)
	if isNoRows(err) || (err == nil && kind != string(coinop.OpDebit)) {
		return nil, coinop.Errorf(coinop.ENOTFOUND, "no debit operation %d", id)
	}
	return &o, err
}

// settle moves a held debit to its end: completed (the money goes to the
// bank and the product leaves the stock), voided (the hold returns to the
// buyer) or unknown (still held, for an operator). The machine is freed.
func (s *Store) settle(ctx context.Context, tx *sql.Tx, o *opRow, to coinop.OpStatus, reason string) (*coinop.Settled, error) {
	now := ms(s.Now())
	var stmts []struct {
		q    string
		args []any
	}
	add := func(q string, args ...any) {
		stmts = append(stmts, struct {
			q    string
			args []any
		}{q, args})
	}
	switch to {
	case coinop.StatusCompleted:
		add(`UPDATE people SET held = held - $1 WHERE id = $2`, o.value, o.from)
		if !o.released.Valid { // an arcade's coin; a vending item left the stock at its release
			add(`UPDATE stock SET quantity = quantity - 1 WHERE machine_id = $1 AND slot = $2 AND quantity > 0`, o.machine, o.slot)
		}
	case coinop.StatusVoided:
		add(`UPDATE people SET held = held - $1, balance = balance + $1 WHERE id = $2`, o.value, o.from)
		if o.released.Valid { // refunded after the release: the item is back
			add(`UPDATE stock SET quantity = quantity + 1 WHERE machine_id = $1 AND slot = $2`, o.machine, o.slot)
		}
	}
	settled := sql.NullInt64{Int64: now, Valid: to != coinop.StatusUnknown}
	add(`UPDATE operations SET status = $1, settled_at = $2, reason = $3 WHERE id = $4`, to, settled, reason, o.id)
	add(`UPDATE machines SET operation_id = NULL, phase = 0 WHERE id = $1 AND operation_id = $2`, o.machine, o.id)
	for _, st := range stmts {
		if _, err := s.exec(ctx, tx, st.q, st.args...); err != nil {
			return nil, err
		}
	}
	op, err := s.operation(ctx, tx, o.id)
	if err != nil {
		return nil, err
	}
	if to == coinop.StatusCompleted {
		// The bank's row, which every credit and sale takes, last: its
		// lock is then held only for the commit.
		if _, err := s.exec(ctx, tx, `UPDATE people SET balance = balance + $1 WHERE id = 1`, o.value); err != nil {
			return nil, err
		}
	}
	// A vending machine still showing the code must leave that screen.
	cancel := to == coinop.StatusVoided && o.code.Valid && !o.released.Valid
	return &coinop.Settled{Op: op, MachineID: o.machine.Int64, Cancel: cancel}, nil
}

// Void implements coinop.VendingService.
func (s *Store) Void(ctx context.Context, opID int64, reason string) (st *coinop.Settled, err error) {
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		st = nil
		o, err := s.lockOp(ctx, tx, opID)
		if err != nil || o.status != coinop.StatusPending || o.released.Valid {
			return err
		}
		st, err = s.settle(ctx, tx, o, coinop.StatusVoided, reason)
		return err
	})
	return st, err
}

// Expire implements coinop.VendingService.
func (s *Store) Expire(ctx context.Context) (out []*coinop.Settled, err error) {
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		out = nil
		rows, err := s.rows(ctx, tx, `SELECT id FROM operations WHERE status = 'pending' AND expires_at < $1 ORDER BY id LIMIT 200`, ms(s.Now()))
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		for _, id := range ids {
			st, err := s.expire(ctx, tx, id)
			if err != nil {
				return err
			}
			if st != nil {
				out = append(out, st)
			}
		}
		return nil
	})
	return out, err
}

func (s *Store) expire(ctx context.Context, tx *sql.Tx, id int64) (*coinop.Settled, error) {
	o, err := s.lockOp(ctx, tx, id)
	if err != nil || o.status != coinop.StatusPending || !o.expires.Valid || o.expires.Int64 >= ms(s.Now()) {
		return nil, err
	}
	switch {
	case o.released.Valid:
		return s.settle(ctx, tx, o, coinop.StatusUnknown, "the machine did not report the release")
	case o.code.Valid:
		return s.settle(ctx, tx, o, coinop.StatusVoided, "the code expired")
	}
	return s.settle(ctx, tx, o, coinop.StatusVoided, "the arcade did not confirm the coin")
}

// Settle implements coinop.VendingService.
func (s *Store) Settle(ctx context.Context, actorID, opID int64, complete bool) (st *coinop.Settled, err error) {
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		o, err := s.lockOp(ctx, tx, opID)
		if err != nil {
			return err
		}
		if o.status != coinop.StatusUnknown {
			return coinop.Errorf(coinop.ECONFLICT, "operation %d is %s, not unknown", opID, o.status)
		}
		to, reason := coinop.StatusVoided, "refunded by an operator"
		if complete {
			to, reason = coinop.StatusCompleted, "completed by an operator"
		}
		if st, err = s.settle(ctx, tx, o, to, reason); err != nil {
			return err
		}
		return s.audit(ctx, tx, actorID, "settle", map[string]any{"operation": opID, "status": to})
	})
	return st, err
}

// Operations implements coinop.VendingService.
func (s *Store) Operations(ctx context.Context, status coinop.OpStatus, limit int) ([]*coinop.Operation, error) {
	rows, err := s.rows(ctx, s.read, operationSelect+` WHERE o.status = $1 ORDER BY o.id DESC LIMIT $2`, status, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*coinop.Operation{}
	for rows.Next() {
		op, err := scanOperation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, op)
	}
	return out, rows.Err()
}
