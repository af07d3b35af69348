package coinop

import "context"

// Namespaces of the fair's legacy machine programs (Socket.IO), which are
// also the kinds of identity their tokens carry ({"machine": namespace}).
const (
	LegacyVending = "vending-machine"
	LegacyArcade  = "arcade"
)

// LegacyKind is the kind of machine a legacy namespace stands for, "" for
// an unknown namespace.
func LegacyKind(namespace string) MachineKind {
	switch namespace {
	case LegacyVending:
		return KindVending
	case LegacyArcade:
		return KindArcade
	}
	return ""
}

// LegacyService maps the identities of the fair's legacy machine programs
// (a namespace and the id in their token: 0 for the vending machine, the
// arcade's number for an arcade) to coinop machines, which operators
// choose.
type LegacyService interface {
	// MapLegacyMachine makes the legacy identity (namespace, legacyID)
	// stand for machine machineID, replacing an earlier mapping of that
	// identity (audited). The machine's kind must be the namespace's.
	MapLegacyMachine(ctx context.Context, actorID int64, namespace, legacyID string, machineID int64) error
	// LegacyMachine returns the machine a legacy identity stands for, or
	// ENOTFOUND.
	LegacyMachine(ctx context.Context, namespace, legacyID string) (*Machine, error)
}
