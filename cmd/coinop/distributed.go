package main

import (
	"context"
	"encoding/binary"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/coinop/coinop"
	coinophttp "github.com/coinop/coinop/http"
	"github.com/coinop/coinop/inmem"
	"github.com/coinop/coinop/nats"
	"github.com/coinop/coinop/ticker"
)

// tickerLockID is the advisory lock of the one instance publishing prices.
const tickerLockID = 0x7469636b6572 // "ticker"

// openBus is NATS when configured, else the in-process bus.
func openBus(cfg *Config, log *slog.Logger) (coinop.Bus, func(), error) {
	if cfg.NATS == "" {
		return inmem.NewBus(), func() {}, nil
	}
	b, err := nats.Open(cfg.NATS, log)
	if err != nil {
		return nil, nil, err
	}
	log.Info("several-instance mode: events, machine commands and ticks over NATS", "url", cfg.NATS)
	return b, func() { b.Close() }, nil
}

// campaigner is a store that can elect one leader among instances.
type campaigner interface {
	Campaign(ctx context.Context, id int64, lead func(ctx context.Context))
}

// runTicker produces the prices. Alone, this process ticks into its hub.
// With NATS, one instance at a time (elected through the database) ticks
// onto the bus, continuing the sequence and prices where the last leader
// stopped, and every instance feeds its hub from the bus, so that all
// clients see the same frames in the same order.
func runTicker(ctx context.Context, cfg *Config, store coinop.Store, bus coinop.Bus, hub *coinophttp.TickerHub, source coinop.PriceSource) {
	if cfg.NATS == "" {
		b := &ticker.Broadcaster{Source: source, Interval: cfg.Tick, Publish: hub.Publish, Observe: hub.ObserveTick}
		b.Step(ctx, time.Now()) // so the first client gets a snapshot at once
		go b.Run(ctx)
		return
	}
	var last atomic.Pointer[[]byte]
	frames, stop := bus.Subscribe(coinop.TickerTopic)
	go func() {
		defer stop()
		for {
			select {
			case <-ctx.Done():
				return
			case m := <-frames:
				if len(m) > 8 {
					f := m[8:]
					last.Store(&f)
					hub.Publish(coinop.Tick{Seq: binary.BigEndian.Uint64(m[:8])}, f)
				}
			}
		}
	}()
	lead := func(ctx context.Context) {
		b := &ticker.Broadcaster{Source: source, Interval: cfg.Tick, Observe: hub.ObserveTick,
			Publish: func(t coinop.Tick, frame []byte) {
				msg := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(frame)), t.Seq)
				bus.Publish(coinop.TickerTopic, append(msg, frame...))
			}}
		if f := last.Load(); f != nil {
			if t, err := ticker.ParseFrame(*f); err == nil {
				b.Resume(t.Seq)
				if sim, ok := source.(*ticker.Sim); ok {
					sim.SetPrices(t.Prices)
				}
			}
		}
		b.Step(ctx, time.Now())
		b.Run(ctx)
	}
	if c, ok := store.(campaigner); ok {
		go c.Campaign(ctx, tickerLockID, lead)
	} else {
		go lead(ctx)
	}
}
