// Package bench is coinop's load tool. Ticker opens many ticker WebSocket
// clients against a running server, measures what they receive and what the
// server spends, and prints a report. Wallet drives the bank's HTTP API
// (transfers, credits, balance reads) with its own OpenID provider, reports
// throughput, latency and CPU, and then checks the money invariants.
package bench

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Options configure a ticker load test.
type Options struct {
	URL        string        // base URL of the server: http:// or https://
	Key        string        // API key, exchanged once for a token shared by all clients
	Token      string        // a token to use as is instead of Key
	Clients    int           // WebSocket clients to open
	Duration   time.Duration // length of the measured window
	Ramp       float64       // connections opened per second; 0: all at once
	ExpectTick time.Duration // the server's tick interval, for the ideal frame rate
	Warmup     time.Duration // wait after all clients connected, before measuring
}

// DefaultOptions returns the defaults of the command's flags.
func DefaultOptions() Options {
	return Options{
		URL:        "http://127.0.0.1:8081",
		Clients:    1000,
		Duration:   30 * time.Second,
		Ramp:       2000,
		ExpectTick: 10 * time.Millisecond,
		Warmup:     2 * time.Second,
	}
}

// Validate checks the options.
func (o Options) Validate() error {
	var errs []error
	if _, err := baseURL(o.URL); err != nil {
		errs = append(errs, err)
	}
	if o.Key == "" && o.Token == "" {
		errs = append(errs, errors.New("bench needs --key or --token"))
	}
	if o.Clients < 1 {
		errs = append(errs, errors.New("clients must be at least 1"))
	}
	if o.Duration < 100*time.Millisecond {
		errs = append(errs, errors.New("duration must be at least 100ms"))
	}
	if o.Ramp < 0 {
		errs = append(errs, errors.New("ramp must not be negative"))
	}
	if o.ExpectTick < time.Millisecond {
		errs = append(errs, errors.New("expect-tick must be at least 1ms"))
	}
	if o.Warmup < 0 {
		errs = append(errs, errors.New("warmup must not be negative"))
	}
	return errors.Join(errs...)
}

// baseURL parses the server's base URL, without a trailing slash.
func baseURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("url: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("url %q: want http://HOST[:PORT] or https://HOST[:PORT]", s)
	}
	for len(u.Path) > 0 && u.Path[len(u.Path)-1] == '/' {
		u.Path = u.Path[:len(u.Path)-1]
	}
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

// tickerURL returns the ticker WebSocket URL under base.
func tickerURL(base *url.URL) string {
	u := *base
	u.Scheme = map[string]string{"http": "ws", "https": "wss"}[u.Scheme]
	u.Path += "/ws/ticker"
	return u.String()
}
