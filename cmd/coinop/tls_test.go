package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	mathbig "math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// selfSigned writes a certificate for localhost and 127.0.0.1 and returns
// the files and a pool trusting it.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: mathbig.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	kb, _ := x509.MarshalECPrivateKey(key)
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func (ts *testServer) logAttr(msg, key string) string {
	ts.logMu.Lock()
	defer ts.logMu.Unlock()
	for _, rec := range ts.logs {
		if rec["msg"] == msg {
			v, _ := rec[key].(string)
			return v
		}
	}
	return ""
}

func TestTLS(t *testing.T) {
	cert, key, pool := selfSigned(t)
	ts := startServer(t, "", "--tls-cert", cert, "--tls-key", key, "--redirect-addr", "127.0.0.1:0", "--demo")
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get("https://" + ts.Addr + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("HTTPS: %v %v", resp, err)
	}
	// Plain HTTP on the TLS port is refused.
	if resp, err := http.Get("http://" + ts.Addr + "/healthz"); err == nil && resp.StatusCode == 200 {
		t.Fatal("plain HTTP answered on the TLS port")
	}
	redirect := ts.logAttr("redirecting HTTP to HTTPS", "addr")
	resp, err = client.Get("http://" + redirect + "/app/?x=1")
	if err != nil || resp.StatusCode != http.StatusPermanentRedirect || !strings.HasPrefix(resp.Header.Get("Location"), "https://") || !strings.HasSuffix(resp.Header.Get("Location"), "/app/?x=1") {
		t.Fatalf("redirect: %v %v", resp, err)
	}
	// Cookies are Secure over HTTPS.
	req, _ := http.NewRequest("POST", "https://"+ts.Addr+"/api/v2/demo/login", bytes.NewBufferString(`{"name":"Ana"}`))
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err = client.Do(req)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("demo login over HTTPS: %v %v", resp, err)
	}
	if c := resp.Header.Get("Set-Cookie"); !strings.Contains(c, "Secure") || !strings.Contains(c, "HttpOnly") {
		t.Fatalf("session cookie over HTTPS: %q", c)
	}
}

func TestACMEConfiguration(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Data, cfg.ACMEDomain = t.TempDir(), "feira.example, jogos.feira.example"
	c, err := tlsConfig(&cfg, newLogger(&cfg, &bytes.Buffer{}))
	if err != nil || c == nil || c.GetCertificate == nil || !slices.Contains(c.NextProtos, "acme-tls/1") {
		t.Fatalf("ACME TLS config: %+v, %v", c, err)
	}
	// A host outside the list gets no certificate (and no CA is asked).
	if _, err := c.GetCertificate(&tls.ClientHelloInfo{ServerName: "evil.example"}); err == nil {
		t.Fatal("a certificate for a host not listed")
	}
	cfg.TLSCert = "x"
	if _, err := tlsConfig(&cfg, newLogger(&cfg, &bytes.Buffer{})); err == nil {
		t.Fatal("both certificate files and ACME accepted")
	}
}

func TestIPv6(t *testing.T) {
	if ln, err := net.Listen("tcp", "[::1]:0"); err != nil {
		t.Skip("no IPv6 loopback here")
	} else {
		ln.Close()
	}
	ts := startServer(t, "", "--addr", "[::1]:0")
	resp, err := http.Get("http://" + ts.Addr + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("over IPv6: %v %v", resp, err)
	}
}
