// Package ticker produces the live price feed: price sources (a simulated
// random walk, an HTTP upstream) and the broadcaster that turns the current
// prices into one encoded frame per tick.
package ticker

import (
	"context"
	crand "crypto/rand"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/coinop/coinop"
)

// StartPrices are the seed's opening prices, in coinop.Symbols order.
var StartPrices = []coinop.Cents{4200000, 250000, 9500}

// MaxStep is the largest relative move of a price in one tick (0.1%).
const MaxStep = 0.001

var _ coinop.PriceSource = (*Sim)(nil)

// Sim is the seed's simulated market: each tick every price moves by a
// random fraction of at most MaxStep, rounded toward the old price to whole
// cents, so a move never exceeds MaxStep.
type Sim struct {
	mu     sync.Mutex
	rng    *rand.Rand
	prices []coinop.Cents
}

// NewSim returns a simulation starting at StartPrices. A zero seed draws one
// from the system's random source; any other makes the walk reproducible.
func NewSim(seed uint64) *Sim {
	var s [32]byte
	if seed == 0 {
		_, _ = crand.Read(s[:])
	} else {
		for i := range 8 {
			s[i] = byte(seed >> (8 * i))
		}
	}
	return &Sim{rng: rand.New(rand.NewChaCha8(s)), prices: append([]coinop.Cents(nil), StartPrices...)}
}

// Prices moves every price one step and returns the new prices.
func (s *Sim) Prices(_ context.Context, now time.Time) []coinop.Price {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]coinop.Price, len(s.prices))
	for i, p := range s.prices {
		factor := (s.rng.Float64()*2 - 1) * MaxStep
		np := p + coinop.Cents(float64(p)*factor) // conversion truncates toward zero
		if np < 1 {
			np = 1
		}
		s.prices[i] = np
		out[i] = coinop.Price{Symbol: coinop.Symbols[i], Price: np, Time: now}
	}
	return out
}

// SetPrices continues the walk from prices (in Symbols order).
func (s *Sim) SetPrices(prices []coinop.Price) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, p := range prices {
		if i < len(s.prices) && p.Price > 0 {
			s.prices[i] = p.Price
		}
	}
}
