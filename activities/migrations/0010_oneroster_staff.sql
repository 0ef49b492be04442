-- The staff of the last OneRoster import, to compare the next file with: one row an employee
-- the file listed (the disabled and the deleted are removed). Each row changes only once the
-- HR events of its differences were accepted by the employee's career.
CREATE TABLE oneroster_staff (
    employee_id  text PRIMARY KEY,
    sourced_id   text NOT NULL,
    full_name    text NOT NULL,
    email        text NOT NULL,
    role         text NOT NULL,
    school_id    text,
    imported_at  timestamptz NOT NULL DEFAULT now()
);
