-- One hash chain across the whole log, in commit order, beside each stream's own chain.
-- log_seq numbers the rows 1..n in global_position order (positions may skip after a rolled
-- back append; log_seq never does), and log_hash = SHA-256(the previous row's log_hash ||
-- log_seq as 8 bytes big-endian || the row's own hash). A deleted or inserted row anywhere
-- breaks it; signed checkpoints of its head (log_checkpoints) find a consistent rewrite.
ALTER TABLE events ADD COLUMN log_seq bigint, ADD COLUMN log_hash bytea;

ALTER TABLE events DISABLE TRIGGER events_append_only;
DO $$
DECLARE
    row record;
    seq bigint := 0;
    prev bytea := '\x0000000000000000000000000000000000000000000000000000000000000000';
BEGIN
    FOR row IN SELECT global_position, hash FROM events ORDER BY global_position LOOP
        seq := seq + 1;
        prev := sha256(prev || int8send(seq) || row.hash);
        UPDATE events SET log_seq = seq, log_hash = prev
            WHERE global_position = row.global_position;
    END LOOP;
END $$;
ALTER TABLE events ENABLE TRIGGER events_append_only;

ALTER TABLE events ALTER COLUMN log_seq SET NOT NULL, ALTER COLUMN log_hash SET NOT NULL;

-- Signed statements of the chain's head: "the log held log_seq rows and its head was log_hash".
-- The Ed25519 private key is kept outside the database; key_id is the SHA-256 of the raw
-- public key, so a checkpoint signed with another key is named as such.
CREATE TABLE log_checkpoints (
    number     bigint PRIMARY KEY CHECK (number > 0),
    log_seq    bigint      NOT NULL CHECK (log_seq >= 0),
    log_hash   bytea       NOT NULL,
    signed_at  timestamptz NOT NULL,
    key_id     text        NOT NULL,
    signature  bytea       NOT NULL
);

CREATE TRIGGER log_checkpoints_append_only
    BEFORE UPDATE OR DELETE ON log_checkpoints
    FOR EACH ROW EXECUTE FUNCTION events_are_append_only();

CREATE TRIGGER log_checkpoints_no_truncate
    BEFORE TRUNCATE ON log_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION events_are_append_only();
