package matchstore

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Decision is a person's choice for one paid line, as it is recorded.
type Decision struct {
	Line     Pos // the SVC (the CLP for a claim-level-only payment)
	Claim    Pos // its CLP
	Practice int64
	Action   string // confirm or pick
	// New is the line's row after the decision, Old before it.
	New, Old LineRow
	// Revision is the claim's new revision.
	Revision int
	// Review: a line of the claim still waits for a person; Unmatched: a
	// line of it still has no billed line.
	Review, Unmatched bool
	// BilledClaimID is the billed claim chosen.
	BilledClaimID int64
	User          string
}

// RecordDecision writes d in tx: the line's new answer, the claim's
// revision and review flag, the claim leaving match_pending (or staying,
// with its unmatched flag) and the match_decisions row.
func RecordDecision(ctx context.Context, tx sqlx.ExecerContext, d Decision) error {
	nl, old := &d.New, &d.Old
	if _, err := tx.ExecContext(ctx, `UPDATE line_matches SET method = $3, confidence = $4, review = false, flags = $5,
		billed_claim_id = $6, billed_line_id = $7, billed_line_number = $8, billed_charge = $9, billed_units = $10
		WHERE file_id = $1 AND segment_index = $2`, d.Line.File, d.Line.Seg, nl.Method, nl.Confidence, pq.Array(nl.Flags),
		NullID(nl.BilledClaimID), NullID(nl.BilledLineID), NullID(int64(nl.BilledLineNumber)), nl.BilledCharge,
		nl.BilledUnits.String()); err != nil {
		return fmt.Errorf("matchstore: record decision: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE line_matches SET revision = $3 WHERE file_id = $1 AND claim_segment = $2`,
		d.Claim.File, d.Claim.Seg, d.Revision); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE match_claims SET revision = $3, review = $4,
		billed_claim_id = coalesce(billed_claim_id, $5),
		flags = array_remove(flags, 'manual_review') || CASE WHEN $4 THEN '{manual_review}'::text[] ELSE '{}' END
		WHERE file_id = $1 AND segment_index = $2`, d.Claim.File, d.Claim.Seg, d.Revision, d.Review, d.BilledClaimID); err != nil {
		return err
	}
	var err error
	if d.Review {
		_, err = tx.ExecContext(ctx, `UPDATE match_pending SET unmatched = $3 WHERE file_id = $1 AND segment_index = $2`,
			d.Claim.File, d.Claim.Seg, d.Unmatched)
	} else {
		_, err = tx.ExecContext(ctx, `DELETE FROM match_pending WHERE file_id = $1 AND segment_index = $2`, d.Claim.File, d.Claim.Seg)
	}
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO match_decisions (file_id, segment_index, practice_id, action,
		billed_claim_id, billed_line_id, previous_billed_claim_id, previous_billed_line_id, previous_method,
		previous_confidence, decided_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		d.Line.File, d.Line.Seg, d.Practice, d.Action, NullID(d.BilledClaimID), NullID(nl.BilledLineID), NullID(old.BilledClaimID),
		NullID(old.BilledLineID), old.Method, old.Confidence, d.User)
	return err
}

// QueueRematch puts the claim at p, changed to revision rev, on the
// match_outbox with its ClaimPayment payload, to be published again.
func QueueRematch(ctx context.Context, tx sqlx.ExecerContext, p Pos, rev int, payload []byte) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO match_outbox (file_id, segment_index, revision, payload)
		VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, p.File, p.Seg, rev, payload)
	return err
}

// NullID is v for an id column, NULL for 0.
func NullID(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}
