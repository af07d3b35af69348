package http

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/coinop/coinop"
)

// TestStatementEntryMachine: a debit made at a machine names the machine
// and its slot (slot 0 included) in a "machine" key after every older key,
// in statement lines and in events (after the stage); other operations
// have no "machine" key.
func TestStatementEntryMachine(t *testing.T) {
	s := &Server{opts: Options{Bank: BankOptions{Location: time.UTC}}}
	at := time.Date(2024, 10, 1, 12, 0, 0, 0, time.UTC)
	debit := &coinop.Operation{ID: 7, Kind: coinop.OpDebit, FromID: 2, FromName: "Ana", ToID: 1, ToName: "Banco",
		ProductID: 3, ProductName: "Chips", Value: 5, Status: coinop.StatusUnknown, CreatedAt: at,
		MachineID: 4, MachineName: "Vending 1", MachineKind: coinop.KindVending, Slot: 0}
	credit := &coinop.Operation{ID: 8, Kind: coinop.OpCredit, FromID: 1, FromName: "Banco", ToID: 2, ToName: "Ana",
		Value: 10, Status: coinop.StatusCompleted, CreatedAt: at}

	got, _ := json.Marshal(s.statementEntries([]*coinop.Operation{debit, credit}))
	want := `[{"operation":7,"kind":"debit","from":"Ana","to":"Banco","product":"Chips","value":5,` +
		`"timestamp":"2024-10-01T12:00:00.000+00:00","completed":false,"from_id":2,"to_id":1,"product_id":3,"status":"unknown",` +
		`"machine":{"id":4,"name":"Vending 1","kind":"vending","slot":0}},` +
		`{"operation":8,"kind":"credit","from":"Banco","to":"Ana","product":"","value":10,` +
		`"timestamp":"2024-10-01T12:00:00.000+00:00","completed":true,"from_id":1,"to_id":2,"product_id":0,"status":"completed"}]`
	if string(got) != want {
		t.Errorf("statement:\n got %s\nwant %s", got, want)
	}

	entry := s.statementEntries([]*coinop.Operation{debit})[0]
	got, _ = json.Marshal(operationEvent{entry, "releasing", entry.Machine})
	want = `{"operation":7,"kind":"debit","from":"Ana","to":"Banco","product":"Chips","value":5,` +
		`"timestamp":"2024-10-01T12:00:00.000+00:00","completed":false,"from_id":2,"to_id":1,"product_id":3,"status":"unknown",` +
		`"stage":"releasing","machine":{"id":4,"name":"Vending 1","kind":"vending","slot":0}}`
	if string(got) != want {
		t.Errorf("event:\n got %s\nwant %s", got, want)
	}
}
