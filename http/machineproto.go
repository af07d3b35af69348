package http

import (
	"bytes"
	"encoding/json"
	"errors"
)

// The machine protocol's messages (api/asyncapi.yaml). Each frame is one
// JSON object with one key, the message name. Payload fields are declared
// in the order machine.json lists them: the fair's machine programs read
// them by position.
type (
	stateMFAMsg struct {
		Username  string `json:"username"`
		Code      int    `json:"code"`
		Operation int64  `json:"operation"`
	}
	stateReleasingMsg struct {
		Product   int64 `json:"product"` // the slot, as the machines expect
		Operation int64 `json:"operation"`
	}
	coinInsertMsg struct {
		Arcade    int64 `json:"arcade"`
		Coins     int   `json:"coins"`
		Operation int64 `json:"operation"`
	}
	stateCancelMsg struct {
		Operation int64  `json:"operation"`
		Reason    string `json:"reason"`
	}
	stateUpdateMsg struct {
		State     string `json:"state"`
		Operation Int    `json:"operation"`
	}
	coinInsertedMsg struct {
		Arcade    Int `json:"arcade"`
		Operation Int `json:"operation"`
	}
	errorMsg struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
)

// machineFrame encodes {"name": v}.
func machineFrame(name string, v any) []byte {
	b, _ := json.Marshal(map[string]any{name: v}) // one key: no ordering question
	return b
}

// joinFrame is the frame of a message whose payload is already encoded:
// the same bytes as machineFrame.
func joinFrame(name string, payload json.RawMessage) []byte {
	n, _ := json.Marshal(name)
	b := make([]byte, 0, len(n)+len(payload)+3)
	b = append(append(append(b, '{'), n...), ':')
	return append(append(b, payload...), '}')
}

// machineMessage is a decoded message from a machine.
type machineMessage struct {
	name        string
	stateUpdate stateUpdateMsg
	coin        coinInsertedMsg
}

var errMalformed = errors.New("a frame must be a JSON object with exactly one key: stateUpdate or coinInserted")

// splitFrame reads a frame: a JSON object with exactly one key, the
// message name, whose value is the payload (kept as written).
func splitFrame(data []byte) (string, json.RawMessage, error) {
	var outer map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&outer); err != nil || len(outer) != 1 || dec.More() {
		return "", nil, errMalformed
	}
	for name, raw := range outer {
		return name, raw, nil
	}
	return "", nil, errMalformed
}

// parseMachineMessage decodes a message from a machine, whatever carried
// it (a WebSocket frame, a Socket.IO event).
func parseMachineMessage(name string, raw json.RawMessage) (*machineMessage, error) {
	m := &machineMessage{name: name}
	switch name {
	case "stateUpdate":
		if json.Unmarshal(raw, &m.stateUpdate) != nil || m.stateUpdate.State == "" {
			return nil, errors.New("stateUpdate needs state and operation")
		}
	case "coinInserted":
		if json.Unmarshal(raw, &m.coin) != nil || !m.coin.Operation.Set {
			return nil, errors.New("coinInserted needs arcade and operation")
		}
	default:
		return nil, errors.New("unknown message " + name)
	}
	return m, nil
}
