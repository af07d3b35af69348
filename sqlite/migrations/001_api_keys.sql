-- API keys: only the SHA-256 hash of a key is kept, never the key.
CREATE TABLE api_keys (
    id         INTEGER PRIMARY KEY,
    hash       BLOB    NOT NULL UNIQUE,
    prefix     TEXT    NOT NULL,
    user_id    TEXT    NOT NULL,
    role       TEXT    NOT NULL DEFAULT 'user',
    created_at INTEGER NOT NULL, -- Unix milliseconds
    revoked_at INTEGER           -- Unix milliseconds; NULL while active
);
CREATE INDEX api_keys_user_id ON api_keys (user_id);
CREATE INDEX api_keys_revoked ON api_keys (revoked_at) WHERE revoked_at IS NOT NULL;
