package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/coinop/coinop"
	"github.com/coinop/coinop/machine"
)

// ConfirmMFA implements coinop.VendingService.
func (s *Store) ConfirmMFA(ctx context.Context, r coinop.MFARequest) (cmd *coinop.Command, voided *coinop.Settled, err error) {
	wrong := false
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		cmd, voided, wrong = nil, nil, false
		o, err := s.lockOp(ctx, tx, r.OperationID)
		if coinop.ErrorCode(err) == coinop.ENOTFOUND || (err == nil && o.from != r.PersonID) {
			return coinop.Errorf(coinop.EFORBIDDEN, "no operation %d of yours", r.OperationID)
		} else if err != nil {
			return err
		}
		now := ms(s.Now())
		if o.status != coinop.StatusPending || o.released.Valid || !o.code.Valid || o.expires.Int64 <= now || o.attempts >= int64(r.MaxAttempts) {
			return coinop.Errorf(coinop.EFORBIDDEN, "operation %d is not waiting for a code", r.OperationID)
		}
		if o.code.Int64 != int64(r.Code) {
			wrong = true
			return s.wrongCode(ctx, tx, o, r.MaxAttempts, &voided)
		}
		if _, err := s.exec(ctx, tx, `UPDATE operations SET released_at = $1, expires_at = $2 WHERE id = $3`,
			now, ms(s.Now().Add(r.ReportTimeout)), o.id); err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, `UPDATE machines SET phase = $1 WHERE id = $2`, machine.Released, o.machine); err != nil {
			return err
		}
		// The item is the buyer's from the release on: a later buyer cannot
		// get it, whatever becomes of this operation.
		if _, err := s.exec(ctx, tx, `UPDATE stock SET quantity = quantity - 1 WHERE machine_id = $1 AND slot = $2 AND quantity > 0`, o.machine, o.slot); err != nil {
			return err
		}
		op, err := s.operation(ctx, tx, o.id)
		cmd = &coinop.Command{Op: op, MachineID: o.machine.Int64, Kind: coinop.KindVending, Slot: o.slot.Int64}
		return err
	})
	if err == nil && wrong {
		err = coinop.Errorf(coinop.EFORBIDDEN, "wrong code")
	}
	return cmd, voided, err
}

// wrongCode counts an attempt and voids the operation at the last one.
func (s *Store) wrongCode(ctx context.Context, tx *sql.Tx, o *opRow, max int, voided **coinop.Settled) error {
	if _, err := s.exec(ctx, tx, `UPDATE operations SET attempts = attempts + 1 WHERE id = $1`, o.id); err != nil {
		return err
	}
	if o.attempts+1 < int64(max) {
		return nil
	}
	st, err := s.settle(ctx, tx, o, coinop.StatusVoided, "wrong code too many times")
	*voided = st
	return err
}

// Report implements coinop.VendingService.
func (s *Store) Report(ctx context.Context, r coinop.MachineReport) (st *coinop.Settled, err error) {
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		st = nil
		m, err := s.loadMachine(ctx, tx, r.MachineID)
		if err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, `UPDATE machines SET last_contact = $1 WHERE id = $2`, ms(s.Now()), m.id); err != nil {
			return err
		}
		if r.OperationID != 0 && (!m.operation.Valid || r.OperationID != m.operation.Int64) {
			st, err = s.staleReport(ctx, tx, m, r)
			return err
		}
		if r.State == "coin" {
			st, err = s.coin(ctx, tx, m, r)
			return err
		}
		st, err = s.vendingReport(ctx, tx, m, r)
		return err
	})
	return st, err
}

// staleReport handles a report about an operation that is not the
// machine's current one: a duplicate or late report of its own (ignored,
// or settling an unknown one), or another machine's (refused).
func (s *Store) staleReport(ctx context.Context, tx *sql.Tx, m *machineRow, r coinop.MachineReport) (*coinop.Settled, error) {
	o, err := s.loadOp(ctx, tx, r.OperationID)
	if coinop.ErrorCode(err) == coinop.ENOTFOUND || (err == nil && o.machine.Int64 != m.id) {
		return nil, coinop.Errorf(coinop.EINVALID, "operation %d is not this machine's", r.OperationID)
	} else if err != nil {
		return nil, err
	}
	if o.status != coinop.StatusUnknown {
		return nil, nil
	}
	switch {
	case r.State == "coin" && m.kind == coinop.KindArcade:
		return s.settle(ctx, tx, o, coinop.StatusCompleted, "reported late by the arcade")
	case r.State == string(machine.Releasing) && o.released.Valid:
		return nil, s.releaseReported(ctx, tx, o)
	case r.State == string(machine.Idle) && o.releasing.Valid:
		return s.settle(ctx, tx, o, coinop.StatusCompleted, "reported late by the machine")
	}
	return nil, nil // a duplicate: nothing changes
}

func (s *Store) coin(ctx context.Context, tx *sql.Tx, m *machineRow, r coinop.MachineReport) (*coinop.Settled, error) {
	if m.kind != coinop.KindArcade || !m.operation.Valid || r.OperationID == 0 {
		return nil, coinop.Errorf(coinop.EINVALID, "no coin was expected")
	}
	o, err := s.loadOp(ctx, tx, m.operation.Int64)
	if err != nil || o.status != coinop.StatusPending {
		return nil, err
	}
	if r.Arcade != o.slot.Int64 {
		return nil, coinop.Errorf(coinop.EINVALID, "operation %d is for arcade %d, not %d", o.id, o.slot.Int64, r.Arcade)
	}
	return s.settle(ctx, tx, o, coinop.StatusCompleted, "")
}

func (s *Store) vendingReport(ctx context.Context, tx *sql.Tx, m *machineRow, r coinop.MachineReport) (*coinop.Settled, error) {
	if m.kind != coinop.KindVending {
		return nil, coinop.Errorf(coinop.EINVALID, "an arcade reports coinInserted, not stateUpdate")
	}
	v := machine.View{State: machine.State(m.state), Operation: m.operation.Int64, Phase: m.phase}
	var o *opRow
	if m.operation.Valid {
		var err error
		if o, err = s.loadOp(ctx, tx, m.operation.Int64); err != nil {
			return nil, err
		}
		v.ReleaseReported = o.releasing.Valid
	}
	nv, effect, err := machine.Vending(v, machine.Report{State: machine.State(r.State), Operation: r.OperationID})
	if err != nil {
		return nil, coinop.Errorf(coinop.EINVALID, "%v", err)
	}
	if _, err := s.exec(ctx, tx, `UPDATE machines SET state = $1, operation_id = $2, phase = $3 WHERE id = $4`,
		string(nv.State), nullInt(nv.Operation), nv.Phase, m.id); err != nil {
		return nil, err
	}
	if nv.ReleaseReported && !v.ReleaseReported {
		if err := s.releaseReported(ctx, tx, o); err != nil {
			return nil, err
		}
	}
	if effect == machine.Nothing {
		return nil, nil
	}
	switch effect {
	case machine.Complete:
		return s.settle(ctx, tx, o, coinop.StatusCompleted, "")
	case machine.Unknown:
		return s.settle(ctx, tx, o, coinop.StatusUnknown, "the machine went back to idle without reporting the release")
	}
	return s.settle(ctx, tx, o, coinop.StatusVoided, "cancelled at the machine")
}

// releaseReported records that the machine reported releasing o's item.
func (s *Store) releaseReported(ctx context.Context, tx *sql.Tx, o *opRow) error {
	_, err := s.exec(ctx, tx, `UPDATE operations SET releasing_at = $1 WHERE id = $2 AND releasing_at IS NULL`, ms(s.Now()), o.id)
	return err
}

// Connected implements coinop.VendingService.
func (s *Store) Connected(ctx context.Context, machineID int64, lease time.Time) error {
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := s.exec(ctx, tx, `UPDATE machines SET lease_until = $1, last_contact = $2 WHERE id = $3`, ms(lease), ms(s.Now()), machineID)
		return err
	})
}

// Disconnected implements coinop.VendingService.
func (s *Store) Disconnected(ctx context.Context, machineID int64) (out []*coinop.Settled, err error) {
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		out = nil
		m, err := s.loadMachine(ctx, tx, machineID)
		if err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, `UPDATE machines SET lease_until = NULL WHERE id = $1`, m.id); err != nil {
			return err
		}
		if !m.operation.Valid || m.phase != machine.AwaitingCode {
			return nil // free, or released: the machine reports the outcome when back
		}
		o, err := s.loadOp(ctx, tx, m.operation.Int64)
		if err != nil {
			return err
		}
		st, err := s.settle(ctx, tx, o, coinop.StatusVoided, "the machine disconnected")
		out = append(out, st)
		return err
	})
	return out, err
}
