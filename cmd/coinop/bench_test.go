package main

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestBenchTicker(t *testing.T) {
	ts := startServer(t, "", "--tick", "20ms")
	if ts.DemoKey == "" {
		t.Fatal("no demo key logged")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	args := []string{"bench", "ticker", "--url", ts.URL, "--key", ts.DemoKey, "--clients", "20",
		"--duration", "2s", "--expect-tick", "20ms", "--warmup", "200ms"}
	start := time.Now()
	if err := run(ctx, args, func(string) string { return "" }, &out, &errOut); err != nil {
		t.Fatalf("bench: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
	}
	report := out.String()
	t.Logf("report (%s):\n%s", time.Since(start).Round(time.Millisecond), report)
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("bench took %s for a 2s window", took)
	}
	mustMatch(t, report, `(?m)^\s*connected\s+20 in `)
	mustMatch(t, report, `(?m)^\s*failed\s+0$`)
	mustMatch(t, report, `(?m)^\s*disconnected early\s+0$`)
	if pct := number(t, report, `delivered/ideal\s+([0-9.]+)%`); pct < 90 || pct > 110 {
		t.Errorf("delivered/ideal = %.1f%%, want 90..110", pct)
	}
	if cpu := number(t, report, `cpu per 100k frames\s+([0-9.]+) core-s`); cpu <= 0 {
		t.Errorf("cpu per 100k frames = %v, want > 0", cpu)
	}
	mustMatch(t, report, `tick skew\s+p50 \S+\s+p99 \S+\s+max \S+`)
	mustMatch(t, report, `resident memory\s+.* per connection`)
}

func TestBenchTickerUsage(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "ticker"}, // no key
		{"bench", "ticker", "--key", "k", "--clients", "0"},
		{"bench", "ticker", "--key", "k", "--url", "ftp://x"},
		{"bench", "ticker", "--key", "k", "extra"},
	} {
		err := run(context.Background(), args, func(string) string { return "" }, &bytes.Buffer{}, &bytes.Buffer{})
		if exitCode(err) != 2 {
			t.Errorf("%q: err %v (exit %d), want a usage error", strings.Join(args, " "), err, exitCode(err))
		}
	}
}

func TestBenchTickerBadKey(t *testing.T) {
	ts := startServer(t, "")
	var out bytes.Buffer
	args := []string{"bench", "ticker", "--url", ts.URL, "--key", "cok_wrong", "--clients", "1", "--duration", "1s"}
	err := run(context.Background(), args, func(string) string { return "" }, &out, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("err = %v, want the token exchange's 401", err)
	}
}

func TestBenchTickerBadToken(t *testing.T) {
	ts := startServer(t, "")
	var out bytes.Buffer
	args := []string{"bench", "ticker", "--url", ts.URL, "--token", "bogus", "--clients", "3", "--duration", "30s"}
	start := time.Now()
	err := run(context.Background(), args, func(string) string { return "" }, &out, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "no client connected") {
		t.Errorf("err = %v, want no client connected", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("took %s: waited for the window with nobody connected", took)
	}
	mustMatch(t, out.String(), `(?m)^\s*failed\s+3 \(first error: .*401`)
}

func mustMatch(t *testing.T, s, re string) {
	t.Helper()
	if !regexp.MustCompile(re).MatchString(s) {
		t.Errorf("report does not match %q", re)
	}
}

func number(t *testing.T, s, re string) float64 {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("report does not match %q", re)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
