package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coinop/coinop"
	"github.com/coinop/coinop/sqlite"
)

// process is coinop running as a real process.
type process struct {
	cmd  *exec.Cmd
	addr string
}

func startProcess(t *testing.T, bin string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"--addr", "127.0.0.1:0", "--log-format", "json", "--token-key", testKey}, args...)...)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var rec map[string]any
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec["msg"] == "listening" {
				addr <- rec["addr"].(string)
			}
		}
	}()
	select {
	case a := <-addr:
		return &process{cmd: cmd, addr: a}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("coinop did not start")
	}
	return nil
}

func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "coinop")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestSIGKILLLosesNothing kills the server under load and restarts it: every
// operation answered 201 is still there, and the money invariants hold.
func TestSIGKILLLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a real process")
	}
	bin := buildBinary(t)
	data := t.TempDir()
	b := startBank(t) // the provider and the tokens' shape; its own server is not used
	args := []string{"--data", data, "--oidc-issuer", b.idp.URL(), "--oidc-audiences", appClient,
		"--operators", "boss@example.com", "--transfer-window", "0"}
	p := startProcess(t, bin, args...)
	defer p.cmd.Process.Kill()
	srv := &bank{testServer: &testServer{URL: "http://" + p.addr, Addr: p.addr}, idp: b.idp}

	opTok, _ := srv.login(t, "boss")
	tokens := make([]string, 6)
	ids := make([]int64, 6)
	for i := range tokens {
		tokens[i], ids[i] = srv.login(t, fmt.Sprintf("p%d", i))
		srv.call(t, "POST", "/api/v2/admin/credit", opTok, fmt.Sprintf(`{"to":%d,"value":1000}`, ids[i]))
	}
	var mu sync.Mutex
	var answered []int64
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				from, to := (w+i)%6, (w+i+1)%6
				op, ok := transferOnce(srv.URL, tokens[from], ids[to])
				if ok {
					mu.Lock()
					answered = append(answered, op)
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.cmd.Wait()
	cancel()
	wg.Wait()
	if len(answered) < 50 {
		t.Fatalf("only %d transfers answered before the kill", len(answered))
	}

	p2 := startProcess(t, bin, args...) // restart on the same data
	defer p2.cmd.Process.Kill()
	db, err := sqlite.Open(filepath.Join(data, "coinop.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.CheckInvariants(context.Background()); err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for _, id := range ids {
		for before := int64(0); ; {
			ops, err := db.Statement(context.Background(), coinop.StatementQuery{PersonID: id, Limit: 500, Before: before})
			if err != nil {
				t.Fatal(err)
			}
			for _, op := range ops {
				seen[op.ID] = true
			}
			if len(ops) < 500 {
				break
			}
			before = ops[len(ops)-1].ID
		}
	}
	for _, op := range answered {
		if !seen[op] {
			t.Fatalf("operation %d was answered 201 but is gone after the crash", op)
		}
	}
	t.Logf("%d transfers answered before SIGKILL; all present after restart, invariants hold", len(answered))
}

func transferOnce(base, tok string, to int64) (int64, bool) {
	req, _ := newRequest("POST", base+"/api/v2/transfer", tok, fmt.Sprintf(`{"to":%d,"value":1}`, to))
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	var body struct{ Operation int64 }
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 201 || json.Unmarshal(raw, &body) != nil {
		return 0, false
	}
	return body.Operation, true
}
