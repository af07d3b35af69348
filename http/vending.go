package http

import (
	"context"
	"crypto/rand"
	"math/big"
	"net/http"
	"time"

	"github.com/coinop/coinop"
)

// newCode draws a 2-digit code, 10 to 99, from a cryptographic source.
func newCode() int {
	n, _ := rand.Int(rand.Reader, big.NewInt(90))
	return 10 + int(n.Int64())
}

// handleDebit: buy a product at a machine. After the transaction the
// machine is told (stateMFA or coinInsert); if it cannot be told, the
// operation is voided and the answer is 403.
func (s *Server) handleDebit() http.Handler {
	return s.money(func(w http.ResponseWriter, r *http.Request, a *actor) (*coinop.Operation, error) {
		var req struct{ Product, Machine Int }
		idem, err := readMoneyRequest(w, r, &req)
		if err == nil {
			err = missing(req.Product)
		}
		if err != nil {
			return nil, err
		}
		cmd, err := s.opts.Store.Debit(r.Context(), coinop.DebitRequest{
			PersonID: a.person.ID, ProductID: req.Product.V, MachineID: req.Machine.V, Code: newCode(),
			CodeTimeout: s.opts.Vending.CodeTimeout, CoinTimeout: s.opts.Vending.CoinTimeout, Idem: idem,
		})
		if err != nil || cmd.MachineID == 0 { // cmd.MachineID 0: an idempotent replay
			return opOf(cmd), err
		}
		if err := s.command(r.Context(), cmd); err != nil {
			return nil, err
		}
		stage := "awaiting_code"
		if cmd.Kind == coinop.KindArcade {
			stage = "inserting_coin"
		}
		s.publishOperation(r.Context(), cmd.Op, stage)
		return cmd.Op, nil
	})
}

func opOf(c *coinop.Command) *coinop.Operation {
	if c == nil {
		return nil
	}
	return c.Op
}

// command sends a debit's first command to its machine; an undelivered
// command voids the operation.
func (s *Server) command(ctx context.Context, cmd *coinop.Command) error {
	var frame []byte
	if cmd.Kind == coinop.KindArcade {
		frame = machineFrame("coinInsert", coinInsertMsg{Arcade: cmd.Slot, Coins: 1, Operation: cmd.Op.ID})
	} else {
		frame = machineFrame("stateMFA", stateMFAMsg{Username: cmd.Username, Code: cmd.Code, Operation: cmd.Op.ID})
	}
	if err := s.machines.Send(ctx, cmd.MachineID, frame); err != nil {
		st, verr := s.opts.Store.Void(context.WithoutCancel(ctx), cmd.Op.ID, "the machine could not be reached")
		if verr != nil {
			return verr
		}
		s.announce(context.WithoutCancel(ctx), st)
		return coinop.Errorf(coinop.EFORBIDDEN, "machine %d is not connected", cmd.MachineID)
	}
	return nil
}

// handleMFA: the buyer confirms the code; the machine releases the slot.
func (s *Server) handleMFA() http.Handler {
	return s.user(func(w http.ResponseWriter, r *http.Request, a *actor) {
		var req struct{ Operation, Code Int }
		err := decodeJSON(w, r, &req, "invalid JSON")
		if err == nil {
			err = missing(req.Operation, req.Code)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		ctx := r.Context()
		cmd, voided, err := s.opts.Store.ConfirmMFA(ctx, coinop.MFARequest{
			PersonID: a.person.ID, OperationID: req.Operation.V, Code: int(req.Code.V),
			MaxAttempts: s.opts.Vending.MaxAttempts, ReportTimeout: s.opts.Vending.ReportTimeout,
		})
		s.announce(context.WithoutCancel(ctx), voided)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		frame := machineFrame("stateReleasing", stateReleasingMsg{Product: cmd.Slot, Operation: cmd.Op.ID})
		if err := s.machines.Send(ctx, cmd.MachineID, frame); err != nil {
			// Released but not delivered: the outcome stays the machine's
			// (it may have got it); without a report it becomes unknown.
			s.log.Warn("stateReleasing not delivered", "machine", cmd.MachineID, "operation", cmd.Op.ID, "err", err)
		}
		s.publishOperation(ctx, cmd.Op, "releasing")
		writeJSON(w, http.StatusOK, map[string]any{"operation": cmd.Op.ID, "status": "releasing"})
	})
}

// Sweep voids timed-out codes and coins and marks unknown the releases no
// machine reported, telling machines and people. The server runs it every
// second; with several instances each may, and the database decides once.
func (s *Server) Sweep(ctx context.Context) {
	settled, err := s.opts.Store.Expire(ctx)
	if err != nil {
		s.log.Warn("expiring operations", "err", err)
		return
	}
	s.announce(ctx, settled...)
}

// RunSweeper sweeps every interval until ctx ends.
func (s *Server) RunSweeper(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.Sweep(ctx)
		}
	}
}
