// Package machine is the vending machine's and the arcade's protocol logic
// as pure functions: given what the server knows of a machine and what the
// machine reports, the new state and what must happen to the money. No I/O:
// the store applies the outcome inside its transaction.
package machine

import "fmt"

// State is a vending machine's screen, as it reports it.
type State string

// Vending states: idle → mfa → releasing → idle, and mfa → idle.
const (
	Idle      State = "idle"
	MFA       State = "mfa"
	Releasing State = "releasing"
)

// Valid reports whether s is a known state.
func (s State) Valid() bool { return s == Idle || s == MFA || s == Releasing }

// Phase is where the machine's current operation stands.
type Phase int

// Phases of the current operation.
const (
	NoOperation  Phase = iota // the machine is free
	AwaitingCode              // stateMFA sent, the buyer has not confirmed the code
	Released                  // stateReleasing sent: the outcome is the machine's to report
)

// View is what the server knows of a machine.
type View struct {
	State     State
	Operation int64 // the current operation, 0 when free
	Phase     Phase
	// ReleaseReported: the machine has reported releasing the current
	// operation's item (it may have rebooted since, showing idle).
	ReleaseReported bool
}

// Report is a stateUpdate from the machine.
type Report struct {
	State     State
	Operation int64
}

// Effect is what a report does to the current operation's money.
type Effect int

// Effects.
const (
	Nothing  Effect = iota
	Complete        // spend the held money, take the product from stock
	Void            // release the hold: nothing was sold
	Unknown         // nobody knows whether the product dropped: an operator settles
)

func (e Effect) String() string {
	return [...]string{"nothing", "complete", "void", "unknown"}[e]
}

// ErrIllegal is a report that makes no sense in the machine's state; it is
// ignored (and logged) and changes nothing.
type ErrIllegal struct{ From, To State }

func (e ErrIllegal) Error() string { return fmt.Sprintf("illegal transition %s → %s", e.From, e.To) }

// Vending applies a report to a vending machine. Reports about another
// operation than the current one must be filtered out before (the store
// knows whether they are stale duplicates or foreign).
func Vending(v View, r Report) (View, Effect, error) {
	if !r.State.Valid() {
		return v, Nothing, fmt.Errorf("unknown state %q", r.State)
	}
	if r.Operation != 0 && r.Operation != v.Operation {
		return v, Nothing, fmt.Errorf("operation %d is not this machine's current one", r.Operation)
	}
	switch r.State {
	case MFA:
		if r.Operation != 0 && v.Phase == Released {
			return v, Nothing, nil // a late acknowledgement of stateMFA: the buyer was faster
		}
		if r.Operation == 0 || v.Phase != AwaitingCode {
			return v, Nothing, ErrIllegal{v.State, r.State}
		}
		v.State = MFA
		return v, Nothing, nil
	case Releasing:
		if r.Operation == 0 || v.Phase != Released {
			return v, Nothing, ErrIllegal{v.State, r.State}
		}
		v.State = Releasing
		v.ReleaseReported = true
		return v, Nothing, nil
	}
	return idle(v, r)
}

// idle: the machine is back on its idle screen.
func idle(v View, r Report) (View, Effect, error) {
	free := View{State: Idle}
	switch v.Phase {
	case AwaitingCode:
		if r.Operation == 0 && v.State == Idle {
			// The machine never showed the code: its greeting after a
			// (re)connection crossed stateMFA on the wire. The code's
			// timeout voids the operation if the machine never shows it.
			return v, Nothing, nil
		}
		return free, Void, nil // left the code screen (cancelled, or rebooted): nothing sold
	case Released:
		if r.Operation == v.Operation && v.ReleaseReported {
			return free, Complete, nil // releasing, then back to idle: sold
		}
		if r.Operation == v.Operation {
			// Back to idle on this operation without having reported the
			// release: it may have cancelled, or skipped a report.
			return free, Unknown, nil
		}
		// A reboot after the release: the outcome is unknown; keep waiting
		// for a report about the operation, or for the operator.
		v.State = Idle
		return v, Nothing, nil
	}
	return free, Nothing, nil
}
