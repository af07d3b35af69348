package inmem_test

import (
	"testing"

	"github.com/coinop/coinop"
	"github.com/coinop/coinop/bustest"
	"github.com/coinop/coinop/inmem"
)

func TestBus(t *testing.T) {
	bustest.Run(t, func(t *testing.T) (coinop.Bus, coinop.Bus) {
		b := inmem.NewBus()
		return b, b
	})
}
