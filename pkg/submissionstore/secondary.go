package submissionstore

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/jmoiron/sqlx"

	"github.com/remitq/remitq/pkg/billedstore"
	"github.com/remitq/remitq/pkg/correct"
	"github.com/remitq/remitq/x12"
)

// Secondary work items (0024).
const (
	KindBillSecondary     = "bill_secondary"
	CategorySecondary     = "coordination_of_benefits"
	TypeSecondary         = "secondary"
	StateCrossedOver      = "crossed_over"
	StateSecondaryOpened  = "item_opened"
	secondaryDedupePrefix = "secondary:billed_claim:"
)

// Primary835 reads an 835 claim payment of the practice back from its
// stored file: the whole CLP loop (adjustments, lines, names, remarks) and
// the payment date (BPR16). PHI: callers audit.
func Primary835(ctx context.Context, q sqlx.QueryerContext, practiceID, claimPaymentID int64) (correct.Primary, error) {
	var raw []byte
	var seg int
	err := q.QueryRowxContext(ctx, `SELECT f.raw, cp.segment_index FROM claim_payments cp JOIN remittance_files f ON f.id = cp.file_id
		WHERE cp.id = $1 AND cp.practice_id = $2`, claimPaymentID, practiceID).Scan(&raw, &seg)
	if errors.Is(err, sql.ErrNoRows) {
		return correct.Primary{}, ErrNotFound
	}
	if err != nil {
		return correct.Primary{}, fmt.Errorf("submissions: read the 835: %w", err)
	}
	rf, err := x12.ReadRemittances(bytes.NewReader(raw))
	if err != nil {
		return correct.Primary{}, fmt.Errorf("submissions: parse the 835: %w", err)
	}
	for _, r := range rf.Remittances {
		for _, cp := range r.Claims {
			if cp.Segment == seg {
				return correct.Primary{Payment: cp, Paid: r.Payment.Date}, nil
			}
		}
	}
	return correct.Primary{}, errors.New("submissions: the claim payment is not in its stored file")
}

// SweepResult counts what a sweep decided.
type SweepResult struct {
	Checked     int `json:"checked"`      // billed claims with another payer and a primary 835
	CrossedOver int `json:"crossed_over"` // the primary forwarded them: no item
	Opened      int `json:"opened"`       // bill-secondary work items opened
	Skipped     int `json:"skipped"`      // nothing to carry (a reversal, a claim-level-only 835)
}

// SweepSecondary decides, for the practice's billed claims (practiceID 0:
// every practice) whose 837P names another payer and that the primary
// payer adjudicated (the latest matched 835 claim payment of the billed
// claim's payer), whether the primary crossed the claim over (marked
// crossed_over, no item) or a bill-secondary work item opens (kind
// bill_secondary, category coordination_of_benefits, the practice's
// default queue). Each claim is decided once, in its own transaction.
func SweepSecondary(ctx context.Context, db *sqlx.DB, practiceID int64) (*SweepResult, error) {
	var todo []struct {
		Billed   int64 `db:"billed_claim_id"`
		Practice int64 `db:"practice_id"`
		Payment  int64 `db:"claim_payment_id"`
	}
	if err := db.SelectContext(ctx, &todo, `SELECT b.id AS billed_claim_id, b.practice_id, p.id AS claim_payment_id
		FROM billed_claims b JOIN billed_claim_x12 x ON x.billed_claim_id = b.id
		CROSS JOIN LATERAL (SELECT cp.id FROM claim_payments cp JOIN remittance_transactions t ON t.id = cp.transaction_id
			WHERE cp.practice_id = b.practice_id AND cp.status <> '22'
			AND (b.payer_id IS NULL OR t.payer_id IS NULL OR t.payer_id = b.payer_id)
			AND EXISTS (SELECT 1 FROM line_matches lm WHERE lm.file_id = cp.file_id AND lm.claim_segment = cp.segment_index
				AND lm.billed_claim_id = b.id)
			ORDER BY t.payment_date DESC NULLS LAST, cp.id DESC LIMIT 1) p
		WHERE ($1::bigint = 0 OR b.practice_id = $1::bigint) AND jsonb_array_length(coalesce(x.phi_claim->'other_subscribers', '[]')) > 0
		AND NOT EXISTS (SELECT 1 FROM secondary_claims s WHERE s.billed_claim_id = b.id)
		ORDER BY b.id`, practiceID); err != nil {
		return nil, fmt.Errorf("submissions: claims with another payer: %w", err)
	}
	res := &SweepResult{}
	for _, t := range todo {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		res.Checked++
		prim, err := Primary835(ctx, db, t.Practice, t.Payment)
		if err != nil {
			return res, err
		}
		state := StateSecondaryOpened
		switch {
		case correct.CrossedOver(prim.Payment):
			state = StateCrossedOver
		case prim.Payment.Status == "22" || len(prim.Payment.Lines) == 0:
			res.Skipped++
			continue
		}
		opened, err := decideSecondary(ctx, db, t.Billed, t.Practice, t.Payment, state)
		if err != nil {
			return res, err
		}
		switch {
		case !opened:
		case state == StateCrossedOver:
			res.CrossedOver++
		default:
			res.Opened++
		}
	}
	return res, nil
}

// decideSecondary records the decision for one billed claim (and opens its
// item), once: false when another sweep decided it first.
func decideSecondary(ctx context.Context, db *sqlx.DB, billed, practice, payment int64, state string) (bool, error) {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('secondary:' || $1::text, 0))`, billed); err != nil {
		return false, err
	}
	var done bool
	if err := tx.GetContext(ctx, &done, `SELECT EXISTS (SELECT 1 FROM secondary_claims WHERE billed_claim_id = $1)`, billed); err != nil || done {
		return false, err
	}
	var item any
	if state == StateSecondaryOpened {
		var id int64
		if err := tx.GetContext(ctx, &id, `WITH q AS (
				INSERT INTO queues (practice_id, name) VALUES ($1, 'default') ON CONFLICT (practice_id, name) DO UPDATE SET name = excluded.name
				RETURNING id)
			INSERT INTO work_items (dedupe_key, practice_id, provider_npi, payer_id, queue_id, kind, disposition, category,
				claim_payment_id, billed_claim_id, patient_control_number, payer_claim_control, text, action, billed_amount,
				paid_amount, amount_at_risk, remit_date, service_date, priority)
			SELECT $2, b.practice_id, coalesce(b.rendering_npi, ''), b.payer_id, (SELECT id FROM q), 'bill_secondary', 'paid',
				'coordination_of_benefits', cp.id, b.id, b.patient_control_number, coalesce(cp.payer_claim_control, ''),
				'The billed claim names another payer and the primary payer did not forward it (no crossover)',
				'Send the secondary claim with the primary payer''s adjudication (COB, loops 2320/2430)',
				b.total_charge, cp.paid, greatest(cp.charge - cp.paid, 0), t.payment_date, b.service_date_from, 10
			FROM billed_claims b, claim_payments cp JOIN remittance_transactions t ON t.id = cp.transaction_id
			WHERE b.id = $3 AND b.practice_id = $1 AND cp.id = $4 AND cp.practice_id = $1
			ON CONFLICT (dedupe_key) DO UPDATE SET updated_at = work_items.updated_at
			RETURNING id`, practice, secondaryDedupePrefix+strconv.FormatInt(billed, 10), billed, payment); err != nil {
			return false, fmt.Errorf("submissions: open the bill-secondary item: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO work_item_events (work_item_id, actor, action, to_status, detail)
			VALUES ($1, 'system', 'created', 'new', '{"kind": "bill_secondary"}')`, id); err != nil {
			return false, err
		}
		item = id
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO secondary_claims (billed_claim_id, practice_id, claim_payment_id, state, work_item_id)
		VALUES ($1, $2, $3, $4, $5)`, billed, practice, payment, state, item); err != nil {
		return false, fmt.Errorf("submissions: record the secondary decision: %w", err)
	}
	return true, tx.Commit()
}

// prepareSecondary builds the secondary claim of a bill-secondary item.
func (p *Preparer) prepareSecondary(ctx context.Context, q sqlx.QueryerContext, it *Item) (*Prepared, error) {
	if it.BilledClaimID == nil {
		return nil, conflict("billed_claim_missing", "the work item has no billed claim")
	}
	st, err := billedstore.Claim837(ctx, q, it.PracticeID, *it.BilledClaimID)
	switch {
	case errors.Is(err, billedstore.ErrNoBilledClaim):
		return nil, conflict("billed_claim_missing", "the work item's billed claim is not stored")
	case errors.Is(err, billedstore.ErrNotRegenerable):
		return nil, conflict("csv_source", "the billed claim was loaded from a CSV export, not an 837P: remitq cannot regenerate it")
	case err != nil:
		return nil, err
	}
	var payment int64
	err = sqlx.GetContext(ctx, q, &payment, `SELECT claim_payment_id FROM secondary_claims WHERE billed_claim_id = $1 AND practice_id = $2
		AND state = 'item_opened'`, *it.BilledClaimID, it.PracticeID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, conflict("primary_unknown", "no primary adjudication is recorded for this claim")
	}
	if err != nil {
		return nil, err
	}
	prim, err := Primary835(ctx, q, it.PracticeID, payment)
	if err != nil {
		return nil, err
	}
	res, err := correct.Secondary(st.Claim, prim)
	switch {
	case errors.Is(err, correct.ErrCrossedOver):
		return nil, conflict("crossed_over", "the primary payer forwarded the claim to the other payer itself")
	case errors.Is(err, correct.ErrNoOtherPayer):
		return nil, conflict("no_other_payer", "the billed claim names no other payer")
	case errors.Is(err, correct.ErrNotAdjudicated):
		return nil, conflict("not_adjudicated", "the primary's 835 holds no line adjudication to carry over")
	case err != nil:
		return nil, err
	}
	out := &Prepared{Item: it, Type: TypeSecondary, Billed: st.Claim, Result: res, PayerCode: res.Claim.Payer.PayerID}
	out.Sender, out.Receiver = st.Claim.BillingProvider.NPI, out.PayerCode
	if b := st.Claim.Batch; b != nil && b.Submitter.ID != "" {
		out.Sender = b.Submitter.ID
	}
	return out, nil
}
