package routesvc

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/painroute"
	"github.com/remitq/remitq/pkg/rules"
	v1 "github.com/remitq/remitq/proto/remitq/v1"
	"github.com/remitq/remitq/x12"
)

// History loads what the pain rules read for a batch of denied lines: the
// billed lines themselves (with a patient key) and the lines of their
// patients at every practice, which the rules filter by the sharing
// policy. Practices are keyed by their database id in decimal, as the
// routed lines are.
type History interface {
	Load(ctx context.Context, q sqlx.QueryerContext, billedLineIDs []int64) (painroute.Lookup, rules.History, error)
}

// PGHistory reads the billed claims the matcher's loader stores (0005:
// billed_claims, billed_lines) and what became of each line (line_matches:
// paid when a remit paid it, denied when remits only denied it). A patient
// is the member id and birth date of the claim; keys are made per load and
// never leave it. Voided claims and claims a later version replaced are
// left out.
type PGHistory struct{}

// historyQuery selects the lines of every patient of the given billed
// lines.
const historyQuery = `
WITH pats AS (
    SELECT DISTINCT bc.phi_member_id AS member, bc.phi_birth_date AS birth
    FROM billed_lines bl JOIN billed_claims bc ON bc.id = bl.billed_claim_id
    WHERE bl.id = ANY($1) AND bc.phi_member_id IS NOT NULL AND bc.phi_member_id <> ''
)
SELECT bl.id, bc.practice_id, COALESCE(p.tin, bc.billing_tin, ''), bc.patient_control_number, bl.line_number,
       pats.member, COALESCE(to_char(pats.birth, 'YYYY-MM-DD'), ''), bc.payer_code, COALESCE(bc.rendering_npi, ''),
       bl.procedure_code, bl.modifiers, (bl.units * 1000)::bigint, to_char(COALESCE(bl.service_date_from, bc.service_date_from), 'YYYY-MM-DD'),
       COALESCE(bl.place_of_service, bc.place_of_service, ''), COALESCE(NULLIF(bl.prior_authorization, ''), bc.prior_authorization, ''),
       COALESCE(bl.note, ''), bc.diagnoses, bl.diagnosis_pointers,
       COALESCE(st.paid, false), COALESCE(st.denied, false)
FROM pats
CROSS JOIN LATERAL (
    SELECT * FROM billed_claims c
    WHERE c.phi_member_id = pats.member AND c.phi_birth_date IS NOT DISTINCT FROM pats.birth AND c.frequency_code <> '8'
      AND NOT EXISTS (SELECT 1 FROM billed_claims nb WHERE nb.replaces_claim_id = c.id)
) bc
JOIN billed_lines bl ON bl.billed_claim_id = bc.id
LEFT JOIN practices p ON p.id = bc.practice_id
LEFT JOIN LATERAL (
    SELECT bool_or(lm.paid > 0) AS paid, bool_or('denied' = ANY(lm.flags)) AS denied
    FROM line_matches lm WHERE lm.billed_line_id = bl.id
) st ON true
`

// Load implements History.
func (PGHistory) Load(ctx context.Context, q sqlx.QueryerContext, ids []int64) (painroute.Lookup, rules.History, error) {
	rows, err := q.QueryContext(ctx, historyQuery, pq.Array(ids))
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	lookup := painroute.NewLines()
	idx := rules.NewIndex(0)
	patients := map[[2]string]rules.PatientKey{}
	want := make(map[int64]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	for rows.Next() {
		var (
			id, practice                   int64
			tin, pcn, member, birth, payer string
			rendering, code, date          string
			units                          int64
			pos, auth, note                string
			number                         int
			mods, diags                    pq.StringArray
			ptrs                           pq.Int64Array
			paid, denied                   bool
			dateN                          sql.NullString
		)
		if err := rows.Scan(&id, &practice, &tin, &pcn, &number, &member, &birth, &payer, &rendering, &code, &mods, &units,
			&dateN, &pos, &auth, &note, &diags, &ptrs, &paid, &denied); err != nil {
			return nil, nil, err
		}
		date = dateN.String
		if date == "" {
			continue // no date of service: nothing a window can count
		}
		k, ok := patients[[2]string{member, birth}]
		if !ok {
			n := len(patients) + 1
			k[0], k[1], k[2], k[3] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
			k[31] = 1 // never the zero key
			patients[[2]string{member, birth}] = k
		}
		day, err := rules.ParseDay(date)
		if err != nil {
			return nil, nil, fmt.Errorf("billed line %d: %w", id, err)
		}
		l := rules.Line{Claim: pcn, Number: number, Patient: k, Practice: strconv.FormatInt(practice, 10), TIN: tin,
			Rendering: rendering, Payer: payer, Date: day, Procedure: code, Modifiers: []string(mods), Units: x12.Quantity(units),
			POS: pos, Auth: auth, Level: rules.FindLevel(note)}
		for _, p := range ptrs {
			if p >= 1 && int(p) <= len(diags) {
				l.Diagnoses = append(l.Diagnoses, diags[p-1])
			}
		}
		switch {
		case paid:
			l.Status = rules.Paid
		case denied:
			l.Status = rules.Denied
		}
		idx.Add(l)
		if want[id] {
			lookup.Add(l.Practice, id, l)
		}
	}
	return lookup, idx, rows.Err()
}

// rulesRecords are the records the pain rules read in the service.
func rulesRecords(h rules.History, sharing *rules.Sharing) rules.Records {
	return rules.Records{History: h, Sharing: sharing}
}

// revision is the matcher's revision of a line (0 for its first result).
func revision(m *v1.LineMatch) int32 { return m.GetRevision() }
