-- Machines' state and operations at machines.
ALTER TABLE machines ADD COLUMN state TEXT NOT NULL DEFAULT 'idle';  -- as the machine last reported
ALTER TABLE machines ADD COLUMN operation_id INTEGER;               -- busy with this operation
ALTER TABLE machines ADD COLUMN phase INTEGER NOT NULL DEFAULT 0;    -- 0 free, 1 awaiting code, 2 released
ALTER TABLE machines ADD COLUMN last_contact INTEGER;
ALTER TABLE machines ADD COLUMN lease_until INTEGER;                -- connected while now < lease_until

ALTER TABLE operations ADD COLUMN machine_id INTEGER REFERENCES machines (id);
ALTER TABLE operations ADD COLUMN slot INTEGER;
ALTER TABLE operations ADD COLUMN code INTEGER;
ALTER TABLE operations ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE operations ADD COLUMN expires_at INTEGER;  -- the code, the coin, or the release report
ALTER TABLE operations ADD COLUMN released_at INTEGER; -- stateReleasing sent
CREATE INDEX operations_pending ON operations (expires_at) WHERE status = 'pending';
CREATE INDEX operations_unknown ON operations (id) WHERE status = 'unknown';
CREATE UNIQUE INDEX machines_key ON machines (key_id);
