package sqlstore

import (
	"context"
	"database/sql"

	"github.com/coinop/coinop"
)

// MachineStatuses implements coinop.VendingService.
func (s *Store) MachineStatuses(ctx context.Context) ([]*coinop.MachineStatus, error) {
	rows, err := s.rows(ctx, s.read, `SELECT id, name, kind, description, location, COALESCE(key_id, 0), created_at,
		state, COALESCE(operation_id, 0), last_contact, COALESCE(lease_until, 0) FROM machines ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	now := ms(s.Now())
	out := []*coinop.MachineStatus{}
	for rows.Next() {
		var m coinop.MachineStatus
		var created, lease int64
		var contact sql.NullInt64
		if err := rows.Scan(&m.ID, &m.Name, &m.Kind, &m.Description, &m.Location, &m.KeyID, &created,
			&m.State, &m.OperationID, &contact, &lease); err != nil {
			return nil, err
		}
		m.CreatedAt, m.LastContact, m.Connected = fromMS(created), fromNullMS(contact), lease > now
		out = append(out, &m)
	}
	return out, rows.Err()
}

// RotateMachineKey implements coinop.VendingService.
func (s *Store) RotateMachineKey(ctx context.Context, actorID, machineID int64) (secret string, oldKeyID int64, err error) {
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var old sql.NullInt64
		if err := s.row(ctx, tx, `SELECT key_id FROM machines WHERE id = $1`, machineID).Scan(&old); isNoRows(err) {
			return coinop.Errorf(coinop.ENOTFOUND, "no machine %d", machineID)
		} else if err != nil {
			return err
		}
		k, sec, err := s.createAPIKey(ctx, tx, MachineUser(machineID), coinop.RoleMachine)
		if err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, `UPDATE machines SET key_id = $1 WHERE id = $2`, k.ID, machineID); err != nil {
			return err
		}
		if old.Valid {
			if err := s.revokeAPIKey(ctx, tx, old.Int64); err != nil {
				return err
			}
		}
		secret, oldKeyID = sec, old.Int64
		return s.audit(ctx, tx, actorID, "rotate_machine_key", map[string]any{"machine": machineID})
	})
	return secret, oldKeyID, err
}
