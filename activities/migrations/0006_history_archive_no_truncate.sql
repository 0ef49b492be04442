-- The archive is append-only like the event log and the checkpoints: TRUNCATE is refused too.
CREATE TRIGGER history_archive_no_truncate
    BEFORE TRUNCATE ON history_archive
    FOR EACH STATEMENT EXECUTE FUNCTION events_are_append_only();
