package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/coinop/coinop"
)

// audit records an operator's change inside the transaction that makes it.
// actorID 0 means the command line.
func (s *Store) audit(ctx context.Context, tx *sql.Tx, actorID int64, action string, detail map[string]any) error {
	b, err := json.Marshal(detail)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, tx, `INSERT INTO audit_log (actor_id, action, detail, created_at) VALUES ($1, $2, $3, $4)`,
		nullInt(actorID), action, string(b), ms(s.Now()))
	return err
}

// Audit implements coinop.AuditService.
func (s *Store) Audit(ctx context.Context, limit int) ([]*coinop.AuditEntry, error) {
	rows, err := s.rows(ctx, s.read, `SELECT id, COALESCE(actor_id, 0), action, detail, created_at FROM audit_log ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*coinop.AuditEntry
	for rows.Next() {
		var e coinop.AuditEntry
		var created int64
		if err := rows.Scan(&e.ID, &e.ActorID, &e.Action, &e.Detail, &created); err != nil {
			return nil, err
		}
		e.CreatedAt = fromMS(created)
		out = append(out, &e)
	}
	return out, rows.Err()
}
