package ticker

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/coinop/coinop"
)

var _ coinop.PriceSource = (*Upstream)(nil)

// Upstream polls an HTTP price API. It accepts either an object mapping
// symbols to prices, {"BTC-USD": 42000.12, ...}, or a list of
// {"symbol": ..., "price": ...} objects, bare or under "data". Prices may be
// numbers or decimal strings. When a poll fails, the last prices stay.
type Upstream struct {
	URL      string
	Interval time.Duration
	Client   *http.Client
	Log      *slog.Logger
	// OnError, if set, is called for every failed poll (for metrics).
	OnError func(error)

	mu     sync.RWMutex
	prices []coinop.Cents
}

// NewUpstream returns a source polling url every interval, starting from
// StartPrices until the first successful poll.
func NewUpstream(url string, interval time.Duration, log *slog.Logger) *Upstream {
	return &Upstream{
		URL: url, Interval: interval, Log: log,
		Client: &http.Client{Timeout: 5 * time.Second},
		prices: append([]coinop.Cents(nil), StartPrices...),
	}
}

// Prices returns the last prices fetched.
func (u *Upstream) Prices(_ context.Context, now time.Time) []coinop.Price {
	u.mu.RLock()
	defer u.mu.RUnlock()
	out := make([]coinop.Price, len(u.prices))
	for i, p := range u.prices {
		out[i] = coinop.Price{Symbol: coinop.Symbols[i], Price: p, Time: now}
	}
	return out
}

// Run polls until ctx ends.
func (u *Upstream) Run(ctx context.Context) {
	t := time.NewTicker(u.Interval)
	defer t.Stop()
	for {
		if err := u.Poll(ctx); err != nil && ctx.Err() == nil {
			u.Log.Warn("price upstream failed; keeping last prices", "url", u.URL, "err", err)
			if u.OnError != nil {
				u.OnError(err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Poll fetches the prices once.
func (u *Upstream) Poll(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.URL, nil)
	if err != nil {
		return err
	}
	resp, err := u.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	got, err := parsePrices(body)
	if err != nil {
		return err
	}
	next := make([]coinop.Cents, len(coinop.Symbols))
	for i, sym := range coinop.Symbols {
		p, ok := got[sym]
		if !ok {
			return fmt.Errorf("no price for %s", sym)
		}
		next[i] = p
	}
	u.mu.Lock()
	u.prices = next
	u.mu.Unlock()
	return nil
}

func parsePrices(body []byte) (map[string]coinop.Cents, error) {
	type item struct {
		Symbol string      `json:"symbol"`
		Price  json.Number `json:"price"`
	}
	var list []item
	if err := json.Unmarshal(body, &list); err != nil {
		var wrapped struct{ Data []item }
		if err2 := json.Unmarshal(body, &wrapped); err2 == nil && wrapped.Data != nil {
			list = wrapped.Data
		} else {
			var m map[string]json.Number
			if err3 := json.Unmarshal(body, &m); err3 != nil {
				return nil, fmt.Errorf("unrecognised price document: %w", err3)
			}
			for s, p := range m {
				list = append(list, item{Symbol: s, Price: p})
			}
		}
	}
	out := map[string]coinop.Cents{}
	for _, it := range list {
		f, err := strconv.ParseFloat(string(it.Price), 64)
		if err != nil || f <= 0 || math.IsInf(f, 0) || f > 1e13 {
			return nil, fmt.Errorf("bad price %q for %s", it.Price, it.Symbol)
		}
		out[it.Symbol] = coinop.Cents(math.Round(f * 100))
	}
	return out, nil
}
