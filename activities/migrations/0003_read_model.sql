-- Read models built from the event log. They can be dropped and rebuilt from events.
CREATE TABLE projection_checkpoints (
    name      text PRIMARY KEY,
    position  bigint NOT NULL DEFAULT 0
);

CREATE TABLE teacher_leader_journeys (
    stream_id              text PRIMARY KEY,
    employee_id            text NOT NULL,
    full_name              text NOT NULL,
    role                   text NOT NULL,
    cohort                 text,
    school_id              text NOT NULL,
    program_year           text NOT NULL,
    stage                  text NOT NULL,
    decision               text,
    stipend_paid           boolean,
    stipend_cents          bigint NOT NULL DEFAULT 0,
    withheld_reasons       jsonb NOT NULL DEFAULT '[]',
    substitute_days        numeric(6, 2) NOT NULL DEFAULT 0,
    reimbursement_cents    bigint NOT NULL DEFAULT 0,
    stipend_reference      text,
    reimbursement_reference text,
    end_reason             text,
    ended                  boolean NOT NULL DEFAULT false,
    last_position          bigint NOT NULL
);
CREATE INDEX teacher_leader_journeys_year ON teacher_leader_journeys (program_year, stage);
