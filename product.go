package coinop

import (
	"context"
	"time"
)

// ProductType is what a product is.
type ProductType string

// Product types, as in the reference database.
const (
	TypeGames  ProductType = "games"
	TypeFoods  ProductType = "foods"
	TypeArcade ProductType = "arcade"
)

// Valid reports whether t is a known type.
func (t ProductType) Valid() bool { return t == TypeGames || t == TypeFoods || t == TypeArcade }

// Product is a game (which pays credits), a food sold by a vending machine,
// or an arcade credit.
type Product struct {
	ID          int64
	Name        string
	Description string
	Type        ProductType
	Image       string
	URL         string
	Price       int64
	ClientIDs   []string // games only: the OAuth clients allowed to pay out for it
	PayoutLimit int64    // games only: largest credit; 0 means the server's default
	Stock       int64    // total over machines (read-only)
}

// ProductUpdate changes the fields that are set.
type ProductUpdate struct {
	Name, Description, Image, URL *string
	Price, PayoutLimit            *int64
	ClientIDs                     *[]string
}

// ProductService manages the catalogue.
type ProductService interface {
	CreateProduct(ctx context.Context, actorID int64, p *Product) error
	UpdateProduct(ctx context.Context, actorID, id int64, u ProductUpdate) (*Product, error)
	Product(ctx context.Context, id int64) (*Product, error)
	// Products lists every product with its total stock; games lists only
	// games.
	Products(ctx context.Context, t ProductType) ([]*Product, error)
}

// MachineKind is a vending machine or an arcade.
type MachineKind string

// Machine kinds.
const (
	KindVending MachineKind = "vending"
	KindArcade  MachineKind = "arcade"
)

// Machine is a vending machine or an arcade with its own credential.
type Machine struct {
	ID          int64
	Name        string
	Kind        MachineKind
	Description string
	Location    string
	KeyID       int64
	CreatedAt   time.Time
}

// Stock is what a machine holds in one slot.
type Stock struct {
	MachineID int64
	Slot      int64
	ProductID int64
	Quantity  int64
}

// MachineService manages machines and their stock.
type MachineService interface {
	// CreateMachine records m and makes its API key, returned once.
	CreateMachine(ctx context.Context, actorID int64, m *Machine) (apiKey string, err error)
	Machines(ctx context.Context) ([]*Machine, error)
	SetStock(ctx context.Context, actorID int64, s Stock) error
	MachineStock(ctx context.Context, machineID int64) ([]Stock, error)
}

// AuditEntry records one change an operator made.
type AuditEntry struct {
	ID        int64
	ActorID   int64
	Action    string
	Detail    string // JSON
	CreatedAt time.Time
}

// AuditService lists the audit trail, newest first.
type AuditService interface {
	Audit(ctx context.Context, limit int) ([]*AuditEntry, error)
}
