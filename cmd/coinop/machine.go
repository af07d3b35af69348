package main

import (
	"context"
	"flag"
	"fmt"
	"os/exec"
	"strconv"

	"github.com/coinop/coinop"
	"github.com/coinop/coinop/machineclient"
)

// machineOptions are the flags of the machine commands.
type machineOptions struct {
	name, kind, description, location string
	url, key, onRelease, onCoin       string
}

func bindMachineAddFlags(fs *flag.FlagSet, o *cmdOptions) {
	m := &o.machine
	fs.StringVar(&m.name, "name", "", "the machine's name (required, unique)")
	fs.StringVar(&m.kind, "kind", "", "vending or arcade (required)")
	fs.StringVar(&m.description, "description", "", "a description")
	fs.StringVar(&m.location, "location", "", "where it stands")
}

func bindMachineRunFlags(fs *flag.FlagSet, o *cmdOptions) {
	m := &o.machine
	fs.StringVar(&m.url, "url", "http://127.0.0.1:8081", "the server's base URL")
	fs.StringVar(&m.key, "key", "", "the machine's API key (default env COINOP_MACHINE_KEY)")
	fs.StringVar(&m.kind, "kind", "", "vending or arcade (required)")
	fs.StringVar(&m.onRelease, "on-release", "", "command run to release a slot, with the slot number as its argument (default: simulated)")
	fs.StringVar(&m.onCoin, "on-coin", "", "command run to insert a coin, with the arcade number as its argument (default: simulated)")
}

// runMachineAdd records a machine and prints its id, then its key.
func runMachineAdd(ctx context.Context, e *env, args []string) error {
	m := e.opts.machine
	if len(args) > 0 || m.name == "" || (m.kind != "vending" && m.kind != "arcade") {
		return usageError{"usage: coinop machine add --name NAME --kind vending|arcade [--description D] [--location L]"}
	}
	s, err := openStore(ctx, &e.cfg, newLogger(&e.cfg, e.stderr))
	if err != nil {
		return err
	}
	defer s.Close()
	mc := &coinop.Machine{Name: m.name, Kind: coinop.MachineKind(m.kind), Description: m.description, Location: m.location}
	key, err := s.CreateMachine(ctx, 0, mc)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%d\n%s\n", mc.ID, key)
	return nil
}

// runMachineRun runs the reference machine until interrupted.
func runMachineRun(ctx context.Context, e *env, args []string) error {
	m := e.opts.machine
	if m.key == "" {
		m.key = e.getenv("COINOP_MACHINE_KEY")
	}
	if len(args) > 0 || m.key == "" || (m.kind != "vending" && m.kind != "arcade") {
		return usageError{"usage: coinop machine run --url URL --key KEY --kind vending|arcade [--on-release CMD] [--on-coin CMD]"}
	}
	c := &machineclient.Client{URL: m.url, Key: m.key, Kind: coinop.MachineKind(m.kind), Display: e.stdout,
		Log: newLogger(&e.cfg, e.stderr), Release: shellAction(m.onRelease), Coin: shellAction(m.onCoin)}
	return c.Run(ctx)
}

// shellAction runs cmd through the shell with the number as $1; nil for
// an empty command (simulated hardware).
func shellAction(cmd string) func(context.Context, int64) error {
	if cmd == "" {
		return nil
	}
	return func(ctx context.Context, n int64) error {
		return exec.CommandContext(ctx, "/bin/sh", "-c", cmd+` "$1"`, "coinop-machine", strconv.FormatInt(n, 10)).Run()
	}
}
