// Package inmem holds coinop's in-process adapters: caches and, later, the
// in-process pub/sub hub. Nothing here outlives the process.
package inmem

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"

	"github.com/coinop/coinop"
)

var _ coinop.APIKeyService = (*APIKeyCache)(nil)

// APIKeyCache remembers successful API key lookups for a while, so that
// exchanging a key for a token costs no database round trip. Revocation is
// not its concern: callers check the revocation set (which another process
// may update) on every use, and a revoked key is evicted here at once.
type APIKeyCache struct {
	coinop.APIKeyService
	TTL time.Duration
	Now func() time.Time

	mu      sync.Mutex
	entries map[[sha256.Size]byte]cachedKey
}

type cachedKey struct {
	key     coinop.APIKey
	expires time.Time
}

// maxCachedKeys bounds the cache; past it, the cache starts over.
const maxCachedKeys = 10000

// NewAPIKeyCache wraps next with a cache whose entries live for ttl.
func NewAPIKeyCache(next coinop.APIKeyService, ttl time.Duration) *APIKeyCache {
	return &APIKeyCache{APIKeyService: next, TTL: ttl, Now: time.Now, entries: map[[sha256.Size]byte]cachedKey{}}
}

// FindAPIKey returns a cached key or asks the store.
func (c *APIKeyCache) FindAPIKey(ctx context.Context, secret string) (*coinop.APIKey, error) {
	h := sha256.Sum256([]byte(secret))
	now := c.Now()
	c.mu.Lock()
	e, ok := c.entries[h]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		k := e.key
		return &k, nil
	}
	k, err := c.APIKeyService.FindAPIKey(ctx, secret)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.entries) >= maxCachedKeys {
		clear(c.entries)
	}
	c.entries[h] = cachedKey{key: *k, expires: now.Add(c.TTL)}
	c.mu.Unlock()
	return k, nil
}

// RevokeAPIKey revokes in the store and forgets every cached entry of it.
func (c *APIKeyCache) RevokeAPIKey(ctx context.Context, id int64) error {
	if err := c.APIKeyService.RevokeAPIKey(ctx, id); err != nil {
		return err
	}
	c.Evict(id)
	return nil
}

// RevokeAPIKeyAs revokes in the store and forgets every cached entry of it.
func (c *APIKeyCache) RevokeAPIKeyAs(ctx context.Context, actorID, id int64) error {
	if err := c.APIKeyService.RevokeAPIKeyAs(ctx, actorID, id); err != nil {
		return err
	}
	c.Evict(id)
	return nil
}

// Evict forgets the key with this id.
func (c *APIKeyCache) Evict(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for h, e := range c.entries {
		if e.key.ID == id {
			delete(c.entries, h)
		}
	}
}
