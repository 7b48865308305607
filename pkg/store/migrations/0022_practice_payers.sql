-- The payers a practice is enrolled with, registered at onboarding (before
-- any of their remittances arrive). The payers a practice's remittances
-- name are its payers too (practicestore.PracticePayers joins both).
CREATE TABLE practice_payers (
    practice_id bigint      NOT NULL REFERENCES practices (id),
    payer_id    bigint      NOT NULL REFERENCES payers (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (practice_id, payer_id)
);
CREATE INDEX practice_payers_payer_idx ON practice_payers (payer_id);
