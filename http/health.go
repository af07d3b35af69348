package http

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/coinop/coinop"
)

// handleHealthz answers 200 while the process serves.
func (s *Server) handleHealthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

// handleReadyz answers 200 when the database answers, else 503.
func (s *Server) handleReadyz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.opts.Ready != nil {
			ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
			defer cancel()
			if err := s.opts.Ready(ctx); err != nil {
				s.log.Warn("not ready", "err", err)
				s.writeError(w, r, coinop.Errorf(coinop.EUNAVAILABLE, "database unavailable"))
				return
			}
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
}

// handleMetrics serves the Prometheus text format.
func (s *Server) handleMetrics() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		s.opts.Metrics.Write(w)
	})
}

// notFound answers JSON 404 for unknown API paths, never the web page, and
// 405 for a known path asked with the wrong method.
func (s *Server) notFound() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if allow := s.allowedMethods(r); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			s.writeError(w, r, coinop.Errorf(coinop.EMETHOD, "method %s not allowed", r.Method))
			return
		}
		s.writeError(w, r, coinop.Errorf(coinop.ENOTFOUND, "no such endpoint"))
	})
}

// allowedMethods lists the methods for which r's path has a real route.
func (s *Server) allowedMethods(r *http.Request) []string {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := *r
		probe.Method = m
		_, pattern := s.mux.Handler(&probe)
		// A subtree pattern for path+"/" only redirects (/api/v2/machine/).
		redirect := strings.HasSuffix(pattern, " "+r.URL.Path+"/")
		if pattern != "" && !catchAll[pattern] && !redirect {
			allow = append(allow, m)
		}
	}
	return allow
}
