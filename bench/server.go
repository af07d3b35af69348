package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// newHTTPClient returns a client for the token exchange and /metrics: no
// proxy, so it only ever talks to the URL given.
func newHTTPClient() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}
}

// fetchToken exchanges an API key for a token at base/auth/token.
func fetchToken(ctx context.Context, hc *http.Client, base, key string) (string, error) {
	body, _ := json.Marshal(map[string]string{"api_key": key})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/auth/token", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("token exchange: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return "", fmt.Errorf("token exchange: %s: %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	var out struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.Token == "" {
		return "", fmt.Errorf("token exchange: no token in the answer (%v)", err)
	}
	return out.Token, nil
}

// Sample is one scrape of the server's /metrics.
type Sample struct {
	At     time.Time          // when the answer arrived
	Values map[string]float64 // series without labels, by name
	Err    error              // why the scrape failed; Values is then nil
}

// Has reports whether the sample holds the series name.
func (s Sample) Has(name string) bool {
	_, ok := s.Values[name]
	return ok
}

// scrape reads base/metrics.
func scrape(ctx context.Context, hc *http.Client, base string) Sample {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return Sample{At: time.Now(), Err: err}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return Sample{At: time.Now(), Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Sample{At: time.Now(), Err: fmt.Errorf("GET /metrics: %s", resp.Status)}
	}
	vals, err := ParseMetrics(io.LimitReader(resp.Body, 8<<20))
	return Sample{At: time.Now(), Values: vals, Err: err}
}

// ParseMetrics reads the Prometheus text format and returns the value of
// every series without labels. Comments, labelled series and timestamps
// are skipped.
func ParseMetrics(r io.Reader) (map[string]float64, error) {
	vals := map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || strings.ContainsRune(line, '{') {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		if v, err := strconv.ParseFloat(f[1], 64); err == nil {
			vals[f[0]] = v
		}
	}
	return vals, sc.Err()
}

// scrapeAll scrapes every base (each once) and adds their series up: the
// instances' CPU and memory together.
func scrapeAll(ctx context.Context, hc *http.Client, bases []string) Sample {
	if len(bases) == 1 {
		return scrape(ctx, hc, bases[0])
	}
	sum := Sample{Values: map[string]float64{}}
	for _, b := range distinct(bases) {
		s := scrape(ctx, hc, b)
		if s.Err != nil {
			return Sample{At: s.At, Err: fmt.Errorf("%s: %w", b, s.Err)}
		}
		for k, v := range s.Values {
			sum.Values[k] += v
		}
		sum.At = s.At
	}
	return sum
}

// distinct is ss without repetitions, in order.
func distinct(ss []string) []string {
	var out []string
	for _, s := range ss {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
