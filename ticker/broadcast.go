package ticker

import (
	"context"
	"encoding/json"
	"math"
	"strconv"
	"time"

	"github.com/coinop/coinop"
)

// Broadcaster reads the source once per tick and publishes the tick and its
// frame, encoded once for every client.
type Broadcaster struct {
	Source   coinop.PriceSource
	Interval time.Duration
	// Publish receives each tick with its encoded frame. It must not block.
	Publish func(t coinop.Tick, frame []byte)
	// Observe, if set, receives how long each tick took to produce and publish.
	Observe func(time.Duration)

	seq uint64
}

// Resume makes the next tick's seq follow seq (a new leader continuing
// where the old one stopped).
func (b *Broadcaster) Resume(seq uint64) { b.seq = seq }

// Run ticks until ctx ends.
func (b *Broadcaster) Run(ctx context.Context) {
	t := time.NewTicker(b.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			b.Step(ctx, now)
		}
	}
}

// Step produces and publishes one tick.
func (b *Broadcaster) Step(ctx context.Context, now time.Time) {
	start := time.Now()
	b.seq++
	tick := coinop.Tick{Seq: b.seq, Prices: b.Source.Prices(ctx, now)}
	b.Publish(tick, EncodeFrame(tick))
	if b.Observe != nil {
		b.Observe(time.Since(start))
	}
}

// EncodeFrame returns the JSON frame of a tick:
//
//	{"type":"ticker","seq":1,"data":[{"symbol":"BTC-USD","price":42000.00,"timestamp":1700000000},...]}
//
// Prices are JSON numbers with exactly two decimals; timestamps are Unix
// seconds.
func EncodeFrame(t coinop.Tick) []byte {
	b := make([]byte, 0, 64+80*len(t.Prices))
	b = append(b, `{"type":"ticker","seq":`...)
	b = strconv.AppendUint(b, t.Seq, 10)
	b = append(b, `,"data":[`...)
	for i, p := range t.Prices {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"symbol":`...)
		b = strconv.AppendQuote(b, p.Symbol)
		b = append(b, `,"price":`...)
		b = append(b, p.Price.String()...)
		b = append(b, `,"timestamp":`...)
		b = strconv.AppendInt(b, p.Time.Unix(), 10)
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

// ParseFrame reads a frame made by EncodeFrame back into a tick.
func ParseFrame(frame []byte) (coinop.Tick, error) {
	var f struct {
		Seq  uint64 `json:"seq"`
		Data []struct {
			Symbol    string      `json:"symbol"`
			Price     json.Number `json:"price"`
			Timestamp int64       `json:"timestamp"`
		} `json:"data"`
	}
	if err := json.Unmarshal(frame, &f); err != nil {
		return coinop.Tick{}, err
	}
	t := coinop.Tick{Seq: f.Seq}
	for _, p := range f.Data {
		v, err := strconv.ParseFloat(string(p.Price), 64)
		if err != nil {
			return coinop.Tick{}, err
		}
		t.Prices = append(t.Prices, coinop.Price{Symbol: p.Symbol, Price: coinop.Cents(math.Round(v * 100)), Time: time.Unix(p.Timestamp, 0)})
	}
	return t, nil
}
