package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is the server's configuration: defaults, then environment, then
// flags, then Validate.
type Config struct {
	Addr               string
	Data               string
	DB                 string
	TokenKey           string
	Tick               time.Duration
	AllowedOrigins     string
	LogFormat          string
	LogLevel           string
	PriceURL           string
	PriceInterval      time.Duration
	RevocationInterval time.Duration
	PprofAddr          string

	OIDCIssuer        string
	OIDCClientID      string
	OIDCClientSecret  string
	OIDCAudiences     string
	OIDCGameAudiences string
	Operators         string
	CreditLimit       int64
	CreditWindow      time.Duration
	TransferWindow    time.Duration
	Timezone          string
	PublicURL         string
	CodeTimeout       time.Duration
	CoinTimeout       time.Duration
	ReportTimeout     time.Duration
	Demo              bool
	NATS              string
	TLSCert           string
	TLSKey            string
	ACMEDomain        string
	ACMEDirectory     string
	ACMECAFile        string
	RedirectAddr      string

	LegacyVendingSecret string // HS256 secret of the legacy /vending-machine tokens
	LegacyArcadeSecret  string // HS256 secret of the legacy /arcade tokens
}

// setting ties a configuration field to its flag and environment variable.
type setting struct {
	flag, env, usage string
	str              *string
	dur              *time.Duration
	num              *int64
	on               *bool
	secret           bool // also read from ENV_FILE
}

func (c *Config) settings() []setting {
	return []setting{
		{flag: "addr", env: "COINOP_ADDR", usage: "address to listen on", str: &c.Addr},
		{flag: "data", env: "COINOP_DATA", usage: "data folder (created if missing)", str: &c.Data},
		{flag: "db", env: "COINOP_DB", usage: "database: an SQLite file path (default DATA/coinop.db) or a postgres:// URL", str: &c.DB},
		{flag: "token-key", env: "COINOP_TOKEN_KEY", usage: "HMAC key for tokens, at least 32 bytes (default: generated once into DATA/token.key)", str: &c.TokenKey, secret: true},
		{flag: "tick", env: "COINOP_TICK", usage: "ticker interval", dur: &c.Tick},
		{flag: "allowed-origins", env: "COINOP_ALLOWED_ORIGINS", usage: "browser origins allowed on WebSockets and CORS, comma-separated (default: same origin; CORS * on /auth/token)", str: &c.AllowedOrigins},
		{flag: "log-format", env: "COINOP_LOG_FORMAT", usage: "log format: text or json", str: &c.LogFormat},
		{flag: "log-level", env: "COINOP_LOG_LEVEL", usage: "log level: debug, info, warn or error", str: &c.LogLevel},
		{flag: "price-url", env: "COINOP_PRICE_URL", usage: "HTTP price API to poll instead of the simulated market", str: &c.PriceURL},
		{flag: "price-interval", env: "COINOP_PRICE_INTERVAL", usage: "how often to poll --price-url", dur: &c.PriceInterval},
		{flag: "pprof-addr", env: "COINOP_PPROF_ADDR", usage: "if set, serve Go profiling (net/http/pprof) on this address; keep it private", str: &c.PprofAddr},
		{flag: "oidc-issuer", env: "COINOP_OIDC_ISSUER", usage: "OpenID Connect issuer of the players' identities", str: &c.OIDCIssuer},
		{flag: "oidc-client-id", env: "COINOP_OIDC_CLIENT_ID", usage: "OAuth client id of the web login (empty: no web login)", str: &c.OIDCClientID},
		{flag: "oidc-client-secret", env: "COINOP_OIDC_CLIENT_SECRET", usage: "OAuth client secret of the web login", str: &c.OIDCClientSecret, secret: true},
		{flag: "oidc-audiences", env: "COINOP_OIDC_AUDIENCES", usage: "accepted audiences (client ids) of user ID tokens, comma- or space-separated", str: &c.OIDCAudiences},
		{flag: "oidc-game-audiences", env: "COINOP_OIDC_GAME_AUDIENCES", usage: "client ids of the games: the only tokens /credit accepts", str: &c.OIDCGameAudiences},
		{flag: "operators", env: "COINOP_OPERATORS", usage: "e-mails made operators at login (verified e-mails only)", str: &c.Operators},
		{flag: "credit-limit", env: "COINOP_CREDIT_LIMIT", usage: "largest credit a game may pay at once (a game may set its own)", num: &c.CreditLimit},
		{flag: "credit-window", env: "COINOP_CREDIT_WINDOW", usage: "one credit per game and player per window; 0 turns the rule off", dur: &c.CreditWindow},
		{flag: "transfer-window", env: "COINOP_TRANSFER_WINDOW", usage: "one transfer per sender per window; 0 turns the rule off", dur: &c.TransferWindow},
		{flag: "timezone", env: "COINOP_TIMEZONE", usage: "the fair's time zone, for statements", str: &c.Timezone},
		{flag: "nats", env: "COINOP_NATS_URL", usage: "NATS server for several instances (events, machine commands, ticker); unset: in-process", str: &c.NATS},
		{flag: "tls-cert", env: "COINOP_TLS_CERT", usage: "TLS certificate file (PEM); with --tls-key, serve HTTPS", str: &c.TLSCert},
		{flag: "tls-key", env: "COINOP_TLS_KEY", usage: "TLS private key file (PEM)", str: &c.TLSKey},
		{flag: "acme-domain", env: "COINOP_ACME_DOMAIN", usage: "obtain certificates automatically (ACME, tls-alpn-01) for these domains; cached in DATA/acme", str: &c.ACMEDomain},
		{flag: "acme-directory", env: "COINOP_ACME_DIRECTORY", usage: "ACME directory URL (default Let's Encrypt)", str: &c.ACMEDirectory},
		{flag: "acme-ca-file", env: "COINOP_ACME_CA_FILE", usage: "PEM bundle of CAs trusted, besides the system's, for the ACME directory's HTTPS (a private or test CA)", str: &c.ACMECAFile},
		{flag: "redirect-addr", env: "COINOP_REDIRECT_ADDR", usage: "with TLS, also listen here (e.g. :80) and redirect HTTP to HTTPS", str: &c.RedirectAddr},
		{flag: "demo", env: "COINOP_DEMO", usage: "demo mode: a demo catalogue, simulated machines and a development login (never in production)", on: &c.Demo},
		{flag: "code-timeout", env: "COINOP_CODE_TIMEOUT", usage: "how long a vending machine's 2-digit code is valid", dur: &c.CodeTimeout},
		{flag: "coin-timeout", env: "COINOP_COIN_TIMEOUT", usage: "how long an arcade has to confirm a coin before the debit is voided", dur: &c.CoinTimeout},
		{flag: "report-timeout", env: "COINOP_REPORT_TIMEOUT", usage: "after a release, how long a machine has to report before the operation is marked unknown", dur: &c.ReportTimeout},
		{flag: "public-url", env: "COINOP_PUBLIC_URL", usage: "external URL of this server (OIDC redirect, links); default http://localhost:PORT", str: &c.PublicURL},
		{flag: "legacy-vending-secret", env: "COINOP_LEGACY_VENDING_SECRET", usage: "turns on Socket.IO at /api/v2/machine/ for the fair's legacy vending machine program: the HS256 secret of its tokens", str: &c.LegacyVendingSecret, secret: true},
		{flag: "legacy-arcade-secret", env: "COINOP_LEGACY_ARCADE_SECRET", usage: "turns on Socket.IO at /api/v2/machine/ for the fair's legacy arcade programs: the HS256 secret of their tokens", str: &c.LegacyArcadeSecret, secret: true},
		{flag: "revocation-interval", env: "COINOP_REVOCATION_INTERVAL", usage: "how often to reload revoked API keys", dur: &c.RevocationInterval},
	}
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		Addr: ":8081", Data: "./data", Tick: 10 * time.Millisecond, LogFormat: "text", LogLevel: "info",
		PriceInterval: 2 * time.Second, RevocationInterval: time.Second,
		OIDCIssuer: "https://accounts.google.com", CreditLimit: 1000, CreditWindow: 5 * time.Minute,
		TransferWindow: 5 * time.Minute, Timezone: "America/Sao_Paulo",
		CodeTimeout: 30 * time.Second, CoinTimeout: 30 * time.Second, ReportTimeout: 2 * time.Minute,
	}
}

// LoadEnv overrides defaults from the environment. A secret may come from
// the file named by its variable with _FILE appended.
func (c *Config) LoadEnv(getenv func(string) string) error {
	for _, s := range c.settings() {
		v := getenv(s.env)
		if s.secret && v == "" {
			if path := getenv(s.env + "_FILE"); path != "" {
				b, err := os.ReadFile(path)
				if err != nil {
					return fmt.Errorf("%s_FILE: %w", s.env, err)
				}
				v = strings.TrimRight(string(b), "\r\n")
			}
		}
		if v == "" {
			continue
		}
		if err := s.set(v); err != nil {
			return fmt.Errorf("%s: %w", s.env, err)
		}
	}
	return nil
}

// set parses v into the setting's field.
func (s setting) set(v string) error {
	switch {
	case s.str != nil:
		*s.str = v
	case s.dur != nil:
		d, err := time.ParseDuration(v)
		if err != nil {
			return err
		}
		*s.dur = d
	case s.on != nil:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return err
		}
		*s.on = b
	default:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return err
		}
		*s.num = n
	}
	return nil
}

// bind registers the settings as flags on fs, with current values as defaults.
func (c *Config) bind(fs *flag.FlagSet) {
	for _, s := range c.settings() {
		usage := s.usage + " (env " + s.env + ")"
		switch {
		case s.str != nil:
			fs.StringVar(s.str, s.flag, *s.str, usage)
		case s.dur != nil:
			fs.DurationVar(s.dur, s.flag, *s.dur, usage)
		case s.on != nil:
			fs.BoolVar(s.on, s.flag, *s.on, usage)
		default:
			fs.Int64Var(s.num, s.flag, *s.num, usage)
		}
	}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	var errs []error
	if c.Tick < time.Millisecond {
		errs = append(errs, errors.New("tick must be at least 1ms"))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, errors.New("log-format must be text or json"))
	}
	if c.TokenKey != "" && len(c.TokenKey) < 32 {
		errs = append(errs, fmt.Errorf("token key is %d bytes; it must be at least 32", len(c.TokenKey)))
	}
	if c.PriceURL != "" && c.PriceInterval < 100*time.Millisecond {
		errs = append(errs, errors.New("price-interval must be at least 100ms"))
	}
	if c.CreditLimit < 1 || c.CreditWindow < 0 || c.TransferWindow < 0 {
		errs = append(errs, errors.New("credit-limit must be at least 1 and windows not negative"))
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("--tls-cert and --tls-key go together"))
	}
	if c.RedirectAddr != "" && c.TLSCert == "" && c.ACMEDomain == "" {
		errs = append(errs, errors.New("--redirect-addr needs TLS (--tls-cert/--tls-key or --acme-domain)"))
	}
	if c.CodeTimeout <= 0 || c.CoinTimeout <= 0 || c.ReportTimeout <= 0 {
		errs = append(errs, errors.New("code, coin and report timeouts must be positive"))
	}
	if _, err := time.LoadLocation(c.Timezone); err != nil {
		errs = append(errs, fmt.Errorf("timezone: %w", err))
	}
	if c.RevocationInterval <= 0 || c.RevocationInterval > 5*time.Second {
		errs = append(errs, errors.New("revocation-interval must be between 0 and 5s"))
	}
	return errors.Join(errs...)
}

// Origins returns the allowed origins as a list.
func (c *Config) Origins() []string { return splitList(c.AllowedOrigins) }

// splitList splits on commas and spaces.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}

// UserAudiences are the audiences accepted in user ID tokens: the listed
// ones, the games' and the web login's client.
func (c *Config) UserAudiences() []string {
	out := append(splitList(c.OIDCAudiences), splitList(c.OIDCGameAudiences)...)
	if c.OIDCClientID != "" {
		out = append(out, c.OIDCClientID)
	}
	return out
}
