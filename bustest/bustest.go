// Package bustest is the contract suite every coinop.Bus passes.
package bustest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/coinop/coinop"
)

// Open returns two buses that reach each other (two instances); for the
// in-process bus, the same one twice.
type Open func(t *testing.T) (a, b coinop.Bus)

// Run runs the suite.
func Run(t *testing.T, open Open) {
	t.Run("FanOut", func(t *testing.T) { testFanOut(t, open) })
	t.Run("RequestReply", func(t *testing.T) { testRequestReply(t, open) })
	t.Run("SlowSubscriber", func(t *testing.T) { testSlow(t, open) })
}

func recv(t *testing.T, ch <-chan []byte) string {
	t.Helper()
	select {
	case m := <-ch:
		return string(m)
	case <-time.After(5 * time.Second):
		t.Fatal("no message")
	}
	return ""
}

func topic(t *testing.T, name string) string {
	return fmt.Sprintf("coinop.test.%s.%d", name, time.Now().UnixNano())
}

func testFanOut(t *testing.T, open Open) {
	a, b := open(t)
	tp := topic(t, "fanout")
	s1, stop1 := a.Subscribe(tp)
	defer stop1()
	s2, stop2 := b.Subscribe(tp)
	defer stop2()
	other, stopO := b.Subscribe(tp + ".other")
	defer stopO()
	time.Sleep(50 * time.Millisecond) // subscriptions propagate
	for i := range 3 {
		a.Publish(tp, []byte(fmt.Sprint(i)))
	}
	for _, ch := range []<-chan []byte{s1, s2} {
		for i := range 3 {
			if got := recv(t, ch); got != fmt.Sprint(i) {
				t.Fatalf("message %d: %q, in order expected", i, got)
			}
		}
	}
	select {
	case m := <-other:
		t.Fatalf("another topic received %q", m)
	case <-time.After(100 * time.Millisecond):
	}
}

func testRequestReply(t *testing.T, open Open) {
	a, b := open(t)
	tp := topic(t, "req")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := a.Request(ctx, tp, []byte("x")); err == nil {
		t.Fatal("a request without a handler succeeded")
	}
	stop, err := b.Handle(tp, func(d []byte) []byte { return append([]byte("ok:"), d...) })
	if err != nil {
		t.Fatal(err)
	}
	got, err := a.Request(ctx, tp, []byte("hi"))
	if err != nil || string(got) != "ok:hi" {
		t.Fatalf("Request = %q, %v", got, err)
	}
	stop()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel2()
	if _, err := a.Request(ctx2, tp, []byte("x")); err == nil {
		t.Fatal("a request after the handler stopped succeeded")
	}
}

func testSlow(t *testing.T, open Open) {
	a, _ := open(t)
	tp := topic(t, "slow")
	_, stop := a.Subscribe(tp) // never read
	defer stop()
	done := make(chan struct{})
	go func() {
		for range 5000 {
			a.Publish(tp, []byte("x"))
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Publish blocked on a subscriber that does not read")
	}
}
