package routesvc

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/route"
	"github.com/remitq/remitq/pkg/rules"
	"github.com/remitq/remitq/pkg/rulesstore"
	v1 "github.com/remitq/remitq/proto/remitq/v1"
)

// History loads what the pain rules read for a batch of denied lines: the
// billed lines themselves (with a patient key) and the lines of their
// patients at every practice, which the rules filter by the sharing
// policy. Practices are keyed by their database id in decimal, as the
// routed lines are.
type History interface {
	Load(ctx context.Context, q sqlx.QueryerContext, billedLineIDs []int64) (route.BilledLookup, rules.History, error)
}

// PGHistory reads the billed claims the matcher's loader stores (0005:
// billed_claims, billed_lines) and what became of each line (line_matches:
// paid when a remit paid it, denied when remits only denied it), through
// rulesstore.LoadHistory: a patient is the patient key of the claim (0009),
// and claims stored without a key are read by member ID and birth date.
// Voided claims and claims a later version replaced are left out.
//
// It also reads the sharing policy the administrators declared
// (rulesstore.LoadPolicy), which takes the place of Options.Sharing for the
// lines it loads.
type PGHistory struct{}

// patientsQuery selects the patients of the given billed lines.
const patientsQuery = `
SELECT DISTINCT bc.patient_key, COALESCE(bc.phi_member_id, ''), COALESCE(to_char(bc.phi_birth_date, 'YYYY-MM-DD'), '')
FROM billed_lines bl JOIN billed_claims bc ON bc.id = bl.billed_claim_id
WHERE bl.id = ANY($1) AND (bc.patient_key IS NOT NULL OR COALESCE(bc.phi_member_id, '') <> '')
`

// Load implements History.
func (PGHistory) Load(ctx context.Context, q sqlx.QueryerContext, ids []int64) (route.BilledLookup, rules.History, error) {
	rows, err := q.QueryContext(ctx, patientsQuery, pq.Array(ids))
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var pats []rulesstore.Patient
	for rows.Next() {
		var key []byte
		var p rulesstore.Patient
		if err := rows.Scan(&key, &p.MemberID, &p.BirthDate); err != nil {
			return nil, nil, err
		}
		copy(p.Key[:], key)
		pats = append(pats, p)
	}
	if err := rows.Err(); err != nil {
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
		return nil, nil, fmt.Errorf("routesvc: %w", err)
	}
	for _, id := range ids {
		if l, ok := hist.Line(id); ok {
			lookup.Add(l.Practice, id, l)
		}
	}
	return lookup, policyHistory{History: hist, sharing: policy.Sharing()}, nil
}

// policyHistory is a history with the sharing policy it was read under.
type policyHistory struct {
	*rulesstore.History
	sharing *rules.Sharing
}

// rulesRecords are the records the pain rules read in the service: the
// history, under the sharing policy read with it, else sharing.
func rulesRecords(h rules.History, sharing *rules.Sharing) rules.Records {
	if ph, ok := h.(policyHistory); ok && ph.sharing != nil {
		sharing = ph.sharing
	}
	return rules.Records{History: h, Sharing: sharing}
}

// revision is the matcher's revision of a line (0 for its first result).
func revision(m *v1.LineMatch) int32 { return m.GetRevision() }
