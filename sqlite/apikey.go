package sqlite

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"time"

	"github.com/coinop/coinop"
)

var _ coinop.APIKeyService = (*DB)(nil)

// CreateAPIKey implements coinop.APIKeyService.
func (db *DB) CreateAPIKey(ctx context.Context, userID, role string) (*coinop.APIKey, string, error) {
	if err := coinop.ValidateAPIKeyOwner(userID, role); err != nil {
		return nil, "", err
	}
	secret := coinop.NewAPIKeySecret()
	k := &coinop.APIKey{Prefix: coinop.APIKeyShownPrefix(secret), UserID: userID, Role: role, CreatedAt: db.Now().Truncate(1e6)}
	err := db.update(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx,
			`INSERT INTO api_keys (hash, prefix, user_id, role, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			coinop.HashAPIKey(secret), k.Prefix, userID, role, millis(k.CreatedAt)).Scan(&k.ID)
	})
	if err != nil {
		return nil, "", err
	}
	return k, secret, nil
}

// FindAPIKey implements coinop.APIKeyService.
func (db *DB) FindAPIKey(ctx context.Context, secret string) (*coinop.APIKey, error) {
	want := coinop.HashAPIKey(secret)
	var k coinop.APIKey
	var hash []byte
	var created int64
	var revoked sql.NullInt64
	err := db.read.QueryRowContext(ctx,
		`SELECT id, hash, prefix, user_id, role, created_at, revoked_at FROM api_keys WHERE hash = ?`, want).
		Scan(&k.ID, &hash, &k.Prefix, &k.UserID, &k.Role, &created, &revoked)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && (subtle.ConstantTimeCompare(hash, want) != 1 || revoked.Valid)) {
		return nil, coinop.Errorf(coinop.EUNAUTHORIZED, "invalid API key")
	} else if err != nil {
		return nil, err
	}
	k.CreatedAt = fromMillis(sql.NullInt64{Int64: created, Valid: true})
	return &k, nil
}

// ListAPIKeys implements coinop.APIKeyService.
func (db *DB) ListAPIKeys(ctx context.Context) ([]*coinop.APIKey, error) {
	rows, err := db.read.QueryContext(ctx,
		`SELECT id, prefix, user_id, role, created_at, revoked_at FROM api_keys ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []*coinop.APIKey
	for rows.Next() {
		var k coinop.APIKey
		var created int64
		var revoked sql.NullInt64
		if err := rows.Scan(&k.ID, &k.Prefix, &k.UserID, &k.Role, &created, &revoked); err != nil {
			return nil, err
		}
		k.CreatedAt, k.RevokedAt = time.UnixMilli(created), fromMillis(revoked)
		keys = append(keys, &k)
	}
	return keys, rows.Err()
}

// RevokeAPIKey implements coinop.APIKeyService.
func (db *DB) RevokeAPIKey(ctx context.Context, id int64) error {
	return db.update(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx,
			`UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`, millis(db.Now()), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return coinop.Errorf(coinop.ENOTFOUND, "no API key with id %d", id)
		}
		return nil
	})
}

// RevokedAPIKeyIDs implements coinop.APIKeyService.
func (db *DB) RevokedAPIKeyIDs(ctx context.Context) ([]int64, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id FROM api_keys WHERE revoked_at IS NOT NULL`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// UserHasAPIKey implements coinop.APIKeyService.
func (db *DB) UserHasAPIKey(ctx context.Context, userID string) (bool, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM api_keys WHERE user_id = ?`, userID).Scan(&n)
	return n > 0, err
}
