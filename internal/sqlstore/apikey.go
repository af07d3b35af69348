package sqlstore

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"

	"github.com/coinop/coinop"
)

// CreateAPIKey implements coinop.APIKeyService.
func (s *Store) CreateAPIKey(ctx context.Context, userID, role string) (*coinop.APIKey, string, error) {
	return s.CreateAPIKeyAs(ctx, 0, userID, role)
}

// CreateAPIKeyAs implements coinop.APIKeyService.
func (s *Store) CreateAPIKeyAs(ctx context.Context, actorID int64, userID, role string) (*coinop.APIKey, string, error) {
	if err := coinop.ValidateAPIKeyOwner(userID, role); err != nil {
		return nil, "", err
	}
	var k *coinop.APIKey
	var secret string
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) (err error) {
		if k, secret, err = s.createAPIKey(ctx, tx, userID, role); err != nil {
			return err
		}
		return s.audit(ctx, tx, actorID, "create_api_key", map[string]any{"key": k.ID, "user": userID, "role": role})
	})
	return k, secret, err
}

// createAPIKey inserts a new key inside tx, for any role.
func (s *Store) createAPIKey(ctx context.Context, tx *sql.Tx, userID, role string) (*coinop.APIKey, string, error) {
	secret := coinop.NewAPIKeySecret()
	k := &coinop.APIKey{Prefix: coinop.APIKeyShownPrefix(secret), UserID: userID, Role: role, CreatedAt: fromMS(ms(s.Now()))}
	err := s.row(ctx, tx,
		`INSERT INTO api_keys (hash, prefix, user_id, role, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		coinop.HashAPIKey(secret), k.Prefix, userID, role, ms(k.CreatedAt)).Scan(&k.ID)
	return k, secret, err
}

// FindAPIKey implements coinop.APIKeyService.
func (s *Store) FindAPIKey(ctx context.Context, secret string) (*coinop.APIKey, error) {
	want := coinop.HashAPIKey(secret)
	var k coinop.APIKey
	var hash []byte
	var created int64
	var revoked sql.NullInt64
	err := s.row(ctx, s.read,
		`SELECT id, hash, prefix, user_id, role, created_at, revoked_at FROM api_keys WHERE hash = $1`, want).
		Scan(&k.ID, &hash, &k.Prefix, &k.UserID, &k.Role, &created, &revoked)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && (subtle.ConstantTimeCompare(hash, want) != 1 || revoked.Valid)) {
		return nil, coinop.Errorf(coinop.EUNAUTHORIZED, "invalid API key")
	} else if err != nil {
		return nil, err
	}
	k.CreatedAt = fromMS(created)
	return &k, nil
}

// ListAPIKeys implements coinop.APIKeyService.
func (s *Store) ListAPIKeys(ctx context.Context) ([]*coinop.APIKey, error) {
	rows, err := s.rows(ctx, s.read, `SELECT id, prefix, user_id, role, created_at, revoked_at FROM api_keys ORDER BY id`)
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
		k.CreatedAt, k.RevokedAt = fromMS(created), fromNullMS(revoked)
		keys = append(keys, &k)
	}
	return keys, rows.Err()
}

// RevokeAPIKey implements coinop.APIKeyService.
func (s *Store) RevokeAPIKey(ctx context.Context, id int64) error {
	return s.RevokeAPIKeyAs(ctx, 0, id)
}

// RevokeAPIKeyAs implements coinop.APIKeyService.
func (s *Store) RevokeAPIKeyAs(ctx context.Context, actorID, id int64) error {
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := s.revokeAPIKey(ctx, tx, id); err != nil {
			return err
		}
		return s.audit(ctx, tx, actorID, "revoke_api_key", map[string]any{"key": id})
	})
}

func (s *Store) revokeAPIKey(ctx context.Context, tx *sql.Tx, id int64) error {
	res, err := s.exec(ctx, tx, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2`, ms(s.Now()), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return coinop.Errorf(coinop.ENOTFOUND, "no API key with id %d", id)
	}
	return nil
}

// RevokedAPIKeyIDs implements coinop.APIKeyService.
func (s *Store) RevokedAPIKeyIDs(ctx context.Context) ([]int64, error) {
	return s.ids(ctx, `SELECT id FROM api_keys WHERE revoked_at IS NOT NULL`)
}

// UserHasAPIKey implements coinop.APIKeyService.
func (s *Store) UserHasAPIKey(ctx context.Context, userID string) (bool, error) {
	var n int
	err := s.row(ctx, s.read, `SELECT COUNT(*) FROM api_keys WHERE user_id = $1`, userID).Scan(&n)
	return n > 0, err
}

// ids runs a query returning one integer column.
func (s *Store) ids(ctx context.Context, query string, args ...any) ([]int64, error) {
	rows, err := s.rows(ctx, s.read, query, args...)
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
