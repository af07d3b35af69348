package http

import (
	"sync/atomic"
	"time"
)

// tickerShard writes each tick to its share of the clients, one after the
// other in a fixed order, from one goroutine: a tick costs one write(2) per
// socket and no goroutine wake-ups, and the last client of a shard receives
// it one loop after the first. A socket the shard cannot write to at once
// (its client's writer holds it, or the kernel would block) is left to the
// client's writer goroutine.
type tickerShard struct {
	wake    chan struct{}
	clients atomic.Pointer[[]*tickerClient] // copy-on-write snapshot of set

	set map[*tickerClient]struct{} // guarded by TickerHub.mu
}

func newTickerShard() *tickerShard {
	s := &tickerShard{wake: make(chan struct{}, 1), set: map[*tickerClient]struct{}{}}
	s.clients.Store(&[]*tickerClient{})
	return s
}

// signal wakes the shard; a shard already awake writes the newest tick
// once more after its current loop.
func (s *tickerShard) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// snapshot publishes set to the shard's loop. Call with TickerHub.mu held.
func (s *tickerShard) snapshot() {
	list := make([]*tickerClient, 0, len(s.set))
	for c := range s.set {
		list = append(list, c)
	}
	s.clients.Store(&list)
}

// run writes the newest tick to every client each time it is woken, until
// the hub stops.
func (s *tickerShard) run(h *TickerHub) {
	for {
		select {
		case <-h.stop:
			return
		case <-s.wake:
		}
		f := h.latest.Load()
		if f == nil {
			continue
		}
		start := time.Now()
		var n fanoutCount
		for _, c := range *s.clients.Load() {
			c.offer(f, &n)
		}
		h.sent.Add(n.sent)
		h.dropped.Add(n.dropped)
		h.slow.Add(n.slow)
		h.fanout.Observe(time.Since(start).Seconds())
	}
}

// fanoutCount is what one loop of a shard did, added to the hub's counters
// once per loop rather than once per socket.
type fanoutCount struct {
	sent    uint64 // frames written whole
	dropped uint64 // ticks clients skipped
	slow    uint64 // frames left to a client's writer
}
