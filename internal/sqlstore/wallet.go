package sqlstore

import (
	"context"
	"database/sql"
	"slices"
	"time"

	"github.com/coinop/coinop"
)

// Transfer implements coinop.WalletService, in the document's order of checks.
func (s *Store) Transfer(ctx context.Context, r coinop.TransferRequest) (op *coinop.Operation, err error) {
	if s.d.Call != nil && r.Idem.Key == "" {
		return s.transfers.do(s, &queued{ctx: ctx, transfer: r})
	}
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		op, err = s.replay(ctx, tx, r.FromID, r.Idem, func() (*coinop.Operation, error) { return s.transfer(ctx, tx, r) })
		return err
	})
	return op, err
}

func (s *Store) transfer(ctx context.Context, tx *sql.Tx, r coinop.TransferRequest) (*coinop.Operation, error) {
	// One statement locks both accounts (in id order, where rows are
	// locked) and reads the sender's balance and whether the recipient is.
	rows, err := s.rows(ctx, tx, `SELECT id, balance FROM people WHERE id IN ($1, $2) ORDER BY id`+s.d.ForUpdate, r.FromID, r.ToID)
	if err != nil {
		return nil, err
	}
	balance, recipient := int64(-1), false
	for rows.Next() {
		var id, b int64
		if err := rows.Scan(&id, &b); err != nil {
			rows.Close()
			return nil, err
		}
		if id == r.FromID {
			balance = b
		}
		recipient = recipient || id == r.ToID
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if r.Value > balance {
		return nil, errTransferFunds(balance)
	}
	if r.Value < 1 || r.ToID == r.FromID || r.ToID == coinop.BankID {
		return nil, errTransferPeer()
	}
	if !recipient {
		return nil, errNoRecipient(r.ToID)
	}
	if err := s.window(ctx, tx, r.Window, "a transfer", `SELECT MAX(created_at) FROM operations
		WHERE kind = 'transfer' AND from_id = $1 AND created_at > $2`, r.FromID); err != nil {
		return nil, err
	}
	op := &coinop.Operation{Kind: coinop.OpTransfer, FromID: r.FromID, ToID: r.ToID, Value: r.Value, Status: coinop.StatusCompleted}
	return op, s.move(ctx, tx, op, 0)
}

func errTransferFunds(balance int64) error {
	return coinop.Errorf(coinop.EFUNDS, "insufficient funds: %d available", max(balance, 0))
}

func errTransferPeer() error {
	return coinop.Errorf(coinop.EFORBIDDEN, "a transfer needs a positive value and another person")
}

func errNoPerson(id int64) error {
	return coinop.Errorf(coinop.ENOTFOUND, "no person with id %d", id)
}

func errBankFunds(value int64) error {
	return coinop.Errorf(coinop.EBANKFUNDS, "the bank cannot pay %d now", value)
}

func errNoRecipient(id int64) error {
	return coinop.Errorf(coinop.EFORBIDDEN, "no person with id %d", id)
}

// AdminCredit implements coinop.WalletService: an operator's credit from the
// bank, or new money issued to the bank when ToID is the bank.
func (s *Store) AdminCredit(ctx context.Context, r coinop.AdminCreditRequest) (op *coinop.Operation, err error) {
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		op, err = s.replay(ctx, tx, r.ActorID, r.Idem, func() (*coinop.Operation, error) {
			if r.Value < 1 {
				return nil, coinop.Errorf(coinop.EINVALID, "value must be a natural number")
			}
			op := &coinop.Operation{Kind: coinop.OpCredit, FromID: coinop.BankID, ToID: r.ToID, Value: r.Value, Status: coinop.StatusCompleted, Reason: r.Reason}
			if r.ToID == coinop.BankID {
				op.Kind, op.FromID = coinop.OpIssue, 0
			}
			if err := s.lockPeople(ctx, tx, op.ToID); err != nil { // the bank last, in move
				return nil, err
			}
			if err := s.move(ctx, tx, op, r.ActorID); err != nil {
				return nil, err
			}
			return op, s.audit(ctx, tx, r.ActorID, string(op.Kind), map[string]any{"operation": op.ID, "to": op.ToID, "value": op.Value, "reason": op.Reason})
		})
		return err
	})
	return op, err
}

// move takes op.Value from op.FromID (none for an issue) and gives it to
// op.ToID, then records op. The bank's row, the one every credit touches,
// is updated last, so that concurrent credits queue on it only for the
// commit. The updates return the names and new balances of both sides into
// op, so that nobody has to read them again to tell the people.
func (s *Store) move(ctx context.Context, tx *sql.Tx, op *coinop.Operation, actorID int64) error {
	op.After = &coinop.Balances{}
	if op.FromID != 0 && op.FromID != coinop.BankID {
		if err := s.take(ctx, tx, op); err != nil {
			return err
		}
	}
	err := s.row(ctx, tx, `UPDATE people SET balance = balance + $1 WHERE id = $2 RETURNING name, balance`,
		op.Value, op.ToID).Scan(&op.ToName, &op.After.To)
	if isNoRows(err) {
		return errNoPerson(op.ToID)
	}
	if err != nil {
		return err
	}
	if err := s.insertOperation(ctx, tx, op, actorID); err != nil {
		return err
	}
	if op.FromID == coinop.BankID {
		return s.take(ctx, tx, op)
	}
	return nil
}

// take debits op.Value from op.FromID, refusing to go below zero, and
// notes the payer's name and new balance in op.
func (s *Store) take(ctx context.Context, tx *sql.Tx, op *coinop.Operation) error {
	err := s.row(ctx, tx, `UPDATE people SET balance = balance - $1 WHERE id = $2 AND balance >= $1 RETURNING name, balance`,
		op.Value, op.FromID).Scan(&op.FromName, &op.After.From)
	if isNoRows(err) {
		if op.FromID == coinop.BankID {
			return errBankFunds(op.Value)
		}
		return coinop.Errorf(coinop.EFUNDS, "insufficient funds")
	}
	return err
}

// lockPeople locks the accounts in id order (on databases with row locks),
// so that concurrent operations on them are serialised without deadlock.
func (s *Store) lockPeople(ctx context.Context, tx *sql.Tx, ids ...int64) error {
	if s.d.ForUpdate == "" {
		return nil
	}
	slices.Sort(ids)
	for _, id := range ids {
		if id == 0 {
			continue
		}
		var got int64
		err := s.row(ctx, tx, `SELECT id FROM people WHERE id = $1`+s.d.ForUpdate, id).Scan(&got)
		if err != nil && !isNoRows(err) {
			return err
		}
	}
	return nil
}

// window refuses with ERATELIMIT if query (whose last argument is the
// window's start) finds an earlier operation inside the window.
func (s *Store) window(ctx context.Context, tx *sql.Tx, window time.Duration, what, query string, args ...any) error {
	if window <= 0 {
		return nil
	}
	now := s.Now()
	var last sql.NullInt64
	if err := s.row(ctx, tx, query, append(args, ms(now.Add(-window)))...).Scan(&last); err != nil {
		return err
	}
	if !last.Valid {
		return nil
	}
	return windowError(window, what, last.Int64, now)
}

// windowError is the ERATELIMIT of an operation made at last (Unix ms),
// less than window before now.
func windowError(window time.Duration, what string, last int64, now time.Time) error {
	wait := fromMS(last).Add(window).Sub(now)
	return &coinop.Error{Code: coinop.ERATELIMIT, RetryAfter: wait,
		Message: what + " was made less than " + window.String() + " ago; try again later"}
}

// Balance implements coinop.WalletService.
func (s *Store) Balance(ctx context.Context, personID int64) (int64, error) {
	var b int64
	err := s.row(ctx, s.read, `SELECT balance FROM people WHERE id = $1`, personID).Scan(&b)
	if isNoRows(err) {
		return 0, coinop.Errorf(coinop.ENOTFOUND, "no person with id %d", personID)
	}
	return b, err
}

// Bank implements coinop.WalletService.
func (s *Store) Bank(ctx context.Context) (*coinop.BankStatus, error) {
	var b coinop.BankStatus
	err := s.row(ctx, s.read, `SELECT balance, held, (SELECT COALESCE(SUM(value), 0) FROM operations WHERE kind = 'issue')
		FROM people WHERE id = 1`).Scan(&b.Balance, &b.Held, &b.Issued)
	return &b, err
}
