package sqlstore

import (
	"fmt"
	"time"

	"github.com/coinop/coinop"
)

// transferBatch runs batch as one call of coinop_transfers (batch.go).
func transferBatch(s *Store, batch []*queued) error {
	return s.callBatch(batch, "coinop_transfers", func(q *queued) (int64, int64, int64, time.Duration) {
		return q.transfer.FromID, q.transfer.ToID, q.transfer.Value, q.transfer.Window
	}, func(q *queued, now time.Time, o *outcome) {
		q.op, q.err = transferOutcome(q.transfer, now, o)
	})
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
