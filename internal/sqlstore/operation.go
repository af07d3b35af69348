package sqlstore

import (
	"context"
	"database/sql"
	"math"

	"github.com/coinop/coinop"
)

// operationSelect reads operations with their names, scanned by
// scanOperation: the people, the product, and the machine and slot of a
// debit made at a machine (0 and "" for the others).
const operationSelect = `SELECT o.id, o.kind, COALESCE(o.from_id, 0), COALESCE(f.name, ''), o.to_id, t.name,
	COALESCE(o.product_id, 0), COALESCE(p.name, ''), o.value, o.status, o.reason, o.created_at,
	COALESCE(o.machine_id, 0), COALESCE(m.name, ''), COALESCE(m.kind, ''), COALESCE(o.slot, 0)
	FROM operations o
	LEFT JOIN people f ON f.id = o.from_id
	JOIN people t ON t.id = o.to_id
	LEFT JOIN products p ON p.id = o.product_id
	LEFT JOIN machines m ON m.id = o.machine_id`

func scanOperation(sc interface{ Scan(...any) error }) (*coinop.Operation, error) {
	var o coinop.Operation
	var created int64
	err := sc.Scan(&o.ID, &o.Kind, &o.FromID, &o.FromName, &o.ToID, &o.ToName,
		&o.ProductID, &o.ProductName, &o.Value, &o.Status, &o.Reason, &created,
		&o.MachineID, &o.MachineName, &o.MachineKind, &o.Slot)
	o.CreatedAt = fromMS(created)
	return &o, err
}

// operation loads one operation with its names.
func (s *Store) operation(ctx context.Context, db queryer, id int64) (*coinop.Operation, error) {
	op, err := scanOperation(s.row(ctx, db, operationSelect+` WHERE o.id = $1`, id))
	if isNoRows(err) {
		return nil, coinop.Errorf(coinop.ENOTFOUND, "no operation %d", id)
	}
	return op, err
}

// Operation implements coinop.WalletService.
func (s *Store) Operation(ctx context.Context, id int64) (*coinop.Operation, error) {
	return s.operation(ctx, s.read, id)
}

// insertOperation appends op (without names) and sets its id and time.
func (s *Store) insertOperation(ctx context.Context, tx *sql.Tx, op *coinop.Operation, actorID int64) error {
	op.CreatedAt = fromMS(ms(s.Now()))
	var settled sql.NullInt64
	if op.Status == coinop.StatusCompleted || op.Status == coinop.StatusVoided {
		settled = sql.NullInt64{Int64: ms(op.CreatedAt), Valid: true}
	}
	return s.row(ctx, tx, `INSERT INTO operations (kind, from_id, to_id, product_id, value, status, reason, actor_id, created_at, settled_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		op.Kind, nullInt(op.FromID), op.ToID, nullInt(op.ProductID), op.Value, op.Status, op.Reason,
		nullInt(actorID), ms(op.CreatedAt), settled).Scan(&op.ID)
}

// Statement implements coinop.WalletService.
func (s *Store) Statement(ctx context.Context, q coinop.StatementQuery) ([]*coinop.Operation, error) {
	before := q.Before
	if before <= 0 {
		before = math.MaxInt64
	}
	rows, err := s.rows(ctx, s.read, operationSelect+`
		WHERE (o.from_id = $1 OR o.to_id = $1) AND o.id < $2 ORDER BY o.id DESC LIMIT $3`, q.PersonID, before, q.Limit)
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
