package nats_test

import (
	"io"
	"log/slog"
	"os"
	"testing"

	"github.com/coinop/coinop"
	"github.com/coinop/coinop/bustest"
	"github.com/coinop/coinop/nats"
)

// natsURL is the NATS server of COINOP_TEST_NATS; unset, the test skips,
// except under CI=true where it fails.
func natsURL(t *testing.T) string {
	u := os.Getenv("COINOP_TEST_NATS")
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but COINOP_TEST_NATS is not set")
		}
		t.Skip("COINOP_TEST_NATS not set: skipping NATS tests")
	}
	return u
}

func TestBus(t *testing.T) {
	url := natsURL(t)
	bustest.Run(t, func(t *testing.T) (coinop.Bus, coinop.Bus) {
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		a, err := nats.Open(url, log)
		if err != nil {
			t.Fatal(err)
		}
		b, err := nats.Open(url, log)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close(); b.Close() })
		return a, b
	})
}
