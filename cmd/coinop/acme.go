package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"

	"golang.org/x/crypto/acme"
)

// acmeCAFileEnv names a PEM bundle of CA certificates trusted, besides the
// system's, when talking to the ACME directory: for a private or test CA
// (step-ca, pebble) whose API has a certificate of its own. It is read from
// the process environment only; there is no flag.
const acmeCAFileEnv = "COINOP_ACME_CA_FILE"

// newACMEClient is a client of the ACME directory (Let's Encrypt if empty)
// that also trusts the certificates in caFile, if one is given.
func newACMEClient(directory, caFile string) (*acme.Client, error) {
	c := &acme.Client{DirectoryURL: directory}
	if caFile == "" {
		return c, nil
	}
	bundle, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", acmeCAFileEnv, err)
	}
	roots, err := x509.SystemCertPool()
	if err != nil {
		roots = x509.NewCertPool()
	}
	if !roots.AppendCertsFromPEM(bundle) {
		return nil, fmt.Errorf("%s: no PEM certificate in %s", acmeCAFileEnv, caFile)
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	c.HTTPClient = &http.Client{Transport: t}
	return c, nil
}
