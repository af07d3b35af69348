-- coinop's schema. Times are Unix milliseconds; money is integer units.

-- API keys: only the SHA-256 hash of a key is kept, never the key.
CREATE TABLE api_keys (
    id         INTEGER PRIMARY KEY,
    hash       BLOB    NOT NULL UNIQUE,
    prefix     TEXT    NOT NULL,
    user_id    TEXT    NOT NULL,
    role       TEXT    NOT NULL DEFAULT 'user',
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX api_keys_user_id ON api_keys (user_id);
CREATE INDEX api_keys_revoked ON api_keys (revoked_at) WHERE revoked_at IS NOT NULL;

-- People and their accounts: balance is what is available, held what is
-- reserved for pending debits. Both change only with an operation.
CREATE TABLE people (
    id         INTEGER PRIMARY KEY,
    issuer     TEXT,
    subject    TEXT,
    name       TEXT    NOT NULL,
    given_name TEXT    NOT NULL DEFAULT '',
    email      TEXT    NOT NULL DEFAULT '',
    operator   INTEGER NOT NULL DEFAULT 0,
    balance    INTEGER NOT NULL DEFAULT 0 CHECK (balance >= 0),
    held       INTEGER NOT NULL DEFAULT 0 CHECK (held >= 0),
    created_at INTEGER NOT NULL,
    UNIQUE (issuer, subject)
);
CREATE INDEX people_email ON people (email);

CREATE TABLE products (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL,
    description  TEXT    NOT NULL DEFAULT '',
    type         TEXT    NOT NULL CHECK (type IN ('games', 'foods', 'arcade')),
    image        TEXT    NOT NULL DEFAULT '',
    url          TEXT    NOT NULL DEFAULT '',
    price        INTEGER NOT NULL DEFAULT 0 CHECK (price >= 0),
    client_ids   TEXT    NOT NULL DEFAULT '', -- space-separated OAuth client ids (games)
    payout_limit INTEGER NOT NULL DEFAULT 0 CHECK (payout_limit >= 0),
    created_at   INTEGER NOT NULL
);

CREATE TABLE machines (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    kind        TEXT    NOT NULL CHECK (kind IN ('vending', 'arcade')),
    description TEXT    NOT NULL DEFAULT '',
    location    TEXT    NOT NULL DEFAULT '',
    key_id      INTEGER REFERENCES api_keys (id),
    created_at  INTEGER NOT NULL
);

CREATE TABLE stock (
    machine_id INTEGER NOT NULL REFERENCES machines (id),
    slot       INTEGER NOT NULL CHECK (slot >= 0),
    product_id INTEGER NOT NULL REFERENCES products (id),
    quantity   INTEGER NOT NULL CHECK (quantity >= 0),
    PRIMARY KEY (machine_id, slot)
);

-- Operations are append-only: a completed or voided one never changes.
CREATE TABLE operations (
    id         INTEGER PRIMARY KEY,
    kind       TEXT    NOT NULL CHECK (kind IN ('issue', 'credit', 'transfer', 'debit')),
    from_id    INTEGER REFERENCES people (id),
    to_id      INTEGER NOT NULL REFERENCES people (id),
    product_id INTEGER REFERENCES products (id),
    value      INTEGER NOT NULL CHECK (value > 0),
    status     TEXT    NOT NULL CHECK (status IN ('pending', 'completed', 'voided', 'unknown')),
    reason     TEXT    NOT NULL DEFAULT '',
    actor_id   INTEGER REFERENCES people (id),
    created_at INTEGER NOT NULL,
    settled_at INTEGER
);
CREATE INDEX operations_from ON operations (from_id, id);
CREATE INDEX operations_to ON operations (to_id, id);
CREATE INDEX operations_credit_window ON operations (to_id, product_id, created_at) WHERE kind = 'credit';
CREATE INDEX operations_transfer_window ON operations (from_id, created_at) WHERE kind = 'transfer';
CREATE INDEX operations_issue ON operations (kind) WHERE kind = 'issue';
CREATE TRIGGER operations_final BEFORE UPDATE ON operations
    WHEN OLD.status IN ('completed', 'voided')
    BEGIN SELECT RAISE(ABORT, 'a completed or voided operation never changes'); END;
CREATE TRIGGER operations_append_only BEFORE DELETE ON operations
    BEGIN SELECT RAISE(ABORT, 'operations are append-only'); END;

-- Idempotency keys of money-moving requests, kept at least 24 hours.
CREATE TABLE idempotency_keys (
    person_id    INTEGER NOT NULL,
    key          TEXT    NOT NULL,
    request_hash BLOB    NOT NULL,
    operation_id INTEGER REFERENCES operations (id),
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (person_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- Every change an operator makes.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    actor_id   INTEGER REFERENCES people (id),
    action     TEXT    NOT NULL,
    detail     TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

-- Account 1 is the central bank, which issues the first 1,000,000 (dml.sql).
-- It is nobody's login: it has no (issuer, subject).
INSERT INTO people (id, name, email, balance, created_at)
    VALUES (1, 'Banco Central', 'feiradejogosifscsaojose@gmail.com', 1000000, CAST(unixepoch('subsec') * 1000 AS INTEGER));
INSERT INTO operations (kind, to_id, value, status, reason, created_at, settled_at)
    VALUES ('issue', 1, 1000000, 'completed', 'initial issue', CAST(unixepoch('subsec') * 1000 AS INTEGER), CAST(unixepoch('subsec') * 1000 AS INTEGER));
