// Package metrics keeps counters, gauges and histograms and writes them in
// the Prometheus text exposition format. It is small on purpose: coinop
// needs a handful of series, not a client library.
package metrics

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Registry holds named metric families.
type Registry struct {
	mu       sync.Mutex
	families []family
}

type family interface {
	name() string
	write(w io.Writer)
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{} }

func (r *Registry) add(f family) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.families = append(r.families, f)
}

// Write writes every family in the text format, sorted by name.
func (r *Registry) Write(w io.Writer) {
	r.mu.Lock()
	fs := append([]family(nil), r.families...)
	r.mu.Unlock()
	sort.Slice(fs, func(i, j int) bool { return fs[i].name() < fs[j].name() })
	for _, f := range fs {
		f.write(w)
	}
}

// Value is a number that only its owner changes: a counter or a gauge.
type Value struct{ bits atomic.Uint64 }

// Add adds d (which may be negative for gauges).
func (v *Value) Add(d float64) {
	for {
		old := v.bits.Load()
		if v.bits.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+d)) {
			return
		}
	}
}

// Inc adds one.
func (v *Value) Inc() { v.Add(1) }

// Dec subtracts one.
func (v *Value) Dec() { v.Add(-1) }

// Set sets the value (gauges only).
func (v *Value) Set(f float64) { v.bits.Store(math.Float64bits(f)) }

// Get returns the value.
func (v *Value) Get() float64 { return math.Float64frombits(v.bits.Load()) }

// Vec is a family of counters or gauges told apart by label values.
type Vec struct {
	fname, help, kind string
	labels            []string
	mu                sync.RWMutex
	series            map[string]*Value
}

// NewCounter registers a counter family with the given label names.
func (r *Registry) NewCounter(name, help string, labels ...string) *Vec {
	return r.newVec(name, help, "counter", labels)
}

// NewGauge registers a gauge family with the given label names.
func (r *Registry) NewGauge(name, help string, labels ...string) *Vec {
	return r.newVec(name, help, "gauge", labels)
}

func (r *Registry) newVec(name, help, kind string, labels []string) *Vec {
	v := &Vec{fname: name, help: help, kind: kind, labels: labels, series: map[string]*Value{}}
	r.add(v)
	return v
}

// With returns the series for the label values, in label-name order.
func (v *Vec) With(values ...string) *Value {
	key := labelString(v.labels, values)
	v.mu.RLock()
	s := v.series[key]
	v.mu.RUnlock()
	if s != nil {
		return s
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if s = v.series[key]; s == nil {
		s = &Value{}
		v.series[key] = s
	}
	return s
}

func (v *Vec) name() string { return v.fname }

func (v *Vec) write(w io.Writer) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", v.fname, v.help, v.fname, v.kind)
	v.mu.RLock()
	keys := make([]string, 0, len(v.series))
	for k := range v.series {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "%s%s %s\n", v.fname, k, formatFloat(v.series[k].Get()))
	}
	v.mu.RUnlock()
}

// Func is a gauge or counter whose value is read when scraped.
type Func struct {
	fname, help, kind string
	fn                func() float64
}

// NewGaugeFunc registers a gauge read from fn at each scrape.
func (r *Registry) NewGaugeFunc(name, help string, fn func() float64) {
	r.add(&Func{fname: name, help: help, kind: "gauge", fn: fn})
}

// NewCounterFunc registers a counter read from fn at each scrape.
func (r *Registry) NewCounterFunc(name, help string, fn func() float64) {
	r.add(&Func{fname: name, help: help, kind: "counter", fn: fn})
}

func (f *Func) name() string { return f.fname }

func (f *Func) write(w io.Writer) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s %s\n", f.fname, f.help, f.fname, f.kind, f.fname, formatFloat(f.fn()))
}

// Histogram counts observations into cumulative buckets.
type Histogram struct {
	fname, help string
	bounds      []float64
	counts      []atomic.Uint64 // one per bound, plus +Inf
	sum         Value
}

// NewHistogram registers a histogram with the given upper bounds.
func (r *Registry) NewHistogram(name, help string, bounds []float64) *Histogram {
	h := &Histogram{fname: name, help: help, bounds: bounds, counts: make([]atomic.Uint64, len(bounds)+1)}
	r.add(h)
	return h
}

// Observe records one value.
func (h *Histogram) Observe(x float64) {
	i := sort.SearchFloat64s(h.bounds, x)
	h.counts[i].Add(1)
	h.sum.Add(x)
}

func (h *Histogram) name() string { return h.fname }

func (h *Histogram) write(w io.Writer) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s histogram\n", h.fname, h.help, h.fname)
	var cum uint64
	for i, b := range h.bounds {
		cum += h.counts[i].Load()
		fmt.Fprintf(w, "%s_bucket{le=\"%s\"} %d\n", h.fname, formatFloat(b), cum)
	}
	cum += h.counts[len(h.bounds)].Load()
	fmt.Fprintf(w, "%s_bucket{le=\"+Inf\"} %d\n%s_sum %s\n%s_count %d\n", h.fname, cum, h.fname, formatFloat(h.sum.Get()), h.fname, cum)
}

func labelString(names, values []string) string {
	if len(names) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		val := ""
		if i < len(values) {
			val = values[i]
		}
		b.WriteString(n + "=" + strconv.Quote(val))
	}
	b.WriteByte('}')
	return b.String()
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
