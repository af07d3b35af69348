package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coinop/coinop/api/apitest"
)

// debianPython is the interpreter of Debian's python3-socketio: not the
// first python3 on PATH, which may be another installation.
const debianPython = "/usr/bin/python3"

// requireLegacyClient skips the test when Debian's Python cannot import
// socketio (apt-get install python3-socketio python3-websocket), and fails
// it under CI, which installs them.
func requireLegacyClient(t *testing.T) {
	t.Helper()
	out, err := exec.Command(debianPython, "-c", "import socketio, websocket, requests").CombinedOutput()
	if err == nil {
		return
	}
	msg := fmt.Sprintf("%s cannot import socketio, websocket and requests (apt-get install -y python3-socketio python3-websocket): %v %s", debianPython, err, out)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// legacyProgram is e2e/legacy_machine.py running as an old machine program.
type legacyProgram struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *screen // its stdout, line by line
	errOut *screen // the Engine.IO client's log
	exited chan struct{}
}

func startLegacy(t *testing.T, url string, args ...string) *legacyProgram {
	t.Helper()
	cmd := exec.Command(debianPython, append([]string{"../../e2e/legacy_machine.py", "--url", url}, args...)...)
	p := &legacyProgram{cmd: cmd, out: &screen{}, errOut: &screen{}, exited: make(chan struct{})}
	var err error
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for r, s := range map[io.Reader]*screen{stdout: p.out, stderr: p.errOut} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := bufio.NewScanner(r)
			for sc.Scan() {
				s.Write(sc.Bytes())
			}
		}()
	}
	go func() { wg.Wait(); cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("legacy program %v:\n%s\n%s", args, p.out.all(), p.errOut.all())
		}
	})
	return p
}

// stop closes the program's input (it disconnects and exits), killing it
// if it lingers.
func (p *legacyProgram) stop() {
	p.stdin.Close()
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
	}
}

// line waits for a line with prefix and returns the rest of it.
func (p *legacyProgram) line(t *testing.T, prefix string, n int) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var found []string
		for _, l := range p.out.all() {
			if rest, ok := strings.CutPrefix(l, prefix); ok {
				found = append(found, strings.TrimSpace(rest))
			}
		}
		if len(found) >= n {
			return found[n-1]
		}
		select {
		case <-p.exited:
			t.Fatalf("the legacy program exited without %q #%d:\n%s", prefix, n, strings.Join(p.out.all(), "\n"))
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("no %q #%d from the legacy program:\n%s", prefix, n, strings.Join(p.out.all(), "\n"))
	return ""
}

func (s *screen) all() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.lines)
}

// event reads the nth message name the program received: its payload and
// the payload's keys in the order they came.
func (p *legacyProgram) event(t *testing.T, name string, n int) (map[string]any, []string) {
	t.Helper()
	raw := p.line(t, "EVENT "+name+" ", n)
	keys, err := apitest.PayloadKeys([]byte(`{"`+name+`":`+raw+`}`), name)
	var m map[string]any
	if err != nil || json.Unmarshal([]byte(raw), &m) != nil {
		t.Fatalf("%s: %q (%v)", name, raw, err)
	}
	return m, keys
}

const (
	legacyVendingSecret = "the fair's vending secret"
	legacyArcadeSecret  = "the fair's arcade secret"
)

// greeting is the rest of the vending program's "Olá, NAME! Seu código de
// autenticação é NN." line.
var greeting = regexp.MustCompile(`^(\w+)! Seu código de autenticação é (\d\d)\.$`)

// TestLegacyMachines runs the fair's old machine programs (Python,
// python-socketio) against coinop over Socket.IO: the purchase flows at a
// vending machine and at an arcade, over polling upgraded to WebSocket,
// over WebSocket only and over polling only; and the refusals.
func TestLegacyMachines(t *testing.T) {
	requireLegacyClient(t)
	s := openShop(t, "--legacy-vending-secret", legacyVendingSecret, "--legacy-arcade-secret", legacyArcadeSecret)
	if !strings.Contains(s.Logs(), "LEGACY MACHINES ON") {
		t.Error("legacy mode was not announced in the log")
	}
	var body map[string]any
	machine := func(name, kind string) int64 {
		_, body = s.call(t, "POST", "/api/v2/admin/machines", s.opTok, fmt.Sprintf(`{"name":%q,"kind":%q}`, name, kind))
		return int64(body["machine"].(float64))
	}
	vending, arcade1, arcade2 := machine("Old vending", "vending"), machine("Old arcade 1", "arcade"), machine("Old arcade 2", "arcade")
	s.stock(t, vending, 2, s.chips, 10)
	s.stock(t, arcade1, 4, s.coin, 10) // the legacy arcade "1" is slot 4 here
	s.stock(t, arcade2, 2, s.coin, 10)
	// The vending machine mapped through the API, the arcades from the
	// command line.
	if status, m := s.call(t, "PUT", fmt.Sprintf("/api/v2/admin/machines/%d/legacy", vending), s.opTok, `{"namespace":"vending-machine","id":0}`); status != 200 || m["id"] != "0" {
		t.Fatalf("map the vending machine: %d %v", status, m)
	}
	cli(t, s.Data, "machine", "legacy", "--id", fmt.Sprint(arcade1), "--namespace", "arcade", "--legacy-id", "1")
	cli(t, s.Data, "machine", "legacy", "--id", fmt.Sprint(arcade2), "--namespace", "arcade", "--legacy-id", "2")
	s.call(t, "POST", "/api/v2/admin/credit", s.opTok, fmt.Sprintf(`{"to":%d,"value":100}`, s.ana))

	balance := s.balance(t, s.anaTok)
	stockOf := func(id int64) float64 {
		return s.machineField(t, id, "stock").([]any)[0].(map[string]any)["quantity"].(float64)
	}
	for i, transports := range []string{"polling,websocket", "websocket", "polling"} {
		t.Run(transports, func(t *testing.T) {
			// A vending machine and two arcades.
			vm := startLegacy(t, s.URL, "--kind", "vending", "--secret", legacyVendingSecret, "--transports", transports)
			a1 := startLegacy(t, s.URL, "--kind", "arcade", "--secret", legacyArcadeSecret, "--id", "1", "--transports", transports)
			a2 := startLegacy(t, s.URL, "--kind", "arcade", "--secret", legacyArcadeSecret, "--id", "2", "--transports", transports)
			if got := vm.line(t, "CONNECTED", 1); got != strings.Split(transports, ",")[len(strings.Split(transports, ","))-1] {
				t.Errorf("connected over %s", got)
			}
			vm.line(t, "READY", 1) // its idle was applied: a purchase now cannot meet it
			if transports == "polling,websocket" && !vm.errOut.has("WebSocket upgrade was successful") {
				t.Error("the program did not upgrade from polling to WebSocket")
			}
			s.waitConnected(t, vending, true)
			status, body := s.call(t, "POST", "/api/v2/debit", s.anaTok, fmt.Sprintf(`{"product":%d,"machine":%d}`, s.chips, vending))
			if status != 201 {
				t.Fatalf("debit: %d %v", status, body)
			}
			op := body["operation"].(float64)
			mfa, keys := vm.event(t, "stateMFA", 1)
			if !slices.Equal(keys, []string{"username", "code", "operation"}) || mfa["operation"] != op {
				t.Errorf("stateMFA %v, keys %v", mfa, keys)
			}
			g := greeting.FindStringSubmatch(vm.line(t, "Olá, ", 1))
			if g == nil || g[1] != "ana" {
				t.Fatalf("greeting %q", vm.line(t, "Olá, ", 1))
			}
			status, body = s.call(t, "POST", "/api/v2/mfa", s.anaTok, fmt.Sprintf(`{"operation":%v,"code":%s}`, op, g[2]))
			if status != 200 || body["status"] != "releasing" {
				t.Fatalf("mfa: %d %v", status, body)
			}
			rel, keys := vm.event(t, "stateReleasing", 1)
			if !slices.Equal(keys, []string{"product", "operation"}) || rel["product"] != 2.0 || rel["operation"] != op {
				t.Errorf("stateReleasing %v, keys %v", rel, keys)
			}
			eventually(t, "the vending purchase completes", func() bool { return s.opStatus(t, s.anaTok, op) == "completed" })
			balance -= 5
			if b := s.balance(t, s.anaTok); b != balance {
				t.Errorf("balance %v, want %v", b, balance)
			}
			if q := stockOf(vending); q != float64(9-i) {
				t.Errorf("vending stock %v", q)
			}

			// A coin at arcade 1 goes to it alone.
			a1.line(t, "CONNECTED", 1)
			a2.line(t, "CONNECTED", 1)
			s.waitConnected(t, arcade1, true)
			s.waitConnected(t, arcade2, true)
			status, body = s.call(t, "POST", "/api/v2/debit", s.anaTok, fmt.Sprintf(`{"product":%d,"machine":%d}`, s.coin, arcade1))
			if status != 201 {
				t.Fatalf("arcade debit: %d %v", status, body)
			}
			op = body["operation"].(float64)
			ins, keys := a1.event(t, "coinInsert", 1)
			if !slices.Equal(keys, []string{"arcade", "coins", "operation"}) || ins["arcade"] != 1.0 || ins["coins"] != 1.0 || ins["operation"] != op {
				t.Errorf("coinInsert %v, keys %v", ins, keys)
			}
			eventually(t, "the coin completes the purchase", func() bool { return s.opStatus(t, s.anaTok, op) == "completed" })
			balance -= 2
			if b := s.balance(t, s.anaTok); b != balance {
				t.Errorf("balance %v, want %v", b, balance)
			}
			if q := stockOf(arcade1); q != float64(9-i) {
				t.Errorf("arcade stock %v", q)
			}
			if a2.out.has("EVENT coinInsert") {
				t.Error("arcade 2 was told of arcade 1's coin")
			}
			vm.stop()
			a1.stop()
			a2.stop()
			s.waitConnected(t, vending, false)
			s.waitConnected(t, arcade1, false)
		})
	}

	t.Run("refusals", func(t *testing.T) {
		for name, c := range map[string]struct {
			args []string
			want string
		}{
			"bad signature":     {[]string{"--kind", "vending", "--secret", "not the secret"}, "Authentication error"},
			"other kind's key":  {[]string{"--kind", "arcade", "--secret", legacyVendingSecret, "--id", "1"}, "Authentication error"},
			"default namespace": {[]string{"--kind", "vending", "--secret", legacyVendingSecret, "--namespace", "/"}, "namespace / is not served"},
			"unmapped arcade":   {[]string{"--kind", "arcade", "--secret", legacyArcadeSecret, "--id", "9"}, `no machine is mapped to arcade "9"`},
		} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				p := startLegacy(t, s.URL, append(c.args, "--transports", "websocket")...)
				if got := p.line(t, "CONNECT_ERROR", 1); !strings.HasPrefix(got, c.want) {
					t.Errorf("CONNECT_ERROR %q, want %q", got, c.want)
				}
				<-p.exited
				if p.cmd.ProcessState.ExitCode() != 3 {
					t.Errorf("exit status %d", p.cmd.ProcessState.ExitCode())
				}
			})
		}
	})
}

func TestMachineLegacyCommand(t *testing.T) {
	data := t.TempDir()
	for _, args := range [][]string{
		{"machine", "legacy", "--id", "1", "--namespace", "arcade"},
		{"machine", "legacy", "--namespace", "arcade", "--legacy-id", "1"},
		{"machine", "legacy", "--id", "1", "--namespace", "/", "--legacy-id", "1"},
	} {
		if _, _, err := runCLI(append(args, "--data", data), nil); exitCode(err) != 2 {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
	id := strings.Split(cli(t, data, "machine", "add", "--name", "Arcade", "--kind", "arcade"), "\n")[0]
	if out := cli(t, data, "machine", "legacy", "--id", id, "--namespace", "arcade", "--legacy-id", "7"); out != "/arcade 7 → machine "+id {
		t.Errorf("printed %q", out)
	}
	if _, _, err := runCLI([]string{"machine", "legacy", "--id", id, "--namespace", "vending-machine", "--legacy-id", "0", "--data", data}, nil); err == nil {
		t.Error("an arcade mapped as the vending machine")
	}
}

// TestLegacyCluster: legacy programs on instance A, the buyer on B; the
// commands reach them through NATS; a program of the same identity on B
// replaces the one on A, which gets DISCONNECT.
func TestLegacyCluster(t *testing.T) {
	requireLegacyClient(t)
	c := startCluster(t, 2, "--legacy-vending-secret", legacyVendingSecret, "--legacy-arcade-secret", legacyArcadeSecret)
	a, b := c.nodes[0], c.nodes[1]
	opTok, _ := setupGame(t, a)
	s := &shop{bank: a, opTok: opTok}
	s.chips = s.create(t, "products", `{"name":"Chips","type":"foods","price":5}`, "product")
	s.coin = s.create(t, "products", `{"name":"Credit","type":"arcade","price":2}`, "product")
	vending := s.create(t, "machines", `{"name":"Old vending","kind":"vending"}`, "machine")
	arcade := s.create(t, "machines", `{"name":"Old arcade","kind":"arcade"}`, "machine")
	s.stock(t, vending, 1, s.chips, 5)
	s.stock(t, arcade, 3, s.coin, 5)
	for _, m := range []string{fmt.Sprintf(`%d {"namespace":"vending-machine","id":0}`, vending), fmt.Sprintf(`%d {"namespace":"arcade","id":"3"}`, arcade)} {
		id, body, _ := strings.Cut(m, " ")
		if status, r := a.call(t, "PUT", "/api/v2/admin/machines/"+id+"/legacy", opTok, body); status != 200 {
			t.Fatalf("map %s: %d %v", m, status, r)
		}
	}
	anaTok, ana := b.login(t, "ana")
	a.call(t, "POST", "/api/v2/admin/credit", opTok, fmt.Sprintf(`{"to":%d,"value":20}`, ana))

	vm := startLegacy(t, a.URL, "--kind", "vending", "--secret", legacyVendingSecret)
	arc := startLegacy(t, a.URL, "--kind", "arcade", "--secret", legacyArcadeSecret, "--id", "3", "--transports", "websocket")
	vm.line(t, "READY", 1)
	arc.line(t, "CONNECTED", 1)
	s.waitConnected(t, vending, true)
	s.waitConnected(t, arcade, true)
	status, body := b.call(t, "POST", "/api/v2/debit", anaTok, fmt.Sprintf(`{"product":%d,"machine":%d}`, s.chips, vending))
	if status != 201 {
		t.Fatalf("debit on B: %d %v", status, body)
	}
	op := body["operation"].(float64)
	g := greeting.FindStringSubmatch(vm.line(t, "Olá, ", 1))
	if g == nil {
		t.Fatal("no greeting")
	}
	if status, r := b.call(t, "POST", "/api/v2/mfa", anaTok, fmt.Sprintf(`{"operation":%v,"code":%s}`, op, g[2])); status != 200 {
		t.Fatalf("mfa on B: %d %v", status, r)
	}
	eventually(t, "the purchase through B completes", func() bool { return s.opStatus(t, anaTok, op) == "completed" })
	status, body = b.call(t, "POST", "/api/v2/debit", anaTok, fmt.Sprintf(`{"product":%d,"machine":%d}`, s.coin, arcade))
	if status != 201 {
		t.Fatalf("coin on B: %d %v", status, body)
	}
	coin := body["operation"].(float64)
	eventually(t, "the coin through B completes", func() bool { return s.opStatus(t, anaTok, coin) == "completed" })
	if bal := s.balance(t, anaTok); bal != 13 {
		t.Errorf("balance %v", bal)
	}
	// The same vending identity connects to B: the program on A is replaced.
	vm2 := startLegacy(t, b.URL, "--kind", "vending", "--secret", legacyVendingSecret, "--transports", "websocket")
	vm2.line(t, "READY", 1)
	vm.line(t, "DISCONNECTED", 1)
	status, body = a.call(t, "POST", "/api/v2/debit", anaTok, fmt.Sprintf(`{"product":%d,"machine":%d}`, s.chips, vending))
	if status != 201 {
		t.Fatalf("debit on A after the replacement: %d %v", status, body)
	}
	if m, _ := vm2.event(t, "stateMFA", 1); m["operation"] != body["operation"] {
		t.Errorf("stateMFA on B's program: %v", m)
	}
}
