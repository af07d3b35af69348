package token

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// RevocationSource lists revoked API key ids; coinop.APIKeyService is one.
type RevocationSource interface {
	RevokedAPIKeyIDs(ctx context.Context) ([]int64, error)
}

// Revocations is the set of revoked API key ids, kept in memory and
// refreshed from the database, so that tokens are checked without a round
// trip and a revocation made by any process takes effect within one refresh.
type Revocations struct {
	src RevocationSource
	log *slog.Logger

	mu      sync.RWMutex
	revoked map[int64]struct{}
	onNew   []func(id int64)
}

// NewRevocations returns a set fed by src.
func NewRevocations(src RevocationSource, log *slog.Logger) *Revocations {
	return &Revocations{src: src, log: log, revoked: map[int64]struct{}{}}
}

// Revoked reports whether the key id is revoked.
func (r *Revocations) Revoked(keyID int64) bool {
	r.mu.RLock()
	_, ok := r.revoked[keyID]
	r.mu.RUnlock()
	return ok
}

// OnRevoke registers fn to be called once for each newly revoked key id.
func (r *Revocations) OnRevoke(fn func(id int64)) {
	r.mu.Lock()
	r.onNew = append(r.onNew, fn)
	r.mu.Unlock()
}

// Refresh reloads the set and calls the OnRevoke functions for new ids.
func (r *Revocations) Refresh(ctx context.Context) error {
	ids, err := r.src.RevokedAPIKeyIDs(ctx)
	if err != nil {
		return err
	}
	r.mu.Lock()
	var fresh []int64
	for _, id := range ids {
		if _, ok := r.revoked[id]; !ok {
			r.revoked[id] = struct{}{}
			fresh = append(fresh, id)
		}
	}
	fns := r.onNew
	r.mu.Unlock()
	for _, id := range fresh {
		for _, fn := range fns {
			fn(id)
		}
	}
	return nil
}

// Watch refreshes the set every interval until ctx ends.
func (r *Revocations) Watch(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := r.Refresh(ctx); err != nil && ctx.Err() == nil {
				r.log.Warn("refreshing revoked API keys", "err", err)
			}
		}
	}
}
