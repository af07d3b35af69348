package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"testing"
	"time"
)

// freeLoopbackAddr returns a loopback address nobody listens on now.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	// Below Linux's ephemeral range (32768–60999): a port the kernel hands
	// out for ":0" (the servers these tests start, other packages' tests)
	// cannot take it between this check and the bench's own listen.
	for range 100 {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", 20000+rand.IntN(10000)))
		if err != nil {
			continue // taken: try another
		}
		defer ln.Close()
		return ln.Addr().String()
	}
	t.Fatal("no free loopback port in 20000–29999")
	return ""
}

// benchServer starts a server that trusts a bench issuer at addr.
func benchServer(t *testing.T, addr string) *testServer {
	t.Helper()
	return startServer(t, "", "--oidc-issuer", "http://"+addr, "--oidc-audiences", "bench-app",
		"--oidc-game-audiences", "bench-game", "--operators", "bench-operator@bench.local",
		"--credit-window", "0", "--transfer-window", "0")
}

func TestBenchWallet(t *testing.T) {
	addr := freeLoopbackAddr(t)
	ts := benchServer(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	args := []string{"bench", "wallet", "--url", ts.URL, "--issuer-addr", addr, "--players", "20",
		"--concurrency", "4", "--duration", "2s", "--data", ts.Data}
	start := time.Now()
	if err := run(ctx, args, func(string) string { return "" }, &out, &errOut); err != nil {
		t.Fatalf("bench: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
	}
	report := out.String()
	t.Logf("report (%s):\n%s", time.Since(start).Round(time.Millisecond), report)
	mustMatch(t, report, `(?m)^\s*players\s+20 logged in \(20 new\)`)
	mustMatch(t, report, `(?m)^\s*transfer\s+[1-9][0-9]*\s.*\s201:[1-9]`)
	mustMatch(t, report, `(?m)^\s*credit\s+[1-9][0-9]*\s.*\s201:[1-9]`)
	mustMatch(t, report, `(?m)^\s*balance\s+[1-9][0-9]*\s.*\s200:[1-9]`)
	mustMatch(t, report, `(?m)^\s*all\s+[1-9][0-9]*\s.*5xx 0, transport errors 0`)
	mustMatch(t, report, `cpu per 1k requests\s+[0-9.]+ core-s`)
	for _, check := range []string{
		`api: players \+ bank balance \+ bank held == issued`,
		`api: no negative balance`,
		`api: players' total == before \+ funding \+ credits answered 201`,
		`no request answered 5xx`,
		`store: CheckInvariants on sqlite `,
	} {
		mustMatch(t, report, `(?m)^\s*PASS  `+check)
	}
	mustMatch(t, report, `(?m)^result: PASS$`)
	if strings.Contains(report, "FAIL") {
		t.Error("the report has a FAIL")
	}
}

func TestBenchWalletServerNotConfigured(t *testing.T) {
	addr := freeLoopbackAddr(t)
	ts := startServer(t, "", "--oidc-issuer", "http://"+addr) // no audiences: every ID token is refused
	args := []string{"bench", "wallet", "--url", ts.URL, "--issuer-addr", addr, "--players", "2", "--duration", "1s"}
	err := run(context.Background(), args, func(string) string { return "" }, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "--oidc-audiences bench-app") {
		t.Errorf("err = %v, want the login's 401 and the server flags", err)
	}
}

func TestBenchWalletUsage(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "wallet", "--players", "1"},
		{"bench", "wallet", "--concurrency", "0"},
		{"bench", "wallet", "--mix", "transfer=70,refund=30"},
		{"bench", "wallet", "--mix", "transfer=0"},
		{"bench", "wallet", "--issuer-addr", "192.0.2.1:18095"},
		{"bench", "wallet", "--url", "ftp://x"},
		{"bench", "wallet", "extra"},
	} {
		err := run(context.Background(), args, func(string) string { return "" }, &bytes.Buffer{}, &bytes.Buffer{})
		if exitCode(err) != 2 {
			t.Errorf("%q: err %v (exit %d), want a usage error", strings.Join(args, " "), err, exitCode(err))
		}
	}
}

func TestBenchWalletStore(t *testing.T) {
	cfg := DefaultConfig()
	if storeGiven(&cfg) {
		t.Error("the default data folder counts as given")
	}
	cfg.Data = "/srv/coinop"
	if !storeGiven(&cfg) || storeLabel(&cfg) != "sqlite /srv/coinop/coinop.db" {
		t.Errorf("--data: given %v, label %q", storeGiven(&cfg), storeLabel(&cfg))
	}
	cfg = DefaultConfig()
	cfg.DB = "postgres://bank:secret@db.example:5432/fair?sslmode=disable"
	if label := storeLabel(&cfg); !storeGiven(&cfg) || strings.Contains(label, "secret") || !strings.Contains(label, "db.example") {
		t.Errorf("--db: given %v, label %q", storeGiven(&cfg), label)
	}
}
