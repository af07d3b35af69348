-- The import of the fair's previous server (v2): at most one per kind, and
-- where every imported person and operation came from.
CREATE TABLE imports (
    id          BIGSERIAL PRIMARY KEY,
    kind        TEXT    NOT NULL UNIQUE, -- 'v2': refused a second time
    source      TEXT    NOT NULL,        -- where it was read (no password)
    imported_at BIGINT  NOT NULL,
    summary     TEXT    NOT NULL         -- JSON: counts, money before and after, anomalies
);

-- The v2 id of an imported person (the bank too) or operation. An imported
-- person has no (issuer, subject) until a login with its verified e-mail.
ALTER TABLE people ADD COLUMN legacy_id BIGINT;
ALTER TABLE operations ADD COLUMN legacy_id BIGINT;
CREATE INDEX people_unlinked ON people (lower(email)) WHERE issuer IS NULL AND legacy_id IS NOT NULL;
CREATE INDEX operations_legacy ON operations (legacy_id) WHERE legacy_id IS NOT NULL;
