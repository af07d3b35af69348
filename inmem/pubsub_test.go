package inmem_test

import (
	"testing"
	"time"

	"github.com/coinop/coinop/inmem"
)

func TestPubSub(t *testing.T) {
	p := inmem.NewPubSub()
	a, cancelA := p.Subscribe("t")
	b, cancelB := p.Subscribe("t")
	other, cancelO := p.Subscribe("u")
	defer cancelO()
	p.Publish("t", []byte("1"))
	for _, ch := range []<-chan []byte{a, b} {
		select {
		case m := <-ch:
			if string(m) != "1" {
				t.Fatalf("got %q", m)
			}
		case <-time.After(time.Second):
			t.Fatal("not delivered")
		}
	}
	select {
	case m := <-other:
		t.Fatalf("other topic got %q", m)
	default:
	}
	cancelB()
	cancelB()
	// A subscriber that never reads does not block publishing.
	done := make(chan struct{})
	go func() {
		for range 1000 {
			p.Publish("t", []byte("x"))
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Publish blocked on a slow subscriber")
	}
	if p.Dropped.Load() == 0 {
		t.Fatal("nothing counted as dropped")
	}
	cancelA()
}
