package main

import (
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
	b := newBrowserRun(t, "app.mjs")
	demo := startServer(t, "", "--demo")
	plain := startServer(t, "") // without --demo: the machines page says it is the demo's
	b.run(t, 280*time.Second, "BASE_URL="+demo.URL, "NON_DEMO_URL="+plain.URL)
}
