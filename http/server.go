// Package http is coinop's HTTP and WebSocket adapter: the route table, one
// error table, JSON helpers, middleware, the ticker hub and the embedded web
// page. Handlers decode and validate, read the actor, make one service call
// and encode.
package http

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/coinop/coinop"
	"github.com/coinop/coinop/metrics"
	"github.com/coinop/coinop/socketio"
)

// Options are the server's dependencies and settings.
type Options struct {
	Log      *slog.Logger
	APIKeys  coinop.APIKeyService
	Tokens   coinop.TokenService
	Revoked  func(keyID int64) bool // nil: nothing is revoked
	Ready    func(ctx context.Context) error
	Metrics  *metrics.Registry
	TokenTTL time.Duration // lifetime of tokens from /auth/token; default 1h
	// AllowedOrigins lists browser origins allowed on WebSockets and for
	// CORS. Empty: WebSockets same-origin only, CORS "*" on /auth/token.
	AllowedOrigins []string
	// FailureLimit is how many failed /auth/token requests one address may
	// make per minute before getting 429; default 20.
	FailureLimit int
	Ticker       TickerOptions

	// The bank. Store may be nil in servers that only run the ticker.
	Store    coinop.Store
	IDTokens IDTokenVerifier // verifies the identity provider's ID tokens
	Login    LoginProvider   // the browser's OIDC code flow; nil disables it
	Bank     BankOptions
	// Bus carries people's events, machine commands between instances and
	// the ticker's frames; nil: no live events (ticker-only servers).
	Bus     coinop.Bus
	Vending VendingOptions
	// Demo, when set, turns on the demo's routes: the development login,
	// games that pay, the simulated machines' screens. Only --demo sets it.
	Demo DemoMachines
	// Legacy, when a secret is set, serves the fair's legacy machine
	// programs over Socket.IO at /api/v2/machine/ (legacy.go).
	Legacy LegacyOptions
}

// VendingOptions are the machines' rules.
type VendingOptions struct {
	CodeTimeout   time.Duration // how long a code is valid; default 30s
	CoinTimeout   time.Duration // how long an arcade has to confirm a coin; default 30s
	ReportTimeout time.Duration // after stateReleasing, before "unknown"; default 2m
	MaxAttempts   int           // code attempts; default 3
}

// IDTokenVerifier verifies an ID token of the identity provider.
type IDTokenVerifier interface {
	Verify(ctx context.Context, raw string) (*coinop.Identity, error)
}

// LoginProvider is the identity provider's authorization code flow.
type LoginProvider interface {
	AuthURL(ctx context.Context, state, nonce, codeChallenge string) (string, error)
	Exchange(ctx context.Context, code, codeVerifier string) (idToken string, err error)
}

// BankOptions are the bank's rules.
type BankOptions struct {
	CreditLimit    int64         // largest credit a game may pay, unless it sets its own
	CreditWindow   time.Duration // one credit per game and person per window; 0: off
	TransferWindow time.Duration // one transfer per sender per window; 0: off
	GameAudiences  []string      // OAuth clients of the games: the only tokens /credit accepts
	Operators      []string      // e-mails made operators at login (verified e-mails only)
	Location       *time.Location
	SessionTTL     time.Duration // web session lifetime; default 12h
	// SecureCookies marks cookies Secure (HTTPS).
	SecureCookies bool
}

// Server serves coinop's HTTP API.
type Server struct {
	opts     Options
	log      *slog.Logger
	mux      *http.ServeMux
	srv      *http.Server
	ticker   *TickerHub
	machines *MachineHub
	legacy   *socketio.Server // nil: legacy machines are off
	sockets  socketSet        // events and demo sockets
	failures *failureLimiter
	metrics  serverMetrics
	now      func() time.Time
	idCache  idCache
	people   personCache
	csrf     *http.CrossOriginProtection
}

type serverMetrics struct {
	requests *metrics.Vec

	mu     sync.RWMutex
	series map[routeStatus]*metrics.Value
}

type routeStatus struct {
	route  string
	status int
}

// request returns the request counter of a route and status, without
// allocating once the series exists.
func (m *serverMetrics) request(route string, status int) *metrics.Value {
	k := routeStatus{route, status}
	m.mu.RLock()
	v := m.series[k]
	m.mu.RUnlock()
	if v == nil {
		v = m.requests.With(route, strconv.Itoa(status))
		m.mu.Lock()
		m.series[k] = v
		m.mu.Unlock()
	}
	return v
}

// NewServer builds a server from opts.
func NewServer(opts Options) *Server {
	if opts.TokenTTL == 0 {
		opts.TokenTTL = time.Hour
	}
	if opts.FailureLimit == 0 {
		opts.FailureLimit = 20
	}
	if opts.Revoked == nil {
		opts.Revoked = func(int64) bool { return false }
	}
	if opts.Bank.SessionTTL == 0 {
		opts.Bank.SessionTTL = 12 * time.Hour
	}
	if opts.Bank.Location == nil {
		opts.Bank.Location = time.UTC
	}
	if opts.Vending.CodeTimeout == 0 {
		opts.Vending.CodeTimeout = 30 * time.Second
	}
	if opts.Vending.CoinTimeout == 0 {
		opts.Vending.CoinTimeout = 30 * time.Second
	}
	if opts.Vending.ReportTimeout == 0 {
		opts.Vending.ReportTimeout = 2 * time.Minute
	}
	if opts.Vending.MaxAttempts == 0 {
		opts.Vending.MaxAttempts = 3
	}
	if opts.Metrics == nil {
		opts.Metrics = metrics.NewRegistry()
	}
	s := &Server{
		opts:     opts,
		log:      opts.Log,
		mux:      http.NewServeMux(),
		failures: newFailureLimiter(opts.FailureLimit, time.Minute),
		now:      time.Now,
		csrf:     http.NewCrossOriginProtection(),
	}
	s.metrics.series = map[routeStatus]*metrics.Value{}
	s.metrics.requests = opts.Metrics.NewCounter("coinop_http_requests_total", "HTTP requests by route and status.", "route", "code")
	s.ticker = newTickerHub(opts.Ticker, opts.Metrics, opts.Log)
	s.machines = newMachineHub(opts.Log, opts.Bus)
	s.legacy = s.newLegacyServer()
	s.routes()
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(opts.Log.Handler(), slog.LevelWarn),
	}
	return s
}

// Machines returns the machines' sockets.
func (s *Server) Machines() *MachineHub { return s.machines }

// Ticker returns the hub that ticks are published to.
func (s *Server) Ticker() *TickerHub { return s.ticker }

// Serve accepts connections on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	err := s.srv.Serve(ln)
	if err == http.ErrServerClosed {
		return nil
	}
	return err
}

// Shutdown stops accepting, closes every WebSocket with 1001 and waits for
// in-flight requests until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	// The hubs refuse new sockets and close theirs before anything waits
	// for them.
	s.ticker.Shutdown()
	s.machines.Shutdown()
	s.sockets.shutdown()
	if s.legacy != nil {
		s.legacy.Shutdown()
	}
	err := s.srv.Shutdown(ctx)
	s.ticker.Wait(ctx)
	s.machines.Wait(ctx)
	if s.legacy != nil {
		s.legacy.Wait(ctx)
	}
	s.sockets.wait(ctx)
	return err
}
