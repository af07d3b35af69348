package inmem

import (
	"context"
	"errors"
	"sync"

	"github.com/coinop/coinop"
)

var _ coinop.Bus = (*Bus)(nil)

// ErrNoHandler: nobody in this process handles the topic.
var ErrNoHandler = errors.New("no handler for this topic")

// Bus is the in-process bus: PubSub plus request and reply by direct call.
type Bus struct {
	*PubSub
	mu       sync.RWMutex
	handlers map[string]*handler
}

type handler struct{ fn func([]byte) []byte }

// NewBus returns an empty bus.
func NewBus() *Bus { return &Bus{PubSub: NewPubSub(), handlers: map[string]*handler{}} }

// Request implements coinop.Bus.
func (b *Bus) Request(ctx context.Context, topic string, data []byte) ([]byte, error) {
	b.mu.RLock()
	h := b.handlers[topic]
	b.mu.RUnlock()
	if h == nil {
		return nil, ErrNoHandler
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return h.fn(data), nil
}

// Handle implements coinop.Bus. A newer handler of a topic replaces the
// older; stopping the older then does nothing.
func (b *Bus) Handle(topic string, fn func([]byte) []byte) (func(), error) {
	h := &handler{fn}
	b.mu.Lock()
	b.handlers[topic] = h
	b.mu.Unlock()
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.handlers[topic] == h {
			delete(b.handlers, topic)
		}
	}, nil
}
