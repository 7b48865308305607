-- 0006: what the router (pkg/routesvc) needs beside 0004's work items.
--
-- routed_key orders the remits a work item has seen: the remit date, the
-- stored file id, the paid segment and the matcher's revision of the line,
-- as one sortable text ("2026-03-25|00000000000000000012|0000000345|00000").
-- The router applies a LineMatch to an item only when its key is greater
-- than the item's, so a redelivered message (same key) or an older remit
-- arriving late (smaller key) changes nothing and writes no event.
ALTER TABLE work_items ADD COLUMN routed_key text NOT NULL DEFAULT '';
-- What sharpened the category beyond the codes: "pain/imaging-bundled",
-- "rules/frequency_cap", "match/downcoded" ('' for the codes alone).
ALTER TABLE work_items ADD COLUMN rule text NOT NULL DEFAULT '';

-- The pain rules count a patient's sessions across the practices the
-- sharing policy allows: the router reads billed lines by patient (member id
-- and birth date), and what became of them by billed line.
CREATE INDEX billed_claims_patient_idx ON billed_claims (phi_member_id, phi_birth_date)
    WHERE phi_member_id IS NOT NULL;
CREATE INDEX line_matches_billed_line_idx ON line_matches (billed_line_id)
    WHERE billed_line_id IS NOT NULL;

-- Supervisor views: open items of a practice by category, payer, provider.
CREATE INDEX work_items_open_practice_idx ON work_items (practice_id, queue_id)
    INCLUDE (category, payer_id, provider_npi, amount_at_risk, created_at)
    WHERE status NOT IN ('resolved', 'written_off');
-- Replaced claim versions are left out of the history: find them by the
-- claim that replaces them.
CREATE INDEX billed_claims_replaces_idx ON billed_claims (replaces_claim_id)
    WHERE replaces_claim_id IS NOT NULL;

-- A payment that settles a billed line before any work item exists for it:
-- a corrected, netted or re-matched payment routed before the denial it
-- settles (two batches handled at once, or an older remit ingested late).
-- A denial routed later with an older routed_key opens its item resolved.
CREATE TABLE routed_settlements (
    dedupe_key  text          PRIMARY KEY,
    routed_key  text          NOT NULL,
    paid_amount numeric(14,2) NOT NULL,
    resolution  text          NOT NULL,
    detail      jsonb         NOT NULL DEFAULT '{}',
    settled_at  timestamptz   NOT NULL DEFAULT now()
);
-- Which of a batch's billed claims are corrected versions (most are not).
CREATE INDEX billed_claims_replacement_idx ON billed_claims (id)
    WHERE replaces_claim_id IS NOT NULL;
