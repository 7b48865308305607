-- 0021: patient responsibility hand-off (issue 17). A PR-1/2/3 adjustment
-- (deductible, coinsurance, copay) is the patient's to pay: the practice's
-- statement run takes it. A row here says the patient share of one paid
-- line (line_key = service_line_payments.id) or of a claim's claim-level
-- adjustments (line_key = 0) was exported, with the amount sent, so the
-- next export leaves it out.
CREATE TABLE patient_share_exports (
    claim_payment_id bigint        NOT NULL,
    line_key         bigint        NOT NULL,
    practice_id      bigint        NOT NULL REFERENCES practices (id),
    amount           numeric(14,2) NOT NULL,
    batch            text          NOT NULL,
    exported_by      bigint        NOT NULL REFERENCES users (id),
    exported_at      timestamptz   NOT NULL DEFAULT now(),
    PRIMARY KEY (claim_payment_id, line_key)
);
CREATE INDEX patient_share_exports_practice_idx ON patient_share_exports (practice_id, exported_at);
