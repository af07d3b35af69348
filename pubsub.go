package coinop

import (
	"context"
	"strconv"
)

// PubSub carries events between the parts of coinop (and, with NATS,
// between instances). Publish never blocks: a subscriber that cannot keep
// up loses messages rather than slowing anyone down.
type PubSub interface {
	Publish(topic string, data []byte)
	// Subscribe returns the messages published on topic from now on, and
	// a function that ends the subscription.
	Subscribe(topic string) (<-chan []byte, func())
}

// Bus is a PubSub with request and reply: for a command that must reach
// the one instance able to carry it out, and be acknowledged.
type Bus interface {
	PubSub
	// Request sends data to the handler of topic and returns its answer;
	// an error when no handler answers in time.
	Request(ctx context.Context, topic string, data []byte) ([]byte, error)
	// Handle answers requests on topic until the returned stop is called.
	Handle(topic string, fn func(data []byte) []byte) (stop func(), err error)
}

// PersonTopic is the topic of a person's live events.
func PersonTopic(personID int64) string { return "coinop.person." + strconv.FormatInt(personID, 10) }

// MachineTopic is the topic of commands for a machine: handled by the
// instance that holds its socket.
func MachineTopic(machineID int64) string {
	return "coinop.machine." + strconv.FormatInt(machineID, 10)
}

// TickerTopic carries the ticker's frames from the one publishing instance.
const TickerTopic = "coinop.ticker"
