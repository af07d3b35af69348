-- The identities of the fair's legacy machine programs (Socket.IO), mapped
-- by operators to machines: the namespace (vending-machine or arcade) and
-- the id in the program's token (0 for the vending machine, the arcade's
-- number), as text.
CREATE TABLE legacy_machines (
    namespace  TEXT    NOT NULL CHECK (namespace IN ('vending-machine', 'arcade')),
    legacy_id  TEXT    NOT NULL,
    machine_id BIGINT  NOT NULL REFERENCES machines (id),
    PRIMARY KEY (namespace, legacy_id)
);
