package coinop

// PubSub carries events between the parts of coinop (and, with NATS,
// between instances). Publish never blocks: a subscriber that cannot keep
// up loses messages rather than slowing anyone down.
type PubSub interface {
	Publish(topic string, data []byte)
	// Subscribe returns the messages published on topic from now on, and
	// a function that ends the subscription.
	Subscribe(topic string) (<-chan []byte, func())
}

// PersonTopic is the topic of a person's live events.
func PersonTopic(personID int64) string { return "person." + itoa(personID) }

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
