package coinop

import "context"

// Store is a storage adapter: every service coinop keeps in a database.
type Store interface {
	APIKeyService
	PersonService
	WalletService
	ProductService
	MachineService
	AuditService
	VendingService
	RankingService
	LegacyService

	// Migrate applies pending schema migrations and returns how many.
	Migrate(ctx context.Context) (int, error)
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// Close releases the database.
	Close() error
}
