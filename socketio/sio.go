package socketio

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
)

// Socket.IO v5 packet types.
const (
	sioConnect      = 0
	sioDisconnect   = 1
	sioEvent        = 2
	sioAck          = 3
	sioConnectError = 4
	sioBinaryEvent  = 5
	sioBinaryAck    = 6
)

// sioPacket is one Socket.IO packet, without binary attachments.
type sioPacket struct {
	typ         int
	namespace   string // "/" for the main namespace
	attachments int    // binary packets only
	id          int64  // the ack id, when hasID
	hasID       bool
	data        json.RawMessage // nil when absent
}

var errBadSIO = errors.New("socket.io: malformed packet")

// encode writes the packet in the default parser's text form:
// type[attachments-][/namespace,][id][json].
func (p sioPacket) encode() []byte {
	b := strconv.AppendInt(nil, int64(p.typ), 10)
	if p.typ == sioBinaryEvent || p.typ == sioBinaryAck {
		b = append(strconv.AppendInt(b, int64(p.attachments), 10), '-')
	}
	if p.namespace != "" && p.namespace != "/" {
		b = append(append(b, p.namespace...), ',')
	}
	if p.hasID {
		b = strconv.AppendInt(b, p.id, 10)
	}
	return append(b, p.data...)
}

// decodeSIO parses the text form of a packet. The data must be JSON.
func decodeSIO(b []byte) (sioPacket, error) {
	if len(b) == 0 || b[0] < '0' || b[0] > '6' {
		return sioPacket{}, errBadSIO
	}
	p := sioPacket{typ: int(b[0] - '0'), namespace: "/"}
	b = b[1:]
	if p.typ == sioBinaryEvent || p.typ == sioBinaryAck {
		dash := bytes.IndexByte(b, '-')
		n, err := strconv.Atoi(string(b[:max(dash, 0)]))
		if dash < 1 || err != nil || n < 0 {
			return sioPacket{}, errBadSIO
		}
		p.attachments, b = n, b[dash+1:]
	}
	if len(b) > 0 && b[0] == '/' {
		end := bytes.IndexByte(b, ',')
		if end < 0 {
			end = len(b)
		}
		p.namespace = string(b[:end])
		if q := bytes.IndexByte(b[:end], '?'); q >= 0 {
			p.namespace = string(b[:q])
		}
		b = b[min(end+1, len(b)):]
	}
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	if i > 0 {
		id, err := strconv.ParseInt(string(b[:i]), 10, 64)
		if err != nil {
			return sioPacket{}, errBadSIO
		}
		p.id, p.hasID, b = id, true, b[i:]
	}
	if len(b) > 0 {
		if !json.Valid(b) {
			return sioPacket{}, errBadSIO
		}
		p.data = json.RawMessage(b)
	}
	return p, nil
}

// eventArgs splits an EVENT's data, a non-empty array whose first element
// is the event's name.
func eventArgs(data json.RawMessage) (string, []json.RawMessage, error) {
	var arr []json.RawMessage
	if json.Unmarshal(data, &arr) != nil || len(arr) == 0 {
		return "", nil, errBadSIO
	}
	var name string
	if json.Unmarshal(arr[0], &name) != nil {
		return "", nil, errBadSIO
	}
	return name, arr[1:], nil
}
