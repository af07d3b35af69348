package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/coinop/coinop"
)

// creditWindow names the credit's 429 rule in its message.
const creditWindow = "a credit from this game"

// Credit implements coinop.WalletService: a game pays a person, in the
// order of checks the document gives. Without an Idempotency-Key, on a
// database with coinop's stored procedures (Dialect.Call), the locked part
// is one call of coinop_credit.
func (s *Store) Credit(ctx context.Context, r coinop.CreditRequest) (op *coinop.Operation, err error) {
	if s.d.Call != nil && r.Idem.Key == "" {
		return s.creditCall(ctx, r)
	}
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		op, err = s.replay(ctx, tx, r.PersonID, r.Idem, func() (*coinop.Operation, error) { return s.credit(ctx, tx, r) })
		return err
	})
	return op, err
}

func (s *Store) credit(ctx context.Context, tx *sql.Tx, r coinop.CreditRequest) (*coinop.Operation, error) {
	p, err := s.creditProduct(ctx, tx, r)
	if err != nil {
		return nil, err
	}
	// The bank's row is everybody's: it is touched last (in move), so that
	// its lock is held only for the commit.
	if err := s.lockPeople(ctx, tx, r.PersonID); err != nil {
		return nil, err
	}
	if err := s.window(ctx, tx, r.Window, creditWindow, `SELECT MAX(created_at) FROM operations
		WHERE kind = 'credit' AND to_id = $1 AND product_id = $2 AND created_at > $3`, r.PersonID, r.ProductID); err != nil {
		return nil, err
	}
	op := &coinop.Operation{Kind: coinop.OpCredit, FromID: coinop.BankID, ToID: r.PersonID, ProductID: r.ProductID,
		ProductName: p.Name, Value: r.Value, Status: coinop.StatusCompleted}
	return op, s.move(ctx, tx, op, 0)
}

// creditProduct makes the credit's checks that need no lock: the value, the
// payout limit (the game's, else the request's), and that the product is a
// game the token's client may pay out for. It returns the product.
func (s *Store) creditProduct(ctx context.Context, db queryer, r coinop.CreditRequest) (*coinop.Product, error) {
	if r.Value < 1 {
		return nil, coinop.Errorf(coinop.EVALUE, "value must be a natural number")
	}
	p, err := s.product(ctx, db, r.ProductID)
	if err != nil && coinop.ErrorCode(err) != coinop.ENOTFOUND {
		return nil, err
	}
	limit := r.Limit
	if p != nil && p.PayoutLimit > 0 {
		limit = p.PayoutLimit
	}
	if r.Value > limit {
		return nil, coinop.Errorf(coinop.EFORBIDDEN, "value above the limit of %d", limit)
	}
	if p == nil || p.Type != coinop.TypeGames || !slices.Contains(p.ClientIDs, r.ClientID) {
		return nil, coinop.Errorf(coinop.EFORBIDDEN, "this client may not pay out for product %d", r.ProductID)
	}
	return p, nil
}

// creditCall is credit with its locked part as one call of the database's
// procedure coinop_credit (PostgreSQL's migrations define it, check for
// check the same as credit): a transaction of its own, one round trip.
func (s *Store) creditCall(ctx context.Context, r coinop.CreditRequest) (*coinop.Operation, error) {
	p, err := s.creditProduct(ctx, s.read, r)
	if err != nil {
		return nil, err
	}
	now := fromMS(ms(s.Now()))
	var start sql.NullInt64
	if r.Window > 0 {
		start = sql.NullInt64{Int64: ms(now.Add(-r.Window)), Valid: true}
	}
	var code int
	var detail, id, fromBalance, toBalance sql.NullInt64
	var fromName, toName sql.NullString
	err = s.d.Call(ctx, func(rows *sql.Rows) error {
		if !rows.Next() {
			return errors.Join(rows.Err(), errors.New("coinop_credit: no outcome"))
		}
		return rows.Scan(&code, &detail, &id, &fromName, &fromBalance, &toName, &toBalance)
	}, `SELECT code, detail, op_id, from_name, from_balance, to_name, to_balance FROM coinop_credit($1, $2, $3, $4, $5)`,
		r.PersonID, r.ProductID, r.Value, start, ms(now))
	if err != nil {
		return nil, err
	}
	switch code {
	case 0:
		return &coinop.Operation{ID: id.Int64, Kind: coinop.OpCredit, FromID: coinop.BankID, FromName: fromName.String,
			ToID: r.PersonID, ToName: toName.String, ProductID: r.ProductID, ProductName: p.Name, Value: r.Value,
			Status: coinop.StatusCompleted, CreatedAt: now, After: &coinop.Balances{From: fromBalance.Int64, To: toBalance.Int64}}, nil
	case 3:
		return nil, errNoPerson(r.PersonID)
	case 4:
		return nil, windowError(r.Window, creditWindow, detail.Int64, now)
	case 5:
		return nil, errBankFunds(r.Value)
	}
	return nil, fmt.Errorf("coinop_credit: unknown outcome %d", code)
}
