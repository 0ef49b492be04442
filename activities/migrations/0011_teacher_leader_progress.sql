-- Each teacher leader journey's progress as the web app lists it: who, where, the stage, and the
-- journey's whole state (the pathway's own fold of every event), from which the app works out
-- what blocks each stipend with the program year's rules. Dropped and rebuilt from events at will.
CREATE TABLE teacher_leader_progress (
    stream_id     text PRIMARY KEY,
    employee_id   text NOT NULL,
    full_name     text NOT NULL,
    role          text,
    school_id     text NOT NULL,
    principal_id  text,
    program_year  text NOT NULL,
    stage         text NOT NULL,
    state         jsonb NOT NULL,
    last_position bigint NOT NULL
);
CREATE INDEX teacher_leader_progress_year ON teacher_leader_progress (program_year, stage);
CREATE INDEX teacher_leader_progress_school ON teacher_leader_progress (school_id, program_year);
CREATE INDEX teacher_leader_progress_employee ON teacher_leader_progress (employee_id);
