package coinop

import (
	"context"
	"time"
)

// ImportData is a snapshot of the fair's previous server (v2), in v2's own
// ids, whatever it was read from (coinop import v2 reads its PostgreSQL
// database). The store decides how it maps into coinop.
type ImportData struct {
	// Source says where the data was read, for the import record. It must
	// hold no secret (a URL without its password).
	Source     string
	People     []ImportPerson
	Types      []ImportType
	Products   []ImportProduct
	Machines   []ImportMachine
	Stock      []ImportStock
	Operations []ImportOperation
}

// ImportPerson is a row of v2's people.
type ImportPerson struct {
	ID          int64
	Name, Email string
	Operator    bool
}

// ImportType is a row of v2's product types (games, foods, arcade).
type ImportType struct {
	ID   int64
	Name string
}

// ImportProduct is a row of v2's products; Type is a v2 type id.
type ImportProduct struct {
	ID                            int64
	Name, Description, Image, URL string
	Type                          int64
	Price                         int64
}

// ImportMachine is a row of v2's machines. Its token is not imported: an
// operator gives each machine a new API key.
type ImportMachine struct {
	ID                          int64
	Name, Description, Location string
}

// ImportStock is a row of v2's stock (v2 machine and product ids).
type ImportStock struct {
	ID, Machine, Product, Slot, Quantity int64
}

// ImportOperation is a row of v2's operations. From is 0 when v2's "from" is
// NULL (money issued); Product is 0 when none.
type ImportOperation struct {
	ID                int64
	From, To, Product int64
	Value             int64
	Date              time.Time
	Completed         bool
}

// ImportSummary is what an import did. MoneyBefore is v2's total (its
// completed issues, which is also the sum of its balances); MoneyAfter is
// the money coinop has issued after the import, which equals its balances
// plus holds. An import that cannot make them equal is refused.
type ImportSummary struct {
	Source string `json:"source"`
	// BankLegacyID is the v2 person that became account 1.
	BankLegacyID int64 `json:"bank_legacy_id"`
	// MergedIssue is the v2 operation that became coinop's initial issue
	// (the part beyond it, if any, is an issue of its own).
	MergedIssue int64 `json:"merged_issue"`
	// People counts the imported people besides the bank, Placeholders
	// those of them made for ids the operations use but v2's people lack.
	People       int `json:"people"`
	Placeholders int `json:"placeholders"`
	Types        int `json:"types"`
	Products     int `json:"products"`
	Machines     int `json:"machines"`
	Stock        int `json:"stock"`
	// Operations counts v2's operations; each became completed, unknown
	// (pending in v2: the money held for an operator to settle), voided
	// (pending in v2, nothing moved) or was skipped (nothing to record).
	Operations int `json:"operations"`
	Completed  int `json:"completed"`
	Unknown    int `json:"unknown"`
	Voided     int `json:"voided"`
	Skipped    int `json:"skipped"`
	// Held is the money held by the unknown operations, Covered what the
	// bank credited to bring negative v2 balances to zero.
	Held        int64    `json:"held"`
	Covered     int64    `json:"covered"`
	MoneyBefore int64    `json:"money_before"`
	MoneyAfter  int64    `json:"money_after"`
	Anomalies   []string `json:"anomalies"`
}

// ImportService takes over the data of the fair's previous server.
type ImportService interface {
	// ImportV2 writes data into a store that holds nothing but the bank, in
	// one transaction: people (their balances from the completed history),
	// products, machines, stock and every operation. It refuses (ECONFLICT)
	// a store already imported into or in use, and (EINVALID) data it cannot
	// import without breaking the money invariants; then nothing changes.
	ImportV2(ctx context.Context, data *ImportData) (*ImportSummary, error)
}
