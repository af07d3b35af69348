package inmem

import (
	"sync"
	"sync/atomic"

	"github.com/coinop/coinop"
)

var _ coinop.PubSub = (*PubSub)(nil)

// subscriberBuffer is how many messages a subscriber may lag behind.
const subscriberBuffer = 64

// PubSub is the in-process pub/sub: one process, no network.
type PubSub struct {
	mu     sync.RWMutex
	topics map[string]map[*subscriber]struct{}
	// Dropped counts messages lost by subscribers that could not keep up.
	Dropped atomic.Uint64
}

type subscriber struct{ ch chan []byte }

// NewPubSub returns an empty hub.
func NewPubSub() *PubSub { return &PubSub{topics: map[string]map[*subscriber]struct{}{}} }

// Publish implements coinop.PubSub.
func (p *PubSub) Publish(topic string, data []byte) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	for s := range p.topics[topic] {
		select {
		case s.ch <- data:
		default:
			p.Dropped.Add(1)
		}
	}
}

// Subscribe implements coinop.PubSub.
func (p *PubSub) Subscribe(topic string) (<-chan []byte, func()) {
	s := &subscriber{ch: make(chan []byte, subscriberBuffer)}
	p.mu.Lock()
	if p.topics[topic] == nil {
		p.topics[topic] = map[*subscriber]struct{}{}
	}
	p.topics[topic][s] = struct{}{}
	p.mu.Unlock()
	var once sync.Once
	return s.ch, func() {
		once.Do(func() {
			p.mu.Lock()
			delete(p.topics[topic], s)
			if len(p.topics[topic]) == 0 {
				delete(p.topics, topic)
			}
			p.mu.Unlock()
		})
	}
}
