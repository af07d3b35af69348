package coinop

import (
	"context"
	"time"
)

// DebitRequest: a person buys a product at a machine (MachineID 0: the
// connected, idle machine with the product in stock, lowest id first).
type DebitRequest struct {
	PersonID    int64
	ProductID   int64
	MachineID   int64
	Code        int           // the 2-digit code the machine will show (vending)
	CodeTimeout time.Duration // how long the code is valid (vending)
	CoinTimeout time.Duration // how long the arcade has to confirm the coin
	Idem        Idempotency
}

// Command is what the server must tell a machine after a change: the
// operation, its machine, slot and kind, and the buyer's first name.
type Command struct {
	Op        *Operation
	MachineID int64
	Kind      MachineKind
	Slot      int64
	Username  string
	Code      int
}

// MFARequest: the buyer confirms the code shown by the machine.
type MFARequest struct {
	PersonID    int64
	OperationID int64
	Code        int
	MaxAttempts int
	// ReportTimeout is how long the machine has to report the release
	// before the operation is marked unknown.
	ReportTimeout time.Duration
}

// MachineReport is a message from a machine about its state.
type MachineReport struct {
	MachineID   int64
	State       string // idle, mfa, releasing; "coin" for an arcade's coinInserted
	OperationID int64
	Arcade      int64 // coinInserted's arcade number (the slot)
}

// Settled is an operation whose status a call changed, with what the
// machine must be told (Cancel: leave the code screen).
type Settled struct {
	Op        *Operation
	MachineID int64
	Cancel    bool
}

// MachineStatus is what operators see of a machine.
type MachineStatus struct {
	Machine
	State       string
	OperationID int64
	LastContact time.Time
	Connected   bool
}

// VendingService sells at machines. Every method is one transaction.
type VendingService interface {
	Debit(ctx context.Context, req DebitRequest) (*Command, error)
	// ConfirmMFA releases the product if the code matches; a wrong code
	// counts an attempt (committed) and answers EFORBIDDEN, voiding the
	// operation at the last attempt (then Settled says so).
	ConfirmMFA(ctx context.Context, req MFARequest) (*Command, *Settled, error)
	// Report applies a machine's report. It returns the operation it
	// settled, if any; EINVALID for a report naming another machine's
	// operation or an illegal transition (nothing changes).
	Report(ctx context.Context, r MachineReport) (*Settled, error)
	// MachineByKey returns the machine whose API key this is.
	MachineByKey(ctx context.Context, keyID int64) (*Machine, error)
	// Connected records that a machine holds a socket until lease ends;
	// Disconnected voids its operation waiting for a code and frees it.
	Connected(ctx context.Context, machineID int64, lease time.Time) error
	Disconnected(ctx context.Context, machineID int64) ([]*Settled, error)
	// Void voids a pending operation that was never released (for a
	// command that could not be delivered).
	Void(ctx context.Context, opID int64, reason string) (*Settled, error)
	// Expire voids operations whose code or coin timed out and marks
	// unknown those released without a report in time.
	Expire(ctx context.Context) ([]*Settled, error)
	// Settle completes or refunds an unknown operation (an operator).
	Settle(ctx context.Context, actorID, opID int64, complete bool) (*Settled, error)
	Operations(ctx context.Context, status OpStatus, limit int) ([]*Operation, error)
	MachineStatuses(ctx context.Context) ([]*MachineStatus, error)
	// RotateMachineKey gives a machine a new key and revokes the old one.
	RotateMachineKey(ctx context.Context, actorID, machineID int64) (newKey string, oldKeyID int64, err error)
}
