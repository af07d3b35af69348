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

// machineMessage is a decoded frame from a machine.
type machineMessage struct {
	name        string
	stateUpdate stateUpdateMsg
	coin        coinInsertedMsg
}

var errMalformed = errors.New("a frame must be a JSON object with exactly one key: stateUpdate or coinInserted")

// parseMachineFrame decodes a frame from a machine.
func parseMachineFrame(data []byte) (*machineMessage, error) {
	var outer map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&outer); err != nil || len(outer) != 1 || dec.More() {
		return nil, errMalformed
	}
	m := &machineMessage{}
	for name, raw := range outer {
		m.name = name
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
	}
	return m, nil
}
