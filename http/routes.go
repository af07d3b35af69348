package http

import "net/http"

// routes is the route table: every route of the server, one per line.
func (s *Server) routes() {
	m := s.mux
	m.Handle("POST /auth/token", s.corsToken(s.handleAuthToken()))
	m.Handle("OPTIONS /auth/token", s.corsToken(http.NotFoundHandler()))
	m.Handle("GET /ws/ticker", s.handleTickerSocket())
	m.Handle("GET /healthz", s.handleHealthz())
	m.Handle("GET /readyz", s.handleReadyz())
	m.Handle("GET /metrics", s.handleMetrics())
	if s.opts.Store != nil {
		s.bankRoutes()
	}
	if s.opts.Store != nil && s.opts.Demo != nil {
		s.demoRoutes()
	}
	m.Handle("/api/", s.notFound())
	m.Handle("/auth/", s.notFound())
	m.Handle("/ws/", s.notFound())
	m.Handle("/", s.handleWeb())
}

// catchAll are the patterns that take whatever no other route took.
var catchAll = map[string]bool{"/api/": true, "/auth/": true, "/ws/": true, "/": true}

// bankRoutes is the bank's API under /api/v2, as in the reference contract,
// and the operators' API under /api/v2/admin.
func (s *Server) bankRoutes() {
	m := s.mux
	m.Handle("POST /api/v2/login", s.cors(s.handleLogin()))
	m.Handle("GET /api/v2/auth/login", s.handleAuthLogin())
	m.Handle("GET /api/v2/auth/callback", s.handleAuthCallback())
	m.Handle("POST /api/v2/auth/logout", s.handleAuthLogout())
	m.Handle("GET /api/v2/config", s.handleConfig())
	m.Handle("GET /api/v2/me", s.cors(s.handleMe()))
	m.Handle("GET /api/v2/machines", s.cors(s.handleShopMachines()))
	m.Handle("GET /api/v2/ranking", s.cors(s.handleRanking()))
	m.Handle("POST /api/v2/credit", s.cors(s.handleCredit()))
	m.Handle("POST /api/v2/transfer", s.cors(s.handleTransfer()))
	m.Handle("GET /api/v2/balance", s.cors(s.handleBalance()))
	m.Handle("GET /api/v2/statement", s.cors(s.handleStatement()))
	m.Handle("GET /api/v2/games", s.cors(s.handleGames()))
	m.Handle("GET /api/v2/products", s.cors(s.handleProducts()))
	m.Handle("POST /api/v2/debit", s.cors(s.handleDebit()))
	m.Handle("POST /api/v2/mfa", s.cors(s.handleMFA()))
	m.Handle("GET /api/v2/events", s.handleEvents())
	m.Handle("GET /api/v2/machine", s.handleMachineSocket())
	m.Handle("GET /api/v2/machine/", s.handleLegacySocket())
	m.Handle("POST /api/v2/machine/", s.handleLegacySocket())
	m.Handle("OPTIONS /api/v2/", s.cors(http.NotFoundHandler()))

	m.Handle("GET /api/v2/admin/products", s.handleAdminProducts())
	m.Handle("POST /api/v2/admin/products", s.handleCreateProduct())
	m.Handle("PATCH /api/v2/admin/products/{id}", s.handleUpdateProduct())
	m.Handle("GET /api/v2/admin/machines", s.handleMachines())
	m.Handle("POST /api/v2/admin/machines", s.handleCreateMachine())
	m.Handle("PUT /api/v2/admin/machines/{id}/stock/{slot}", s.handleSetStock())
	m.Handle("POST /api/v2/admin/machines/{id}/key", s.handleRotateKey())
	m.Handle("PUT /api/v2/admin/machines/{id}/legacy", s.handleMapLegacy())
	m.Handle("GET /api/v2/admin/operations", s.handleOperations())
	m.Handle("POST /api/v2/admin/operations/{id}/settle", s.handleSettle())
	m.Handle("GET /api/v2/admin/people", s.handlePeople())
	m.Handle("GET /api/v2/admin/people/{id}/statement", s.handlePersonStatement())
	m.Handle("POST /api/v2/admin/credit", s.handleAdminCredit(false))
	m.Handle("POST /api/v2/admin/issue", s.handleAdminCredit(true))
	m.Handle("GET /api/v2/admin/bank", s.handleBank())
	m.Handle("GET /api/v2/admin/audit", s.handleAudit())
	m.Handle("GET /api/v2/admin/apikeys", s.handleAPIKeys())
	m.Handle("POST /api/v2/admin/apikeys", s.handleCreateAPIKey())
	m.Handle("DELETE /api/v2/admin/apikeys/{id}", s.handleRevokeAPIKey())
}
