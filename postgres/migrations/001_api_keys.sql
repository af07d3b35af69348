-- API keys: only the SHA-256 hash of a key is kept, never the key.
CREATE TABLE api_keys (
    id         BIGSERIAL   PRIMARY KEY,
    hash       BYTEA       NOT NULL UNIQUE,
    prefix     TEXT        NOT NULL,
    user_id    TEXT        NOT NULL,
    role       TEXT        NOT NULL DEFAULT 'user',
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX api_keys_user_id ON api_keys (user_id);
CREATE INDEX api_keys_revoked ON api_keys (revoked_at) WHERE revoked_at IS NOT NULL;
