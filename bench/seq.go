package bench

import (
	"bytes"
	"math"
)

var seqKey = []byte(`"seq":`)

// ParseSeq returns the sequence number of a ticker frame: the unsigned
// integer after the first "seq": key. It does not decode the JSON, so it
// costs one scan of the frame's first bytes. ok is false when the frame has
// no such key (welcome, pong) or the number is malformed or too large.
func ParseSeq(frame []byte) (seq uint64, ok bool) {
	i := bytes.Index(frame, seqKey)
	if i < 0 {
		return 0, false
	}
	rest := frame[i+len(seqKey):]
	for len(rest) > 0 && rest[0] == ' ' {
		rest = rest[1:]
	}
	n := 0
	for ; n < len(rest); n++ {
		c := rest[n]
		if c < '0' || c > '9' {
			break
		}
		d := uint64(c - '0')
		if seq > (math.MaxUint64-d)/10 {
			return 0, false
		}
		seq = seq*10 + d
	}
	return seq, n > 0
}
