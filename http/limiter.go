package http

import (
	"sync"
	"time"
)

// failureLimiter counts failures per address in fixed windows; an address
// over the limit is refused until its window ends.
type failureLimiter struct {
	limit  int
	window time.Duration
	now    func() time.Time

	mu    sync.Mutex
	addrs map[string]*failureWindow
	swept time.Time
}

type failureWindow struct {
	start time.Time
	count int
}

func newFailureLimiter(limit int, window time.Duration) *failureLimiter {
	return &failureLimiter{limit: limit, window: window, now: time.Now, addrs: map[string]*failureWindow{}}
}

// blocked returns how long addr must wait, or 0 if it may go on.
func (l *failureLimiter) blocked(addr string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.addrs[addr]
	now := l.now()
	if w == nil || now.Sub(w.start) >= l.window || w.count < l.limit {
		return 0
	}
	return w.start.Add(l.window).Sub(now)
}

// fail records one failure of addr.
func (l *failureLimiter) fail(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.swept) > l.window { // forget old windows now and then
		for a, w := range l.addrs {
			if now.Sub(w.start) >= l.window {
				delete(l.addrs, a)
			}
		}
		l.swept = now
	}
	w := l.addrs[addr]
	if w == nil || now.Sub(w.start) >= l.window {
		w = &failureWindow{start: now}
		l.addrs[addr] = w
	}
	w.count++
}
