package coinop

import (
	"context"
	"strconv"
	"time"
)

// Symbols are the ticker's instruments, in the fixed order of every frame.
var Symbols = []string{"BTC-USD", "ETH-USD", "SOL-USD"}

// Cents is a price in hundredths of a dollar.
type Cents int64

// String formats c as a decimal with two places, e.g. "42000.00".
func (c Cents) String() string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	frac := strconv.FormatInt(int64(c%100), 10)
	if len(frac) == 1 {
		frac = "0" + frac
	}
	return sign + strconv.FormatInt(int64(c/100), 10) + "." + frac
}

// Price is one instrument's price at a moment.
type Price struct {
	Symbol string
	Price  Cents
	Time   time.Time
}

// PriceSource yields the current prices, one per symbol in Symbols order.
type PriceSource interface {
	// Prices returns the prices for the tick at now.
	Prices(ctx context.Context, now time.Time) []Price
}

// Tick is one broadcast of prices. Seq increases by one per tick, so a
// client can see a gap.
type Tick struct {
	Seq    uint64
	Prices []Price
}
