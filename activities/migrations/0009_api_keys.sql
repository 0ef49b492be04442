-- API keys of the systems that call the HTTP API (HR, rostering, integrations). Only a hash of
-- each key is kept; the key itself is shown once, when it is made. A key is found by its
-- prefix (not secret, shown in lists) and checked against the hash in constant time.
CREATE TABLE api_keys (
    name        text PRIMARY KEY,
    prefix      text NOT NULL UNIQUE,
    key_hash    bytea NOT NULL,
    scopes      text[] NOT NULL,
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz,
    revoked_by  text,
    last_used_at timestamptz
);
