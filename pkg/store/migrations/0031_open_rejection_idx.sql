-- 0031: the matcher's ack_resolve_paid trigger (0025) runs after every
-- batch written to match_claims and looks for open rejection items of the
-- batch's paid billed claims. No index led there: each batch scanned every
-- work item (59.6 ms per batch of 901 claims at 300,000 items, growing with
-- the table; 1.2 ms with this index). Only open rejection items are in it,
-- so the router's denial and underpayment items do not pay for an entry.
CREATE INDEX work_items_open_rejection_idx ON work_items (billed_claim_id, practice_id)
    WHERE kind = 'rejection' AND status NOT IN ('resolved', 'written_off');
