package ticker_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coinop/coinop"
	"github.com/coinop/coinop/ticker"
)

func TestSimStepsAtMostOneTenthPercent(t *testing.T) {
	s := ticker.NewSim(42)
	prev := append([]coinop.Cents(nil), ticker.StartPrices...)
	moved := 0
	for range 20000 {
		ps := s.Prices(context.Background(), time.Now())
		for i, p := range ps {
			if p.Symbol != coinop.Symbols[i] {
				t.Fatalf("symbol %d = %s", i, p.Symbol)
			}
			if d := math.Abs(float64(p.Price - prev[i])); d > float64(prev[i])*ticker.MaxStep {
				t.Fatalf("%s moved %v cents from %v: more than 0.1%%", p.Symbol, d, prev[i])
			}
			if p.Price != prev[i] {
				moved++
			}
			prev[i] = p.Price
		}
	}
	if moved < 50000 {
		t.Fatalf("prices moved only %d times in 60000 steps", moved)
	}
	// Same seed, same walk.
	a, b := ticker.NewSim(7), ticker.NewSim(7)
	for range 100 {
		if a.Prices(context.Background(), time.Time{})[0].Price != b.Prices(context.Background(), time.Time{})[0].Price {
			t.Fatal("seeded walks differ")
		}
	}
}

func TestEncodeFrame(t *testing.T) {
	now := time.Unix(1700000000, 0)
	frame := ticker.EncodeFrame(coinop.Tick{Seq: 5, Prices: []coinop.Price{
		{Symbol: "BTC-USD", Price: 4200000, Time: now}, {Symbol: "ETH-USD", Price: 250005, Time: now}, {Symbol: "SOL-USD", Price: 9507, Time: now},
	}})
	want := `{"type":"ticker","seq":5,"data":[{"symbol":"BTC-USD","price":42000.00,"timestamp":1700000000},{"symbol":"ETH-USD","price":2500.05,"timestamp":1700000000},{"symbol":"SOL-USD","price":95.07,"timestamp":1700000000}]}`
	if string(frame) != want {
		t.Fatalf("frame\n%s\nwant\n%s", frame, want)
	}
	var v map[string]any
	if err := json.Unmarshal(frame, &v); err != nil {
		t.Fatal(err)
	}
}

func TestBroadcasterSeq(t *testing.T) {
	var seqs []uint64
	b := &ticker.Broadcaster{Source: ticker.NewSim(1), Publish: func(tk coinop.Tick, _ []byte) { seqs = append(seqs, tk.Seq) }}
	for range 3 {
		b.Step(context.Background(), time.Now())
	}
	if len(seqs) != 3 || seqs[0] != 1 || seqs[2] != 3 {
		t.Fatalf("seqs = %v", seqs)
	}
}

func TestUpstream(t *testing.T) {
	var mode atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch mode.Load() {
		case 0:
			io.WriteString(w, `{"BTC-USD": 43000.5, "ETH-USD": "2600.25", "SOL-USD": 99}`)
		case 1:
			io.WriteString(w, `{"data":[{"symbol":"BTC-USD","price":1.01},{"symbol":"ETH-USD","price":2.02},{"symbol":"SOL-USD","price":3.03}]}`)
		case 2:
			http.Error(w, "down", http.StatusBadGateway)
		case 3:
			io.WriteString(w, `{"BTC-USD": 1}`) // incomplete
		}
	}))
	defer srv.Close()
	var errs atomic.Int32
	u := ticker.NewUpstream(srv.URL, time.Hour, slog.New(slog.NewTextHandler(io.Discard, nil)))
	u.OnError = func(error) { errs.Add(1) }
	ctx := context.Background()

	if got := u.Prices(ctx, time.Now())[0].Price; got != ticker.StartPrices[0] {
		t.Fatalf("before first poll BTC = %v", got)
	}
	if err := u.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	ps := u.Prices(ctx, time.Now())
	if ps[0].Price != 4300050 || ps[1].Price != 260025 || ps[2].Price != 9900 {
		t.Fatalf("prices = %+v", ps)
	}
	mode.Store(1)
	if err := u.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if u.Prices(ctx, time.Now())[2].Price != 303 {
		t.Fatal("list format not read")
	}
	for _, m := range []int32{2, 3} {
		mode.Store(m)
		if err := u.Poll(ctx); err == nil {
			t.Fatalf("mode %d: no error", m)
		}
		if u.Prices(ctx, time.Now())[2].Price != 303 {
			t.Fatalf("mode %d: last prices not kept", m)
		}
	}
	// Run reports failures through OnError.
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { u.Run(rctx); close(done) }()
	for errs.Load() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
}
