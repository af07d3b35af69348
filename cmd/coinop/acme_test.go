package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// acmeTestDomain is a made-up name; pebble-challtestsrv resolves it to
// 127.0.0.1 for pebble's validation, and the test's client dials it there.
const acmeTestDomain = "coinop.test"

// TestACMEPebble obtains a certificate for real from pebble, Let's Encrypt's
// test CA (a Go tool of this module): pebble validates tls-alpn-01 against
// coinop's HTTPS port, the client verifies the chain against pebble's root,
// and a restart serves the certificate from DATA/acme with pebble gone.
func TestACMEPebble(t *testing.T) {
	bin := buildPebble(t)
	apiCert, apiKey, _ := selfSigned(t) // pebble's own API certificate

	dnsPort, challMgmtPort, apiPort, mgmtPort := pebbleFreePort(t), pebbleFreePort(t), pebbleFreePort(t), pebbleFreePort(t)
	startPebbleProcess(t, "challtestsrv", filepath.Join(bin, "pebble-challtestsrv"), nil,
		"-dnsserver", "127.0.0.1:"+dnsPort, "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "",
		"-management", "127.0.0.1:"+challMgmtPort, "-http01", "", "-https01", "", "-doh", "", "-tlsalpn01", "")
	pebbleWaitListening(t, "127.0.0.1:"+dnsPort) // DNS over TCP, as pebble asks

	// coinop first: pebble must validate on the port it listens on.
	ts := startServer(t, "", "--acme-domain", acmeTestDomain, "--acme-directory", "https://127.0.0.1:"+apiPort+"/dir", "--acme-ca-file", apiCert)
	_, coinopPort, _ := net.SplitHostPort(ts.Addr)
	tlsPort, _ := strconv.Atoi(coinopPort)

	conf := map[string]any{"pebble": map[string]any{
		"listenAddress": "127.0.0.1:" + apiPort, "managementListenAddress": "127.0.0.1:" + mgmtPort,
		"certificate": apiCert, "privateKey": apiKey, "httpPort": 0, "tlsPort": tlsPort,
		"ocspResponderURL": "", "externalAccountBindingRequired": false, "keyAlgorithm": "ecdsa",
		"retryAfter": map[string]int{"authz": 1, "order": 1},
	}}
	confFile := filepath.Join(t.TempDir(), "pebble.json")
	if b, _ := json.Marshal(conf); os.WriteFile(confFile, b, 0o600) != nil {
		t.Fatal("writing pebble's configuration")
	}
	pebble := startPebbleProcess(t, "pebble", filepath.Join(bin, "pebble"),
		[]string{"PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0", "PEBBLE_AUTHZREUSE=0"},
		"-config", confFile, "-dnsserver", "127.0.0.1:"+dnsPort)
	api := pebbleClient(t, apiCert)
	pebbleWaitFor(t, api, "https://127.0.0.1:"+apiPort+"/dir")
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pebbleWaitFor(t, api, "https://127.0.0.1:"+mgmtPort+"/roots/0")) {
		t.Fatal("pebble's /roots/0 is not a PEM certificate")
	}

	// The first handshake for the name makes coinop obtain the certificate.
	first := ts
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("coinop's first run:\n%s", first.Logs())
		}
	})
	issued := checkACMECert(t, ts.Addr, roots)
	for _, name := range []string{acmeTestDomain, "acme_account+key"} {
		if _, err := os.Stat(filepath.Join(ts.Data, "acme", name)); err != nil {
			t.Errorf("not cached in DATA/acme: %v", err)
		}
	}

	// Restarted, with pebble stopped: the certificate comes from the cache.
	ts.Stop(t)
	pebble.stop()
	ts = startServer(t, ts.Data, "--acme-domain", acmeTestDomain, "--acme-directory", "https://127.0.0.1:"+apiPort+"/dir", "--acme-ca-file", apiCert)
	if again := checkACMECert(t, ts.Addr, roots); !again.Equal(issued) {
		t.Fatalf("after a restart: a new certificate (serial %v, was %v), not the cached one", again.SerialNumber, issued.SerialNumber)
	}
}

// checkACMECert connects to addr as acmeTestDomain, checks the certificate
// against pebble's roots and the name, and asks /healthz over the same
// connection. It returns the leaf.
func checkACMECert(t *testing.T, addr string, roots *x509.CertPool) *x509.Certificate {
	t.Helper()
	dialer := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second}, Config: &tls.Config{
		ServerName: acmeTestDomain, RootCAs: roots, NextProtos: []string{"http/1.1"}, MinVersion: tls.VersionTLS12}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // the handshake waits for the CA
	defer cancel()
	c, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		t.Fatalf("TLS handshake as %s (the chain must lead to pebble's root): %v", acmeTestDomain, err)
	}
	conn := c.(*tls.Conn)
	defer conn.Close()
	state := conn.ConnectionState()
	leaf := state.PeerCertificates[0]
	inter := x509.NewCertPool()
	for _, c := range state.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{DNSName: acmeTestDomain, Roots: roots, Intermediates: inter}); err != nil {
		t.Fatalf("certificate not from pebble for %s: %v", acmeTestDomain, err)
	}
	if len(leaf.DNSNames) != 1 || leaf.DNSNames[0] != acmeTestDomain {
		t.Fatalf("certificate names %v, want [%s]", leaf.DNSNames, acmeTestDomain)
	}
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", acmeTestDomain)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /healthz over the ACME certificate: %v %v", resp, err)
	}
	resp.Body.Close()
	return leaf
}

// buildPebble builds pebble and pebble-challtestsrv (this module's tools)
// into a temporary folder. If that fails the test is skipped, except under
// CI=true, where it fails.
func buildPebble(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "build", "-o", dir+string(filepath.Separator),
		"github.com/letsencrypt/pebble/v2/cmd/pebble", "github.com/letsencrypt/pebble/v2/cmd/pebble-challtestsrv").CombinedOutput()
	if err != nil {
		msg := fmt.Sprintf("cannot build pebble (go tool pebble, see go.mod): %v\n%s", err, out)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return dir
}

// pebbleProcess is pebble or challtestsrv running; its output is logged if the test fails.
type pebbleProcess struct {
	cmd  *exec.Cmd
	out  pebbleOutput
	once sync.Once
}

// startPebbleProcess starts a child process, stopped at the end of the test.
func startPebbleProcess(t *testing.T, name, path string, env []string, args ...string) *pebbleProcess {
	t.Helper()
	p := &pebbleProcess{cmd: exec.Command(path, args...)}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("%s output:\n%s", name, p.out.String())
		}
	})
	return p
}

// stop kills the process and waits for it.
func (p *pebbleProcess) stop() {
	p.once.Do(func() {
		p.cmd.Process.Kill()
		p.cmd.Wait()
	})
}

// pebbleOutput is a bytes.Buffer safe for a writing process and a reader.
type pebbleOutput struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *pebbleOutput) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *pebbleOutput) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// pebbleFreePort is a loopback TCP port free a moment ago.
func pebbleFreePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// pebbleWaitListening dials addr until it accepts (for up to 20 s).
func pebbleWaitListening(t *testing.T, addr string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %s: %v", addr, err)
		}
	}
}

// pebbleClient trusts pebble's API certificate.
func pebbleClient(t *testing.T, certFile string) *http.Client {
	t.Helper()
	b, err := os.ReadFile(certFile)
	block, _ := pem.Decode(b)
	if err != nil || block == nil {
		t.Fatalf("reading %s: %v", certFile, err)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

// pebbleWaitFor GETs url until it answers 200 (for up to 20 s) and returns the body.
func pebbleWaitFor(t *testing.T, client *http.Client, url string) []byte {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := client.Get(url)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return body
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", url, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestACMECAFile checks --acme-ca-file (COINOP_ACME_CA_FILE): a missing or empty bundle
// stops the server at start, a certificate is trusted by the ACME client.
func TestACMECAFile(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Data, cfg.ACMEDomain = t.TempDir(), acmeTestDomain
	notPEM := filepath.Join(t.TempDir(), "empty.pem")
	os.WriteFile(notPEM, []byte("no certificate here\n"), 0o600)
	for _, bad := range []string{filepath.Join(t.TempDir(), "missing.pem"), notPEM} {
		cfg.ACMECAFile = bad
		if _, err := tlsConfig(&cfg, newLogger(&cfg, &bytes.Buffer{})); err == nil {
			t.Errorf("--acme-ca-file %s accepted", bad)
		}
	}
	cert, _, _ := selfSigned(t)
	c, err := newACMEClient("", cert)
	if err != nil || c.HTTPClient == nil || c.DirectoryURL != "" {
		t.Fatalf("client trusting %s: %+v, %v", cert, c, err)
	}
}
