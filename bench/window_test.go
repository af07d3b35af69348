package bench

import (
	"sync"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	tests := []struct {
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{nil, 50, 0},
		{ms(7), 50, 7 * time.Millisecond},
		{ms(7), 99, 7 * time.Millisecond},
		{ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{ms(1, 2, 3, 4, 5), 50, 3 * time.Millisecond},
		{ms(1, 2, 3, 4), 100, 4 * time.Millisecond},
		{ms(hundred...), 99, 99 * time.Millisecond},
		{ms(hundred...), 50, 50 * time.Millisecond},
		{ms(hundred...), 1, 1 * time.Millisecond},
		{ms(hundred...), 0.5, 1 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := Percentile(tt.sorted, tt.p); got != tt.want {
			t.Errorf("Percentile(%v, %v) = %v, want %v", tt.sorted, tt.p, got, tt.want)
		}
	}
}

func TestWindowSkew(t *testing.T) {
	w := newWindow(1000, time.Second, 10*time.Millisecond, 5000)
	if w.base != 5000-backSlots {
		t.Fatalf("base = %d", w.base)
	}
	// seq 5001: three clients at 2000, 2500 and 2100 ns: skew 500ns.
	for _, at := range []int64{2000, 2500, 2100} {
		w.record(5001, at)
	}
	// seq 5002: one client: skew 0.
	w.record(5002, 3000)
	// seq 5004: two clients, 1ms apart.
	w.record(5004, 5_000_000)
	w.record(5004, 4_000_000)
	// out of range, both sides
	w.record(1, 10)
	w.record(5000+uint64(len(w.slots)), 10)

	s := w.skew()
	if s.Seqs != 3 || s.FirstSeq != 5001 || s.LastSeq != 5004 {
		t.Errorf("seqs %d, %d..%d; want 3, 5001..5004", s.Seqs, s.FirstSeq, s.LastSeq)
	}
	if want := time.Duration(4_000_000 - 2000); s.Span != want || s.TickInterval() != want/3 {
		t.Errorf("span %v, interval %v; want %v, %v", s.Span, s.TickInterval(), want, want/3)
	}
	if s.P50 != 500 || s.P99 != time.Millisecond || s.Max != time.Millisecond {
		t.Errorf("p50 %v p99 %v max %v; want 500ns 1ms 1ms", s.P50, s.P99, s.Max)
	}
	if got := w.outside.Load(); got != 2 {
		t.Errorf("outside = %d, want 2", got)
	}
	if got := w.slots[5001-w.base].count.Load(); got != 3 {
		t.Errorf("count of 5001 = %d, want 3", got)
	}
}

func TestWindowConcurrent(t *testing.T) {
	w := newWindow(1, time.Second, 10*time.Millisecond, 0)
	var wg sync.WaitGroup
	for c := range 50 {
		wg.Go(func() {
			for seq := uint64(1); seq <= 100; seq++ {
				w.record(seq, int64(seq*1000)+int64(c)+1)
			}
		})
	}
	wg.Wait()
	s := w.skew()
	if s.Seqs != 100 || s.Max != 49 || s.P50 != 49 {
		t.Errorf("got %+v, want 100 seqs each with skew 49ns", s)
	}
}

func TestClientObserve(t *testing.T) {
	w := newWindow(100, time.Second, 10*time.Millisecond, 10)
	var c client
	c.observe(9, 50, w)                      // before the window: only tracked
	c.observe(10, 150, w)                    // in: no gap
	c.observe(13, 160, w)                    // in: 11 and 12 missed
	c.observe(12, 170, w)                    // in: out of order
	c.observe(20, 100+int64(time.Second), w) // after the window
	if c.frames != 3 || c.missed != 2 || c.reordered != 1 || c.last != 20 {
		t.Errorf("frames %d missed %d reordered %d last %d; want 3 2 1 20", c.frames, c.missed, c.reordered, c.last)
	}
}

func TestTickerURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8081":       "ws://127.0.0.1:8081/ws/ticker",
		"https://example.test/coin/":  "wss://example.test/coin/ws/ticker",
		"http://127.0.0.1:1/?x=1#top": "ws://127.0.0.1:1/ws/ticker",
	} {
		u, err := baseURL(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := tickerURL(u); got != want {
			t.Errorf("tickerURL(%s) = %s, want %s", in, got, want)
		}
	}
	if _, err := baseURL("ws://x"); err == nil {
		t.Error("ws:// accepted as base URL")
	}
}
