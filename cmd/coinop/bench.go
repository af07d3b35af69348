package main

import (
	"context"
	"errors"
	"flag"
)

type benchOptions struct{}

func bindBenchFlags(fs *flag.FlagSet, o *cmdOptions) {}

func runBenchTicker(ctx context.Context, e *env, args []string) error {
	return errors.New("TODO")
}
