package bench

import (
	"strings"
	"testing"
)

func TestParseSeq(t *testing.T) {
	tests := []struct {
		frame string
		seq   uint64
		ok    bool
	}{
		{`{"type":"ticker","seq":1,"data":[]}`, 1, true},
		{`{"type":"ticker","seq":1234567,"data":[{"symbol":"BTC-USD","price":42000.00,"timestamp":1700000000}]}`, 1234567, true},
		{`{"type":"ticker","seq": 42}`, 42, true},
		{`{"seq":18446744073709551615}`, 18446744073709551615, true},
		{`{"seq":18446744073709551616}`, 0, false}, // overflows
		{`{"type":"welcome","user_id":"demo"}`, 0, false},
		{`{"type":"pong"}`, 0, false},
		{`{"type":"ticker","seq":}`, 0, false},
		{`{"type":"ticker","seq":-3}`, 0, false},
		{`{"type":"ticker","seq":7`, 7, true}, // truncated prefix
		{``, 0, false},
	}
	for _, tt := range tests {
		seq, ok := ParseSeq([]byte(tt.frame))
		if seq != tt.seq || ok != tt.ok {
			t.Errorf("ParseSeq(%s) = %d, %v; want %d, %v", tt.frame, seq, ok, tt.seq, tt.ok)
		}
	}
}

func TestParseMetrics(t *testing.T) {
	text := `# HELP process_cpu_seconds_total CPU.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 1.25
coinop_http_requests_total{route="GET /metrics",code="200"} 3
coinop_ws_connections_open 20
go_memstats_heap_inuse_bytes 4.194304e+06 1700000000000
`
	vals, err := ParseMetrics(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"process_cpu_seconds_total": 1.25, "coinop_ws_connections_open": 20, "go_memstats_heap_inuse_bytes": 4194304}
	if len(vals) != len(want) {
		t.Errorf("got %v, want %v", vals, want)
	}
	for k, v := range want {
		if vals[k] != v {
			t.Errorf("%s = %v, want %v", k, vals[k], v)
		}
	}
}

func TestParseProcStat(t *testing.T) {
	m := parseProcStat("cpu  100 5 50 1000 7 3 2 4 0 0")
	if !m.ok || m.busy != 160*clockTick || m.steal != 4*clockTick {
		t.Errorf("got %+v, want busy 1.6s steal 40ms", m)
	}
	if parseProcStat("cpu0 1 2 3").ok || parseProcStat("intr 1 2 3 4 5 6 7 8 9").ok {
		t.Error("bad lines parsed")
	}
}

func BenchmarkParseSeq(b *testing.B) {
	frame := []byte(`{"type":"ticker","seq":1234567,"data":[{"symbol":"BTC-USD","price":42000.00,"timestamp":1700000000}]}`)
	for b.Loop() {
		ParseSeq(frame)
	}
}
