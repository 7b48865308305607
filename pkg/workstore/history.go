package workstore

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/route"
	"github.com/remitq/remitq/pkg/rules"
	"github.com/remitq/remitq/pkg/rulesstore"
)

// History reads what the pain rules read for a batch of denied lines: the
// billed claims the matcher's loader stores (0005: billed_claims,
// billed_lines) and what became of each line (line_matches: paid when a
// remit paid it, denied when remits only denied it), through
// rulesstore.LoadHistory: a patient is the patient key of the claim (0009),
// and claims stored without a key are read by member ID and birth date.
// Voided claims and claims a later version replaced are left out.
//
// It also reads the sharing policy the administrators declared
// (rulesstore.LoadPolicy): the history it returns is a PolicyHistory.
type History struct{}

// patientsQuery selects the patients of the given billed lines.
const patientsQuery = `
SELECT DISTINCT bc.patient_key, COALESCE(bc.phi_member_id, ''), COALESCE(to_char(bc.phi_birth_date, 'YYYY-MM-DD'), '')
FROM billed_lines bl JOIN billed_claims bc ON bc.id = bl.billed_claim_id
WHERE bl.id = ANY($1) AND (bc.patient_key IS NOT NULL OR COALESCE(bc.phi_member_id, '') <> '')
`

// Load returns the billed lines ids (keyed by their practice's database id
// in decimal, as the routed lines are) and their patients' lines at every
// practice, which the rules filter by the sharing policy.
func (History) Load(ctx context.Context, q sqlx.QueryerContext, ids []int64) (route.BilledLookup, rules.History, error) {
	pats, err := patients(ctx, q, ids)
	if err != nil {
		return nil, nil, err
	}
	lookup := route.NewBilledLines()
	if len(pats) == 0 {
		return lookup, nil, nil
	}
	hist, err := rulesstore.LoadHistory(ctx, q, pats, rulesstore.HistoryOptions{})
	if err != nil {
		return nil, nil, err
	}
	policy, err := rulesstore.LoadPolicy(ctx, q)
	if err != nil {
		return nil, nil, fmt.Errorf("workstore: %w", err)
	}
	for _, id := range ids {
		if l, ok := hist.Line(id); ok {
			lookup.Add(l.Practice, id, l)
		}
	}
	return lookup, PolicyHistory{History: hist, Sharing: policy.Sharing()}, nil
}

func patients(ctx context.Context, q sqlx.QueryerContext, ids []int64) ([]rulesstore.Patient, error) {
	rows, err := q.QueryContext(ctx, patientsQuery, pq.Array(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var pats []rulesstore.Patient
	for rows.Next() {
		var key []byte
		var p rulesstore.Patient
		if err := rows.Scan(&key, &p.MemberID, &p.BirthDate); err != nil {
			return nil, err
		}
		copy(p.Key[:], key)
		pats = append(pats, p)
	}
	return pats, rows.Err()
}

// PolicyHistory is a history with the sharing policy it was read under.
type PolicyHistory struct {
	*rulesstore.History
	Sharing *rules.Sharing
}

// Records are the records the pain rules read: h, under the sharing policy
// read with it (a PolicyHistory), else under sharing.
func Records(h rules.History, sharing *rules.Sharing) rules.Records {
	if ph, ok := h.(PolicyHistory); ok && ph.Sharing != nil {
		sharing = ph.Sharing
	}
	return rules.Records{History: h, Sharing: sharing}
}
