-- The web console (issue 19): local passwords and sign-in sessions.

-- console_passwords holds a bcrypt hash per local account (users without a
-- row sign in through the identity provider only).
CREATE TABLE console_passwords (
    user_id    bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    hash       text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- console_sessions are signed-in browsers; the cookie holds the secret,
-- the table only its SHA-256.
CREATE TABLE console_sessions (
    id_hash    bytea PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf       text NOT NULL,
    method     text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    seen_at    timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);
CREATE INDEX console_sessions_seen ON console_sessions (seen_at);
