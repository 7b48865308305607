package billedstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/remitq/remitq/pkg/match"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/x12"
)

// MissingRemit is a billed claim with no remit past its payer's window
// (payer_profiles.missing_remit_days, else match.DefaultMissingDays): the
// newest version of a CLM01 (a void is never missing) that no paid claim
// matched, billed (BilledDate, else the first service date) more than that
// many days before the day asked about.
type MissingRemit struct {
	PracticeID     int64        `json:"practice_id"`
	BilledClaimID  int64        `json:"billed_claim_id"`
	PatientControl string       `json:"patient_control_number"`
	Payer          string       `json:"payer"`
	BilledDate     x12.Date     `json:"billed_date"`
	DaysOut        int          `json:"days_out"`
	WindowDays     int          `json:"window_days"`
	Charge         money.Amount `json:"charge"`
}

// MissingFilter narrows Missing.
type MissingFilter struct {
	PracticeID int64     // 0: every practice
	Payer      string    // "": every payer
	AsOf       time.Time // zero: today
	Limit      int       // default 500
	AfterID    int64     // page: billed claim ids above this
}

const missingFrom = `FROM billed_claims b
	LEFT JOIN payer_profiles pp ON pp.payer_id = b.payer_id
	WHERE b.frequency_code <> '8'
	AND coalesce(b.billed_date, b.service_date_from) IS NOT NULL
	AND $1::date - coalesce(b.billed_date, b.service_date_from) > coalesce(pp.missing_remit_days, $2)
	AND ($3 = 0 OR b.practice_id = $3) AND ($4 = '' OR b.payer_code = $4)
	AND NOT EXISTS (SELECT 1 FROM billed_claims o WHERE o.practice_id = b.practice_id
		AND o.patient_control_number = b.patient_control_number AND o.id > b.id)
	AND NOT EXISTS (SELECT 1 FROM billed_claims o JOIN match_claims m ON m.billed_claim_id = o.id
		WHERE o.practice_id = b.practice_id AND o.patient_control_number = b.patient_control_number)`

// Missing lists missing remits, by billed claim id.
func Missing(ctx context.Context, q sqlx.QueryerContext, f MissingFilter) ([]MissingRemit, error) {
	asOf := f.AsOf
	if asOf.IsZero() {
		asOf = time.Now()
	}
	if f.Limit <= 0 {
		f.Limit = 500
	}
	rows, err := q.QueryxContext(ctx, `SELECT b.id, b.practice_id, b.patient_control_number, b.payer_code,
		coalesce(b.billed_date, b.service_date_from)::text, $1::date - coalesce(b.billed_date, b.service_date_from),
		coalesce(pp.missing_remit_days, $2), b.total_charge `+missingFrom+` AND b.id > $5 ORDER BY b.id LIMIT $6`,
		asOf.Format(time.DateOnly), match.DefaultMissingDays, f.PracticeID, f.Payer, f.AfterID, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("billing: missing remits: %w", err)
	}
	defer rows.Close()
	out := []MissingRemit{}
	for rows.Next() {
		var m MissingRemit
		var d string
		if err := rows.Scan(&m.BilledClaimID, &m.PracticeID, &m.PatientControl, &m.Payer, &d, &m.DaysOut, &m.WindowDays, &m.Charge); err != nil {
			return nil, err
		}
		m.BilledDate = x12.Date(d)
		out = append(out, m)
	}
	return out, rows.Err()
}

// PayerStatus is a payer with its last remittance and its missing remits.
type PayerStatus struct {
	ID                  int64        `json:"id"`
	Code                string       `json:"payer"`
	Name                string       `json:"name"`
	LastRemittanceAt    *time.Time   `json:"last_remittance_at"` // nil: never sent one
	DaysSinceRemittance *int         `json:"days_since_last_remittance"`
	MissingRemitDays    int          `json:"missing_remit_days"`
	MissingClaims       int          `json:"missing_claims"`
	MissingCharge       money.Amount `json:"missing_charge"`
}

// Payers lists every payer with the date of its last remittance (set by
// ingest) and its missing remits as of asOf (zero: now), so a payer that
// stopped sending stands out.
func Payers(ctx context.Context, q sqlx.QueryerContext, practiceID int64, asOf time.Time) ([]PayerStatus, error) {
	if asOf.IsZero() {
		asOf = time.Now()
	}
	rows, err := q.QueryxContext(ctx, `WITH missing AS (SELECT b.payer_code, count(*) AS n, sum(b.total_charge) AS charge
			`+missingFrom+` GROUP BY b.payer_code)
		SELECT p.id, p.payer_id_code, p.name, p.last_remittance_at,
			CASE WHEN p.last_remittance_at IS NULL THEN NULL ELSE $1::date - p.last_remittance_at::date END,
			coalesce(pp.missing_remit_days, $2), coalesce(m.n, 0), coalesce(m.charge, 0)
		FROM payers p LEFT JOIN payer_profiles pp ON pp.payer_id = p.id
		LEFT JOIN missing m ON m.payer_code = p.payer_id_code
		ORDER BY p.last_remittance_at ASC NULLS FIRST, p.payer_id_code`,
		asOf.Format(time.DateOnly), match.DefaultMissingDays, practiceID, "")
	if err != nil {
		return nil, fmt.Errorf("billing: payers: %w", err)
	}
	defer rows.Close()
	out := []PayerStatus{}
	for rows.Next() {
		var p PayerStatus
		if err := rows.Scan(&p.ID, &p.Code, &p.Name, &p.LastRemittanceAt, &p.DaysSinceRemittance, &p.MissingRemitDays,
			&p.MissingClaims, &p.MissingCharge); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
