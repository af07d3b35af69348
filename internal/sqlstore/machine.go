package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"github.com/coinop/coinop"
)

// CreateMachine implements coinop.MachineService: the machine and its own
// API key (role machine, user "machine-ID") in one transaction.
func (s *Store) CreateMachine(ctx context.Context, actorID int64, m *coinop.Machine) (string, error) {
	if strings.TrimSpace(m.Name) == "" {
		return "", coinop.Errorf(coinop.EINVALID, "name required")
	}
	if m.Kind != coinop.KindVending && m.Kind != coinop.KindArcade {
		return "", coinop.Errorf(coinop.EINVALID, "kind must be vending or arcade")
	}
	var secret string
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var taken int
		if err := s.row(ctx, tx, `SELECT COUNT(*) FROM machines WHERE name = $1`, m.Name).Scan(&taken); err != nil {
			return err
		}
		if taken > 0 {
			return coinop.Errorf(coinop.ECONFLICT, "a machine named %q exists", m.Name)
		}
		m.CreatedAt = fromMS(ms(s.Now()))
		err := s.row(ctx, tx, `INSERT INTO machines (name, kind, description, location, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			m.Name, m.Kind, m.Description, m.Location, ms(m.CreatedAt)).Scan(&m.ID)
		if err != nil {
			return err
		}
		var k *coinop.APIKey
		if k, secret, err = s.createAPIKey(ctx, tx, MachineUser(m.ID), coinop.RoleMachine); err != nil {
			return err
		}
		m.KeyID = k.ID
		if _, err := s.exec(ctx, tx, `UPDATE machines SET key_id = $1 WHERE id = $2`, k.ID, m.ID); err != nil {
			return err
		}
		return s.audit(ctx, tx, actorID, "create_machine", map[string]any{"machine": m.ID, "name": m.Name, "kind": m.Kind})
	})
	return secret, err
}

// MachineUser is the API key user of a machine.
func MachineUser(id int64) string { return "machine-" + strconv.FormatInt(id, 10) }

// Machines implements coinop.MachineService.
func (s *Store) Machines(ctx context.Context) ([]*coinop.Machine, error) {
	rows, err := s.rows(ctx, s.read, `SELECT id, name, kind, description, location, COALESCE(key_id, 0), created_at FROM machines ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*coinop.Machine{}
	for rows.Next() {
		var m coinop.Machine
		var created int64
		if err := rows.Scan(&m.ID, &m.Name, &m.Kind, &m.Description, &m.Location, &m.KeyID, &created); err != nil {
			return nil, err
		}
		m.CreatedAt = fromMS(created)
		out = append(out, &m)
	}
	return out, rows.Err()
}

// SetStock implements coinop.MachineService. A vending machine holds foods,
// an arcade arcade credits (its slot is the arcade number).
func (s *Store) SetStock(ctx context.Context, actorID int64, st coinop.Stock) error {
	if st.Quantity < 0 || st.Slot < 0 {
		return coinop.Errorf(coinop.EINVALID, "slot and quantity must not be negative")
	}
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var kind coinop.MachineKind
		if err := s.row(ctx, tx, `SELECT kind FROM machines WHERE id = $1`, st.MachineID).Scan(&kind); isNoRows(err) {
			return coinop.Errorf(coinop.ENOTFOUND, "no machine %d", st.MachineID)
		} else if err != nil {
			return err
		}
		p, err := s.product(ctx, tx, st.ProductID)
		if coinop.ErrorCode(err) == coinop.ENOTFOUND {
			return coinop.Errorf(coinop.EINVALID, "no product %d", st.ProductID)
		} else if err != nil {
			return err
		}
		if (kind == coinop.KindVending) != (p.Type == coinop.TypeFoods) || p.Type == coinop.TypeGames {
			return coinop.Errorf(coinop.EINVALID, "a %s machine cannot stock a product of type %s", kind, p.Type)
		}
		_, err = s.exec(ctx, tx, `INSERT INTO stock (machine_id, slot, product_id, quantity) VALUES ($1, $2, $3, $4)
			ON CONFLICT (machine_id, slot) DO UPDATE SET product_id = excluded.product_id, quantity = excluded.quantity`,
			st.MachineID, st.Slot, st.ProductID, st.Quantity)
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, actorID, "set_stock", map[string]any{"machine": st.MachineID, "slot": st.Slot, "product": st.ProductID, "quantity": st.Quantity})
	})
}

// MachineStock implements coinop.MachineService.
func (s *Store) MachineStock(ctx context.Context, machineID int64) ([]coinop.Stock, error) {
	rows, err := s.rows(ctx, s.read, `SELECT machine_id, slot, product_id, quantity FROM stock WHERE machine_id = $1 ORDER BY slot`, machineID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []coinop.Stock{}
	for rows.Next() {
		var st coinop.Stock
		if err := rows.Scan(&st.MachineID, &st.Slot, &st.ProductID, &st.Quantity); err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, rows.Err()
}
