package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

const (
	// machinePrice is what the bench's product costs.
	machinePrice = 1
	// machineStock is what the bench puts in each machine's slot.
	machineStock = 1_000_000
	// machineSlot is the slot the bench stocks and the server releases.
	machineSlot = 1
	// connectWait bounds the wait for every machine to show as connected.
	connectWait = 15 * time.Second
	// redialPause is the pause before a machine reconnects.
	redialPause = 200 * time.Millisecond
	// machineWriteWait bounds one frame's write to the server.
	machineWriteWait = 5 * time.Second
)

// benchMachine is one vending machine the bench plays: it holds the
// machine's WebSocket, answers stateMFA with stateUpdate mfa and
// stateReleasing with releasing then idle at once.
type benchMachine struct {
	idx  int
	id   int64
	name string
	key  string // its API key
	ws   string // the socket's URL on the instance it connects to

	mu   sync.Mutex // serializes writes; guards conn
	conn *websocket.Conn

	released atomic.Int64 // stateReleasing answered with releasing and idle
	initial  int64        // its slot's quantity before the window
}

// machineEvent is what a machine saw of an operation, handed to the worker
// that bought it.
type machineEvent struct {
	kind string    // "stateMFA", "stateReleasing" or "stateCancel"
	code int       // stateMFA's code
	at   time.Time // when the frame arrived
	done time.Time // stateReleasing: when the machine had written idle
}

// rendezvous passes machine events to the workers, by operation: whoever
// comes first (the machine's frame usually arrives before the debit's
// answer) creates the operation's channel.
type rendezvous struct {
	mu sync.Mutex
	m  map[int64]chan machineEvent
}

// ch is the channel of operation op's events.
func (r *rendezvous) ch(op int64) chan machineEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[int64]chan machineEvent{}
	}
	c, ok := r.m[op]
	if !ok {
		c = make(chan machineEvent, 4) // at most stateMFA, stateReleasing, stateCancel
		r.m[op] = c
	}
	return c
}

// post hands an event to op's worker without ever blocking the machine.
func (r *rendezvous) post(op int64, e machineEvent) {
	select {
	case r.ch(op) <- e:
	default:
	}
}

// done forgets op.
func (r *rendezvous) done(op int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.m, op)
}

// pending is the number of operations not forgotten.
func (r *rendezvous) pending() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.m)
}

// machinePool holds the machines no worker is buying at: a worker takes a
// random free one and puts it back when its purchase is over.
type machinePool struct {
	mu    sync.Mutex
	free  []int
	avail chan struct{} // one token per free machine
}

func newMachinePool(n int) *machinePool {
	p := &machinePool{avail: make(chan struct{}, n)}
	for i := range n {
		p.put(i)
	}
	return p
}

// take waits for a free machine until ctx ends or until; ok is false then.
func (p *machinePool) take(ctx context.Context, until time.Time, rng *rand.Rand) (int, bool) {
	select {
	case <-p.avail:
	default:
		t := time.NewTimer(time.Until(until))
		defer t.Stop()
		select {
		case <-p.avail:
		case <-ctx.Done():
			return 0, false
		case <-t.C:
			return 0, false
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	j := rng.IntN(len(p.free))
	i := p.free[j]
	p.free[j] = p.free[len(p.free)-1]
	p.free = p.free[:len(p.free)-1]
	return i, true
}

// put gives machine i back.
func (p *machinePool) put(i int) {
	p.mu.Lock()
	p.free = append(p.free, i)
	p.mu.Unlock()
	p.avail <- struct{}{}
}

// fleet is the bench's machines, their product and what they saw.
type fleet struct {
	run     string // names this run's machines and product
	product int64
	ms      []*benchMachine
	pool    *machinePool
	events  rendezvous
	dialer  *websocket.Dialer

	ctx    context.Context // ends the machines' sockets
	cancel context.CancelFunc
	wg     sync.WaitGroup

	frames      [3]atomic.Int64 // stateMFA, stateReleasing, stateCancel received
	errorFrames atomic.Int64    // {"error":…} from the server: a report refused
	disconnects atomic.Int64    // sockets that ended before the bench closed them
	mu          sync.Mutex
	firstErr    string // the first error frame or disconnection
}

// note keeps the first problem a machine met.
func (f *fleet) note(msg string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.firstErr == "" {
		f.firstErr = msg
	}
}

// machineURL is the machine WebSocket under base.
func machineURL(base string) string {
	if rest, ok := strings.CutPrefix(base, "https://"); ok {
		return "wss://" + rest + "/api/v2/machine"
	}
	return "ws://" + strings.TrimPrefix(base, "http://") + "/api/v2/machine"
}

// setupMachines creates the product and the machines, stocks them,
// connects them (round-robin over the instances) and waits until the server
// counts every one as connected.
func (r *walletRun) setupMachines(ctx context.Context) error {
	t0 := time.Now()
	f := &fleet{run: strconv.FormatInt(time.Now().UnixMilli(), 36), ms: make([]*benchMachine, r.o.Machines),
		dialer: &websocket.Dialer{HandshakeTimeout: handshakeTimeout}}
	f.ctx, f.cancel = context.WithCancel(context.Background())
	r.fleet = f
	in := map[string]any{"name": "Bench snack " + f.run, "description": "coinop bench wallet", "type": "foods",
		"image": "bench.png", "price": machinePrice}
	var out struct {
		Product int64 `json:"product"`
	}
	if _, err := r.api.call(ctx, "POST", "/api/v2/admin/products", r.opAuth, in, &out, http.StatusCreated); err != nil {
		return fmt.Errorf("creating the machines' product: %w", err)
	}
	f.product = out.Product
	err := r.forEach(ctx, len(f.ms), func(ctx context.Context, i int) error {
		m, err := r.createMachine(ctx, i)
		if err == nil {
			f.ms[i] = m
			err = f.dial(ctx, m)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("machines: %w", err)
	}
	for _, m := range f.ms {
		f.wg.Add(1)
		go f.serve(m)
	}
	list, err := r.waitMachines(ctx, connectWait, func(s machineStatus) bool { return s.Connected })
	if err != nil {
		return fmt.Errorf("machines: %w", err)
	}
	for _, m := range f.ms {
		m.initial = list[m.id].quantity(f.product)
	}
	f.pool = newMachinePool(len(f.ms))
	r.rep.Purchases.Product, r.rep.Purchases.Run, r.rep.Purchases.SetupTime = f.product, f.run, time.Since(t0)
	return nil
}

// createMachine creates machine i and stocks its slot.
func (r *walletRun) createMachine(ctx context.Context, i int) (*benchMachine, error) {
	f := r.fleet
	m := &benchMachine{idx: i, name: fmt.Sprintf("bench-%s-%d", f.run, i)}
	var out struct {
		Machine int64  `json:"machine"`
		Key     string `json:"api_key"`
	}
	in := map[string]any{"name": m.name, "kind": "vending", "description": "coinop bench wallet"}
	if _, err := r.api.call(ctx, "POST", "/api/v2/admin/machines", r.opAuth, in, &out, http.StatusCreated); err != nil {
		return nil, err
	}
	m.id, m.key = out.Machine, out.Key
	m.ws = machineURL(r.api.bases[i%len(r.api.bases)])
	stock := map[string]any{"product": f.product, "quantity": machineStock}
	path := fmt.Sprintf("/api/v2/admin/machines/%d/stock/%d", m.id, machineSlot)
	if _, err := r.api.call(ctx, "PUT", path, r.opAuth, stock, nil, http.StatusOK); err != nil {
		return nil, err
	}
	return m, nil
}

// dial opens m's socket.
func (f *fleet) dial(ctx context.Context, m *benchMachine) error {
	hdr := http.Header{"Authorization": {"Bearer " + m.key}}
	conn, resp, err := f.dialer.DialContext(ctx, m.ws, hdr)
	if err != nil {
		if resp != nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
			return fmt.Errorf("machine %d: %w: HTTP %s %s", m.id, err, resp.Status, strings.TrimSpace(string(body)))
		}
		return fmt.Errorf("machine %d: %w", m.id, err)
	}
	m.mu.Lock()
	m.conn = conn
	m.mu.Unlock()
	return nil
}

// serve answers m's frames until the fleet closes, reconnecting when the
// socket ends.
func (f *fleet) serve(m *benchMachine) {
	defer f.wg.Done()
	for {
		err := f.readLoop(m)
		if f.ctx.Err() != nil {
			return
		}
		f.disconnects.Add(1)
		f.note(fmt.Sprintf("machine %d socket: %v", m.id, err))
		for {
			if sleep(f.ctx, redialPause) != nil {
				return
			}
			if f.dial(f.ctx, m) == nil {
				break
			}
		}
	}
}

// frame is what the server sends a vending machine.
type frame struct {
	MFA *struct {
		Code      int   `json:"code"`
		Operation int64 `json:"operation"`
	} `json:"stateMFA"`
	Releasing *struct {
		Product   int64 `json:"product"`
		Operation int64 `json:"operation"`
	} `json:"stateReleasing"`
	Cancel *struct {
		Operation int64 `json:"operation"`
	} `json:"stateCancel"`
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// readLoop reads and answers m's frames until its socket ends.
func (f *fleet) readLoop(m *benchMachine) error {
	m.mu.Lock()
	conn := m.conn
	m.mu.Unlock()
	defer conn.Close()
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			return err
		}
		at := time.Now()
		var fr frame
		if err := json.Unmarshal(data, &fr); err != nil {
			f.errorFrames.Add(1)
			f.note(fmt.Sprintf("machine %d: unreadable frame %.100s", m.id, data))
			continue
		}
		switch {
		case fr.MFA != nil:
			f.frames[0].Add(1)
			op := fr.MFA.Operation
			err = m.report("mfa", op)
			f.events.post(op, machineEvent{kind: "stateMFA", code: fr.MFA.Code, at: at})
		case fr.Releasing != nil:
			f.frames[1].Add(1)
			op := fr.Releasing.Operation
			if err = m.report("releasing", op); err == nil {
				err = m.report("idle", op)
			}
			if err == nil {
				m.released.Add(1)
			}
			f.events.post(op, machineEvent{kind: "stateReleasing", at: at, done: time.Now()})
		case fr.Cancel != nil:
			f.frames[2].Add(1)
			f.events.post(fr.Cancel.Operation, machineEvent{kind: "stateCancel", at: at})
		case fr.Error != nil:
			f.errorFrames.Add(1)
			f.note(fmt.Sprintf("machine %d: error frame %s: %s", m.id, fr.Error.Code, fr.Error.Message))
		}
		if err != nil {
			return err
		}
	}
}

// report writes {"stateUpdate":{"state":state,"operation":op}}.
func (m *benchMachine) report(state string, op int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.conn == nil {
		return errors.New("not connected")
	}
	m.conn.SetWriteDeadline(time.Now().Add(machineWriteWait))
	return m.conn.WriteMessage(websocket.TextMessage, fmt.Appendf(nil, `{"stateUpdate":{"state":%q,"operation":%d}}`, state, op))
}

// close ends every machine's socket and waits for their goroutines.
func (f *fleet) close() {
	if f == nil {
		return
	}
	f.cancel()
	for _, m := range f.ms {
		if m == nil {
			continue
		}
		m.mu.Lock()
		if m.conn != nil {
			m.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""),
				time.Now().Add(time.Second))
			m.conn.Close()
		}
		m.mu.Unlock()
	}
	f.wg.Wait()
}

// released is the number of purchases the machines released and reported
// idle after.
func (f *fleet) released() int64 {
	var n int64
	for _, m := range f.ms {
		n += m.released.Load()
	}
	return n
}

// machineStatus is a machine in GET /api/v2/admin/machines.
type machineStatus struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	Connected bool   `json:"connected"`
	State     string `json:"state"`
	Operation int64  `json:"operation"`
	Stock     []struct {
		Slot     int64 `json:"slot"`
		Product  int64 `json:"product"`
		Quantity int64 `json:"quantity"`
	} `json:"stock"`
}

// quantity is the machine's stock of product in the bench's slot; -1 if
// it has none there.
func (s machineStatus) quantity(product int64) int64 {
	for _, st := range s.Stock {
		if st.Slot == machineSlot && st.Product == product {
			return st.Quantity
		}
	}
	return -1
}

// free: the machine is on its idle screen, busy with no operation.
func (s machineStatus) free() bool { return s.State == "idle" && s.Operation == 0 }

// listMachines reads the bench machines' status, by id.
func (r *walletRun) listMachines(ctx context.Context) (map[int64]machineStatus, error) {
	var all []machineStatus
	if _, err := r.api.call(ctx, "GET", "/api/v2/admin/machines", r.opAuth, nil, &all, http.StatusOK); err != nil {
		return nil, err
	}
	ours := make(map[int64]machineStatus, len(r.fleet.ms))
	for _, m := range r.fleet.ms {
		ours[m.id] = machineStatus{ID: m.id, State: "missing"}
	}
	for _, s := range all {
		if _, ok := ours[s.ID]; ok {
			ours[s.ID] = s
		}
	}
	return ours, nil
}

// waitMachines polls the bench machines until every one satisfies ok or
// wait passes, and returns the last listing; the error says how many did
// not.
func (r *walletRun) waitMachines(ctx context.Context, wait time.Duration, ok func(machineStatus) bool) (map[int64]machineStatus, error) {
	deadline := time.Now().Add(wait)
	for {
		list, err := r.listMachines(ctx)
		if err != nil {
			return nil, err
		}
		bad := 0
		var first machineStatus
		for _, s := range list {
			if !ok(s) {
				if bad == 0 {
					first = s
				}
				bad++
			}
		}
		if bad == 0 {
			return list, nil
		}
		if time.Now().After(deadline) {
			return list, fmt.Errorf("%d of %d machines not ready after %s (machine %d: connected %v, state %s, operation %d)",
				bad, len(list), wait, first.ID, first.Connected, first.State, first.Operation)
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return nil, err
		}
	}
}
