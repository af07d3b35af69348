package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"

	"github.com/coinop/coinop"
	coinophttp "github.com/coinop/coinop/http"
)

// legacyCommand is `coinop machine legacy`: which machine a legacy
// program's identity stands for. Its flags live in the closure that the
// command's flags and run share.
func legacyCommand() command {
	var id int64
	var namespace, legacyID string
	return command{words: []string{"machine", "legacy"},
		help: "make a legacy Socket.IO program's identity (namespace and token id) stand for a machine",
		flags: func(fs *flag.FlagSet, _ *cmdOptions) {
			fs.Int64Var(&id, "id", 0, "the machine's id")
			fs.StringVar(&namespace, "namespace", "", coinop.LegacyVending+" or "+coinop.LegacyArcade)
			fs.StringVar(&legacyID, "legacy-id", "", "the id in the program's token: 0 for the vending machine, the arcade's number")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			return runMachineLegacy(ctx, e, id, namespace, legacyID, args)
		},
	}
}

func runMachineLegacy(ctx context.Context, e *env, id int64, namespace, legacyID string, args []string) error {
	if len(args) > 0 || id <= 0 || coinop.LegacyKind(namespace) == "" || legacyID == "" {
		return usageError{"usage: coinop machine legacy --id N --namespace vending-machine|arcade --legacy-id ID"}
	}
	s, err := openStore(ctx, &e.cfg, newLogger(&e.cfg, e.stderr))
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.MapLegacyMachine(ctx, 0, namespace, legacyID, id); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "/%s %s → machine %d\n", namespace, legacyID, id)
	return nil
}

// legacyOptions turns legacy mode on when a secret is set, and says so
// loudly: the legacy programs share one secret per kind and their tokens
// never expire.
func legacyOptions(cfg *Config, log *slog.Logger) coinophttp.LegacyOptions {
	o := coinophttp.LegacyOptions{VendingSecret: cfg.LegacyVendingSecret, ArcadeSecret: cfg.LegacyArcadeSecret}
	if o.VendingSecret == "" && o.ArcadeSecret == "" {
		return o
	}
	var on []string
	if o.VendingSecret != "" {
		on = append(on, "/"+coinop.LegacyVending)
	}
	if o.ArcadeSecret != "" {
		on = append(on, "/"+coinop.LegacyArcade)
	}
	log.Warn("LEGACY MACHINES ON: Socket.IO at /api/v2/machine/ admits the fair's old machine programs with one shared secret per kind and tokens that never expire; anyone holding a secret can act as any mapped machine of its kind. Turn it off (unset COINOP_LEGACY_*_SECRET) once the machines use API keys.",
		"namespaces", on)
	return o
}
