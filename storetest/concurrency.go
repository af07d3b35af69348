package storetest

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/coinop/coinop"
)

// testConcurrentMoney runs 16 workers making random credits, transfers and
// reads among 10 accounts; the invariants must hold in every read and at
// the end.
func testConcurrentMoney(t *testing.T, open Open) {
	s := open(t)
	ctx := context.Background()
	game := newGame(t, s, "g")
	people := make([]*coinop.Person, 10)
	for i := range people {
		people[i] = login(t, s, string(rune('a'+i)))
	}
	const workers, total = 16, 20000
	var done, ok, checks atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for done.Add(1) <= total {
				if err := randomOp(ctx, s, rng, people, game, &ok, &checks); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	checkInvariants(t, s)
	if ok.Load() < total/4 || checks.Load() == 0 {
		t.Fatalf("only %d of %d operations succeeded, %d invariant checks", ok.Load(), total, checks.Load())
	}
	t.Logf("%d operations, %d succeeded, %d invariant checks during the run", total, ok.Load(), checks.Load())
}

func randomOp(ctx context.Context, s coinop.Store, rng *rand.Rand, people []*coinop.Person, game *coinop.Product, ok, checks *atomic.Int64) error {
	p := people[rng.IntN(len(people))]
	var err error
	switch n := rng.IntN(100); {
	case n < 15:
		_, err = s.Credit(ctx, coinop.CreditRequest{PersonID: p.ID, ProductID: game.ID, ClientID: "g", Value: 1 + rng.Int64N(50), Limit: 1000})
	case n < 55:
		to := people[rng.IntN(len(people))]
		_, err = s.Transfer(ctx, coinop.TransferRequest{FromID: p.ID, ToID: to.ID, Value: 1 + rng.Int64N(60)})
	case n < 99:
		var b int64
		if b, err = s.Balance(ctx, p.ID); err == nil && b < 0 {
			return &coinop.Error{Code: coinop.EINTERNAL, Message: "negative balance read"}
		}
	default:
		checks.Add(1)
		if err := s.CheckInvariants(ctx); err != nil {
			return err
		}
	}
	switch coinop.ErrorCode(err) {
	case "":
		ok.Add(1)
	case coinop.EFUNDS, coinop.EFORBIDDEN: // expected refusals
	default:
		return err
	}
	return nil
}

// testDoubleSpend: one balance of 100, 50 concurrent spends of 100.
func testDoubleSpend(t *testing.T, open Open) {
	s := open(t)
	ctx := context.Background()
	a, b := login(t, s, "a"), login(t, s, "b")
	fund(t, s, a, 100)
	var wg sync.WaitGroup
	var succeeded, refused atomic.Int64
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Transfer(ctx, coinop.TransferRequest{FromID: a.ID, ToID: b.ID, Value: 100})
			switch coinop.ErrorCode(err) {
			case "":
				succeeded.Add(1)
			case coinop.EFUNDS:
				refused.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if succeeded.Load() != 1 || refused.Load() != 49 {
		t.Fatalf("%d spends succeeded and %d were refused; want 1 and 49", succeeded.Load(), refused.Load())
	}
	checkInvariants(t, s)
}

// testConcurrentWindow: concurrent transfers by one sender inside the
// window: exactly one passes.
func testConcurrentWindow(t *testing.T, open Open) {
	s := open(t)
	ctx := context.Background()
	a, b := login(t, s, "a"), login(t, s, "b")
	fund(t, s, a, 1000)
	var wg sync.WaitGroup
	var succeeded atomic.Int64
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.Transfer(ctx, coinop.TransferRequest{FromID: a.ID, ToID: b.ID, Value: 1, Window: 60e9}); err == nil {
				succeeded.Add(1)
			} else if coinop.ErrorCode(err) != coinop.ERATELIMIT {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if succeeded.Load() != 1 {
		t.Fatalf("%d transfers passed the window, want 1", succeeded.Load())
	}
}
