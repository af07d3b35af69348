package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/coinop/coinop"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

const importHelp = "import the fair's previous server (v2) from its PostgreSQL database into a fresh store, once"

// importCommand is `coinop import v2 --from postgres://…`. Its flag lives
// in the closure the command's flags and run share.
func importCommand() command {
	var from string
	return command{words: []string{"import", "v2"}, help: importHelp,
		flags: func(fs *flag.FlagSet, _ *cmdOptions) {
			fs.StringVar(&from, "from", "", "the v2 database, postgres://… (read only)")
		},
		run: func(ctx context.Context, e *env, args []string) error { return runImportV2(ctx, e, from, args) },
	}
}

// runImportV2 reads the v2 database and imports it into the configured
// store in one transaction, then prints the summary and the anomalies.
func runImportV2(ctx context.Context, e *env, from string, args []string) error {
	if len(args) > 0 {
		return usageError{"import v2 takes no arguments (the v2 database is --from)"}
	}
	if !strings.HasPrefix(from, "postgres://") && !strings.HasPrefix(from, "postgresql://") {
		return usageError{"import v2 needs --from postgres://… (the v2 database)"}
	}
	u, err := url.Parse(from)
	if err != nil {
		return usageError{"--from: " + err.Error()}
	}
	data, err := readV2(ctx, from)
	if err != nil {
		return fmt.Errorf("reading the v2 database: %w", err)
	}
	data.Source = u.Redacted()
	s, err := openStore(ctx, &e.cfg, newLogger(&e.cfg, e.stderr))
	if err != nil {
		return err
	}
	defer s.Close()
	im, ok := s.(coinop.ImportService)
	if !ok {
		return fmt.Errorf("this store cannot import")
	}
	sum, err := im.ImportV2(ctx, data)
	var ce *coinop.Error
	if errors.As(err, &ce) {
		return fmt.Errorf("import refused, nothing was written: %s", ce.Message)
	} else if err != nil {
		return fmt.Errorf("import failed, nothing was written: %w", err)
	}
	printImportSummary(e.stdout, sum)
	return nil
}

// printImportSummary writes what an import did.
func printImportSummary(w io.Writer, sum *coinop.ImportSummary) {
	fmt.Fprintf(w, "imported v2 from %s\n", sum.Source)
	fmt.Fprintf(w, "central bank:    v2 person %d is account 1; v2 operation %d is its initial issue\n", sum.BankLegacyID, sum.MergedIssue)
	fmt.Fprintf(w, "people:          %d (%d placeholders for people v2 lacks)\n", sum.People, sum.Placeholders)
	fmt.Fprintf(w, "types:           %d\n", sum.Types)
	fmt.Fprintf(w, "products:        %d\n", sum.Products)
	fmt.Fprintf(w, "machines:        %d (each needs a new API key: POST /api/v2/admin/machines/{id}/key)\n", sum.Machines)
	fmt.Fprintf(w, "stock:           %d\n", sum.Stock)
	fmt.Fprintf(w, "operations:      %d: %d completed, %d unknown (%d held, for an operator), %d voided, %d skipped\n",
		sum.Operations, sum.Completed, sum.Unknown, sum.Held, sum.Voided, sum.Skipped)
	fmt.Fprintf(w, "negative v2 balances covered by the bank: %d\n", sum.Covered)
	fmt.Fprintf(w, "money before:    %d (v2)\n", sum.MoneyBefore)
	fmt.Fprintf(w, "money after:     %d (coinop)\n", sum.MoneyAfter)
	fmt.Fprintf(w, "anomalies:       %d\n", len(sum.Anomalies))
	for _, a := range sum.Anomalies {
		fmt.Fprintf(w, "  - %s\n", a)
	}
}

// readV2 reads every table of a v2 database (ddl.sql) in one read-only
// snapshot.
func readV2(ctx context.Context, dsn string) (*coinop.ImportData, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	d := &coinop.ImportData{}
	err = each(ctx, tx, `SELECT id, name, email, operator FROM people ORDER BY id`, func(r *sql.Rows) error {
		var v coinop.ImportPerson
		err := r.Scan(&v.ID, &v.Name, &v.Email, &v.Operator)
		d.People = append(d.People, v)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("people: %w", err)
	}
	err = each(ctx, tx, `SELECT id, name FROM types ORDER BY id`, func(r *sql.Rows) error {
		var v coinop.ImportType
		err := r.Scan(&v.ID, &v.Name)
		d.Types = append(d.Types, v)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("types: %w", err)
	}
	err = each(ctx, tx, `SELECT id, name, description, type, image, COALESCE(url, ''), price FROM products ORDER BY id`, func(r *sql.Rows) error {
		var v coinop.ImportProduct
		err := r.Scan(&v.ID, &v.Name, &v.Description, &v.Type, &v.Image, &v.URL, &v.Price)
		d.Products = append(d.Products, v)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("products: %w", err)
	}
	err = each(ctx, tx, `SELECT id, name, COALESCE(description, ''), COALESCE(location, '') FROM machines ORDER BY id`, func(r *sql.Rows) error {
		var v coinop.ImportMachine
		err := r.Scan(&v.ID, &v.Name, &v.Description, &v.Location)
		d.Machines = append(d.Machines, v)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("machines: %w", err)
	}
	err = each(ctx, tx, `SELECT id, machine, product, slot, quantity FROM stock ORDER BY id`, func(r *sql.Rows) error {
		var v coinop.ImportStock
		err := r.Scan(&v.ID, &v.Machine, &v.Product, &v.Slot, &v.Quantity)
		d.Stock = append(d.Stock, v)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("stock: %w", err)
	}
	err = each(ctx, tx, `SELECT id, COALESCE("from", 0), "to", COALESCE(product, 0), value, date, completed FROM operations ORDER BY id`, func(r *sql.Rows) error {
		var v coinop.ImportOperation
		err := r.Scan(&v.ID, &v.From, &v.To, &v.Product, &v.Value, &v.Date, &v.Completed)
		d.Operations = append(d.Operations, v)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("operations: %w", err)
	}
	return d, nil
}

// each runs query and calls fn on every row.
func each(ctx context.Context, tx *sql.Tx, query string, fn func(*sql.Rows) error) error {
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
