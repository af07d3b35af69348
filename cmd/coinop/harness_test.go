package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// testServer is a coinop server started through run, as main does, on a
// loopback port with a temporary data folder.
type testServer struct {
	URL     string // http://127.0.0.1:PORT
	Addr    string // 127.0.0.1:PORT
	Data    string
	DB      string // the --db argument, if any
	DemoKey string // the demo key logged at first start ("" on later starts)

	cancel   context.CancelFunc
	done     chan error
	stopOnce sync.Once
	logMu    sync.Mutex
	logs     []map[string]any
}

// startServer runs coinop with args (plus --addr, --data and JSON logs) and
// returns once it listens. It is stopped at the end of the test.
func startServer(t *testing.T, data string, args ...string) *testServer {
	t.Helper()
	if data == "" {
		data = t.TempDir()
	}
	ts := &testServer{Data: data, done: make(chan error, 1)}
	for i, a := range args {
		if a == "--db" && i+1 < len(args) {
			ts.DB = args[i+1]
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	ts.cancel = cancel
	pr, pw := io.Pipe()
	listening := make(chan string, 1)
	go ts.readLogs(pr, listening)
	full := append([]string{"--addr", "127.0.0.1:0", "--data", data, "--log-format", "json", "--token-key", testKey}, args...)
	go func() {
		err := run(ctx, full, func(string) string { return "" }, io.Discard, pw)
		pw.Close()
		ts.done <- err
	}()
	select {
	case addr := <-listening:
		ts.Addr, ts.URL = addr, "http://"+addr
	case err := <-ts.done:
		t.Fatalf("server exited before listening: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("server did not start listening within 20s")
	}
	t.Cleanup(func() { ts.Stop(t) })
	return ts
}

const testKey = "test-token-key-0123456789abcdef-0123456789"

func (ts *testServer) readLogs(r io.Reader, listening chan<- string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) != nil {
			continue
		}
		ts.logMu.Lock()
		ts.logs = append(ts.logs, rec)
		if k, ok := rec["api_key"].(string); ok {
			ts.DemoKey = k
		}
		ts.logMu.Unlock()
		if rec["msg"] == "listening" {
			listening <- rec["addr"].(string)
		}
	}
}

// Logs returns every log line so far, as raw JSON text.
func (ts *testServer) Logs() string {
	ts.logMu.Lock()
	defer ts.logMu.Unlock()
	var b strings.Builder
	for _, rec := range ts.logs {
		line, _ := json.Marshal(rec)
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// Stop shuts the server down (as SIGTERM does) and waits for run to return.
func (ts *testServer) Stop(t *testing.T) {
	t.Helper()
	ts.stopOnce.Do(func() {
		ts.cancel()
		select {
		case err := <-ts.done:
			if err != nil {
				t.Errorf("run returned %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("server did not stop within 30s")
		}
	})
}

// token exchanges an API key for a token, failing the test on error.
func (ts *testServer) token(t *testing.T, key string) string {
	t.Helper()
	resp, err := http.Post(ts.URL+"/auth/token", "application/json", strings.NewReader(`{"api_key":"`+key+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Token string }
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&body) != nil || body.Token == "" {
		t.Fatalf("token exchange: status %d", resp.StatusCode)
	}
	return body.Token
}

// cli runs a coinop command against this server's database.
func (ts *testServer) cli(t *testing.T, args ...string) string {
	t.Helper()
	if ts.DB != "" {
		args = append(args, "--db", ts.DB)
	}
	return cli(t, ts.Data, args...)
}
