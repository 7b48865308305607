package apisvc

import (
	"context"
	"time"

	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/rules"
)

// PriorProcedure is a procedure the same patient had billed before, in the
// same spinal region as the item's (cervical+thoracic, or lumbar+sacral:
// the pain rules' regions), within the 12 months before its service date.
type PriorProcedure struct {
	BilledClaimID        int64    `json:"billed_claim_id"`
	PatientControlNumber string   `json:"patient_control_number"`
	LineNumber           int      `json:"line_number"`
	ProcedureCode        string   `json:"procedure_code"`
	Modifiers            []string `json:"modifiers"`
	ServiceDate          day.Day  `json:"service_date"`
	Family               string   `json:"family"`
	Paid                 bool     `json:"paid"`   // a remit paid it
	Denied               bool     `json:"denied"` // remits only denied it
}

// History is the patient's prior procedures in the region of the item's
// procedure; Region is "" when the procedure has no spinal region (and the
// list is then empty).
type History struct {
	Region     string           `json:"region"`
	Procedures []PriorProcedure `json:"procedures"`
}

// priorProcedures reads the patient's (member id and birth date of the
// item's billed claim) earlier billed lines in the caller's scope — the
// same practice, and the same provider for a provider-scoped caller.
func (s *Service) priorProcedures(ctx context.Context, id *auth.Identity, it *WorkItem) (*History, error) {
	h := &History{Procedures: []PriorProcedure{}}
	set := rules.Default()
	p, ok := set.Procedure(it.ProcedureCode)
	if !ok || p.Region == "" || it.BilledClaimID == nil {
		if ok {
			h.Region = p.Region
		}
		return h, nil
	}
	h.Region = p.Region
	asOf := time.Now().UTC()
	if !it.ServiceDate.IsZero() {
		asOf = it.ServiceDate.Time()
	}
	var args auth.Args
	q := `WITH me AS (SELECT phi_member_id AS member, phi_birth_date AS birth FROM billed_claims WHERE id = ` + args.Add(*it.BilledClaimID) + `
		AND phi_member_id IS NOT NULL AND phi_member_id <> '')
	SELECT bc.id, bc.patient_control_number, bl.line_number, bl.procedure_code, bl.modifiers,
		coalesce(bl.service_date_from, bc.service_date_from),
		coalesce(st.paid, false), coalesce(st.denied, false)
	FROM me JOIN billed_claims bc ON bc.phi_member_id = me.member AND bc.phi_birth_date IS NOT DISTINCT FROM me.birth
	JOIN billed_lines bl ON bl.billed_claim_id = bc.id
	LEFT JOIN LATERAL (SELECT bool_or(lm.paid > 0) AS paid, bool_or('denied' = ANY(lm.flags)) AS denied
		FROM line_matches lm WHERE lm.billed_line_id = bl.id) st ON true
	WHERE bc.practice_id = ` + args.Add(it.PracticeID) + ` AND ` + id.Where("bc.practice_id", "coalesce(bc.rendering_npi, '')", &args) + `
	AND bc.frequency_code <> '8' AND NOT EXISTS (SELECT 1 FROM billed_claims nb WHERE nb.replaces_claim_id = bc.id)
	AND coalesce(bl.service_date_from, bc.service_date_from) BETWEEN ` + args.Add(asOf.AddDate(-1, 0, 0).Format(time.DateOnly)) + `::date AND ` +
		args.Add(asOf.Format(time.DateOnly)) + `::date
	AND bc.id <> ` + args.Add(*it.BilledClaimID) + `::bigint
	ORDER BY 6 DESC, bc.id, bl.line_number LIMIT 200`
	rows, err := s.db.QueryxContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var pp PriorProcedure
		var mods pq.StringArray
		if err := rows.Scan(&pp.BilledClaimID, &pp.PatientControlNumber, &pp.LineNumber, &pp.ProcedureCode, &mods,
			&pp.ServiceDate, &pp.Paid, &pp.Denied); err != nil {
			return nil, err
		}
		prior, ok := set.Procedure(pp.ProcedureCode)
		if !ok || prior.Region != p.Region {
			continue
		}
		pp.Modifiers, pp.Family = []string(mods), prior.Family
		if pp.Modifiers == nil {
			pp.Modifiers = []string{}
		}
		h.Procedures = append(h.Procedures, pp)
	}
	return h, rows.Err()
}
