package http

import "net/http"

// routes is the route table: every route of the server, one per line.
func (s *Server) routes() {
	m := s.mux
	m.Handle("POST /auth/token", s.cors(s.handleAuthToken()))
	m.Handle("OPTIONS /auth/token", s.cors(http.NotFoundHandler()))
	m.Handle("GET /ws/ticker", s.handleTickerSocket())
	m.Handle("GET /healthz", s.handleHealthz())
	m.Handle("GET /readyz", s.handleReadyz())
	m.Handle("GET /metrics", s.handleMetrics())
	m.Handle("/api/", s.notFound())
	m.Handle("/auth/", s.notFound())
	m.Handle("/ws/", s.notFound())
	m.Handle("/", s.handleWeb())
}

// catchAll are the patterns that take whatever no other route took.
var catchAll = map[string]bool{"/api/": true, "/auth/": true, "/ws/": true, "/": true}
