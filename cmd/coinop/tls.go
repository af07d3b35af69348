package main

import (
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/acme/autocert"
)

// tlsConfig is the server's TLS: certificate files, or certificates
// obtained automatically from an ACME CA (Let's Encrypt by default) for
// --acme-domain, cached in the data folder (the ACME directory's API may be
// trusted through --acme-ca-file, see acme.go). Nil: plain HTTP.
func tlsConfig(cfg *Config, log *slog.Logger) (*tls.Config, error) {
	switch {
	case cfg.TLSCert != "" && cfg.ACMEDomain != "":
		return nil, errors.New("choose --tls-cert/--tls-key or --acme-domain, not both")
	case cfg.TLSCert != "" || cfg.TLSKey != "":
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, err
		}
		return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
	case cfg.ACMEDomain != "":
		m := &autocert.Manager{
			Prompt:     autocert.AcceptTOS,
			HostPolicy: autocert.HostWhitelist(splitList(cfg.ACMEDomain)...),
			Cache:      autocert.DirCache(filepath.Join(cfg.Data, "acme")),
		}
		if cfg.ACMEDirectory != "" || cfg.ACMECAFile != "" {
			client, err := newACMEClient(cfg.ACMEDirectory, cfg.ACMECAFile)
			if err != nil {
				return nil, err
			}
			m.Client = client
		}
		log.Info("certificates from ACME", "domains", cfg.ACMEDomain, "cache", filepath.Join(cfg.Data, "acme"))
		c := m.TLSConfig() // answers tls-alpn-01 challenges itself
		c.MinVersion = tls.VersionTLS12
		return c, nil
	}
	return nil, nil
}

// serveRedirect answers plain HTTP on addr with a permanent redirect to
// the same path over HTTPS.
func serveRedirect(ln net.Listener, publicURL string, log *slog.Logger) *http.Server {
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target := strings.TrimSuffix(publicURL, "/")
		if target == "" {
			host, _, err := net.SplitHostPort(r.Host)
			if err != nil {
				host = r.Host
			}
			target = "https://" + host
		}
		http.Redirect(w, r, target+r.URL.RequestURI(), http.StatusPermanentRedirect)
	})}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("redirect listener", "err", err)
		}
	}()
	return srv
}
