package sqlstore

import (
	"context"
	"database/sql"
	"strings"

	"github.com/coinop/coinop"
)

var _ coinop.LegacyService = (*Store)(nil)

// MapLegacyMachine implements coinop.LegacyService.
func (s *Store) MapLegacyMachine(ctx context.Context, actorID int64, namespace, legacyID string, machineID int64) error {
	kind := coinop.LegacyKind(namespace)
	if kind == "" {
		return coinop.Errorf(coinop.EINVALID, "namespace must be %s or %s", coinop.LegacyVending, coinop.LegacyArcade)
	}
	if legacyID = strings.TrimSpace(legacyID); legacyID == "" || len(legacyID) > 64 {
		return coinop.Errorf(coinop.EINVALID, "the legacy id must be 1 to 64 characters")
	}
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var got coinop.MachineKind
		err := s.row(ctx, tx, `SELECT kind FROM machines WHERE id = $1`, machineID).Scan(&got)
		if isNoRows(err) {
			return coinop.Errorf(coinop.ENOTFOUND, "no machine %d", machineID)
		} else if err != nil {
			return err
		}
		if got != kind {
			return coinop.Errorf(coinop.EINVALID, "machine %d is a %s machine; namespace %s needs a %s one", machineID, got, namespace, kind)
		}
		_, err = s.exec(ctx, tx, `INSERT INTO legacy_machines (namespace, legacy_id, machine_id) VALUES ($1, $2, $3)
			ON CONFLICT (namespace, legacy_id) DO UPDATE SET machine_id = excluded.machine_id`, namespace, legacyID, machineID)
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, actorID, "map_legacy_machine", map[string]any{"machine": machineID, "namespace": namespace, "legacy_id": legacyID})
	})
}

// LegacyMachine implements coinop.LegacyService.
func (s *Store) LegacyMachine(ctx context.Context, namespace, legacyID string) (*coinop.Machine, error) {
	var m coinop.Machine
	var created int64
	err := s.row(ctx, s.read, `SELECT m.id, m.name, m.kind, m.description, m.location, COALESCE(m.key_id, 0), m.created_at
		FROM legacy_machines l JOIN machines m ON m.id = l.machine_id WHERE l.namespace = $1 AND l.legacy_id = $2`, namespace, legacyID).
		Scan(&m.ID, &m.Name, &m.Kind, &m.Description, &m.Location, &m.KeyID, &created)
	if isNoRows(err) {
		return nil, coinop.Errorf(coinop.ENOTFOUND, "no machine for %s %q", namespace, legacyID)
	} else if err != nil {
		return nil, err
	}
	m.CreatedAt = fromMS(created)
	return &m, nil
}
