package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/coinop/coinop"
)

// creditWindow names the credit's 429 rule in its message.
const creditWindow = "a credit from this game"

// Credit implements coinop.WalletService: a game pays a person, in the
// order of checks the document gives. Without an Idempotency-Key, on a
// database with coinop's stored procedures (Dialect.Call), the part that
// needs locks runs in a batch (batch.go).
func (s *Store) Credit(ctx context.Context, r coinop.CreditRequest) (op *coinop.Operation, err error) {
	if s.d.Call != nil && r.Idem.Key == "" {
		p, err := s.creditProduct(ctx, s.read, r)
		if err != nil {
			return nil, err
		}
		return s.credits.do(s, &queued{ctx: ctx, credit: r, product: p})
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

// creditBatch runs batch as one call of coinop_credits (batch.go): the
// locked part of credit, for each credit whose lock-free checks passed.
func creditBatch(s *Store, batch []*queued) error {
	return s.callBatch(batch, "coinop_credits", func(q *queued) (int64, int64, int64, time.Duration) {
		return q.credit.PersonID, q.credit.ProductID, q.credit.Value, q.credit.Window
	}, func(q *queued, now time.Time, o *outcome) {
		q.op, q.err = creditOutcome(q.credit, q.product, now, o)
	})
}

// creditOutcome turns coinop_credits' outcome into the operation made or
// the refusal, the same as credit's.
func creditOutcome(r coinop.CreditRequest, p *coinop.Product, now time.Time, o *outcome) (*coinop.Operation, error) {
	switch o.code {
	case 0:
		return o.done(&coinop.Operation{Kind: coinop.OpCredit, FromID: coinop.BankID, ToID: r.PersonID,
			ProductID: r.ProductID, ProductName: p.Name, Value: r.Value, Status: coinop.StatusCompleted, CreatedAt: now}), nil
	case 3:
		return nil, errNoPerson(r.PersonID)
	case 4:
		return nil, windowError(r.Window, creditWindow, o.detail.Int64, now)
	case 5:
		return nil, errBankFunds(r.Value)
	}
	return nil, fmt.Errorf("coinop_credits: unknown outcome %d", o.code)
}
