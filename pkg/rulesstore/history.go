package rulesstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/rules"
	"github.com/remitq/remitq/x12"
)

// Patient names a patient whose history to load: by patient key, and by
// the plain member ID and birth date that claims stored without a key
// (loaded before 0009, or from a CSV without names) are read by.
type Patient struct {
	// Key is the patient key; zero for a patient known only by member ID
	// and birth date (a stored claim without a key).
	Key rules.PatientKey
	// MemberID is the member ID as the claims carry it (2010BA NM109); ""
	// reads no claim without a key.
	MemberID string
	// BirthDate is YYYY-MM-DD, "" when unknown.
	BirthDate string
}

// HistoryOptions bound the dates of the lines loaded (0: unbounded).
type HistoryOptions struct {
	From, To day.Day
}

// HistoryDays is how far before the earliest date checked the history is
// read: longer than any window of the rule data (the RFA look-back is two
// years).
const HistoryDays = 4*365 + 1

// History is the stored billed lines of a batch of patients at every
// practice: a rules.History. Each line carries the key of the patient it
// was loaded for (for a patient without a key, a stand-in made for this
// load, see Key). The rules decide which practices' lines count.
type History struct {
	idx  *rules.Index
	byID map[int64]rules.Line
	keys []rules.PatientKey
}

// Lines implements rules.History.
func (h *History) Lines(p rules.PatientKey) []rules.Line { return h.idx.Lines(p) }

// Line returns a loaded billed line by its database id (billed_lines.id).
func (h *History) Line(id int64) (rules.Line, bool) {
	l, ok := h.byID[id]
	return l, ok
}

// Key returns the key the lines of the i-th patient asked for carry: its
// Key, or for a patient without one a stand-in valid for this History.
func (h *History) Key(i int) rules.PatientKey { return h.keys[i] }

// Add adds lines (the claims being checked, say) to the history.
func (h *History) Add(lines ...rules.Line) { h.idx.Add(lines...) }

// Len returns the number of lines loaded or added.
func (h *History) Len() int { return h.idx.Len() }

// historyQuery selects, per requested patient (r.i), the lines of its
// claims: those with its key, and those without a key that have its
// member ID and birth date (all of those for a patient without a key).
// Voided claims and claims a later version replaced are left out. A line
// is paid when a remit paid it, denied when remits only denied it.
const historyQuery = `
WITH req AS (
    SELECT r.i, NULLIF(r.k, ''::bytea) AS k, r.member, r.birth
    FROM unnest($1::int[], $2::bytea[], $3::text[], $4::text[]) AS r(i, k, member, birth)
)
SELECT req.i, bl.id, bc.practice_id, COALESCE(p.tin, bc.billing_tin, ''), bc.patient_control_number, bl.line_number,
       bc.payer_code, COALESCE(bc.rendering_npi, ''), bl.procedure_code, bl.modifiers, (bl.units * 1000)::bigint,
       to_char(COALESCE(bl.service_date_from, bc.service_date_from), 'YYYY-MM-DD'),
       COALESCE(bl.place_of_service, bc.place_of_service, ''), COALESCE(NULLIF(bl.prior_authorization, ''), bc.prior_authorization, ''),
       COALESCE(bl.note, ''), bc.diagnoses, bl.diagnosis_pointers,
       COALESCE(st.paid, false), COALESCE(st.denied, false)
FROM req
CROSS JOIN LATERAL (
    -- The voided and superseded versions are dropped here, per patient, so
    -- that the newer-version test is an index probe per claim: written as a
    -- WHERE of the outer query it became a hash anti join over every billed
    -- claim, about 60 ms a call at 50,000 claims whatever the batch. OFFSET
    -- 0 keeps each NOT EXISTS a probe of billed_claims_replaces_idx per
    -- claim: as an anti join the keyed branch was planned as a hash of a
    -- scan of every billed claim.
    SELECT c.* FROM billed_claims c
    WHERE req.k IS NOT NULL AND c.patient_key = req.k
      AND c.frequency_code <> '8'
      AND NOT EXISTS (SELECT 1 FROM billed_claims nb WHERE nb.replaces_claim_id = c.id OFFSET 0)
    UNION ALL
    SELECT c.* FROM billed_claims c
    WHERE req.member <> '' AND c.phi_member_id = req.member
      AND c.phi_birth_date IS NOT DISTINCT FROM NULLIF(req.birth, '')::date
      AND (c.patient_key IS NULL OR req.k IS NULL)
      AND c.frequency_code <> '8'
      AND NOT EXISTS (SELECT 1 FROM billed_claims nb WHERE nb.replaces_claim_id = c.id OFFSET 0)
) bc
CROSS JOIN LATERAL (
    -- The claim's lines by the (billed_claim_id, line_number) index; as a
    -- plain join the planner hashed the batch's claims against a scan of
    -- every billed line (1,339 buffers, ~8 ms a call at 87,500 lines).
    SELECT l.id, l.line_number, l.procedure_code, l.modifiers, l.units, l.service_date_from, l.place_of_service,
           l.prior_authorization, l.note, l.diagnosis_pointers
    FROM billed_lines l WHERE l.billed_claim_id = bc.id OFFSET 0
) bl
LEFT JOIN practices p ON p.id = bc.practice_id
LEFT JOIN LATERAL (
    SELECT bool_or(lm.paid > 0) AS paid, bool_or('denied' = ANY(lm.flags)) AS denied
    FROM line_matches lm WHERE lm.billed_line_id = bl.id
) st ON true
WHERE ($5::date IS NULL OR COALESCE(bl.service_date_from, bc.service_date_from) >= $5::date)
  AND ($6::date IS NULL OR COALESCE(bl.service_date_from, bc.service_date_from) <= $6::date)
`

// LoadHistory reads the stored lines of patients ps. Practices are keyed
// by their database id in decimal and carry their TIN (practices.tin, else
// the claim's billing TIN), as rules.Sharing compares them.
func LoadHistory(ctx context.Context, q sqlx.QueryerContext, ps []Patient, o HistoryOptions) (*History, error) {
	h := &History{idx: rules.NewIndex(len(ps) * 16), byID: map[int64]rules.Line{}, keys: make([]rules.PatientKey, len(ps))}
	idx := make([]int32, 0, len(ps))
	var keys [][]byte
	var members, births []string
	stand := map[[2]string]rules.PatientKey{}
	asked := map[rules.PatientKey]bool{}
	for i, p := range ps {
		k := p.Key
		if k.IsZero() {
			if p.MemberID == "" {
				continue
			}
			sk := [2]string{p.MemberID, p.BirthDate}
			var ok bool
			if k, ok = stand[sk]; !ok {
				k = standIn(len(stand) + 1)
				stand[sk] = k
			}
		}
		h.keys[i] = k
		if asked[k] {
			continue
		}
		asked[k] = true
		idx = append(idx, int32(i))
		if p.Key.IsZero() {
			keys = append(keys, nil)
		} else {
			keys = append(keys, append([]byte(nil), p.Key[:]...))
		}
		members = append(members, p.MemberID)
		births = append(births, p.BirthDate)
	}
	if len(idx) == 0 {
		return h, nil
	}
	var from, to any
	if o.From != 0 {
		from = o.From.String()
	}
	if o.To != 0 {
		to = o.To.String()
	}
	rows, err := q.QueryContext(ctx, historyQuery, pq.Array(idx), pq.ByteaArray(keys), pq.Array(members), pq.Array(births), from, to)
	if err != nil {
		return nil, fmt.Errorf("rulesdb: history: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			i                          int
			id, practice               int64
			tin, pcn, payer, rendering string
			code, pos, auth, note      string
			number                     int
			mods, diags                pq.StringArray
			ptrs                       pq.Int64Array
			units                      int64
			date                       sql.NullString
			paid, denied               bool
		)
		if err := rows.Scan(&i, &id, &practice, &tin, &pcn, &number, &payer, &rendering, &code, &mods, &units,
			&date, &pos, &auth, &note, &diags, &ptrs, &paid, &denied); err != nil {
			return nil, fmt.Errorf("rulesdb: history: %w", err)
		}
		if !date.Valid {
			continue // no date of service: nothing a window can count
		}
		dy, err := day.ParseSet(date.String)
		if err != nil {
			return nil, fmt.Errorf("rulesdb: billed line %d: %w", id, err)
		}
		l := rules.Line{Claim: pcn, Number: number, Patient: h.keys[i], Practice: strconv.FormatInt(practice, 10), TIN: tin,
			Rendering: rendering, Payer: payer, Date: dy, Procedure: code, Modifiers: []string(mods), Units: x12.Quantity(units),
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
		h.idx.Add(l)
		if _, ok := h.byID[id]; !ok {
			h.byID[id] = l
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("rulesdb: history: %w", err)
	}
	return h, nil
}

// standIn is the key of the n-th patient without a key in one load: never
// a real key (an HMAC output with these bytes is as likely as a guess).
func standIn(n int) rules.PatientKey {
	var k rules.PatientKey
	k[0], k[1], k[2], k[3] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	copy(k[4:], "remitq:no-patient-key:stand-in")
	return k
}
