package http

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"time"
)

// statusWriter records the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Hijack lets WebSocket upgrades through.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("hijack not supported")
	}
	if w.status == 0 {
		w.status = http.StatusSwitchingProtocols
	}
	return h.Hijack()
}

// Unwrap gives http.ResponseController the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ServeHTTP is the server's entry point: recovery, routing with JSON 404 and
// 405 answers, metrics and logs. A token in the query string is never
// logged: only the path is.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic", "method", r.Method, "path", r.URL.Path, "panic", v)
			if sw.status == 0 {
				s.writeError(sw, r, errors.New("panic"))
			}
		}
		route := r.Pattern // set by the mux
		if route == "" {
			route = "unmatched"
		}
		s.metrics.request(route, sw.status).Inc()
		s.log.Debug("request", "method", r.Method, "path", r.URL.Path, "status", sw.status, "duration", time.Since(start))
	}()
	s.mux.ServeHTTP(sw, r) // the "/" route takes whatever no other route does
}

// cors adds CORS headers for the configured origins, which may call with a
// bearer token (never with cookies: no credentials are allowed), and
// answers preflight requests.
func (s *Server) cors(next http.Handler) http.Handler { return s.corsWith(next, false) }

// corsToken is cors for /auth/token, which, as in the seed, admits any
// origin while no list is configured: it takes an API key, never a cookie.
func (s *Server) corsToken(next http.Handler) http.Handler { return s.corsWith(next, true) }

func (s *Server) corsWith(next http.Handler, anyByDefault bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin != "" && (s.originListed(origin) || anyByDefault && len(s.opts.AllowedOrigins) == 0) {
			h := w.Header()
			h.Add("Vary", "Origin")
			if len(s.opts.AllowedOrigins) == 0 {
				h.Set("Access-Control-Allow-Origin", "*")
			} else {
				h.Set("Access-Control-Allow-Origin", origin)
			}
			if r.Method == http.MethodOptions {
				h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE")
				h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Idempotency-Key")
				h.Set("Access-Control-Max-Age", "600")
			}
		}
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) originListed(origin string) bool {
	for _, o := range s.opts.AllowedOrigins {
		if o == "*" || o == origin {
			return true
		}
	}
	return false
}

// clientIP is the address the request came from.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
