-- 0013: a token's identity is its issuer and subject.
--
-- A JWT names its user by (iss, sub); the email claim is only a way to find
-- the user the first time, and only when the issuer says it verified it
-- (email_verified). The first accepted token of an (iss, sub) binds it to
-- the user it found; later tokens of that (iss, sub) are that user whatever
-- email they carry, so a changed or unverified email claim never moves a
-- session to another account.
CREATE TABLE user_identities (
    issuer     text        NOT NULL,   -- iss ('' for tokens without one)
    subject    text        NOT NULL,   -- sub
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX user_identities_user_idx ON user_identities (user_id);
