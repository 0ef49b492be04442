-- Who read what: each reading of a journey, a career, a roster or a report through the web app,
-- the HTTP API or the command line (Labor Code 1198.5 gives employees the right to know and
-- inspect their personnel records; auditors list these rows). Append-only, like the event log.
CREATE TABLE access_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    reader      text NOT NULL,
    door        text NOT NULL CHECK (door IN ('web', 'api', 'cli', 'codec')),
    what        text NOT NULL,
    subject     text NOT NULL,
    employee_id text
);
CREATE INDEX access_log_employee ON access_log (employee_id, at);
CREATE INDEX access_log_reader ON access_log (reader, at);

CREATE FUNCTION access_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the access log is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER access_log_append_only
    BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION access_log_is_append_only();

CREATE TRIGGER access_log_no_truncate
    BEFORE TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION access_log_is_append_only();
