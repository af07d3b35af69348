package metrics

import (
	"strings"
	"testing"
)

func TestExposition(t *testing.T) {
	r := NewRegistry()
	c := r.NewCounter("http_requests_total", "Requests.", "route", "code")
	c.With("GET /x", "200").Inc()
	c.With("GET /x", "200").Add(2)
	g := r.NewGauge("open", "Open things.")
	g.With().Inc()
	g.With().Inc()
	g.With().Dec()
	h := r.NewHistogram("dur_seconds", "Durations.", []float64{0.1, 1})
	h.Observe(0.05)
	h.Observe(0.5)
	h.Observe(5)
	var b strings.Builder
	r.Write(&b)
	out := b.String()
	for _, want := range []string{
		"# TYPE http_requests_total counter\n",
		`http_requests_total{route="GET /x",code="200"} 3` + "\n",
		"open 1\n",
		`dur_seconds_bucket{le="0.1"} 1` + "\n",
		`dur_seconds_bucket{le="1"} 2` + "\n",
		`dur_seconds_bucket{le="+Inf"} 3` + "\n",
		"dur_seconds_sum 5.55\n",
		"dur_seconds_count 3\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
}
