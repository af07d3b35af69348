// Package sqlmigrate applies numbered SQL migrations embedded in an adapter.
//
// Each file NNN_name.sql is applied once, in its own transaction together
// with the row that records it, so a crash never leaves a half-applied
// migration. Several processes may migrate one database at the same time:
// the Lock hook serialises them inside each transaction and the applied
// check is repeated under that lock.
package sqlmigrate

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Dialect adapts the runner to one database.
type Dialect struct {
	// CreateTable is the statement that creates the bookkeeping table
	// schema_migrations(version, name) if it is missing.
	CreateTable string
	// Lock, if set, runs first in every migration transaction and must block
	// other migrators until the transaction ends.
	Lock func(ctx context.Context, tx *sql.Tx) error
	// Placeholder formats the n-th bind parameter (1-based).
	Placeholder func(n int) string
}

// Migration is one numbered file.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Load reads the *.sql files of dir in fsys, ordered by version.
func Load(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var ms []Migration
	seen := map[int]string{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %q: name must start with a positive number and '_'", name)
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %q and %q share version %d", other, name, v)
		}
		seen[v] = name
		body, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: name, SQL: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	return ms, nil
}

// Up applies every migration not yet recorded and returns how many it applied.
func Up(ctx context.Context, db *sql.DB, d Dialect, ms []Migration) (int, error) {
	applied := 0
	for _, m := range ms {
		did, err := apply(ctx, db, d, m)
		if err != nil {
			return applied, fmt.Errorf("migration %s: %w", m.Name, err)
		}
		if did {
			applied++
		}
	}
	return applied, nil
}

func apply(ctx context.Context, db *sql.DB, d Dialect, m Migration) (bool, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	if d.Lock != nil {
		if err := d.Lock(ctx, tx); err != nil {
			return false, fmt.Errorf("lock: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, d.CreateTable); err != nil {
		return false, err
	}
	var n int
	q := "SELECT COUNT(*) FROM schema_migrations WHERE version = " + d.Placeholder(1)
	if err := tx.QueryRowContext(ctx, q, m.Version).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return false, err
	}
	ins := "INSERT INTO schema_migrations (version, name) VALUES (" + d.Placeholder(1) + ", " + d.Placeholder(2) + ")"
	if _, err := tx.ExecContext(ctx, ins, m.Version, m.Name); err != nil {
		return false, err
	}
	return true, tx.Commit()
}
