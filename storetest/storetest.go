// Package storetest is the contract suite that every coinop.Store adapter
// must pass. Each adapter's tests call Run with a function that opens a
// fresh, migrated, empty store.
package storetest

import (
	"context"
	"sync"
	"testing"

	"github.com/coinop/coinop"
)

// Open returns a fresh, migrated store that the suite may write to.
type Open func(t *testing.T) coinop.Store

// Run runs the whole contract suite.
func Run(t *testing.T, open Open) {
	t.Run("APIKeys", func(t *testing.T) { testAPIKeys(t, open) })
	t.Run("MigrateTwice", func(t *testing.T) { testMigrateTwice(t, open) })
	t.Run("BankStart", func(t *testing.T) { testBankStart(t, open) })
	t.Run("Login", func(t *testing.T) { testLogin(t, open) })
	t.Run("Credit", func(t *testing.T) { testCredit(t, open) })
	t.Run("Transfer", func(t *testing.T) { testTransfer(t, open) })
	t.Run("Idempotency", func(t *testing.T) { testIdempotency(t, open) })
	t.Run("PruneIdempotencyKeys", func(t *testing.T) { testPruneIdempotencyKeys(t, open) })
	t.Run("Ranking", func(t *testing.T) { testRanking(t, open) })
	t.Run("Catalogue", func(t *testing.T) { testCatalogue(t, open) })
	t.Run("VendingBestCase", func(t *testing.T) { testVendingBestCase(t, open) })
	t.Run("WrongCodeThrice", func(t *testing.T) { testWrongCodeThrice(t, open) })
	t.Run("ExpiredCode", func(t *testing.T) { testExpiredCode(t, open) })
	t.Run("DebitRefusals", func(t *testing.T) { testDebitRefusals(t, open) })
	t.Run("Races", func(t *testing.T) { testRaces(t, open) })
	t.Run("Disconnects", func(t *testing.T) { testDisconnects(t, open) })
	t.Run("LateReports", func(t *testing.T) { testLateReports(t, open) })
	t.Run("Settle", func(t *testing.T) { testSettle(t, open) })
	t.Run("Impersonation", func(t *testing.T) { testImpersonation(t, open) })
	t.Run("Arcade", func(t *testing.T) { testArcade(t, open) })
	t.Run("Legacy", func(t *testing.T) { testLegacy(t, open) })
	t.Run("Import", func(t *testing.T) { testImport(t, open) })
	t.Run("DoubleSpend", func(t *testing.T) { testDoubleSpend(t, open) })
	t.Run("ConcurrentWindow", func(t *testing.T) { testConcurrentWindow(t, open) })
	t.Run("ConcurrentMoney", func(t *testing.T) { testConcurrentMoney(t, open) })
}

func testMigrateTwice(t *testing.T, open Open) {
	s := open(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := s.Migrate(ctx)
			if err == nil && n != 0 {
				t.Errorf("Migrate on a migrated store applied %d migrations", n)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent Migrate: %v", err)
		}
	}
}

func testAPIKeys(t *testing.T, open Open) {
	s := open(t)
	ctx := context.Background()

	if has, err := s.UserHasAPIKey(ctx, "alice"); err != nil || has {
		t.Fatalf("UserHasAPIKey before create = %v, %v", has, err)
	}
	k, secret, err := s.CreateAPIKey(ctx, "alice", coinop.RoleUser)
	if err != nil {
		t.Fatal(err)
	}
	if !coinop.LooksLikeAPIKey(secret) || k.ID == 0 || k.UserID != "alice" || k.Role != coinop.RoleUser {
		t.Fatalf("created %+v with secret %q", k, secret)
	}
	if k.Prefix != secret[:len(k.Prefix)] || len(k.Prefix) >= len(secret)/2 {
		t.Fatalf("prefix %q reveals too much of the key or is not its start", k.Prefix)
	}
	if has, err := s.UserHasAPIKey(ctx, "alice"); err != nil || !has {
		t.Fatalf("UserHasAPIKey after create = %v, %v", has, err)
	}

	got, err := s.FindAPIKey(ctx, secret)
	if err != nil || got.ID != k.ID || got.UserID != "alice" || got.Role != coinop.RoleUser || !got.CreatedAt.Equal(k.CreatedAt) {
		t.Fatalf("FindAPIKey = %+v, %v; want %+v", got, err, k)
	}
	for _, bad := range []string{"", "cok_", secret[:len(secret)-1], secret + "x", "nonsense"} {
		if _, err := s.FindAPIKey(ctx, bad); coinop.ErrorCode(err) != coinop.EUNAUTHORIZED {
			t.Errorf("FindAPIKey(%q) error code = %q, want unauthorized", bad, coinop.ErrorCode(err))
		}
	}

	_, secret2, err := s.CreateAPIKey(ctx, "bob", coinop.RoleOperator)
	if err != nil {
		t.Fatal(err)
	}
	if secret2 == secret {
		t.Fatal("two keys with the same secret")
	}
	if _, _, err := s.CreateAPIKey(ctx, "bad user", coinop.RoleUser); coinop.ErrorCode(err) != coinop.EINVALID {
		t.Errorf("bad user id accepted: %v", err)
	}
	if _, _, err := s.CreateAPIKey(ctx, "carol", "root"); coinop.ErrorCode(err) != coinop.EINVALID {
		t.Errorf("bad role accepted: %v", err)
	}

	keys, err := s.ListAPIKeys(ctx)
	if err != nil || len(keys) != 2 || keys[0].ID != k.ID || keys[1].UserID != "bob" || keys[1].Role != coinop.RoleOperator {
		t.Fatalf("ListAPIKeys = %v, %v", keys, err)
	}

	if err := s.RevokeAPIKey(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeAPIKey(ctx, k.ID); err != nil {
		t.Fatalf("revoking twice: %v", err)
	}
	if err := s.RevokeAPIKey(ctx, 999999); coinop.ErrorCode(err) != coinop.ENOTFOUND {
		t.Fatalf("revoking unknown key: %v", err)
	}
	if _, err := s.FindAPIKey(ctx, secret); coinop.ErrorCode(err) != coinop.EUNAUTHORIZED {
		t.Fatalf("revoked key still found: %v", err)
	}
	if _, err := s.FindAPIKey(ctx, secret2); err != nil {
		t.Fatalf("other key affected by revocation: %v", err)
	}
	ids, err := s.RevokedAPIKeyIDs(ctx)
	if err != nil || len(ids) != 1 || ids[0] != k.ID {
		t.Fatalf("RevokedAPIKeyIDs = %v, %v", ids, err)
	}
	keys, _ = s.ListAPIKeys(ctx)
	if !keys[0].Revoked() || keys[1].Revoked() {
		t.Fatalf("revocation not listed: %+v %+v", keys[0], keys[1])
	}
}
