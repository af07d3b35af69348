package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coinop/coinop"
	"github.com/coinop/coinop/postgres"
	"github.com/coinop/coinop/postgres/pgtest"
	"github.com/coinop/coinop/sqlite"
	_ "github.com/jackc/pgx/v5/stdlib"
)

// v2Reference is the folder with the previous server's ddl.sql and dml.sql.
func v2Reference(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "reference", "seed-004")
	for _, f := range []string{"ddl.sql", "dml.sql"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("CI=true but the v2 reference %s is missing (%v): the import test needs ../../../shared/reference/seed-004 next to the repository", f, err)
			}
			t.Skipf("the v2 reference %s is missing: %v", f, err)
		}
	}
	return dir
}

// v2Database creates a database of its own on COINOP_TEST_POSTGRES's server,
// dropped at the end, loaded with ddl.sql (its typo fixed) and dml.sql, and
// returns its URL.
func v2Database(t *testing.T) (string, *sql.DB) {
	t.Helper()
	base := os.Getenv("COINOP_TEST_POSTGRES")
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but COINOP_TEST_POSTGRES is not set")
		}
		t.Skip("COINOP_TEST_POSTGRES not set: skipping the v2 import test")
	}
	ref := v2Reference(t)
	b := make([]byte, 6)
	rand.Read(b)
	name := "coinop_import_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create database (is PostgreSQL running at %s?): %v", base, err)
	}
	t.Cleanup(func() {
		if a, err := sql.Open("pgx", base); err == nil {
			if _, err := a.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
				t.Errorf("drop database %s: %v", name, err)
			}
			a.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	db, err := sql.Open("pgx", u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ddl, err := os.ReadFile(filepath.Join(ref, "ddl.sql"))
	if err != nil {
		t.Fatal(err)
	}
	dml, err := os.ReadFile(filepath.Join(ref, "dml.sql"))
	if err != nil {
		t.Fatal(err)
	}
	// ddl.sql's first line sets the time zone of the database "feira" and
	// misspells timezone: fixed, and aimed at this database.
	first, rest, _ := strings.Cut(string(ddl), "\n")
	if !strings.HasPrefix(first, `ALTER DATABASE "feira"`) {
		t.Fatalf("ddl.sql starts with %q, not the ALTER DATABASE line", first)
	}
	first = strings.Replace(strings.Replace(first, "timezon ", "timezone ", 1), `"feira"`, `"`+name+`"`, 1)
	for _, script := range []string{first, rest, string(dml)} {
		if _, err := db.Exec(script); err != nil {
			t.Fatalf("loading the v2 schema: %v\n%s", err, script)
		}
	}
	return u.String(), db
}

// v2History fills a v2 database like a fair's day: players, products of
// each type, two vending machines and an arcade with stock, and hundreds of
// operations, most completed and some not, with a negative balance and
// operations naming people the people table lacks.
func v2History(t *testing.T, db *sql.DB) {
	t.Helper()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	const players = 30 // ids 2..31 (the bank is 1)
	for i := range players {
		exec(`INSERT INTO people (name, email, operator) VALUES ($1, $2, $3)`, fmt.Sprintf("Player %d", i+2), fmt.Sprintf("player%d@fair.example", i+2), i < 2)
	}
	exec(`INSERT INTO types (name) VALUES ('games'), ('foods'), ('arcade')`)
	exec(`INSERT INTO products (name, description, type, image, url, price) VALUES
		('Space Race', 'a game', 1, 'space.png', 'https://games.example/space', 0),
		('Quiz', 'a game', 1, 'quiz.png', NULL, 0),
		('Maze', 'a game', 1, 'maze.png', NULL, 0),
		('Chips', 'crisps', 2, 'chips.png', NULL, 5),
		('Soda', 'a can', 2, 'soda.png', NULL, 7),
		('Candy', 'sweet', 2, 'candy.png', NULL, 3),
		('Cookie', 'baked', 2, 'cookie.png', NULL, 4),
		('Pinball', 'one credit', 3, 'pinball.png', NULL, 2),
		('Racer', 'one credit', 3, 'racer.png', NULL, 3)`)
	exec(`INSERT INTO machines (token, name, description, location) VALUES
		('tok-a', 'Vending A', 'by the door', 'hall'), ('tok-b', 'Vending B', NULL, NULL), ('tok-c', 'Arcade', 'two cabinets', 'back')`)
	exec(`INSERT INTO stock (machine, product, slot, quantity) VALUES
		(1, 4, 0, 20), (1, 5, 1, 15), (1, 6, 2, 30), (1, 7, 3, 10), (2, 4, 0, 5), (2, 5, 1, 5), (3, 8, 1, 100), (3, 9, 2, 100)`)

	// Operations naming people v2 lacks need the foreign keys gone, as in a
	// database restored without them.
	exec(`ALTER TABLE operations DROP CONSTRAINT operations_from_foreign`)
	exec(`ALTER TABLE operations DROP CONSTRAINT operations_to_foreign`)

	rng := mrand.New(mrand.NewPCG(4, 2))
	balance := map[int64]int64{}
	price := map[int64]int64{4: 5, 5: 7, 6: 3, 7: 4, 8: 2, 9: 3}
	day := time.Date(2024, 10, 18, 13, 0, 0, 0, time.UTC)
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	ins, err := tx.Prepare(`INSERT INTO operations ("from", "to", product, value, date, completed, mfa) VALUES ($1, $2, $3, $4, $5, $6, $7)`)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	op := func(from, to, product, value int64, completed bool) {
		t.Helper()
		n++
		var f, p, mfa any
		if from != 0 {
			f = from
		}
		if product != 0 {
			p = product
		}
		if to == 1 && product != 0 {
			mfa = 10 + rng.IntN(90)
		}
		if _, err := ins.Exec(f, to, p, value, day.Add(time.Duration(n)*time.Minute), completed, mfa); err != nil {
			t.Fatal(err)
		}
		if completed {
			balance[from] -= value
			balance[to] += value
		}
	}
	player := func() int64 { return 2 + rng.Int64N(players) }
	for range 700 {
		switch r := rng.IntN(100); {
		case r < 30: // a game pays a player
			op(1, player(), 1+rng.Int64N(3), 1+rng.Int64N(50), true)
		case r < 55: // a transfer
			from, to := player(), player()
			if from == to || balance[from] < 1 {
				continue
			}
			op(from, to, 0, 1+rng.Int64N(balance[from]), true)
		case r < 88: // a purchase, sometimes never completed
			who, product := player(), 4+rng.Int64N(6)
			op(who, 1, product, price[product], balance[who] >= price[product] && rng.IntN(10) < 8)
		case r < 93: // a payout that never completed
			op(1, player(), 1+rng.Int64N(3), 1+rng.Int64N(20), false)
		case r < 95: // more money
			op(0, 1, 0, 1000, true)
		default: // a transfer never completed
			op(player(), player(), 0, 1+rng.Int64N(10), false)
		}
	}
	// Player 31 overdraws (a v2 bug); 999 and 998 are nobody in people.
	op(31, 1, 5, balance[31]+40, true)
	op(2, 999, 0, 3, true)
	op(1, 998, 1, 25, true)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// v2Balances is what v2's completed history gives every account.
func v2Balances(t *testing.T, db *sql.DB) map[int64]int64 {
	t.Helper()
	rows, err := db.Query(`SELECT id, SUM(v) FROM (
			SELECT "to" AS id, value AS v FROM operations WHERE completed
			UNION ALL SELECT "from", -value FROM operations WHERE completed AND "from" IS NOT NULL) m
		GROUP BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var id, v int64
		if err := rows.Scan(&id, &v); err != nil {
			t.Fatal(err)
		}
		out[id] = v
	}
	return out
}

var moneyLine = regexp.MustCompile(`(?m)^money (before|after):\s+(\d+)`)

// checkImportOutput checks the printed summary against v2's own total.
func checkImportOutput(t *testing.T, out string, v2 *sql.DB) {
	t.Helper()
	var issued int64
	if err := v2.QueryRow(`SELECT SUM(value) FROM operations WHERE "from" IS NULL AND completed`).Scan(&issued); err != nil {
		t.Fatal(err)
	}
	m := moneyLine.FindAllStringSubmatch(out, -1)
	if len(m) != 2 || m[0][2] != strconv.FormatInt(issued, 10) || m[1][2] != m[0][2] {
		t.Fatalf("money lines %q, want before = after = %d:\n%s", m, issued, out)
	}
	for _, want := range []string{"v2 person 1 is account 1", "people:          32 (2 placeholders", "products:        9", "machines:        3", "stock:           8",
		"negative balance of", "person 999", "person 998", "was not completed: imported as unknown", "was not completed: imported as voided"} {
		if !strings.Contains(out, want) {
			t.Errorf("the summary lacks %q:\n%s", want, out)
		}
	}
}

// checkImported compares a store's accounts with v2's history: every
// account holds (available plus held) what v2 gives it, a negative one 0,
// and the bank what it had less what it covered.
func checkImported(t *testing.T, s coinop.Store, accounts map[int64][2]int64, v2 map[int64]int64) {
	t.Helper()
	ctx := context.Background()
	if err := s.CheckInvariants(ctx); err != nil {
		t.Fatal(err)
	}
	covered := int64(0)
	for id, want := range v2 {
		if id != 1 && want < 0 {
			covered -= want
			want = 0
		}
		if id == 1 {
			continue
		}
		if got := accounts[id]; got[0]+got[1] != want {
			t.Errorf("account %d holds %d + %d, v2 gives %d", id, got[0], got[1], want)
		}
		if b, err := s.Balance(ctx, id); err != nil || b != accounts[id][0] {
			t.Errorf("Balance(%d) = %d, %v", id, b, err)
		}
	}
	if covered == 0 {
		t.Fatal("the history has no negative balance")
	}
	b, err := s.Bank(ctx)
	if err != nil || b.Balance != v2[1]-covered || b.Held != 0 {
		t.Fatalf("bank %+v, %v; v2 gives %d, less %d covered", b, err, v2[1], covered)
	}
	unknown, err := s.Operations(ctx, coinop.StatusUnknown, 500)
	if err != nil || len(unknown) == 0 {
		t.Fatalf("no unfinished v2 debit left for an operator: %v", err)
	}
}

// accounts reads (balance, held) of every person.
func accounts(t *testing.T, db *sql.DB) map[int64][2]int64 {
	t.Helper()
	rows, err := db.Query(`SELECT id, balance, held FROM people`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64][2]int64{}
	for rows.Next() {
		var id, b, h int64
		if err := rows.Scan(&id, &b, &h); err != nil {
			t.Fatal(err)
		}
		out[id] = [2]int64{b, h}
	}
	return out
}

func TestImportV2(t *testing.T) {
	v2URL, v2 := v2Database(t)
	v2History(t, v2)
	want := v2Balances(t, v2)
	ctx := context.Background()

	t.Run("SQLite", func(t *testing.T) {
		data := t.TempDir()
		out, errOut, err := runCLI([]string{"import", "v2", "--from", v2URL, "--data", data}, nil)
		if err != nil {
			t.Fatalf("import: %v\n%s", err, errOut)
		}
		checkImportOutput(t, out, v2)

		s, err := sqlite.Open(filepath.Join(data, "coinop.db"))
		if err != nil {
			t.Fatal(err)
		}
		raw, err := sql.Open("sqlite", "file:"+filepath.Join(data, "coinop.db")+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		checkImported(t, s, accounts(t, raw), want)
		raw.Close()
		s.Close()

		// Once only, and the refusal says so.
		_, _, err = runCLI([]string{"import", "v2", "--from", v2URL, "--data", data}, nil)
		if err == nil || !strings.Contains(err.Error(), "already") || !strings.Contains(err.Error(), "refused") {
			t.Fatalf("second import: %v", err)
		}
	})

	t.Run("PostgreSQL", func(t *testing.T) {
		db := pgtest.URL(t)
		out, errOut, err := runCLI([]string{"import", "v2", "--from", v2URL, "--data", t.TempDir(), "--db", db}, nil)
		if err != nil {
			t.Fatalf("import: %v\n%s", err, errOut)
		}
		checkImportOutput(t, out, v2)
		s, err := postgres.Open(db)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		raw, err := sql.Open("pgx", db)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		checkImported(t, s, accounts(t, raw), want)
		// New people and products get ids after the imported ones.
		p, created, err := s.Login(ctx, &coinop.Identity{Issuer: "https://issuer.test", Subject: "new", Email: "new@fair.example", EmailVerified: true}, false)
		if err != nil || !created || p.ID <= 999 {
			t.Fatalf("a new person after the import: %+v, %v, %v", p, created, err)
		}
		// Linking by verified e-mail, on the imported data.
		p, created, err = s.Login(ctx, &coinop.Identity{Issuer: "https://issuer.test", Subject: "p7", Email: "player7@fair.example", EmailVerified: true}, false)
		if err != nil || created || p.ID != 7 {
			t.Fatalf("player 7's first login: %+v, %v, %v", p, created, err)
		}
		if _, _, err := runCLI([]string{"import", "v2", "--from", v2URL, "--data", t.TempDir(), "--db", db}, nil); err == nil || !strings.Contains(err.Error(), "already") {
			t.Fatalf("second import: %v", err)
		}
	})

	t.Run("Usage", func(t *testing.T) {
		if _, _, err := runCLI([]string{"import", "v2", "--data", t.TempDir()}, nil); exitCode(err) != 2 {
			t.Fatalf("import without --from: %v", err)
		}
	})
}
