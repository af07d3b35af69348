package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"

	"golang.org/x/crypto/acme"
)

// newACMEClient is a client of the ACME directory (Let's Encrypt if empty)
// that also trusts the certificates in caFile (--acme-ca-file), if one is
// given: for a private or test CA (step-ca, pebble) whose API has a
// certificate of its own.
func newACMEClient(directory, caFile string) (*acme.Client, error) {
	c := &acme.Client{DirectoryURL: directory}
	if caFile == "" {
		return c, nil
	}
	bundle, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("--acme-ca-file: %w", err)
	}
	roots, err := x509.SystemCertPool()
	if err != nil {
		roots = x509.NewCertPool()
	}
	if !roots.AppendCertsFromPEM(bundle) {
		return nil, fmt.Errorf("--acme-ca-file: no PEM certificate in %s", caFile)
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	c.HTTPClient = &http.Client{Transport: t}
	return c, nil
}
