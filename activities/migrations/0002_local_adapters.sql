-- Local stand-ins for the district's external systems, used when no HTTP endpoint is set.
-- Payroll and the outbox keep one row per idempotency key: a retried or replayed request finds
-- the row it already wrote and gets the same reference back.
CREATE TABLE payroll_requests (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    idempotency_key    text        NOT NULL UNIQUE,
    payroll_reference  text        NOT NULL UNIQUE,
    kind               text        NOT NULL,
    payee_id           text        NOT NULL,
    amount_cents       bigint      NOT NULL CHECK (amount_cents > 0),
    currency           text        NOT NULL DEFAULT 'USD',
    memo               text        NOT NULL,
    workflow_id        text,
    requested_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE email_outbox (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    idempotency_key  text        NOT NULL UNIQUE,
    message_id       text        NOT NULL UNIQUE,
    recipient        text        NOT NULL,
    subject          text        NOT NULL,
    body             text        NOT NULL,
    workflow_id      text,
    queued_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE hris_employees (
    employee_id  text PRIMARY KEY,
    full_name    text NOT NULL,
    email        text NOT NULL,
    school_id    text,
    role         text NOT NULL,
    status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'leave', 'separated'))
);

CREATE TABLE hris_schools (
    school_id     text PRIMARY KEY,
    name          text NOT NULL,
    principal_id  text REFERENCES hris_employees (employee_id)
);
