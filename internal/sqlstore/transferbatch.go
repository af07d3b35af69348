package sqlstore

import (
	"fmt"
	"time"

	"github.com/coinop/coinop"
)

// transferBatch runs batch as one call of coinop_transfers (batch.go).
func transferBatch(s *Store, batch []*queued) error {
	now := fromMS(ms(s.Now()))
	from := make([]int64, len(batch))
	to := make([]int64, len(batch))
	value := make([]int64, len(batch))
	start := make([]*int64, len(batch))
	for i, q := range batch {
		r := q.transfer
		from[i], to[i], value[i], start[i] = r.FromID, r.ToID, r.Value, windowStart(now, r.Window)
	}
	return s.callBatch(batch, func(q *queued, o *outcome) {
		q.op, q.err = transferOutcome(q.transfer, now, o)
	}, `SELECT i, code, detail, op_id, from_name, from_balance, to_name, to_balance
		FROM coinop_transfers($1, $2, $3, $4, $5)`, from, to, value, start, ms(now))
}

// transferOutcome turns coinop_transfers' outcome into the operation made
// or the refusal, the same as transfer's.
func transferOutcome(r coinop.TransferRequest, now time.Time, o *outcome) (*coinop.Operation, error) {
	switch o.code {
	case 0:
		return o.done(&coinop.Operation{Kind: coinop.OpTransfer, FromID: r.FromID, ToID: r.ToID, Value: r.Value,
			Status: coinop.StatusCompleted, CreatedAt: now}), nil
	case 1:
		return nil, errTransferFunds(o.detail.Int64)
	case 2:
		return nil, errTransferPeer()
	case 3:
		return nil, errNoRecipient(r.ToID)
	case 4:
		return nil, windowError(r.Window, "a transfer", o.detail.Int64, now)
	}
	return nil, fmt.Errorf("coinop_transfers: unknown outcome %d", o.code)
}

// windowStart is the start of a window before now, as the procedures take
// it: nil for no window.
func windowStart(now time.Time, window time.Duration) *int64 {
	if window <= 0 {
		return nil
	}
	t := ms(now.Add(-window))
	return &t
}
