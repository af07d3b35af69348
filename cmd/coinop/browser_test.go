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

// TestBrowserTicker drives the embedded ticker page in a real Chromium with
// e2e/ticker.mjs (Playwright), in a pt-BR browser then an en-US one: wrong
// key, right key, live prices in the locale's format, a dropped connection
// counting down, the PT | EN switch, screenshots of both languages into
// e2e/artifacts. It needs COINOP_TEST_CHROMIUM (a Chromium binary), Node and
// `npm ci --prefix e2e`.
func TestBrowserTicker(t *testing.T) {
	b := newBrowserRun(t, "ticker.mjs")
	ts := startServer(t, "", "--tick", "50ms")
	ts.logMu.Lock()
	key := ts.DemoKey
	ts.logMu.Unlock()
	if key == "" {
		t.Fatal("the server logged no demo API key")
	}
	b.run(t, 120*time.Second, "BASE_URL="+ts.URL, "API_KEY="+key)
}

// browserRun is one Playwright script of e2e/ against Debian's Chromium.
type browserRun struct {
	node, e2e, script, browser, artifacts string
}

// newBrowserRun checks what a browser test needs. Without
// COINOP_TEST_CHROMIUM the test skips, except under CI=true, where it fails.
func newBrowserRun(t *testing.T, script string) *browserRun {
	t.Helper()
	browser := os.Getenv("COINOP_TEST_CHROMIUM")
	if browser == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("COINOP_TEST_CHROMIUM is not set, and CI must run the browser tests: set it to a Chromium binary, e.g. /usr/bin/chromium (see .ci/run)")
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
	b := &browserRun{e2e: filepath.Join(root, "e2e"), browser: browser}
	b.script, b.artifacts = filepath.Join(b.e2e, script), filepath.Join(b.e2e, "artifacts")
	if _, err := os.Stat(b.script); err != nil {
		t.Fatalf("the browser test script is missing: %v", err)
	}
	if _, err := os.Stat(filepath.Join(b.e2e, "node_modules", "playwright-core")); err != nil {
		t.Fatalf("e2e/node_modules is missing (playwright-core not installed): run `npm ci --prefix e2e` from the repository root (with PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1)")
	}
	if b.node, err = exec.LookPath("node"); err != nil {
		t.Fatalf("node is not on PATH; the browser tests need Node.js 20 or later: %v", err)
	}
	if err := os.MkdirAll(b.artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	return b
}

// run runs the script with env (BASE_URL and the like; CHROMIUM and
// ARTIFACTS are added) and fails the test with its output if it fails.
func (b *browserRun) run(t *testing.T, timeout time.Duration, env ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, b.node, b.script)
	cmd.Dir = b.e2e
	cmd.Env = append(append(os.Environ(), "CHROMIUM="+b.browser, "ARTIFACTS="+b.artifacts), env...)
	cmd.WaitDelay = 5 * time.Second // do not wait on pipes a leftover browser holds open
	out, err := cmd.CombinedOutput()
	name := "e2e/" + filepath.Base(b.script)
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("%s did not finish within %v; output:\n%s", name, timeout, out)
	}
	if err != nil {
		t.Fatalf("%s failed (%v); screenshots in %s; output:\n%s", name, err, b.artifacts, out)
	}
	t.Logf("%s output:\n%s", name, out)
}
