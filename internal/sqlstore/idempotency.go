package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/coinop/coinop"
)

// IdempotencyTTL is how long Idempotency-Keys are remembered at least.
const IdempotencyTTL = 24 * time.Hour

// claimKey reserves idem's key for personID inside tx. It returns the id of
// the operation a previous identical request made (the caller then answers
// with it), EIDEMPOTENCY if the key was used for another request, or 0 when
// the key is new (or absent) and the request must be carried out.
func (s *Store) claimKey(ctx context.Context, tx *sql.Tx, personID int64, idem coinop.Idempotency) (int64, error) {
	if idem.Key == "" {
		return 0, nil
	}
	res, err := s.exec(ctx, tx, `INSERT INTO idempotency_keys (person_id, key, request_hash, created_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT (person_id, key) DO NOTHING`, personID, idem.Key, idem.Hash, ms(s.Now()))
	if err != nil {
		return 0, err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return 0, nil
	}
	var hash []byte
	var opID sql.NullInt64
	err = s.row(ctx, tx, `SELECT request_hash, operation_id FROM idempotency_keys WHERE person_id = $1 AND key = $2`,
		personID, idem.Key).Scan(&hash, &opID)
	if err != nil {
		return 0, err
	}
	if !bytes.Equal(hash, idem.Hash) || !opID.Valid {
		return 0, coinop.Errorf(coinop.EIDEMPOTENCY, "this Idempotency-Key was used for another request")
	}
	return opID.Int64, nil
}

// settleKey records the operation a claimed key produced.
func (s *Store) settleKey(ctx context.Context, tx *sql.Tx, personID int64, idem coinop.Idempotency, opID int64) error {
	if idem.Key == "" {
		return nil
	}
	_, err := s.exec(ctx, tx, `UPDATE idempotency_keys SET operation_id = $1 WHERE person_id = $2 AND key = $3`, opID, personID, idem.Key)
	return err
}

// replay runs fn unless idem names an earlier identical request, in which
// case it returns that request's operation.
func (s *Store) replay(ctx context.Context, tx *sql.Tx, personID int64, idem coinop.Idempotency, fn func() (*coinop.Operation, error)) (*coinop.Operation, error) {
	prev, err := s.claimKey(ctx, tx, personID, idem)
	if err != nil {
		return nil, err
	}
	if prev != 0 {
		return s.operation(ctx, tx, prev)
	}
	op, err := fn()
	if err != nil {
		return nil, err
	}
	return op, s.settleKey(ctx, tx, personID, idem, op.ID)
}

// PruneIdempotencyKeys forgets keys older than IdempotencyTTL.
func (s *Store) PruneIdempotencyKeys(ctx context.Context) (int64, error) {
	var n int64
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := s.exec(ctx, tx, `DELETE FROM idempotency_keys WHERE created_at < $1`, ms(s.Now().Add(-IdempotencyTTL)))
		if err == nil {
			n, _ = res.RowsAffected()
		}
		return err
	})
	return n, err
}

var errNoRows = sql.ErrNoRows

func isNoRows(err error) bool { return errors.Is(err, errNoRows) }
