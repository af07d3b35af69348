package sqlstore

import (
	"context"
	"database/sql"

	"github.com/coinop/coinop"
	"github.com/coinop/coinop/machine"
)

// machineRow is a machine as the vending logic needs it.
type machineRow struct {
	id        int64
	name      string
	kind      coinop.MachineKind
	state     string
	operation sql.NullInt64
	phase     machine.Phase
	lease     sql.NullInt64
}

func (s *Store) loadMachine(ctx context.Context, tx *sql.Tx, id int64) (*machineRow, error) {
	var m machineRow
	err := s.row(ctx, tx, `SELECT id, name, kind, state, operation_id, phase, lease_until FROM machines WHERE id = $1`+s.d.ForUpdate, id).
		Scan(&m.id, &m.name, &m.kind, &m.state, &m.operation, &m.phase, &m.lease)
	if isNoRows(err) {
		return nil, coinop.Errorf(coinop.EFORBIDDEN, "no machine %d", id)
	}
	return &m, err
}

// Debit implements coinop.VendingService, in the document's order of checks.
func (s *Store) Debit(ctx context.Context, r coinop.DebitRequest) (cmd *coinop.Command, err error) {
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		cmd = nil
		op, err := s.replay(ctx, tx, r.PersonID, r.Idem, func() (*coinop.Operation, error) {
			c, err := s.debit(ctx, tx, r)
			if err != nil {
				return nil, err
			}
			cmd = c
			return c.Op, nil
		})
		if err == nil && cmd == nil { // a replay: answer the same operation, send nothing
			cmd = &coinop.Command{Op: op}
		}
		return err
	})
	return cmd, err
}

func (s *Store) debit(ctx context.Context, tx *sql.Tx, r coinop.DebitRequest) (*coinop.Command, error) {
	now := s.Now()
	machineID, err := s.debitMachine(ctx, tx, r)
	if err != nil {
		return nil, err
	}
	m, err := s.loadMachine(ctx, tx, machineID)
	if err != nil {
		return nil, err
	}
	p, err := s.product(ctx, tx, r.ProductID)
	if coinop.ErrorCode(err) == coinop.ENOTFOUND {
		return nil, coinop.Errorf(coinop.EFORBIDDEN, "no product %d", r.ProductID)
	} else if err != nil {
		return nil, err
	}
	var slot, quantity int64
	err = s.row(ctx, tx, `SELECT slot, quantity FROM stock WHERE machine_id = $1 AND product_id = $2 ORDER BY quantity DESC, slot LIMIT 1`,
		m.id, p.ID).Scan(&slot, &quantity)
	if isNoRows(err) || p.Price < 1 {
		return nil, coinop.Errorf(coinop.EFORBIDDEN, "product %d is not sold at machine %d", p.ID, m.id)
	} else if err != nil {
		return nil, err
	}
	if err := s.lockPeople(ctx, tx, r.PersonID); err != nil {
		return nil, err
	}
	if b, err := s.balanceTx(ctx, tx, r.PersonID); err != nil || b < p.Price {
		if err != nil {
			return nil, err
		}
		return nil, coinop.Errorf(coinop.EFUNDS, "insufficient funds: %d available, %d needed", b, p.Price)
	}
	if !m.lease.Valid || m.lease.Int64 <= ms(now) || m.operation.Valid {
		return nil, coinop.Errorf(coinop.EFORBIDDEN, "machine %d is busy or not connected", m.id)
	}
	if quantity < 1 {
		return nil, coinop.Errorf(coinop.EFORBIDDEN, "out of stock")
	}
	return s.hold(ctx, tx, r, m, p, slot)
}

// debitMachine is the machine asked for, or the connected, idle machine
// with the product in stock, lowest id first (else any machine selling it,
// so that the checks that follow say why it cannot sell).
func (s *Store) debitMachine(ctx context.Context, tx *sql.Tx, r coinop.DebitRequest) (int64, error) {
	if r.MachineID != 0 {
		return r.MachineID, nil
	}
	var id int64
	err := s.row(ctx, tx, `SELECT m.id FROM machines m JOIN stock st ON st.machine_id = m.id
		WHERE st.product_id = $1 AND st.quantity > 0 AND m.operation_id IS NULL AND m.lease_until > $2
		ORDER BY m.id LIMIT 1`, r.ProductID, ms(s.Now())).Scan(&id)
	if isNoRows(err) {
		err = s.row(ctx, tx, `SELECT machine_id FROM stock WHERE product_id = $1 ORDER BY machine_id LIMIT 1`, r.ProductID).Scan(&id)
	}
	if isNoRows(err) {
		return 0, coinop.Errorf(coinop.EFORBIDDEN, "no machine sells product %d", r.ProductID)
	}
	return id, err
}

// hold reserves the price, records the pending operation and makes the
// machine busy with it.
func (s *Store) hold(ctx context.Context, tx *sql.Tx, r coinop.DebitRequest, m *machineRow, p *coinop.Product, slot int64) (*coinop.Command, error) {
	res, err := s.exec(ctx, tx, `UPDATE people SET balance = balance - $1, held = held + $1 WHERE id = $2 AND balance >= $1`, p.Price, r.PersonID)
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, coinop.Errorf(coinop.EFUNDS, "insufficient funds")
	}
	now := s.Now()
	op := &coinop.Operation{Kind: coinop.OpDebit, FromID: r.PersonID, ToID: coinop.BankID, ProductID: p.ID, ProductName: p.Name,
		Value: p.Price, Status: coinop.StatusPending, CreatedAt: fromMS(ms(now)),
		MachineID: m.id, MachineName: m.name, MachineKind: m.kind, Slot: slot}
	code := sql.NullInt64{Int64: int64(r.Code), Valid: m.kind == coinop.KindVending}
	timeout := r.CodeTimeout
	if m.kind == coinop.KindArcade {
		timeout = r.CoinTimeout
	}
	err = s.row(ctx, tx, `INSERT INTO operations (kind, from_id, to_id, product_id, value, status, created_at, machine_id, slot, code, expires_at)
		VALUES ('debit', $1, 1, $2, $3, 'pending', $4, $5, $6, $7, $8) RETURNING id`,
		r.PersonID, p.ID, p.Price, ms(now), m.id, slot, code, ms(now.Add(timeout))).Scan(&op.ID)
	if err != nil {
		return nil, err
	}
	if _, err := s.exec(ctx, tx, `UPDATE machines SET operation_id = $1, phase = $2 WHERE id = $3`, op.ID, machine.AwaitingCode, m.id); err != nil {
		return nil, err
	}
	person, err := s.Person(ctx, r.PersonID)
	if err != nil {
		return nil, err
	}
	return &coinop.Command{Op: op, MachineID: m.id, Kind: m.kind, Slot: slot, Username: person.FirstName(), Code: r.Code}, nil
}

func (s *Store) balanceTx(ctx context.Context, tx *sql.Tx, personID int64) (int64, error) {
	var b int64
	err := s.row(ctx, tx, `SELECT balance FROM people WHERE id = $1`, personID).Scan(&b)
	if isNoRows(err) {
		return 0, coinop.Errorf(coinop.EUNAUTHORIZED, "unknown person")
	}
	return b, err
}

// MachineByKey implements coinop.VendingService.
func (s *Store) MachineByKey(ctx context.Context, keyID int64) (*coinop.Machine, error) {
	var m coinop.Machine
	var created int64
	err := s.row(ctx, s.read, `SELECT id, name, kind, description, location, key_id, created_at FROM machines WHERE key_id = $1`, keyID).
		Scan(&m.ID, &m.Name, &m.Kind, &m.Description, &m.Location, &m.KeyID, &created)
	if isNoRows(err) {
		return nil, coinop.Errorf(coinop.EUNAUTHORIZED, "not a machine's key")
	}
	m.CreatedAt = fromMS(created)
	return &m, err
}
