package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/coinop/coinop/postgres/pgtest"
)

// benchServerFlags are the flags of a server trusting a bench issuer at
// addr, with the default code timeout spelled out.
func benchServerFlags(addr string) []string {
	return []string{"--oidc-issuer", "http://" + addr, "--oidc-audiences", "bench-app",
		"--oidc-game-audiences", "bench-game", "--operators", "bench-operator@bench.local",
		"--credit-window", "0", "--transfer-window", "0", "--code-timeout", "30s"}
}

// runBench runs coinop with args and returns the report, failing the test
// if the bench fails.
func runBench(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	start := time.Now()
	if err := run(ctx, args, func(string) string { return "" }, &out, &errOut); err != nil {
		t.Fatalf("bench: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
	}
	report := out.String()
	t.Logf("report (%s):\n%s", time.Since(start).Round(time.Millisecond), report)
	return report
}

// mustPurchase checks a report's purchases and machine invariants.
func mustPurchase(t *testing.T, report string) {
	t.Helper()
	mustMatch(t, report, `(?m)^\s*debit\s+[1-9][0-9]*\s.*\s201:[1-9]`)
	mustMatch(t, report, `(?m)^\s*mfa\s+[1-9][0-9]*\s.*\s200:[1-9]`)
	mustMatch(t, report, `(?m)^\s*started [1-9][0-9]*, completed [1-9][0-9]* \(`)
	mustMatch(t, report, `(?m)^\s*debit sent → stateMFA at the machine\s+[1-9][0-9]*\s+\S+\s+\S+\s+\S+$`)
	mustMatch(t, report, `(?m)^\s*mfa sent → stateReleasing at the machine\s+[1-9][0-9]*\s+\S+\s+\S+\s+\S+$`)
	mustMatch(t, report, `(?m)^\s*purchase: first debit → idle reported\s+[1-9][0-9]*\s+\S+\s+\S+\s+\S+$`)
	mustMatch(t, report, `error frames 0, disconnects 0`)
	if p := number(t, report, `completed ([0-9]+) \(`); p != number(t, report, `the machines released ([0-9]+)`) {
		t.Errorf("%v purchases completed, the machines released another number", p)
	}
	for _, check := range []string{
		`api: players \+ bank balance \+ bank held == issued`,
		`api: no negative balance`,
		`api: players' total == before \+ funding \+ credits answered 201 - purchases × price`,
		`machines: every bench machine idle and free`,
		`machines: stock went down by exactly the purchases completed`,
		`no request answered 5xx`,
		`store: CheckInvariants on `,
	} {
		mustMatch(t, report, `(?m)^\s*PASS  `+check)
	}
	mustMatch(t, report, `(?m)^result: PASS$`)
	if strings.Contains(report, "FAIL") {
		t.Error("the report has a FAIL")
	}
}

func TestBenchWalletMachines(t *testing.T) {
	addr := freeLoopbackAddr(t)
	ts := startServer(t, "", benchServerFlags(addr)...)
	report := runBench(t, "bench", "wallet", "--url", ts.URL, "--issuer-addr", addr, "--players", "20",
		"--machines", "3", "--concurrency", "4", "--duration", "2s", "--mix", "transfer=40,balance=10,buy=50", "--data", ts.Data)
	mustMatch(t, report, `(?m)^\s*machines\s+3 \(bench-\S+-0…\) connected over 1 instance`)
	mustPurchase(t, report)
	// The bench closed its machines' sockets when it returned.
	eventually(t, "the bench machines disconnected", func() bool {
		return strings.Count(ts.Logs(), `"msg":"machine disconnected"`) == 3
	})
}

// TestBenchWalletInstances: two instances on one PostgreSQL schema and
// NATS; requests and machines spread over both, with a peak.
func TestBenchWalletInstances(t *testing.T) {
	natsURL := os.Getenv("COINOP_TEST_NATS")
	if natsURL == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but COINOP_TEST_NATS is not set")
		}
		t.Skip("COINOP_TEST_NATS not set: skipping the several-instance bench")
	}
	db := pgtest.URL(t)
	addr := freeLoopbackAddr(t)
	flags := append([]string{"--db", db, "--nats", natsURL}, benchServerFlags(addr)...)
	a, b := startServer(t, "", flags...), startServer(t, "", flags...)
	report := runBench(t, "bench", "wallet", "--url", a.URL+","+b.URL, "--issuer-addr", addr, "--players", "20",
		"--machines", "4", "--concurrency", "8", "--duration", "3s", "--rate", "40", "--peak", "3", "--peak-duration", "1s",
		"--db", db)
	mustMatch(t, report, `(?m)^\s*machines\s+4 \(bench-\S+-0…\) connected over 2 instance`)
	mustMatch(t, report, `(?m)^servers \(from /metrics, 2 instances added up\)$`)
	mustMatch(t, report, `peak ×3 = 120/s from 1s to 2s`)
	for _, ph := range []string{"base", "peak", "after"} {
		mustMatch(t, report, `(?m)^\s*`+ph+`\s+\d+s-\d+s\s+\d+\s+[1-9][0-9]*\s+[1-9][0-9]*\s+\d+\s+[1-9][0-9]*\s`)
	}
	mustPurchase(t, report)
}

func TestBenchWalletMachinesUsage(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "wallet", "--mix", "buy=1"}, // no machines
		{"bench", "wallet", "--machines", "-1"},
		{"bench", "wallet", "--peak", "10"}, // no rate
		{"bench", "wallet", "--rate", "10", "--peak", "10", "--peak-duration", "20s", "--duration", "20s"},
		{"bench", "wallet", "--url", "http://127.0.0.1:1,ftp://x"},
	} {
		err := run(context.Background(), args, func(string) string { return "" }, &bytes.Buffer{}, &bytes.Buffer{})
		if exitCode(err) != 2 {
			t.Errorf("%q: err %v (exit %d), want a usage error", strings.Join(args, " "), err, exitCode(err))
		}
	}
}
