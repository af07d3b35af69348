-- Machines' state and operations at machines.
ALTER TABLE machines ADD COLUMN state TEXT NOT NULL DEFAULT 'idle';  -- as the machine last reported
ALTER TABLE machines ADD COLUMN operation_id BIGINT;               -- busy with this operation
ALTER TABLE machines ADD COLUMN phase BIGINT NOT NULL DEFAULT 0;    -- 0 free, 1 awaiting code, 2 released
ALTER TABLE machines ADD COLUMN last_contact BIGINT;
ALTER TABLE machines ADD COLUMN lease_until BIGINT;                -- connected while now < lease_until

ALTER TABLE operations ADD COLUMN machine_id BIGINT REFERENCES machines (id);
ALTER TABLE operations ADD COLUMN slot BIGINT;
ALTER TABLE operations ADD COLUMN code BIGINT;
ALTER TABLE operations ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE operations ADD COLUMN expires_at BIGINT;  -- the code, the coin, or the release report
ALTER TABLE operations ADD COLUMN released_at BIGINT; -- stateReleasing sent
CREATE INDEX operations_pending ON operations (expires_at) WHERE status = 'pending';
CREATE INDEX operations_unknown ON operations (id) WHERE status = 'unknown';
CREATE UNIQUE INDEX machines_key ON machines (key_id);
