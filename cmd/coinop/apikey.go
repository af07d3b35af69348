package main

import (
	"context"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"
)

func runMigrate(ctx context.Context, e *env, _ []string) error {
	s, err := openStore(ctx, &e.cfg, newLogger(&e.cfg, e.stderr))
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Fprintln(e.stdout, "database is up to date")
	return nil
}

func runAPIKeyCreate(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		return usageError{"apikey create takes no arguments"}
	}
	if e.opts.user == "" {
		return usageError{"apikey create needs --user NAME"}
	}
	s, err := openStore(ctx, &e.cfg, newLogger(&e.cfg, e.stderr))
	if err != nil {
		return err
	}
	defer s.Close()
	_, secret, err := s.CreateAPIKey(ctx, e.opts.user, e.opts.role)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, secret)
	return nil
}

func runAPIKeyList(ctx context.Context, e *env, args []string) error {
	s, err := openStore(ctx, &e.cfg, newLogger(&e.cfg, e.stderr))
	if err != nil {
		return err
	}
	defer s.Close()
	keys, err := s.ListAPIKeys(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPREFIX\tUSER\tROLE\tCREATED\tSTATUS")
	for _, k := range keys {
		status := "active"
		if k.Revoked() {
			status = "revoked " + k.RevokedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%d\t%s…\t%s\t%s\t%s\t%s\n", k.ID, k.Prefix, k.UserID, k.Role, k.CreatedAt.UTC().Format(time.RFC3339), status)
	}
	return tw.Flush()
}

func runAPIKeyRevoke(ctx context.Context, e *env, args []string) error {
	if len(args) != 1 {
		return usageError{"usage: coinop apikey revoke ID"}
	}
	id, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil {
		return usageError{fmt.Sprintf("bad key id %q", args[0])}
	}
	s, err := openStore(ctx, &e.cfg, newLogger(&e.cfg, e.stderr))
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.RevokeAPIKey(ctx, id); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "revoked key %d\n", id)
	return nil
}
