package coinop

import (
	"context"
	"time"
)

// OpKind says what an operation did.
type OpKind string

// Operation kinds.
const (
	OpIssue    OpKind = "issue"    // new money to the bank
	OpCredit   OpKind = "credit"   // the bank pays a person (a game's payout, or an operator's credit)
	OpTransfer OpKind = "transfer" // one person pays another
	OpDebit    OpKind = "debit"    // a person buys at a machine; the money returns to the bank
)

// OpStatus is an operation's state. Completed and voided are final: a
// final operation never changes again.
type OpStatus string

// Operation states.
const (
	StatusPending   OpStatus = "pending"   // money held, waiting for the machine
	StatusCompleted OpStatus = "completed" // money moved
	StatusVoided    OpStatus = "voided"    // hold released, nothing moved
	StatusUnknown   OpStatus = "unknown"   // the machine never reported: an operator settles it
)

// Operation is one movement of money, append-only.
type Operation struct {
	ID          int64
	Kind        OpKind
	FromID      int64 // 0 for issue
	FromName    string
	ToID        int64
	ToName      string
	ProductID   int64 // 0 when none
	ProductName string
	Value       int64
	Status      OpStatus
	Reason      string
	CreatedAt   time.Time
	// MachineID is the machine of a debit made at one; 0 for every other
	// operation, and then MachineName, MachineKind and Slot are empty.
	MachineID   int64
	MachineName string
	MachineKind MachineKind
	// Slot is the machine's slot (an arcade's number) the debit was for.
	// Slot 0 is a slot: only MachineID says whether there is one.
	Slot int64
	// After holds the balances of both sides right after the write that
	// made the operation, when that write knows them; nil otherwise.
	After *Balances
}

// Balances are the available balances of an operation's two sides.
type Balances struct{ From, To int64 }

// Completed reports whether the money has moved.
func (o *Operation) Completed() bool { return o.Status == StatusCompleted }

// Idempotency identifies a request that may be retried: the same key and
// request hash from the same person get the first answer again, while the
// same key with another hash is refused with EIDEMPOTENCY.
type Idempotency struct {
	Key  string // the Idempotency-Key header; "" when absent
	Hash []byte // a hash of what the request asks
}

// CreditRequest: a game pays a person.
type CreditRequest struct {
	PersonID  int64
	ProductID int64
	ClientID  string        // the OAuth client of the game's token
	Value     int64         //
	Limit     int64         // largest credit unless the game sets its own
	Window    time.Duration // one credit per game and person per window; 0 turns it off
	Idem      Idempotency
}

// TransferRequest: a person pays another.
type TransferRequest struct {
	FromID, ToID int64
	Value        int64
	Window       time.Duration // one transfer per sender per window; 0 turns it off
	Idem         Idempotency
}

// AdminCreditRequest: an operator credits a person from the bank, or (when
// ToID is BankID) issues new money.
type AdminCreditRequest struct {
	ActorID int64
	ToID    int64
	Value   int64
	Reason  string
	Idem    Idempotency
}

// BankStatus is the central bank's position.
type BankStatus struct {
	Balance int64 `json:"balance"` // available to pay credits
	Held    int64 `json:"held"`
	Issued  int64 `json:"issued"` // all money ever issued
}

// StatementQuery pages through a person's operations, newest first.
type StatementQuery struct {
	PersonID int64
	Limit    int
	Before   int64 // only operations with a smaller id; 0 for the newest
}

// WalletService moves money. Each method is one transaction; every rule
// (balances, windows, idempotency) is enforced inside it.
type WalletService interface {
	Credit(ctx context.Context, req CreditRequest) (*Operation, error)
	Transfer(ctx context.Context, req TransferRequest) (*Operation, error)
	AdminCredit(ctx context.Context, req AdminCreditRequest) (*Operation, error)
	// Balance returns a person's available balance.
	Balance(ctx context.Context, personID int64) (int64, error)
	Statement(ctx context.Context, q StatementQuery) ([]*Operation, error)
	// Operation returns one operation with its names.
	Operation(ctx context.Context, id int64) (*Operation, error)
	Bank(ctx context.Context) (*BankStatus, error)
	// CheckInvariants verifies that balances plus holds equal the money
	// issued, that no balance is negative, and that every stored balance
	// and hold equals what the operation history gives.
	CheckInvariants(ctx context.Context) error
	// PruneIdempotencyKeys forgets Idempotency-Keys older than a day.
	PruneIdempotencyKeys(ctx context.Context) (int64, error)
}
