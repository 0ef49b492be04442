-- Closed journeys' Temporal histories, kept after the namespace's retention removes them
-- (Temporal Cloud keeps closed histories 90 days at most). One row per run, in run order.
CREATE TABLE history_archive (
    workflow_id    text        NOT NULL,
    run_number     integer     NOT NULL CHECK (run_number > 0),
    run_id         text        NOT NULL,
    workflow_type  text        NOT NULL,
    history_json   text        NOT NULL,
    history_sha256 bytea       NOT NULL,
    archived_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workflow_id, run_number)
);

CREATE TRIGGER history_archive_append_only
    BEFORE UPDATE OR DELETE ON history_archive
    FOR EACH ROW EXECUTE FUNCTION events_are_append_only();
