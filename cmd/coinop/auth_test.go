package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// post sends body to path and returns the status, headers and decoded JSON.
func post(t *testing.T, url, body string, hdr ...string) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("POST %s: body is not JSON: %q", url, raw)
	}
	return resp.StatusCode, resp.Header, m
}

func TestTokenExchange(t *testing.T) {
	ts := startServer(t, "")
	if ts.DemoKey == "" || !strings.HasPrefix(ts.DemoKey, "cok_") {
		t.Fatalf("demo key not logged at first start: %q", ts.DemoKey)
	}
	url := ts.URL + "/auth/token"

	status, hdr, body := post(t, url, `{"api_key":"`+ts.DemoKey+`"}`, "Origin", "https://elsewhere.example")
	if status != 200 || body["user_id"] != "demo" || body["role"] != "user" || body["expires_in"] != 3600.0 || body["token"] == "" {
		t.Fatalf("valid key: %d %v", status, body)
	}
	if hdr.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("CORS on /auth/token = %q, want * by default", hdr.Get("Access-Control-Allow-Origin"))
	}

	cases := []struct {
		name, body string
		status     int
		code, msg  string
	}{
		{"malformed", `{"api_key":`, 400, "invalid", "invalid JSON"},
		{"not an object", `"cok_x"`, 400, "invalid", "invalid JSON"},
		{"trailing data", `{"api_key":"x"} {}`, 400, "invalid", "invalid JSON"},
		{"wrong type", `{"api_key":42}`, 400, "invalid", "invalid JSON"},
		{"missing key", `{}`, 400, "invalid", "api_key required"},
		{"empty key", `{"api_key":""}`, 400, "invalid", "api_key required"},
		{"unknown key", `{"api_key":"cok_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`, 401, "unauthorized", "invalid API key"},
		{"too large", `{"api_key":"` + strings.Repeat("a", 70000) + `"}`, 413, "too_large", ""},
	}
	for _, c := range cases {
		status, _, body := post(t, url, c.body)
		if status != c.status || body["error"] != c.code || (c.msg != "" && body["message"] != c.msg) {
			t.Errorf("%s: %d %v, want %d %s %q", c.name, status, body, c.status, c.code, c.msg)
		}
	}
	// 8 failures so far; a valid key still works.
	tok := body["token"].(string)
	if status, _, _ := post(t, url, `{"api_key":"`+ts.DemoKey+`"}`); status != 200 {
		t.Fatalf("valid key after a few failures: %d", status)
	}
	for i := 0; i < 12; i++ {
		post(t, url, `{"api_key":"nope"}`)
	}
	status, hdr, body = post(t, url, `{"api_key":"`+ts.DemoKey+`"}`)
	if status != 429 || body["error"] != "rate_limited" || hdr.Get("Retry-After") == "" {
		t.Fatalf("after 20 failures in a minute: %d %v Retry-After=%q", status, body, hdr.Get("Retry-After"))
	}
	if logs := ts.Logs(); strings.Count(logs, ts.DemoKey) != 1 || strings.Contains(logs, tok) {
		t.Fatalf("a key or token was logged:\n%s", logs)
	}
}

func TestRevokedKeyRefused(t *testing.T) {
	ts := startServer(t, "")
	key := cli(t, ts.Data, "apikey", "create", "--user", "alice")
	if status, _, _ := post(t, ts.URL+"/auth/token", `{"api_key":"`+key+`"}`); status != 200 {
		t.Fatalf("new key refused: %d", status)
	}
	cli(t, ts.Data, "apikey", "revoke", "2")
	// Revoked by another process: refused once the server has reloaded the
	// revocations (every second by default; within 5s at most).
	deadline := time.Now().Add(5 * time.Second)
	for {
		status, _, body := post(t, ts.URL+"/auth/token", `{"api_key":"`+key+`"}`)
		if status == 401 && body["message"] == "invalid API key" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("revoked key still exchanged after 5s: %d %v", status, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
