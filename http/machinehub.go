package http

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coinop/coinop"
	"github.com/gorilla/websocket"
)

// Machine socket timing.
const (
	machinePing      = 10 * time.Second // server pings
	machinePongWait  = 20 * time.Second // silent this long after a ping: disconnected
	machineLease     = 30 * time.Second // how long a connection counts in the database
	machineSendWait  = 2 * time.Second  // a command not written by then is not delivered
	machineReadLimit = 16 << 10
)

// errNotDelivered: the machine is not connected here or did not take it.
var errNotDelivered = errors.New("machine not connected")

// MachineHub holds the machines' sockets: one per machine, a newer one
// replacing the older.
type MachineHub struct {
	log *slog.Logger
	bus coinop.Bus // reaches the instance holding a machine's socket
	mu  sync.Mutex
	by  map[int64]*machineConn
	wg  sync.WaitGroup
	// closed: shutting down; no socket registers any more, so that Wait
	// never races with a new one.
	closed bool
}

func newMachineHub(log *slog.Logger, bus coinop.Bus) *MachineHub {
	return &MachineHub{log: log, bus: bus, by: map[int64]*machineConn{}}
}

// Answers of a machine command over the bus.
var (
	commandOK     = []byte("ok")
	commandFailed = []byte("not delivered")
)

// machineConn is one machine's connection, whatever its transport. Only
// its writer goroutine (writeLoop) uses the transport's sending side.
type machineConn struct {
	stopHandling func()      // ends the bus handler of this machine's commands
	replaced     atomic.Bool // closed because the machine connected again
	m            *coinop.Machine
	keyID        int64 // the API key it connected with; 0 for a legacy machine
	t            machineTransport
	out          chan outFrame
	closing      chan closeFrame
	done         chan struct{} // the machine's side stopped (reader ended)
	doneOnce     sync.Once
}

func newMachineConn(m *coinop.Machine, keyID int64, t machineTransport) *machineConn {
	return &machineConn{m: m, keyID: keyID, t: t,
		out: make(chan outFrame, 32), closing: make(chan closeFrame, 1), done: make(chan struct{})}
}

// stopped records that the machine's side of the connection ended.
func (c *machineConn) stopped() { c.doneOnce.Do(func() { close(c.done) }) }

// outFrame is a message for the machine: its name and its payload, a JSON
// object with the keys in the order machines read them.
type outFrame struct {
	name    string
	payload json.RawMessage
	result  chan error // nil: nobody waits
}

// Send writes a frame to the machine and returns once it is written (by
// this instance, or by the one holding the socket, which acknowledges it
// over the bus), or errNotDelivered.
func (h *MachineHub) Send(ctx context.Context, machineID int64, frame []byte) error {
	h.mu.Lock()
	c := h.by[machineID]
	h.mu.Unlock()
	if c != nil {
		return c.send(ctx, frame)
	}
	if h.bus == nil {
		return errNotDelivered
	}
	ctx, cancel := context.WithTimeout(ctx, machineSendWait)
	defer cancel()
	answer, err := h.bus.Request(ctx, coinop.MachineTopic(machineID), frame)
	if err != nil || string(answer) != string(commandOK) {
		return errNotDelivered
	}
	return nil
}

// send queues a frame ({"name": payload}, the form commands take between
// instances) on this connection and waits until it is written.
func (c *machineConn) send(ctx context.Context, frame []byte) error {
	name, payload, err := splitFrame(frame)
	if err != nil {
		return err
	}
	res := make(chan error, 1)
	select {
	case c.out <- outFrame{name, payload, res}:
	default:
		return errNotDelivered // the machine is not keeping up
	}
	t := time.NewTimer(machineSendWait)
	defer t.Stop()
	select {
	case err := <-res:
		return err
	case <-t.C:
		return errNotDelivered
	case <-ctx.Done():
		return ctx.Err()
	}
}

// register makes c the machine's socket, closing the one it replaces.
func (h *MachineHub) register(c *machineConn) bool {
	h.mu.Lock()
	closed := h.closed
	h.mu.Unlock()
	if closed {
		return false
	}
	if h.bus != nil {
		h.announceConnection(c)
		stop, err := h.bus.Handle(coinop.MachineTopic(c.m.ID), func(frame []byte) []byte {
			if c.send(context.Background(), frame) != nil {
				return commandFailed
			}
			return commandOK
		})
		if err != nil {
			h.log.Error("machine commands over the bus", "machine", c.m.ID, "err", err)
		}
		c.stopHandling = stop
	}
	h.mu.Lock()
	if h.closed { // shut down meanwhile
		h.mu.Unlock()
		if c.stopHandling != nil {
			c.stopHandling()
		}
		return false
	}
	old := h.by[c.m.ID]
	h.by[c.m.ID] = c
	h.wg.Add(1)
	h.mu.Unlock()
	if old != nil {
		old.requestClose(CloseReplaced, "replaced by a newer connection")
	}
	return true
}

// unregister removes c, and reports whether it was still the machine's
// socket (not replaced).
func (h *MachineHub) unregister(c *machineConn) bool {
	if c.stopHandling != nil {
		c.stopHandling()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.wg.Done()
	if h.by[c.m.ID] == c {
		delete(h.by, c.m.ID)
		return true
	}
	return false
}

// CloseKey closes the socket opened with a revoked key.
func (h *MachineHub) CloseKey(keyID int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range h.by {
		if c.keyID == keyID {
			c.requestClose(CloseKeyRevoked, "key revoked")
		}
	}
}

// Connected reports whether the machine holds a socket here.
func (h *MachineHub) Connected(machineID int64) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.by[machineID] != nil
}

// Shutdown closes every machine socket with 1001.
func (h *MachineHub) Shutdown() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for _, c := range h.by {
		c.requestClose(websocket.CloseGoingAway, "server shutting down")
	}
}

// Wait waits for every socket to end, or ctx.
func (h *MachineHub) Wait(ctx context.Context) {
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

func (c *machineConn) requestClose(code int, reason string) {
	if code == CloseReplaced {
		c.replaced.Store(true)
	}
	select {
	case c.closing <- closeFrame{code, reason}:
	default:
	}
}

// writeLoop writes queued messages and pings; it renews the machine's
// lease.
func (c *machineConn) writeLoop(renew func()) {
	defer c.t.close()
	defer c.drain()
	ping := time.NewTicker(machinePing)
	defer ping.Stop()
	for {
		var err error
		select {
		case f := <-c.out:
			err = c.t.send(f.name, f.payload)
			if f.result != nil {
				f.result <- err
			}
		case <-ping.C:
			err = c.t.ping()
			renew()
		case cf := <-c.closing:
			c.t.goodbye(cf.code, cf.reason)
			select {
			case <-c.done:
			case <-time.After(time.Second):
			}
			return
		case <-c.done:
			return
		}
		if err != nil {
			return
		}
	}
}

// drain answers the commands still queued when the socket ends.
func (c *machineConn) drain() {
	for {
		select {
		case f := <-c.out:
			if f.result != nil {
				f.result <- errNotDelivered
			}
		default:
			return
		}
	}
}

// announceConnection tells the other instances that this machine now
// connects here, so that an older socket of it elsewhere closes (4409), and
// listens for the same news about this socket.
func (h *MachineHub) announceConnection(c *machineConn) {
	topic := coinop.MachineTopic(c.m.ID) + ".connected"
	token := []byte(fmt.Sprintf("%p-%d", c, time.Now().UnixNano()))
	news, stop := h.bus.Subscribe(topic)
	go func() {
		defer stop()
		for {
			select {
			case t := <-news:
				if string(t) != string(token) {
					c.requestClose(CloseReplaced, "replaced by a newer connection")
					return
				}
			case <-c.done:
				return
			}
		}
	}()
	h.bus.Publish(topic, token)
}
