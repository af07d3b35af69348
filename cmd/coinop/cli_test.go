package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cli runs a coinop command against the data folder and returns its
// trimmed stdout, failing the test on error.
func cli(t *testing.T, data string, args ...string) string {
	t.Helper()
	out, errOut, err := runCLI(append(args, "--data", data, "--token-key", testKey), nil)
	if err != nil {
		t.Fatalf("coinop %v: %v\n%s", args, err, errOut)
	}
	return strings.TrimSpace(out)
}

func runCLI(args []string, env map[string]string) (string, string, error) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, func(k string) string { return env[k] }, &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestAPIKeyCommands(t *testing.T) {
	data := t.TempDir()
	// Global flags before the command, and after it.
	out, _, err := runCLI([]string{"--data", data, "apikey", "create", "--user", "alice", "--role", "operator"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSuffix(out, "\n")
	if strings.Count(out, "\n") != 1 || !strings.HasPrefix(key, "cok_") || len(key) < 4+22 {
		t.Fatalf("apikey create printed %q, want one line with the key", out)
	}
	out, _, err = runCLI([]string{"apikey", "list", "--data", data}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, key) || !strings.Contains(out, key[:10]) || !strings.Contains(out, "alice") || !strings.Contains(out, "operator") || !strings.Contains(out, "active") {
		t.Fatalf("apikey list:\n%s", out)
	}
	// The environment works as a fallback for --data.
	if _, _, err := runCLI([]string{"apikey", "revoke", "1"}, map[string]string{"COINOP_DATA": data}); err != nil {
		t.Fatal(err)
	}
	out, _, _ = runCLI([]string{"apikey", "list", "--data", data}, nil)
	if !strings.Contains(out, "revoked") {
		t.Fatalf("revocation not listed:\n%s", out)
	}
	if _, _, err := runCLI([]string{"apikey", "revoke", "99", "--data", data}, nil); err == nil {
		t.Fatal("revoking an unknown key succeeded")
	}
	if _, _, err := runCLI([]string{"apikey", "create", "--data", data}, nil); exitCode(err) != 2 {
		t.Fatalf("create without --user: %v", err)
	}
	// No plaintext key in the database file.
	db, _ := os.ReadFile(filepath.Join(data, "coinop.db"))
	wal, _ := os.ReadFile(filepath.Join(data, "coinop.db-wal"))
	if bytes.Contains(db, []byte(key)) || bytes.Contains(wal, []byte(key)) {
		t.Fatal("the plaintext key is stored in the database")
	}
}

func TestHelpAndUsage(t *testing.T) {
	out, _, err := runCLI([]string{"--help"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"--addr", "COINOP_ADDR", "--data", "--db", "--token-key", "COINOP_TOKEN_KEY", "--tick", "--allowed-origins", "--log-format", "apikey create", "bench ticker", "migrate"} {
		if !strings.Contains(out, want) {
			t.Errorf("help lacks %q", want)
		}
	}
	if _, _, err := runCLI([]string{"frobnicate"}, nil); exitCode(err) != 2 {
		t.Errorf("unknown command: %v", err)
	}
	if _, _, err := runCLI([]string{"--no-such-flag"}, nil); exitCode(err) != 2 {
		t.Errorf("unknown flag: %v", err)
	}
	if _, _, err := runCLI([]string{"serve", "--user", "x"}, nil); exitCode(err) != 2 {
		t.Errorf("a flag of another command was accepted by serve: %v", err)
	}
}

func TestShortTokenKeyRefused(t *testing.T) {
	data := t.TempDir()
	_, _, err := runCLI([]string{"--data", data, "--token-key", "too-short"}, nil)
	if err == nil || !strings.Contains(err.Error(), "at least 32") {
		t.Fatalf("short key: %v", err)
	}
	keyFile := filepath.Join(t.TempDir(), "k")
	os.WriteFile(keyFile, []byte("short\n"), 0o600)
	_, _, err = runCLI([]string{"--data", data}, map[string]string{"COINOP_TOKEN_KEY_FILE": keyFile})
	if err == nil || !strings.Contains(err.Error(), "at least 32") {
		t.Fatalf("short key from _FILE: %v", err)
	}
}

func TestGeneratedTokenKey(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Data = t.TempDir()
	log := newLogger(&cfg, &bytes.Buffer{})
	k1, err := tokenKey(&cfg, log)
	if err != nil || len(k1) < 32 {
		t.Fatalf("generated key %q, %v", k1, err)
	}
	st, err := os.Stat(filepath.Join(cfg.Data, "token.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("token.key: %v, mode %v", err, st.Mode())
	}
	k2, _ := tokenKey(&cfg, log)
	if string(k1) != string(k2) {
		t.Fatal("the generated key was not kept")
	}
}

func TestMigrateCommand(t *testing.T) {
	data := t.TempDir()
	if out := cli(t, data, "migrate"); !strings.Contains(out, "up to date") {
		t.Fatalf("migrate printed %q", out)
	}
	cli(t, data, "migrate") // idempotent
}
