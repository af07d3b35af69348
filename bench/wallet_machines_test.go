package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestWalletOptionsMachines(t *testing.T) {
	o := DefaultWalletOptions()
	if o.mix() != DefaultMix {
		t.Errorf("mix without machines = %q", o.mix())
	}
	o.Machines = 3
	if o.mix() != DefaultMachinesMix || o.Validate() != nil {
		t.Errorf("mix with machines = %q, %v", o.mix(), o.Validate())
	}
	o.Mix = "buy=1"
	if o.mix() != "buy=1" {
		t.Errorf("explicit mix = %q", o.mix())
	}
	o.URL = "http://a:1, https://b:2/ ,http://c:3"
	urls, err := o.urls()
	if err != nil || strings.Join(urls, " ") != "http://a:1 https://b:2 http://c:3" {
		t.Errorf("urls = %q, %v", urls, err)
	}
	o.Rate, o.Peak, o.PeakDuration = 100, 10, 0
	if err := o.Validate(); err != nil {
		t.Errorf("peak with a default duration: %v", err)
	}
	for name, edit := range map[string]func(*WalletOptions){
		"buy without machines":     func(o *WalletOptions) { o.Machines = 0 },
		"negative machines":        func(o *WalletOptions) { o.Machines = -1 },
		"a bad url in the list":    func(o *WalletOptions) { o.URL = "http://a:1,ftp://b" },
		"an empty url in the list": func(o *WalletOptions) { o.URL = "http://a:1," },
		"negative rate":            func(o *WalletOptions) { o.Rate = -1 },
		"peak without rate":        func(o *WalletOptions) { o.Rate = 0 },
		"negative peak":            func(o *WalletOptions) { o.Peak = -2 },
		"peak as long as the run":  func(o *WalletOptions) { o.PeakDuration = o.Duration },
	} {
		o := o
		edit(&o)
		if o.Validate() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestMixBuy(t *testing.T) {
	m, err := ParseMix("transfer=60,credit=10,balance=20,buy=10")
	if err != nil || m != (Mix{60, 10, 20, 10}) || m.String() != "transfer=60,credit=10,balance=20,buy=10" {
		t.Errorf("ParseMix = %v, %v", m, err)
	}
	for _, in := range []string{"debit=5", "mfa=5"} { // request kinds, not mix kinds
		if _, err := ParseMix(in); err == nil {
			t.Errorf("ParseMix(%q) accepted", in)
		}
	}
	if k := (Mix{0, 0, 0, 3}).pick(2); k != kBuy {
		t.Errorf("pick = %v", k)
	}
}

func TestSchedule(t *testing.T) {
	o := WalletOptions{Duration: 60 * time.Second, Rate: 100, Peak: 10, PeakDuration: 30 * time.Second}
	s := newSchedule(o)
	if !s.peaked() || s.peakStart != 15*time.Second || s.peakEnd != 45*time.Second {
		t.Fatalf("schedule %+v", s)
	}
	for off, want := range map[time.Duration]phase{0: phaseBase, 15*time.Second - 1: phaseBase, 15 * time.Second: phasePeak,
		45*time.Second - 1: phasePeak, 45 * time.Second: phaseAfter, 70 * time.Second: phaseAfter} {
		if got := s.phaseAt(off); got != want {
			t.Errorf("phaseAt(%s) = %s, want %s", off, got, want)
		}
	}
	if s.rateAt(20*time.Second) != 1000 || s.rateAt(time.Second) != 100 || s.interval(20*time.Second) != time.Millisecond {
		t.Errorf("rates %v %v", s.rateAt(20*time.Second), s.rateAt(time.Second))
	}
	if from, to := s.span(phaseAfter); from != 45*time.Second || to != 60*time.Second {
		t.Errorf("after spans %s-%s", from, to)
	}
	flat := newSchedule(WalletOptions{Duration: time.Minute, Rate: 100, Peak: 1})
	if flat.peaked() || flat.phaseAt(59*time.Second) != phaseBase {
		t.Errorf("a factor of 1 peaked: %+v", flat)
	}
	third := newSchedule(WalletOptions{Duration: 30 * time.Second, Rate: 1, Peak: 2})
	if third.peakStart != 10*time.Second || third.peakEnd != 20*time.Second {
		t.Errorf("default peak %s-%s, want the middle third", third.peakStart, third.peakEnd)
	}
}

func TestPacer(t *testing.T) {
	s := newSchedule(WalletOptions{Duration: 3 * time.Second, Rate: 10, Peak: 10, PeakDuration: time.Second})
	start := time.Unix(1000, 0)
	now := start
	p := newPacer(s, start)
	p.now = func() time.Time { return now }
	// On time: the slots come 100ms apart in the base phase.
	for i := range 3 {
		slot, ok := p.reserve()
		if !ok || slot != time.Duration(i)*100*time.Millisecond {
			t.Fatalf("slot %d = %s, %v", i, slot, ok)
		}
	}
	// Every worker was busy until 1.5s: the base slots from 300ms to 900ms
	// and the peak's (10ms apart) until 1.45s were skipped.
	now = start.Add(1500 * time.Millisecond)
	slot, ok := p.reserve()
	if !ok || slot != 1450*time.Millisecond {
		t.Fatalf("late slot = %s, %v", slot, ok)
	}
	if sk := p.skips(); sk[phaseBase] != 7 || sk[phasePeak] != 45 || sk[phaseAfter] != 0 {
		t.Errorf("skips %v, want [7 45 0]", sk)
	}
	// Past the window: no more slots.
	now = start.Add(10 * time.Second)
	if slot, ok := p.reserve(); ok {
		t.Errorf("slot %s after the window", slot)
	}
	if sk := p.skips(); sk[phasePeak] != 100-1 || sk[phaseAfter] != 10 {
		t.Errorf("skips at the end %v", sk)
	}
	// wait sleeps until the slot.
	real := newPacer(newSchedule(WalletOptions{Duration: time.Second, Rate: 20}), time.Now())
	t0 := time.Now()
	for range 3 {
		if _, ok := real.wait(context.Background()); !ok {
			t.Fatal("wait ended")
		}
	}
	if took := time.Since(t0); took < 90*time.Millisecond {
		t.Errorf("three slots at 20/s took %s", took)
	}
}

func TestRendezvous(t *testing.T) {
	var r rendezvous
	r.post(7, machineEvent{kind: "stateMFA", code: 42}) // the machine first
	e, ok := awaitEvent(context.Background(), r.ch(7), "stateMFA")
	if !ok || e.code != 42 {
		t.Errorf("event %+v, %v", e, ok)
	}
	go r.post(7, machineEvent{kind: "stateReleasing"}) // the worker first
	if e, ok := awaitEvent(context.Background(), r.ch(7), "stateReleasing"); !ok || e.kind != "stateReleasing" {
		t.Errorf("event %+v, %v", e, ok)
	}
	r.post(8, machineEvent{kind: "stateCancel"})
	if e, ok := awaitEvent(context.Background(), r.ch(8), "stateReleasing"); ok || e.kind != "stateCancel" {
		t.Errorf("a cancel gave %+v, %v", e, ok)
	}
	for range 10 {
		r.post(9, machineEvent{kind: "stateMFA"}) // never blocks the machine
	}
	r.done(7)
	r.done(8)
	r.done(9)
	if n := r.pending(); n != 0 {
		t.Errorf("%d pending after done", n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if e, ok := awaitEvent(ctx, r.ch(1), "stateMFA"); ok || e.kind != "interrupted" {
		t.Errorf("cancelled wait: %+v", e)
	}
}

func TestMachinePool(t *testing.T) {
	p := newMachinePool(3)
	rng := rand.New(rand.NewPCG(1, 2))
	ctx := context.Background()
	seen := map[int]bool{}
	for range 3 {
		i, ok := p.take(ctx, time.Now().Add(time.Second), rng)
		if !ok || seen[i] {
			t.Fatalf("take = %d, %v (seen %v)", i, ok, seen)
		}
		seen[i] = true
	}
	t0 := time.Now()
	if _, ok := p.take(ctx, time.Now().Add(50*time.Millisecond), rng); ok {
		t.Error("took a machine from an empty pool")
	}
	if time.Since(t0) < 40*time.Millisecond {
		t.Error("did not wait for a machine")
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		time.Sleep(20 * time.Millisecond)
		p.put(1)
	})
	if i, ok := p.take(ctx, time.Now().Add(5*time.Second), rng); !ok || i != 1 {
		t.Errorf("take after a put = %d, %v", i, ok)
	}
	wg.Wait()
}

func TestMachineURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8081":     "ws://127.0.0.1:8081/api/v2/machine",
		"https://bank.example/fair": "wss://bank.example/fair/api/v2/machine",
	} {
		if got := machineURL(in); got != want {
			t.Errorf("machineURL(%s) = %s", in, got)
		}
	}
}

func TestAPIRoundRobin(t *testing.T) {
	var hits [2]int
	var mu sync.Mutex
	var bases []string
	for i := range 2 {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			hits[i]++
			mu.Unlock()
			fmt.Fprint(w, `{"balance":1}`)
		}))
		defer srv.Close()
		bases = append(bases, srv.URL)
	}
	a := newAPI(bases, 2)
	for range 10 {
		if _, err := a.send(t.Context(), "GET", "/api/v2/balance", "", nil); err != nil {
			t.Fatal(err)
		}
	}
	if hits != [2]int{5, 5} {
		t.Errorf("hits %v, want each base in turn", hits)
	}
	if _, err := a.at(bases[1]).balance(t.Context(), ""); err != nil || hits[1] != 6 {
		t.Errorf("at: %v, hits %v", err, hits)
	}
	if d := distinct([]string{"a", "b", "a"}); strings.Join(d, ",") != "a,b" {
		t.Errorf("distinct = %v", d)
	}
}

func TestCheckMachines(t *testing.T) {
	ms := []*benchMachine{{id: 4, initial: 100}, {id: 5, initial: 100}}
	ms[0].released.Store(3)
	ms[1].released.Store(2)
	status := func(id, q, op int64) machineStatus {
		s := machineStatus{ID: id, Connected: true, State: "idle", Operation: op}
		s.Stock = append(s.Stock, struct {
			Slot     int64 `json:"slot"`
			Product  int64 `json:"product"`
			Quantity int64 `json:"quantity"`
		}{machineSlot, 9, q})
		return s
	}
	r := &walletRun{fleet: &fleet{ms: ms, product: 9}, rep: &WalletReport{}}
	r.machines = map[int64]machineStatus{4: status(4, 97, 0), 5: status(5, 98, 0)}
	cs := r.checkMachines()
	if len(cs) != 2 || !cs[0].OK || !cs[1].OK {
		t.Fatalf("checks %+v", cs)
	}
	r.machines[5] = status(5, 99, 31) // busy, and one sale too few
	cs = r.checkMachines()
	if cs[0].OK || cs[1].OK || !strings.Contains(cs[1].Detail, "machine 5: 100 → 99 for 2 released") {
		t.Errorf("checks %+v", cs)
	}
	r.players = make([]player, 2)
	r.rep.Kinds[kCredit].Statuses = map[int]int64{}
	if c := r.ledger(2*fundValue - 5*machinePrice); !c.OK || !strings.Contains(c.Name, "purchases") {
		t.Errorf("ledger with purchases: %+v", c)
	}
	r.machines = nil
	if cs := r.checkMachines(); cs[0].OK || cs[1].OK {
		t.Errorf("unread machines passed: %+v", cs)
	}
}
