package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/coinop/coinop"
	"github.com/coinop/coinop/postgres"
	"github.com/coinop/coinop/sqlite"
)

// openStore opens the configured database and applies pending migrations.
func openStore(ctx context.Context, cfg *Config, log *slog.Logger) (coinop.Store, error) {
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	var s coinop.Store
	var err error
	switch {
	case strings.HasPrefix(cfg.DB, "postgres://"), strings.HasPrefix(cfg.DB, "postgresql://"):
		s, err = postgres.Open(cfg.DB)
	case cfg.DB == "":
		s, err = sqlite.Open(filepath.Join(cfg.Data, "coinop.db"))
	default:
		s, err = sqlite.Open(strings.TrimPrefix(cfg.DB, "sqlite://"))
	}
	if err != nil {
		return nil, err
	}
	n, err := s.Migrate(ctx)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	if n > 0 {
		log.Info("database migrated", "applied", n)
	}
	return s, nil
}

// tokenKey returns the configured key, or the one kept in the data folder,
// generating it on first use.
func tokenKey(cfg *Config, log *slog.Logger) ([]byte, error) {
	if cfg.TokenKey != "" {
		return []byte(cfg.TokenKey), nil
	}
	path := filepath.Join(cfg.Data, "token.key")
	b, err := os.ReadFile(path)
	if err == nil {
		key := strings.TrimSpace(string(b))
		if len(key) < 32 {
			return nil, fmt.Errorf("%s holds %d bytes; a token key must be at least 32", path, len(key))
		}
		return []byte(key), nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	raw := make([]byte, 32)
	if _, err := io.ReadFull(rand.Reader, raw); err != nil {
		return nil, err
	}
	key := hex.EncodeToString(raw)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("saving token key: %w", err)
	}
	if _, err := f.WriteString(key + "\n"); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	log.Warn("no token key configured: generated one and saved it", "path", path)
	return []byte(key), nil
}

// newLogger builds the slog logger the configuration asks for.
func newLogger(cfg *Config, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
