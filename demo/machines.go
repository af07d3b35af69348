package demo

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/coinop/coinop"
	"github.com/coinop/coinop/machineclient"
)

// Screen is what a simulated machine shows, for the machines page.
type Screen struct {
	ID        int64              `json:"id"`
	Name      string             `json:"name"`
	Kind      coinop.MachineKind `json:"kind"`
	Connected bool               `json:"connected"`
	State     string             `json:"state"` // idle, code, releasing, cancelled
	Username  string             `json:"username,omitempty"`
	Code      int                `json:"code,omitempty"`
	Operation int64              `json:"operation,omitempty"`
	Slot      int64              `json:"slot,omitempty"` // the slot turning, or the arcade's number
	Coins     int                `json:"coins"`          // coins inserted since start (arcades)
	Message   string             `json:"message,omitempty"`
}

// ReleaseTime is how long a simulated slot takes to turn.
const ReleaseTime = 1500 * time.Millisecond

// Machines runs the simulated machines and keeps their screens.
type Machines struct {
	mu      sync.Mutex
	screens map[int64]*Screen
	order   []int64
	subs    map[chan struct{}]struct{}
}

// NewMachines returns an empty set.
func NewMachines() *Machines {
	return &Machines{screens: map[int64]*Screen{}, subs: map[chan struct{}]struct{}{}}
}

// Run starts a simulated machine for each of ms against the server at
// baseURL, until ctx ends.
func (d *Machines) Run(ctx context.Context, baseURL string, ms []Machine, log *slog.Logger) {
	for _, m := range ms {
		d.mu.Lock()
		d.screens[m.ID] = &Screen{ID: m.ID, Name: m.Name, Kind: m.Kind, State: "idle"}
		d.order = append(d.order, m.ID)
		d.mu.Unlock()
		c := &machineclient.Client{URL: baseURL, Key: m.Key, Kind: m.Kind, Log: log.With("demo_machine", m.Name),
			MinBackoff: 200 * time.Millisecond, MaxBackoff: 2 * time.Second,
			Release: pause(ReleaseTime), Coin: pause(ReleaseTime / 2), OnEvent: func(e machineclient.Event) { d.on(m.ID, e) }}
		go c.Run(ctx)
	}
}

func pause(d time.Duration) func(context.Context, int64) error {
	return func(ctx context.Context, _ int64) error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
			return nil
		}
	}
}

// on updates a machine's screen from what it did.
func (d *Machines) on(id int64, e machineclient.Event) {
	d.mu.Lock()
	s := d.screens[id]
	switch e.Kind {
	case "connected", "disconnected":
		s.Connected, s.State, s.Message = e.Kind == "connected", "idle", ""
	case "code":
		s.State, s.Username, s.Code, s.Operation, s.Message = "code", e.Username, e.Code, e.Operation, ""
	case "releasing":
		s.State, s.Slot, s.Operation = "releasing", e.Slot, e.Operation
	case "released":
		s.State, s.Username, s.Code, s.Slot, s.Message = "idle", "", 0, 0, "Pronto! Bom apetite."
	case "cancelled":
		s.State, s.Code, s.Message = "idle", 0, e.Text
	case "coin":
		s.Coins++
		s.Slot, s.Operation, s.Message = e.Slot, e.Operation, "Crédito inserido"
	}
	subs := make([]chan struct{}, 0, len(d.subs))
	for ch := range d.subs {
		subs = append(subs, ch)
	}
	d.mu.Unlock()
	for _, ch := range subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Snapshot returns every screen, in creation order.
func (d *Machines) Snapshot() any {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]Screen, 0, len(d.order))
	for _, id := range d.order {
		out = append(out, *d.screens[id])
	}
	return out
}

// Subscribe signals each change.
func (d *Machines) Subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	d.mu.Lock()
	d.subs[ch] = struct{}{}
	d.mu.Unlock()
	return ch, func() {
		d.mu.Lock()
		delete(d.subs, ch)
		d.mu.Unlock()
	}
}
