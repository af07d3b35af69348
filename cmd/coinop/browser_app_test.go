package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestBrowserDemoWalkthrough drives the demo in a real Chromium with
// e2e/app.mjs (Playwright): the player app at /app/ on a phone-sized page
// and the machines page at /machines/ beside it. Sign in by name, play,
// buy a snack with the code read from the machine's screen, buy an arcade
// credit, transfers with their errors (402, 403, 429), the statement's
// paging; screenshots into e2e/artifacts. Like TestBrowserTicker it needs
// COINOP_TEST_CHROMIUM, Node and `npm ci --prefix e2e`.
func TestBrowserDemoWalkthrough(t *testing.T) {
	browser := os.Getenv("COINOP_TEST_CHROMIUM")
	if browser == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("COINOP_TEST_CHROMIUM is not set, and CI must run the browser test: set it to a Chromium binary, e.g. /usr/bin/chromium (see .ci/run)")
		}
		t.Skip("browser test skipped: set COINOP_TEST_CHROMIUM to a Chromium binary (e.g. /usr/bin/chromium) and run `npm ci --prefix e2e` to run it")
	}
	if _, err := os.Stat(browser); err != nil {
		t.Fatalf("COINOP_TEST_CHROMIUM=%s: %v", browser, err)
	}
	root, err := filepath.Abs(filepath.Join("..", "..")) // the test runs in cmd/coinop
	if err != nil {
		t.Fatal(err)
	}
	e2e := filepath.Join(root, "e2e")
	script := filepath.Join(e2e, "app.mjs")
	if _, err := os.Stat(script); err != nil {
		t.Fatalf("the browser test script is missing: %v", err)
	}
	if _, err := os.Stat(filepath.Join(e2e, "node_modules", "playwright-core")); err != nil {
		t.Fatalf("e2e/node_modules is missing (playwright-core not installed): run `npm ci --prefix e2e` from the repository root (with PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1)")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not on PATH; the browser test needs Node.js 20 or later: %v", err)
	}
	artifacts := filepath.Join(e2e, "artifacts")
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}

	demo := startServer(t, "", "--demo")
	plain := startServer(t, "") // without --demo: the machines page says it is the demo's

	ctx, cancel := context.WithTimeout(t.Context(), 280*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script)
	cmd.Dir = e2e
	cmd.Env = append(os.Environ(),
		"BASE_URL="+demo.URL,
		"NON_DEMO_URL="+plain.URL,
		"CHROMIUM="+browser,
		"ARTIFACTS="+artifacts,
	)
	cmd.WaitDelay = 5 * time.Second // do not wait on pipes a leftover browser holds open
	out, err := cmd.CombinedOutput()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("e2e/app.mjs did not finish within 280s; output:\n%s", out)
	}
	if err != nil {
		t.Fatalf("e2e/app.mjs failed (%v); screenshots in %s; output:\n%s", err, artifacts, out)
	}
	t.Logf("e2e/app.mjs output:\n%s", out)
}
