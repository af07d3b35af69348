package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"time"
)

// Check is one verdict on the money after the window.
type Check struct {
	Name    string // what is checked
	OK      bool
	Skipped bool   // could not be decided; not a failure
	Detail  string // the numbers, or why it failed
}

// check verifies the invariants through the API, then in the store.
func (r *walletRun) check(ctx context.Context) {
	rep := r.rep
	sum, low, err := r.balances(ctx)
	b, berr := r.api.bank(ctx, r.opAuth)
	if err = errors.Join(err, berr); err != nil {
		rep.Checks = append(rep.Checks, Check{Name: "api: read every player's balance and the bank", Detail: err.Error()})
	} else {
		rep.Checks = append(rep.Checks, conservation(sum, b), nonNegative(low, b), r.ledger(sum))
	}
	rep.Checks = append(rep.Checks, r.checkMachines()...)
	rep.Checks = append(rep.Checks, r.noServerErrors(), r.checkStore(ctx))
}

// checkMachines: after the window every bench machine is idle and free, and
// each one's stock went down by exactly the purchases it released.
func (r *walletRun) checkMachines() []Check {
	if r.fleet == nil {
		return nil
	}
	idle := Check{Name: "machines: every bench machine idle and free (GET /api/v2/admin/machines: state idle, operation 0)"}
	stock := Check{Name: "machines: stock went down by exactly the purchases completed"}
	if r.machines == nil {
		idle.Detail = fmt.Sprintf("not read: %v", r.settled)
		stock.Detail = idle.Detail
		return []Check{idle, stock}
	}
	free, connected, wrong := 0, 0, 0
	var sold, released int64
	var first string
	for _, m := range r.fleet.ms {
		s := r.machines[m.id]
		if s.free() {
			free++
		}
		if s.Connected {
			connected++
		}
		n, q := m.released.Load(), s.quantity(r.fleet.product)
		sold += m.initial - q
		released += n
		if m.initial-q != n {
			if wrong == 0 {
				first = fmt.Sprintf("; machine %d: %d → %d for %d released", m.id, m.initial, q, n)
			}
			wrong++
		}
	}
	idle.OK = free == len(r.fleet.ms)
	idle.Detail = fmt.Sprintf("%d of %d free, %d connected, after %s", free, len(r.fleet.ms), connected,
		r.rep.Purchases.SettleTime.Round(time.Millisecond))
	if r.settled != nil {
		idle.Detail += ": " + r.settled.Error()
	}
	stock.OK = wrong == 0
	stock.Detail = fmt.Sprintf("%d taken from stock, %d released and reported idle by the machines, %d machines differ%s",
		sold, released, wrong, first)
	return []Check{idle, stock}
}

// checkStore runs o.CheckStore: the invariants in the server's database.
func (r *walletRun) checkStore(ctx context.Context) Check {
	if r.o.CheckStore == nil {
		return Check{Name: "store: CheckInvariants", OK: true, Skipped: true,
			Detail: "not checked: give the server's --data or --db"}
	}
	c := Check{Name: "store: CheckInvariants on " + r.o.StoreLabel, OK: true,
		Detail: "balances + holds = issued, none negative, every balance and hold matches the history"}
	if err := r.o.CheckStore(ctx); err != nil {
		c.OK, c.Detail = false, err.Error()
	}
	return c
}

// conservation: with the bench's players the only people with money, the
// players' balances and the bank's balance and holds add up to the money
// issued.
func conservation(players int64, b bankStatus) Check {
	total := players + b.Balance + b.Held
	return Check{
		Name: "api: players + bank balance + bank held == issued",
		OK:   total == b.Issued,
		Detail: fmt.Sprintf("%d + %d + %d = %d, issued %d (needs a fresh database: nobody else holds money)",
			players, b.Balance, b.Held, total, b.Issued),
	}
}

// nonNegative: no balance below zero.
func nonNegative(lowest int64, b bankStatus) Check {
	return Check{
		Name:   "api: no negative balance",
		OK:     lowest >= 0 && b.Balance >= 0 && b.Held >= 0,
		Detail: fmt.Sprintf("lowest player %d, bank %d, bank held %d", lowest, b.Balance, b.Held),
	}
}

// ledger: transfers move money between players only, so the players' total
// grew by exactly the funding and the credits answered 201, less the
// purchases the machines released (and reported idle after). A credit
// without an answer (transport error, 5xx) may or may not have happened:
// the check is then skipped.
func (r *walletRun) ledger(players int64) Check {
	s, credits := r.rep.Setup, r.rep.Kinds[kCredit].Statuses
	c := Check{Name: "api: players' total == before + funding + credits answered 201"}
	var spent int64
	if r.fleet != nil {
		c.Name += " - purchases × price"
		spent = r.fleet.released() * machinePrice
	}
	if unknown := credits[0] + r.rep.Kinds[kCredit].serverErrors(); unknown > 0 {
		c.OK, c.Skipped = true, true
		c.Detail = fmt.Sprintf("%d credits had no clear answer", unknown)
		return c
	}
	funded := int64(len(r.players)) * fundValue
	want := s.Before + funded + r.rep.Credited - spent
	c.OK = players == want
	if r.fleet == nil {
		c.Detail = fmt.Sprintf("%d + %d + %d = %d, players hold %d", s.Before, funded, r.rep.Credited, want, players)
	} else {
		c.Detail = fmt.Sprintf("%d + %d + %d - %d = %d, players hold %d", s.Before, funded, r.rep.Credited, spent, want, players)
	}
	return c
}

// noServerErrors: no request of the window was answered 5xx.
func (r *walletRun) noServerErrors() Check {
	n := r.rep.serverErrors()
	return Check{Name: "no request answered 5xx", OK: n == 0, Detail: fmt.Sprintf("%d", n)}
}

// balances reads every player's balance and returns their sum and the
// lowest.
func (r *walletRun) balances(ctx context.Context) (sum, lowest int64, err error) {
	vals := make([]int64, len(r.players))
	err = r.forEach(ctx, len(r.players), func(ctx context.Context, i int) error {
		var err error
		vals[i], err = r.api.balance(ctx, r.players[i].auth)
		return err
	})
	lowest = math.MaxInt64
	for _, v := range vals {
		sum += v
		lowest = min(lowest, v)
	}
	return sum, lowest, err
}

// serverErrors counts the answers 5xx of a kind.
func (ks KindStats) serverErrors() int64 {
	var n int64
	for st, c := range ks.Statuses {
		if st >= http.StatusInternalServerError {
			n += c
		}
	}
	return n
}
