package socketio

import (
	"bytes"
	"encoding/base64"
	"errors"
)

// Engine.IO v4 packet types, as the digit that starts an encoded packet.
const (
	eioOpen    byte = '0'
	eioClose   byte = '1'
	eioPing    byte = '2'
	eioPong    byte = '3'
	eioMessage byte = '4'
	eioUpgrade byte = '5'
	eioNoop    byte = '6'
)

// recordSeparator separates the packets of a polling body (Engine.IO v4).
const recordSeparator = 0x1e

// eioPacket is one Engine.IO packet.
type eioPacket struct {
	typ    byte
	data   []byte
	binary bool // a binary message: raw bytes on a WebSocket, "b"+base64 when polling
}

var errBadPacket = errors.New("engine.io: malformed packet")

// encode writes the packet as text: its type and data, or "b" and base64
// for a binary message (the polling form).
func (p eioPacket) encode() []byte {
	if p.binary {
		out := make([]byte, 1+base64.StdEncoding.EncodedLen(len(p.data)))
		out[0] = 'b'
		base64.StdEncoding.Encode(out[1:], p.data)
		return out
	}
	out := make([]byte, 0, 1+len(p.data))
	return append(append(out, p.typ), p.data...)
}

// decodeEIO reads one text-encoded packet.
func decodeEIO(b []byte) (eioPacket, error) {
	if len(b) == 0 {
		return eioPacket{}, errBadPacket
	}
	if b[0] == 'b' {
		data, err := base64.StdEncoding.DecodeString(string(b[1:]))
		if err != nil {
			return eioPacket{}, errBadPacket
		}
		return eioPacket{typ: eioMessage, data: data, binary: true}, nil
	}
	if b[0] < eioOpen || b[0] > eioNoop {
		return eioPacket{}, errBadPacket
	}
	return eioPacket{typ: b[0], data: b[1:]}, nil
}

// encodePayload joins packets for a polling response.
func encodePayload(ps []eioPacket) []byte {
	var buf bytes.Buffer
	for i, p := range ps {
		if i > 0 {
			buf.WriteByte(recordSeparator)
		}
		buf.Write(p.encode())
	}
	return buf.Bytes()
}

// decodePayload splits a polling request body into packets.
func decodePayload(body []byte) ([]eioPacket, error) {
	if len(body) == 0 {
		return nil, errBadPacket
	}
	var out []eioPacket
	for _, part := range bytes.Split(body, []byte{recordSeparator}) {
		p, err := decodeEIO(part)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}
