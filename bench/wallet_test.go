package bench

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseMix(t *testing.T) {
	for in, want := range map[string]Mix{
		"transfer=70,credit=10,balance=20": {70, 10, 20},
		"transfer=100":                     {100, 0, 0},
		" balance=1 , transfer=3":          {3, 0, 1},
		"credit=2,credit=3":                {0, 5, 0},
	} {
		got, err := ParseMix(in)
		if err != nil || got != want {
			t.Errorf("ParseMix(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "transfer", "transfer=x", "transfer=-1", "refund=5", "transfer=0,credit=0", "transfer=70;credit=30"} {
		if m, err := ParseMix(in); err == nil {
			t.Errorf("ParseMix(%q) = %v, want an error", in, m)
		}
	}
	if s := (Mix{70, 0, 30}).String(); s != "transfer=70,balance=30" {
		t.Errorf("String = %q", s)
	}
}

func TestMixPick(t *testing.T) {
	m := Mix{7, 1, 2}
	var got [numMix]int
	for r := range m.total() {
		got[m.pick(r)]++
	}
	if got != [numMix]int{7, 1, 2} {
		t.Errorf("picks %v, want the weights", got)
	}
	if k := (Mix{0, 0, 5}).pick(0); k != kBalance {
		t.Errorf("pick with only balance = %v", k)
	}
}

func TestWalletValidate(t *testing.T) {
	if err := DefaultWalletOptions().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for name, edit := range map[string]func(*WalletOptions){
		"one player":       func(o *WalletOptions) { o.Players = 1 },
		"no worker":        func(o *WalletOptions) { o.Concurrency = 0 },
		"short window":     func(o *WalletOptions) { o.Duration = time.Millisecond },
		"public issuer":    func(o *WalletOptions) { o.IssuerAddr = "0.0.0.0:18095" },
		"issuer sans port": func(o *WalletOptions) { o.IssuerAddr = "127.0.0.1" },
		"bad mix":          func(o *WalletOptions) { o.Mix = "x=1" },
		"ws url":           func(o *WalletOptions) { o.URL = "ws://127.0.0.1:8081" },
	} {
		o := DefaultWalletOptions()
		edit(&o)
		if o.Validate() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestProgramTB(t *testing.T) {
	tb := &programTB{}
	var order []int
	tb.Cleanup(func() { order = append(order, 1) })
	tb.Cleanup(func() { order = append(order, 2) })
	err := guard(func() { tb.Fatal("no ", "luck"); t.Error("Fatal returned") })
	if err == nil || err.Error() != "no luck" {
		t.Errorf("guard = %v", err)
	}
	if err := guard(func() {}); err != nil {
		t.Errorf("guard of a normal return = %v", err)
	}
	tb.cleanup()
	tb.cleanup() // once each
	if len(order) != 2 || order[0] != 2 || order[1] != 1 {
		t.Errorf("cleanups ran in order %v, want [2 1]", order)
	}
	defer func() {
		if r := recover(); r != "other" {
			t.Errorf("recovered %v, want the other panic to go on", r)
		}
	}()
	guard(func() { panic("other") })
}

func TestWalletChecks(t *testing.T) {
	b := bankStatus{Balance: 900, Held: 20, Issued: 1000}
	if c := conservation(80, b); !c.OK {
		t.Errorf("80 + 900 + 20 = 1000 refused: %+v", c)
	}
	if c := conservation(81, b); c.OK {
		t.Errorf("81 + 900 + 20 = 1000 accepted: %+v", c)
	}
	if c := nonNegative(-1, b); c.OK {
		t.Error("a negative balance accepted")
	}
	r := &walletRun{players: make([]player, 2), rep: &WalletReport{Credited: 7, Setup: Setup{Before: 3}}}
	r.rep.Kinds[kCredit].Statuses = map[int]int64{201: 4}
	if c := r.ledger(3 + 2*fundValue + 7); !c.OK || c.Skipped {
		t.Errorf("ledger: %+v", c)
	}
	if c := r.ledger(3 + 2*fundValue + 6); c.OK {
		t.Errorf("a lost credit passed: %+v", c)
	}
	r.rep.Kinds[kCredit].Statuses[503] = 1
	if c := r.ledger(0); !c.Skipped {
		t.Errorf("ledger with an unanswered credit: %+v", c)
	}
	r.rep.Checks = []Check{r.noServerErrors()}
	if err := r.rep.Err(); err == nil || !strings.Contains(err.Error(), "5xx") {
		t.Errorf("Err = %v, want the 5xx", err)
	}
}

func TestStatusText(t *testing.T) {
	if s := statusText(map[int]int64{402: 3, 0: 1, 201: 70}); s != "err:1 201:70 402:3" {
		t.Errorf("statusText = %q", s)
	}
}

func TestRetryableLogin(t *testing.T) {
	for body, want := range map[string]bool{
		`{"error":"unauthorized","message":"ID token signed by an unknown key"}`: true,
		`{"error":"unauthorized","message":"sign-in provider unavailable"}`:      true,
		`{"error":"unauthorized","message":"ID token for another client"}`:       false,
	} {
		if got := retryableLogin(&apiError{"POST", "/api/v2/login", 401, body}); got != want {
			t.Errorf("%s: retry %v", body, got)
		}
	}
	if retryableLogin(errors.New("connection refused")) {
		t.Error("a transport error retried")
	}
}

func TestCheckStore(t *testing.T) {
	r := &walletRun{}
	if c := r.checkStore(t.Context()); !c.Skipped || !c.OK {
		t.Errorf("no CheckStore: %+v, want skipped", c)
	}
	r.o.CheckStore = func(context.Context) error { return errors.New("invariant: person 7") }
	if c := r.checkStore(t.Context()); c.OK || !strings.Contains(c.Detail, "person 7") {
		t.Errorf("failing CheckStore: %+v", c)
	}
}
