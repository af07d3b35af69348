package inmem_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/coinop/coinop"
	"github.com/coinop/coinop/inmem"
	"github.com/coinop/coinop/sqlite"
)

// counting counts lookups that reach the store.
type counting struct {
	coinop.APIKeyService
	n int
}

func (c *counting) FindAPIKey(ctx context.Context, s string) (*coinop.APIKey, error) {
	c.n++
	return c.APIKeyService.FindAPIKey(ctx, s)
}

func TestAPIKeyCache(t *testing.T) {
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	db.Migrate(ctx)
	store := &counting{APIKeyService: db}
	now := time.Now()
	c := inmem.NewAPIKeyCache(store, time.Minute)
	c.Now = func() time.Time { return now }
	k, secret, _ := c.CreateAPIKey(ctx, "alice", coinop.RoleUser)

	for range 3 {
		got, err := c.FindAPIKey(ctx, secret)
		if err != nil || got.ID != k.ID {
			t.Fatalf("FindAPIKey = %v, %v", got, err)
		}
	}
	if store.n != 1 {
		t.Fatalf("%d store lookups for 3 finds, want 1", store.n)
	}
	if _, err := c.FindAPIKey(ctx, "cok_wrong"); coinop.ErrorCode(err) != coinop.EUNAUTHORIZED {
		t.Fatalf("wrong key: %v", err)
	}
	now = now.Add(2 * time.Minute) // expired entry: asks again
	c.FindAPIKey(ctx, secret)
	if store.n != 3 {
		t.Fatalf("store lookups = %d, want 3", store.n)
	}
	if err := c.RevokeAPIKey(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.FindAPIKey(ctx, secret); coinop.ErrorCode(err) != coinop.EUNAUTHORIZED {
		t.Fatalf("revoked key still found through the cache: %v", err)
	}
}
