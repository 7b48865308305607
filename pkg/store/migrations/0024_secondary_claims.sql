-- 0024: secondary claims (issue 18). A paid claim whose billed 837P names
-- another payer (2320/2330) is either crossed over by the primary payer
-- (CLP02 19/20/21, NM1*TT, MA18/N89: nothing to do) or gets a "bill
-- secondary" work item: kind bill_secondary, category
-- coordination_of_benefits (an existing root-cause key), whose claim
-- (pkg/correct.Secondary) carries the primary's adjudication.

ALTER TABLE work_items DROP CONSTRAINT work_items_kind_check;
ALTER TABLE work_items ADD CONSTRAINT work_items_kind_check
    CHECK (kind IN ('denial', 'underpayment', 'unmatched_remittance', 'bill_secondary'));

-- What was decided for each billed claim with another payer: one row per
-- billed claim and primary 835 claim payment.
CREATE TABLE secondary_claims (
    billed_claim_id  bigint      PRIMARY KEY REFERENCES billed_claims (id) ON DELETE CASCADE,
    practice_id      bigint      NOT NULL,
    claim_payment_id bigint      NOT NULL,               -- the primary's CLP (claim_payments.id)
    state            text        NOT NULL,               -- crossed_over, item_opened
    work_item_id     bigint REFERENCES work_items (id),
    decided_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT secondary_claims_state_check CHECK (state IN ('crossed_over', 'item_opened'))
);
CREATE INDEX secondary_claims_practice_idx ON secondary_claims (practice_id, state);
