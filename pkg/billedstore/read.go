package billedstore

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/billed"
	"github.com/remitq/remitq/x12"
)

// Key names billed claims of a practice by one value: a CLM01, a line's
// REF*6R or a member id, depending on the lookup.
type Key struct {
	PracticeID int64
	Value      string
}

// Stored claims come back with Practice set to the decimal practice id (the
// matcher's practice key), ID and line IDs set, and Source as stored.
//
// The lookups by key probe the index once per key (unnest joined LATERAL to
// a subquery the planner cannot flatten, OFFSET 0): written as
// `= ANY(…) AND (…) IN (SELECT unnest …)` they were planned as scans of every
// billed claim once the table grew (auto_explain: 62 calls, ~1 s per
// 115,630 matched lines).

// ByControl returns the stored claims with the given practice + CLM01,
// oldest first.
func ByControl(ctx context.Context, q sqlx.QueryerContext, keys []Key) ([]*billed.Claim, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	prs, vals := split(keys)
	return byQuery(ctx, q, `SELECT x.id FROM unnest($1::bigint[], $2::text[]) k(p, v),
		LATERAL (SELECT b.id FROM billed_claims b WHERE b.practice_id = k.p AND b.patient_control_number = k.v OFFSET 0) x`,
		pq.Array(prs), pq.Array(vals))
}

// ByLineControl returns the stored claims holding a line with the given
// practice + REF*6R.
func ByLineControl(ctx context.Context, q sqlx.QueryerContext, keys []Key) ([]*billed.Claim, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	prs, vals := split(keys)
	return byQuery(ctx, q, `SELECT x.id FROM unnest($1::bigint[], $2::text[]) k(p, v),
		LATERAL (SELECT l.billed_claim_id AS id FROM billed_lines l WHERE l.practice_id = k.p AND l.line_control_number = k.v OFFSET 0) x`,
		pq.Array(prs), pq.Array(vals))
}

// ByMember returns the stored claims of the given practice + member id
// (PHI: never log the keys).
func ByMember(ctx context.Context, q sqlx.QueryerContext, keys []Key) ([]*billed.Claim, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	prs, vals := split(keys)
	return byQuery(ctx, q, `SELECT x.id FROM unnest($1::bigint[], $2::text[]) k(p, v),
		LATERAL (SELECT b.id FROM billed_claims b WHERE b.practice_id = k.p AND b.phi_member_id = k.v OFFSET 0) x`,
		pq.Array(prs), pq.Array(vals))
}

// ByID returns the stored claims with the given ids.
func ByID(ctx context.Context, q sqlx.QueryerContext, ids []int64) ([]*billed.Claim, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return byQuery(ctx, q, `SELECT unnest($1::bigint[])`, pq.Array(ids))
}

func split(keys []Key) ([]int64, []string) {
	prs := make([]int64, len(keys))
	vals := make([]string, len(keys))
	for i, k := range keys {
		prs[i], vals[i] = k.PracticeID, k.Value
	}
	return prs, vals
}

// byQuery loads the claims whose ids idQuery selects, with their lines,
// ordered by id.
func byQuery(ctx context.Context, q sqlx.QueryerContext, idQuery string, args ...any) ([]*billed.Claim, error) {
	rows, err := q.QueryxContext(ctx, `SELECT b.id, b.practice_id, b.source, b.patient_control_number, b.frequency_code,
		b.payer_code, coalesce(b.phi_member_id, ''), coalesce(b.phi_birth_date::text, ''), coalesce(b.rendering_npi, ''),
		coalesce(b.billing_npi, ''), coalesce(b.billing_tin, ''), coalesce(b.place_of_service, ''),
		coalesce(b.prior_authorization, ''), coalesce(b.payer_claim_control, ''), b.diagnoses, b.total_charge,
		coalesce(b.billed_date::text, '')
		FROM billed_claims b WHERE b.id = ANY(ARRAY(`+idQuery+`)) ORDER BY b.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("billing: read claims: %w", err)
	}
	defer rows.Close()
	var out []*billed.Claim
	byID := map[int64]*billed.Claim{}
	var ids []int64
	for rows.Next() {
		c := &billed.Claim{}
		var pr int64
		var bd, birth string
		if err := rows.Scan(&c.ID, &pr, &c.Source, &c.PatientControl, &c.FrequencyCode, &c.PayerID, &c.MemberID,
			&birth, &c.RenderingNPI, &c.BillingNPI, &c.BillingTIN, &c.PlaceOfService, &c.PriorAuth,
			&c.PayerClaimControl, (*pq.StringArray)(&c.Diagnoses), &c.TotalCharge, &bd); err != nil {
			return nil, fmt.Errorf("billing: read claims: %w", err)
		}
		c.Practice = strconv.FormatInt(pr, 10)
		c.PatientBirthDate, c.BilledDate = x12.Date(birth), x12.Date(bd)
		out = append(out, c)
		byID[c.ID] = c
		ids = append(ids, c.ID)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if len(ids) == 0 {
		return nil, nil
	}
	lr, err := q.QueryxContext(ctx, `SELECT id, billed_claim_id, line_number, procedure_code, modifiers, units::text, charge,
		coalesce(service_date_from::text, ''), coalesce(service_date_to::text, ''), coalesce(line_control_number, ''),
		coalesce(prior_authorization, ''), coalesce(place_of_service, ''), diagnosis_pointers, coalesce(note, '')
		FROM billed_lines WHERE billed_claim_id = ANY($1) ORDER BY billed_claim_id, line_number`, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("billing: read lines: %w", err)
	}
	defer lr.Close()
	for lr.Next() {
		var l billed.Line
		var cid int64
		var units, from, to string
		var ptrs pq.Int64Array
		if err := lr.Scan(&l.ID, &cid, &l.Number, &l.Procedure, (*pq.StringArray)(&l.Modifiers), &units, &l.Charge,
			&from, &to, &l.LineControl, &l.PriorAuth, &l.PlaceOfService, &ptrs, &l.Note); err != nil {
			return nil, fmt.Errorf("billing: read lines: %w", err)
		}
		if err := l.Units.UnmarshalText([]byte(units)); err != nil {
			return nil, fmt.Errorf("billing: units of line %d: %w", l.ID, err)
		}
		if len(l.Modifiers) == 0 {
			l.Modifiers = nil
		}
		l.ServiceFrom, l.ServiceTo = x12.Date(from), x12.Date(to)
		for _, p := range ptrs {
			l.DiagnosisPointers = append(l.DiagnosisPointers, int(p))
		}
		if c := byID[cid]; c != nil {
			c.Lines = append(c.Lines, l)
		}
	}
	for _, c := range out {
		if len(c.Diagnoses) == 0 {
			c.Diagnoses = nil
		}
	}
	return out, lr.Err()
}

// FeeSchedule reads every stored rate.
func FeeSchedule(ctx context.Context, q sqlx.QueryerContext) (*billed.FeeSchedule, error) {
	rows, err := q.QueryxContext(ctx, `SELECT payer_code, procedure_code, modifier, allowed,
		CASE WHEN effective_from = '-infinity' THEN '' ELSE effective_from::text END, coalesce(effective_to::text, '')
		FROM fee_schedules ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("billing: fee schedule: %w", err)
	}
	defer rows.Close()
	s := billed.NewFeeSchedule(nil)
	for rows.Next() {
		var f billed.Fee
		var from, to string
		if err := rows.Scan(&f.Payer, &f.Procedure, &f.Modifier, &f.Allowed, &from, &to); err != nil {
			return nil, err
		}
		f.From, f.To = x12.Date(from), x12.Date(to)
		s.Add(f)
	}
	return s, rows.Err()
}

// FeeVersion returns a value that changes whenever the stored fee schedule
// changes (rates added or updated), to know when to read it again.
func FeeVersion(ctx context.Context, q sqlx.QueryerContext) (string, error) {
	var v string
	err := sqlx.GetContext(ctx, q, &v, `SELECT count(*)::text || '/' || coalesce(max(updated_at)::text, '') FROM fee_schedules`)
	return v, err
}
