-- 0003: natural keys the ingest writes by.
--
-- Remark codes are keyed by what they belong to, not by the LQ/MOA/MIA
-- segment: a line's remarks by (service line, qualifier, position among the
-- line's remarks), a claim's MOA/MIA remarks by (claim, qualifier, position
-- among the claim's remarks of that qualifier). segment_index now holds the owning SVC or CLP segment. Two
-- partial indexes stand in for UNIQUE NULLS NOT DISTINCT (PostgreSQL 15+).
ALTER TABLE remarks DROP CONSTRAINT remarks_file_segment_position_key;
CREATE UNIQUE INDEX remarks_line_position_key ON remarks (service_line_id, qualifier, position)
    WHERE service_line_id IS NOT NULL;
CREATE UNIQUE INDEX remarks_claim_position_key ON remarks (claim_payment_id, qualifier, position)
    WHERE service_line_id IS NULL;
COMMENT ON COLUMN remarks.segment_index IS 'the SVC segment (line remarks) or the CLP segment (claim remarks)';
COMMENT ON COLUMN remarks.position IS '1-based order among the line''s LQ remarks, or among the claim''s MOA (or MIA) remarks';

-- Payers are seen on every remittance: keep when each last sent one, so a
-- payer that stopped sending is visible.
ALTER TABLE payers ADD COLUMN last_remittance_at timestamptz;
