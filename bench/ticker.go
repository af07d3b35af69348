package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Ticker load-tests the ticker WebSocket of the server at o.URL and writes
// the report to w. It exchanges o.Key for a token once (unless o.Token is
// set), opens o.Clients sockets at o.Ramp per second, waits o.Warmup,
// measures for o.Duration, then closes every socket. It returns when done
// or soon after ctx ends.
func Ticker(ctx context.Context, o Options, w io.Writer) error {
	if err := o.Validate(); err != nil {
		return err
	}
	if err := checkFileLimit(o.Clients); err != nil {
		return err
	}
	r := newRun(o)
	defer r.hc.CloseIdleConnections()
	token := o.Token
	if token == "" {
		var err error
		if token, err = fetchToken(ctx, r.hc, r.base, o.Key); err != nil {
			return err
		}
	}
	rep, err := r.execute(ctx, token)
	if err != nil {
		return err
	}
	rep.Write(w)
	if rep.Connected == 0 {
		return fmt.Errorf("no client connected: %s", rep.FirstError)
	}
	return nil
}

// run is one load test in progress.
type run struct {
	opts   Options
	base   string // base URL, no trailing slash
	wsURL  string
	hc     *http.Client
	dialer *websocket.Dialer
	epoch  time.Time // receive times are nanoseconds since epoch

	clients []client
	dialed  sync.WaitGroup // clients still dialing
	reading sync.WaitGroup // clients still reading
	latest  atomic.Uint64  // newest seq any client received
	win     atomic.Pointer[window]
	closing atomic.Bool // the tool is closing the sockets

	connected, failed atomic.Int64
	errMu             sync.Mutex
	dialErr, dropErr  error // the first of each
}

func newRun(o Options) *run {
	u, _ := baseURL(o.URL) // validated
	return &run{
		opts: o, base: u.String(), wsURL: tickerURL(u),
		hc: newHTTPClient(), dialer: newDialer(), epoch: time.Now(),
		clients: make([]client, o.Clients),
	}
}

// now returns the monotonic nanoseconds since the run's epoch.
func (r *run) now() int64 { return int64(time.Since(r.epoch)) }

// execute connects, warms up, measures, closes and collects.
func (r *run) execute(ctx context.Context, token string) (*Report, error) {
	rep := &Report{Options: r.opts, WSURL: r.wsURL}
	rep.Idle = scrape(ctx, r.hc, r.base)
	err := r.connect(ctx, token, rep)
	if err != nil || rep.Connected == 0 {
		r.closeAll()
		return rep, err
	}
	if err = sleep(ctx, r.opts.Warmup); err == nil {
		err = r.measure(ctx, rep)
	}
	r.closeAll()
	if err != nil {
		return nil, err
	}
	r.collect(rep)
	return rep, nil
}

// connect opens every client, paced by the ramp, and waits until each has
// connected or failed.
func (r *run) connect(ctx context.Context, token string, rep *Report) error {
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	hdr := http.Header{"Authorization": {"Bearer " + token}}
	start := time.Now()
	for i := range r.clients {
		if r.pace(dctx, start, i) != nil {
			break
		}
		r.dialed.Add(1)
		go r.runClient(dctx, &r.clients[i], hdr)
	}
	err := waitGroup(ctx, &r.dialed)
	cancel()
	r.dialed.Wait() // quick once dialing is cancelled
	rep.ConnectTime = time.Since(start)
	rep.Connected, rep.Failed = int(r.connected.Load()), int(r.failed.Load())
	rep.FirstError = errText(r.dialErr)
	return err
}

// pace waits until client i is due.
func (r *run) pace(ctx context.Context, start time.Time, i int) error {
	if r.opts.Ramp <= 0 {
		return ctx.Err()
	}
	due := start.Add(time.Duration(float64(i) / r.opts.Ramp * float64(time.Second)))
	return sleep(ctx, time.Until(due))
}

// runClient dials c and reads until the socket ends.
func (r *run) runClient(ctx context.Context, c *client, hdr http.Header) {
	if err := c.dial(ctx, r.dialer, r.wsURL, hdr); err != nil {
		r.failed.Add(1)
		r.noteErr(&r.dialErr, err)
		r.dialed.Done()
		return
	}
	r.connected.Add(1)
	r.reading.Add(1)
	defer r.reading.Done()
	r.dialed.Done()
	err := c.readLoop(r)
	if !r.closing.Load() {
		c.err = err
		r.noteErr(&r.dropErr, err)
	}
}

// sawSeq raises the newest seq seen to seq.
func (r *run) sawSeq(seq uint64) {
	for {
		cur := r.latest.Load()
		if cur >= seq || r.latest.CompareAndSwap(cur, seq) {
			return
		}
	}
}

// measure opens the window, scrapes the server at both ends and times the
// tool's own CPU.
func (r *run) measure(ctx context.Context, rep *Report) error {
	w := newWindow(r.now(), r.opts.Duration, r.opts.ExpectTick, r.latest.Load())
	r.win.Store(w)
	rep.Start = scrape(ctx, r.hc, r.base)
	cpu0, m0, t0 := selfCPU(), readMachineCPU(), time.Now()
	if err := sleep(ctx, time.Until(r.epoch.Add(time.Duration(w.end)))); err != nil {
		return err
	}
	rep.End = scrape(ctx, r.hc, r.base)
	rep.SelfCPU, rep.SelfWall = selfCPU()-cpu0, time.Since(t0)
	rep.Machine = readMachineCPU().sub(m0)
	rep.Window = time.Duration(w.end - w.start)
	return nil
}

// closeAll sends every open socket a close frame, closes it and waits for
// the readers to end.
func (r *run) closeAll() {
	r.closing.Store(true)
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bench done")
	deadline := time.Now().Add(time.Second)
	for i := range r.clients {
		if c := r.clients[i].conn; c != nil {
			_ = c.WriteControl(websocket.CloseMessage, msg, deadline)
			_ = c.Close()
		}
	}
	r.reading.Wait()
}

// collect adds up the clients' counters and the window's skew.
func (r *run) collect(rep *Report) {
	for i := range r.clients {
		c := &r.clients[i]
		rep.Frames += c.frames
		rep.Missed += c.missed
		rep.Reordered += c.reordered
		if c.err != nil {
			rep.Dropped++
		}
	}
	rep.DropError = errText(r.dropErr)
	w := r.win.Load()
	rep.Outside = w.outside.Load()
	rep.Skew = w.skew()
}

func (r *run) noteErr(first *error, err error) {
	r.errMu.Lock()
	defer r.errMu.Unlock()
	if *first == nil {
		*first = err
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// waitGroup waits for wg or until ctx ends.
func waitGroup(ctx context.Context, wg *sync.WaitGroup) error {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
