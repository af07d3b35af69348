package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // the fair's time zone on any system

	coinophttp "github.com/coinop/coinop/http"
	"github.com/coinop/coinop/oidc"
)

// bankOptions are the bank's rules from the configuration.
func bankOptions(cfg *Config) coinophttp.BankOptions {
	loc, _ := time.LoadLocation(cfg.Timezone) // checked by Validate
	return coinophttp.BankOptions{
		CreditLimit: cfg.CreditLimit, CreditWindow: cfg.CreditWindow, TransferWindow: cfg.TransferWindow,
		GameAudiences: splitList(cfg.OIDCGameAudiences), Operators: splitList(cfg.Operators),
		Location: loc, SecureCookies: strings.HasPrefix(cfg.PublicURL, "https://") || cfg.TLSCert != "" || cfg.ACMEDomain != "",
	}
}

// idTokenVerifier verifies the identity provider's ID tokens.
func idTokenVerifier(cfg *Config, log *slog.Logger) *oidc.Verifier {
	v := oidc.NewVerifier(cfg.OIDCIssuer, cfg.UserAudiences(), nil)
	v.Log = log
	return v
}

// loginProvider is the browser's code flow, when a client id is configured.
func loginProvider(cfg *Config, addr net.Addr) coinophttp.LoginProvider {
	if cfg.OIDCClientID == "" {
		return nil
	}
	return &oidc.Client{
		Issuer: cfg.OIDCIssuer, ClientID: cfg.OIDCClientID, ClientSecret: cfg.OIDCClientSecret,
		RedirectURL: publicURL(cfg, addr) + "/api/v2/auth/callback",
	}
}

// publicURL is the configured external URL, or http://localhost:PORT.
func publicURL(cfg *Config, addr net.Addr) string {
	if cfg.PublicURL != "" {
		return strings.TrimSuffix(cfg.PublicURL, "/")
	}
	_, port, _ := net.SplitHostPort(addr.String())
	scheme := "http"
	if cfg.TLSCert != "" || cfg.ACMEDomain != "" {
		scheme = "https"
	}
	return scheme + "://localhost:" + port
}

// runOperatorGrant makes an existing person an operator.
func runOperatorGrant(ctx context.Context, e *env, args []string) error {
	var email string
	switch {
	case len(args) == 1 && e.opts.id == 0:
		email = args[0]
	case len(args) == 0 && e.opts.id > 0:
	default:
		return usageError{"usage: coinop operator grant EMAIL, or coinop operator grant --id N"}
	}
	s, err := openStore(ctx, &e.cfg, newLogger(&e.cfg, e.stderr))
	if err != nil {
		return err
	}
	defer s.Close()
	p, err := s.GrantOperator(ctx, 0, email, e.opts.id)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "person %s (%s, %s) is now an operator\n", strconv.FormatInt(p.ID, 10), p.Name, p.Email)
	return nil
}
