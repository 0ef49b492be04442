-- The catalog programs' journeys as program staff list them, built from the event log by the
-- catalog's own fold (domain/catalog/journey.py); dropped and rebuilt from events at will.
CREATE TABLE program_journeys (
    stream_id        text PRIMARY KEY,
    employee_id      text NOT NULL,
    full_name        text NOT NULL,
    role             text,
    school_id        text,
    program_key      text NOT NULL,
    school_year      text NOT NULL,
    year_in_program  integer NOT NULL,
    cycle            integer NOT NULL,
    stage            text NOT NULL,
    parts_completed  jsonb NOT NULL DEFAULT '[]',
    hours_earned     numeric(8, 2) NOT NULL DEFAULT 0,
    completed_on     date,
    certified_until  date,
    stipend_cents    bigint NOT NULL DEFAULT 0,
    end_reason       text NOT NULL DEFAULT '',
    last_position    bigint NOT NULL
);
CREATE INDEX program_journeys_program ON program_journeys (program_key, school_year, stage);
CREATE INDEX program_journeys_employee ON program_journeys (employee_id);
