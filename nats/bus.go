// Package nats is coinop's bus over NATS, for several coinop instances:
// people's events and the ticker's frames fan out to every instance, and a
// command for a machine reaches the instance holding its socket, which
// acknowledges it.
package nats

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/coinop/coinop"
	"github.com/nats-io/nats.go"
)

var _ coinop.Bus = (*Bus)(nil)

// subscriberBuffer is how many messages a subscriber may lag behind.
const subscriberBuffer = 256

// Bus is a connection to NATS.
type Bus struct {
	nc  *nats.Conn
	log *slog.Logger
	// Dropped counts messages lost by subscribers that could not keep up.
	Dropped atomic.Uint64
}

// Open connects to the NATS server at url, reconnecting forever.
func Open(url string, log *slog.Logger) (*Bus, error) {
	b := &Bus{log: log}
	nc, err := nats.Connect(url, nats.Name("coinop"), nats.MaxReconnects(-1), nats.ReconnectWait(250*time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { log.Warn("NATS disconnected", "err", err) }),
		nats.ReconnectHandler(func(*nats.Conn) { log.Info("NATS reconnected") }))
	if err != nil {
		return nil, err
	}
	b.nc = nc
	return b, nil
}

// Close drains and closes the connection.
func (b *Bus) Close() error { return b.nc.Drain() }

// Publish implements coinop.PubSub. It does not block: the client buffers.
func (b *Bus) Publish(topic string, data []byte) {
	if err := b.nc.Publish(topic, data); err != nil {
		b.log.Warn("NATS publish", "topic", topic, "err", err)
	}
}

// Subscribe implements coinop.PubSub.
func (b *Bus) Subscribe(topic string) (<-chan []byte, func()) {
	ch := make(chan []byte, subscriberBuffer)
	sub, err := b.nc.Subscribe(topic, func(m *nats.Msg) {
		select {
		case ch <- m.Data:
		default:
			b.Dropped.Add(1)
		}
	})
	if err != nil {
		b.log.Error("NATS subscribe", "topic", topic, "err", err)
		return ch, func() {}
	}
	return ch, func() { sub.Unsubscribe() }
}

// Request implements coinop.Bus.
func (b *Bus) Request(ctx context.Context, topic string, data []byte) ([]byte, error) {
	m, err := b.nc.RequestWithContext(ctx, topic, data)
	if err != nil {
		return nil, err
	}
	return m.Data, nil
}

// Handle implements coinop.Bus.
func (b *Bus) Handle(topic string, fn func([]byte) []byte) (func(), error) {
	sub, err := b.nc.Subscribe(topic, func(m *nats.Msg) {
		if err := m.Respond(fn(m.Data)); err != nil {
			b.log.Warn("NATS respond", "topic", topic, "err", err)
		}
	})
	if err != nil {
		return nil, err
	}
	if err := b.nc.Flush(); err != nil { // the subscription is live before we return
		sub.Unsubscribe()
		return nil, err
	}
	return func() { sub.Unsubscribe() }, nil
}
