package apisvc

import (
	"context"
	"database/sql"
	"errors"
	"net/http"

	"github.com/lib/pq"

	"github.com/remitq/remitq/carc"
	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/money"
)

// BilledClaimView is a billed claim (837P or CSV) as the practice billed it,
// each line beside the paid lines that settle it, and the paid claims
// (CLPs) matched to it, claim-level adjustments included: what a
// claim-level denial (no SVC) is read against. MemberID is PHI: every
// answer that holds a BilledClaimView is audited.
type BilledClaimView struct {
	ID                   int64             `db:"id" json:"id"`
	PracticeID           int64             `db:"practice_id" json:"practice_id"`
	Source               string            `db:"source" json:"source"`
	PatientControlNumber string            `db:"patient_control_number" json:"patient_control_number"`
	Frequency            string            `db:"frequency_code" json:"frequency_code"`
	PayerCode            string            `db:"payer_code" json:"payer_code"`
	RenderingNPI         *string           `db:"rendering_npi" json:"rendering_npi"`
	PlaceOfService       *string           `db:"place_of_service" json:"place_of_service"`
	PriorAuthorization   *string           `db:"prior_authorization" json:"prior_authorization"`
	Diagnoses            pq.StringArray    `db:"diagnoses" json:"diagnoses"`
	TotalCharge          money.Amount      `db:"total_charge" json:"total_charge"`
	BilledDate           day.Day           `db:"billed_date" json:"billed_date"`
	ServiceDateFrom      day.Day           `db:"service_date_from" json:"service_date_from"`
	ServiceDateTo        day.Day           `db:"service_date_to" json:"service_date_to"`
	MemberID             *string           `db:"phi_member_id" json:"member_id"`
	Lines                []BilledLineView  `db:"-" json:"lines"`
	PaidClaims           []PaidClaimBrief  `db:"-" json:"paid_claims"`
	Totals               BilledClaimTotals `db:"-" json:"totals"`
}

// BilledLineView is a billed line and the paid lines matched to it.
type BilledLineView struct {
	ID                 int64          `db:"id" json:"id"`
	LineNumber         int            `db:"line_number" json:"line_number"`
	ProcedureCode      string         `db:"procedure_code" json:"procedure_code"`
	Modifiers          pq.StringArray `db:"modifiers" json:"modifiers"`
	Units              string         `db:"units" json:"units"`
	Charge             money.Amount   `db:"charge" json:"charge"`
	ServiceDateFrom    day.Day        `db:"service_date_from" json:"service_date_from"`
	PriorAuthorization string         `db:"prior_authorization" json:"prior_authorization"`
	Paid               []PaidLineRef  `db:"-" json:"paid_lines"`
	// Focus marks the line a work item is about.
	Focus bool `db:"-" json:"focus,omitempty"`
}

// PaidLineRef is a paid line (SVC) matched to a billed line.
type PaidLineRef struct {
	ServiceLineID         *int64         `db:"service_line_id" json:"service_line_id"`
	ClaimPaymentID        *int64         `db:"claim_payment_id" json:"claim_payment_id"`
	FileID                int64          `db:"file_id" json:"file_id"`
	ProcedureCode         string         `db:"procedure_code" json:"procedure_code"`
	Modifiers             pq.StringArray `db:"modifiers" json:"modifiers"`
	Charge                money.Amount   `db:"charge" json:"charge"`
	Paid                  money.Amount   `db:"paid" json:"paid"`
	Allowed               money.Amount   `db:"allowed" json:"allowed"`
	PatientResponsibility money.Amount   `db:"patient_responsibility" json:"patient_responsibility"`
	NetPaid               money.Amount   `db:"net_paid" json:"net_paid"`
	Flags                 pq.StringArray `db:"flags" json:"flags"`
	Method                string         `db:"method" json:"method"`
}

// PaidClaimBrief is a paid claim (CLP) matched to the billed claim, with its
// claim-level adjustments.
type PaidClaimBrief struct {
	ClaimPaymentID        int64         `db:"id" json:"claim_payment_id"`
	FileID                int64         `db:"file_id" json:"file_id"`
	Status                string        `db:"status" json:"status"`
	PayerClaimControl     *string       `db:"payer_claim_control" json:"payer_claim_control"`
	Charge                money.Amount  `db:"charge" json:"charge"`
	Paid                  money.Amount  `db:"paid" json:"paid"`
	PatientResponsibility *money.Amount `db:"patient_responsibility" json:"patient_responsibility"`
	PaymentDate           day.Day       `db:"payment_date" json:"payment_date"`
	Adjustments           []Adjustment  `db:"-" json:"adjustments"`
}

// BilledClaimTotals sums both sides.
type BilledClaimTotals struct {
	Billed money.Amount `json:"billed"`
	Paid   money.Amount `json:"paid"` // the paid claims' CLP04, netted as posted
}

// billedClaimView reads billed claim id in the caller's scope (errNotFound
// otherwise), with only the paid claims the caller sees.
func (s *Service) billedClaimView(ctx context.Context, id int64, scope *auth.Identity) (*BilledClaimView, error) {
	var args auth.Args
	var v BilledClaimView
	err := s.db.GetContext(ctx, &v, `SELECT bc.id, bc.practice_id, bc.source, bc.patient_control_number, bc.frequency_code, bc.payer_code,
		bc.rendering_npi, bc.place_of_service, bc.prior_authorization, bc.diagnoses, bc.total_charge, bc.billed_date,
		bc.service_date_from, bc.service_date_to, bc.phi_member_id
		FROM billed_claims bc WHERE bc.id = `+args.Add(id)+` AND `+scope.Where("bc.practice_id", "coalesce(bc.rendering_npi, '')", &args), args...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, err
	}
	if v.Diagnoses == nil {
		v.Diagnoses = pq.StringArray{}
	}
	if err := s.db.SelectContext(ctx, &v.Lines, `SELECT id, line_number, procedure_code, modifiers, units::text AS units, charge,
		coalesce(service_date_from, $2::date) AS service_date_from, coalesce(prior_authorization, '') AS prior_authorization
		FROM billed_lines WHERE billed_claim_id = $1 ORDER BY line_number`, id, v.ServiceDateFrom); err != nil {
		return nil, err
	}
	byID := map[int64]*BilledLineView{}
	for i := range v.Lines {
		l := &v.Lines[i]
		l.Paid = []PaidLineRef{}
		if l.Modifiers == nil {
			l.Modifiers = pq.StringArray{}
		}
		byID[l.ID] = l
		v.Totals.Billed += l.Charge
	}
	if len(v.Lines) == 0 {
		v.Lines = []BilledLineView{}
		v.Totals.Billed = v.TotalCharge
	}
	// Paid lines: the matcher's line matches to this claim's lines, with
	// the stored SVC row when there is one, in the caller's scope.
	var pargs auth.Args
	var paid []struct {
		BilledLineID int64 `db:"billed_line_id"`
		PaidLineRef
	}
	if err := s.db.SelectContext(ctx, &paid, `SELECT lm.billed_line_id, sl.id AS service_line_id, cp.id AS claim_payment_id, lm.file_id,
		lm.procedure_code, lm.modifiers, lm.charge, lm.paid, lm.allowed, lm.patient_responsibility, lm.net_paid, lm.flags, lm.method
		FROM line_matches lm
		LEFT JOIN service_line_payments sl ON sl.file_id = lm.file_id AND sl.segment_index = lm.segment_index
		LEFT JOIN claim_payments cp ON cp.file_id = lm.file_id AND cp.segment_index = lm.claim_segment
		WHERE lm.billed_claim_id = `+pargs.Add(id)+` AND lm.billed_line_id IS NOT NULL AND `+
		scope.WherePractice("lm.practice_id", &pargs)+` ORDER BY lm.matched_at, lm.file_id, lm.segment_index`, pargs...); err != nil {
		return nil, err
	}
	for _, p := range paid {
		if l, ok := byID[p.BilledLineID]; ok {
			if p.Modifiers == nil {
				p.Modifiers = pq.StringArray{}
			}
			if p.Flags == nil {
				p.Flags = pq.StringArray{}
			}
			l.Paid = append(l.Paid, p.PaidLineRef)
		}
	}
	var cargs auth.Args
	if err := s.db.SelectContext(ctx, &v.PaidClaims, `SELECT cp.id, cp.file_id, cp.status, cp.payer_claim_control, cp.charge, cp.paid,
		cp.patient_responsibility, t.payment_date
		FROM match_claims m JOIN claim_payments cp ON cp.file_id = m.file_id AND cp.segment_index = m.segment_index
		JOIN remittance_transactions t ON t.id = cp.transaction_id
		WHERE m.billed_claim_id = `+cargs.Add(id)+` AND `+scope.Where("cp.practice_id", claimNPI, &cargs)+`
		ORDER BY t.payment_date NULLS LAST, cp.id`, cargs...); err != nil {
		return nil, err
	}
	if v.PaidClaims == nil {
		v.PaidClaims = []PaidClaimBrief{}
	}
	for i := range v.PaidClaims {
		pc := &v.PaidClaims[i]
		v.Totals.Paid += pc.Paid
		pc.Adjustments = []Adjustment{}
		rows, err := s.db.QueryxContext(ctx, `SELECT group_code, reason_code, amount, quantity::text FROM adjustments
			WHERE claim_payment_id = $1 AND service_line_id IS NULL ORDER BY segment_index, position`, pc.ClaimPaymentID)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var a Adjustment
			if err := rows.Scan(&a.Group, &a.CARC, &a.Amount, &a.Quantity); err != nil {
				rows.Close()
				return nil, err
			}
			a.Explanation = carc.Explain(a.Group, a.CARC, nil)
			pc.Adjustments = append(pc.Adjustments, a)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return &v, nil
}

func (v *BilledClaimView) markFocus(lineID *int64) {
	if lineID == nil {
		return
	}
	for i := range v.Lines {
		v.Lines[i].Focus = v.Lines[i].ID == *lineID
	}
}

// GET /v1/billed-claims/{id}: a billed claim with its lines and the paid
// claims and lines that settle it (PHI, audited).
func (c *call) getBilledClaim() error {
	id, err := c.pathID("id")
	if err != nil {
		return err
	}
	v, err := c.s.billedClaimView(c.r.Context(), id, c.id)
	if err != nil {
		return err
	}
	if err := c.audit(c.entry("billed_claim.view", "billed_claim", v.ID, v.PracticeID, nil)); err != nil {
		return err
	}
	return c.json(http.StatusOK, v)
}
