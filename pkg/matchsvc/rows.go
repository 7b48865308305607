package matchsvc

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/billedstore"
	"github.com/remitq/remitq/pkg/match"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/pgcopy"
	"github.com/remitq/remitq/x12"
)

// claimRow is a match_claims row.
type claimRow struct {
	pos           pos
	practiceID    int64
	payer         string
	pcn           string
	payerControl  string
	afterReversal string
	status        string
	claimKey      string
	paymentKey    string
	serviceDate   x12.Date
	billedClaimID int64
	billedPCN     string // of billedClaimID (read only)
	method        string
	confidence    float64
	flags         []string
	nets          pos // zero: none
	charge, paid  money.Amount
	patientResp   money.Amount
	review        bool
	revision      int
}

// lineRow is a line_matches row.
type lineRow struct {
	pos              pos // the SVC (the CLP for a claim-level-only payment)
	claimSeg         int32
	practiceID       int64
	svcIndex         int
	procedure        string
	modifiers        []string
	serviceDate      x12.Date
	units            x12.Quantity
	billedClaimID    int64
	billedLineID     int64
	billedLineNumber int
	billedPCN        string // of billedClaimID (read only)
	method           string
	confidence       float64
	review           bool
	flags            []string
	billedCharge     money.Amount
	billedUnits      x12.Quantity
	charge, paid     money.Amount
	allowed          money.Amount
	patientResp      money.Amount
	expected         *money.Amount
	netPaid          money.Amount
	nets             pos
	revision         int
}

// stored is a recorded paid claim with its lines.
type stored struct {
	claim claimRow
	lines []lineRow
}

// prior makes the timeline entry of a stored claim.
func (s *stored) entry() *priorEntry {
	c := &s.claim
	p := &match.Prior{Ref: c.pos.ref(), Practice: fmtID(c.practiceID), Payer: c.payer, PatientControl: c.pcn,
		PayerControl: c.payerControl, Status: c.status, Key: c.claimKey,
		Duplicate: slices.Contains(c.flags, string(match.FlagDuplicateRemit))}
	if c.billedClaimID != 0 {
		p.Billed = &match.Billed{ClaimID: c.billedClaimID, PatientControl: c.billedPCN}
	}
	e := &priorEntry{pos: c.pos, prior: p, reversal: c.status == "22", lineSegs: map[int]int32{}}
	if c.status == "22" && c.nets != (pos{}) {
		e.nets = c.nets.ref()
	}
	for _, l := range s.lines {
		e.lineSegs[l.svcIndex] = l.pos.seg
		if l.svcIndex == 0 {
			continue
		}
		pl := match.PriorLine{Index: l.svcIndex, Procedure: l.procedure, Modifiers: l.modifiers, ServiceDate: l.serviceDate,
			Units: l.units, Charge: l.charge, Paid: l.paid, Confidence: l.confidence}
		if l.billedClaimID != 0 {
			pl.Billed = &match.Billed{ClaimID: l.billedClaimID, PatientControl: l.billedPCN, LineID: l.billedLineID,
				LineNumber: l.billedLineNumber}
		}
		p.Lines = append(p.Lines, pl)
	}
	return e
}

// result rebuilds the matcher's answer from the stored rows (for Rematch,
// which compares with the previous answer).
func (s *stored) result() *match.ClaimResult {
	c := &s.claim
	r := &match.ClaimResult{Ref: c.pos.ref(), Practice: fmtID(c.practiceID), Payer: c.payer, PatientControl: c.pcn,
		PayerControl: c.payerControl, Status: c.status, ServiceDate: c.serviceDate, Key: c.claimKey,
		Method: match.Method(c.method), Confidence: c.confidence, Charge: c.charge, Paid: c.paid, PatientResp: c.patientResp}
	for _, f := range c.flags {
		r.Flags = append(r.Flags, match.Flag(f))
	}
	if c.billedClaimID != 0 {
		r.Billed = &match.Billed{ClaimID: c.billedClaimID, PatientControl: c.billedPCN}
	}
	for i := range s.lines {
		r.Lines = append(r.Lines, s.lines[i].result())
	}
	return r
}

func (l *lineRow) result() match.LineResult {
	lr := match.LineResult{Index: l.svcIndex, Procedure: l.procedure, Modifiers: l.modifiers, ServiceDate: l.serviceDate,
		Units: l.units, Method: match.Method(l.method), Confidence: l.confidence, Review: l.review,
		BilledCharge: l.billedCharge, BilledUnits: l.billedUnits, Charge: l.charge, Paid: l.paid, Allowed: l.allowed,
		PatientResp: l.patientResp, Expected: l.expected, NetPaid: l.netPaid}
	for _, f := range l.flags {
		lr.Flags = append(lr.Flags, match.Flag(f))
	}
	if l.billedClaimID != 0 {
		lr.Billed = &match.Billed{ClaimID: l.billedClaimID, PatientControl: l.billedPCN, LineID: l.billedLineID,
			LineNumber: l.billedLineNumber}
	}
	return lr
}

const claimSelect = `SELECT m.file_id, m.segment_index, m.practice_id, m.payer_code, m.patient_control_number,
	coalesce(m.payer_claim_control, ''), coalesce(m.after_reversal, ''), m.status, m.claim_key, m.payment_key,
	coalesce(m.service_date::text, ''), coalesce(m.billed_claim_id, 0), coalesce(b.patient_control_number, ''),
	m.method, m.confidence, m.flags, coalesce(m.nets_against_file, 0), coalesce(m.nets_against_segment, 0),
	m.charge, m.paid, m.patient_responsibility, m.review, m.revision
	FROM match_claims m LEFT JOIN billed_claims b ON b.id = m.billed_claim_id`

// loadStored reads the recorded claims at ps with their lines.
func loadStored(ctx context.Context, q billedstore.DBTX, ps []pos) (map[pos]*stored, error) {
	out := map[pos]*stored{}
	if len(ps) == 0 {
		return out, nil
	}
	files, segs := posArrays(ps)
	rows, err := q.QueryxContext(ctx, claimSelect+`
		WHERE m.file_id = ANY($1) AND m.segment_index = ANY($2)
		AND (m.file_id, m.segment_index) IN (SELECT * FROM unnest($1::bigint[], $2::int[]))`,
		pq.Array(files), pq.Array(segs))
	if err != nil {
		return nil, fmt.Errorf("matchsvc: read claims: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		s := &stored{}
		c := &s.claim
		var sd string
		if err := rows.Scan(&c.pos.file, &c.pos.seg, &c.practiceID, &c.payer, &c.pcn, &c.payerControl, &c.afterReversal,
			&c.status, &c.claimKey, &c.paymentKey, &sd, &c.billedClaimID, &c.billedPCN, &c.method, &c.confidence,
			(*pq.StringArray)(&c.flags), &c.nets.file, &c.nets.seg, &c.charge, &c.paid, &c.patientResp, &c.review,
			&c.revision); err != nil {
			return nil, fmt.Errorf("matchsvc: read claims: %w", err)
		}
		c.serviceDate = x12.Date(sd)
		out[c.pos] = s
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	lr, err := q.QueryxContext(ctx, `SELECT l.file_id, l.segment_index, l.claim_segment, l.practice_id, l.svc_index,
		l.procedure_code, l.modifiers, coalesce(l.service_date::text, ''), coalesce(l.units::text, ''),
		coalesce(l.billed_claim_id, 0), coalesce(l.billed_line_id, 0), coalesce(l.billed_line_number, 0),
		coalesce(b.patient_control_number, ''), l.method, l.confidence, l.review, l.flags, l.billed_charge,
		coalesce(l.billed_units::text, ''), l.charge, l.paid, l.allowed, l.patient_responsibility, l.expected_allowed,
		l.net_paid, coalesce(l.nets_against_file, 0), coalesce(l.nets_against_segment, 0), l.revision
		FROM line_matches l LEFT JOIN billed_claims b ON b.id = l.billed_claim_id
		WHERE l.file_id = ANY($1) AND l.claim_segment = ANY($2)
		AND (l.file_id, l.claim_segment) IN (SELECT * FROM unnest($1::bigint[], $2::int[]))
		ORDER BY l.file_id, l.claim_segment, l.svc_index`, pq.Array(files), pq.Array(segs))
	if err != nil {
		return nil, fmt.Errorf("matchsvc: read lines: %w", err)
	}
	defer lr.Close()
	for lr.Next() {
		var l lineRow
		var sd, units, bunits string
		var exp *money.Amount
		if err := lr.Scan(&l.pos.file, &l.pos.seg, &l.claimSeg, &l.practiceID, &l.svcIndex, &l.procedure,
			(*pq.StringArray)(&l.modifiers), &sd, &units, &l.billedClaimID, &l.billedLineID, &l.billedLineNumber,
			&l.billedPCN, &l.method, &l.confidence, &l.review, (*pq.StringArray)(&l.flags), &l.billedCharge, &bunits,
			&l.charge, &l.paid, &l.allowed, &l.patientResp, &exp, &l.netPaid, &l.nets.file, &l.nets.seg,
			&l.revision); err != nil {
			return nil, fmt.Errorf("matchsvc: read lines: %w", err)
		}
		l.serviceDate, l.expected = x12.Date(sd), exp
		if len(l.modifiers) == 0 {
			l.modifiers = nil
		}
		if units != "" {
			_ = l.units.UnmarshalText([]byte(units))
		}
		if bunits != "" {
			_ = l.billedUnits.UnmarshalText([]byte(bunits))
		}
		if s := out[pos{l.pos.file, l.claimSeg}]; s != nil {
			s.lines = append(s.lines, l)
		}
	}
	return out, lr.Err()
}

// positionsByKeys returns the recorded claims of the payer + CLP07 keys,
// matched on their CLP07 or on the CLP07 of the reversal they correct.
func positionsByKeys(ctx context.Context, q billedstore.DBTX, keys []pkey) ([]pos, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	payers := make([]string, len(keys))
	ctls := make([]string, len(keys))
	for i, k := range keys {
		payers[i], ctls[i] = k.a, k.b
	}
	rows, err := q.QueryxContext(ctx, `SELECT m.file_id, m.segment_index FROM match_claims m
			WHERE m.payer_claim_control = ANY($2) AND m.payer_code = ANY($1)
			AND (m.payer_code, m.payer_claim_control) IN (SELECT * FROM unnest($1::text[], $2::text[]))
		UNION
		SELECT m.file_id, m.segment_index FROM match_claims m
			WHERE m.after_reversal = ANY($2) AND m.payer_code = ANY($1)
			AND (m.payer_code, m.after_reversal) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
		pq.Array(payers), pq.Array(ctls))
	if err != nil {
		return nil, fmt.Errorf("matchsvc: earlier payments: %w", err)
	}
	defer rows.Close()
	var out []pos
	for rows.Next() {
		var p pos
		if err := rows.Scan(&p.file, &p.seg); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func posArrays(ps []pos) ([]int64, []int32) {
	files := make([]int64, len(ps))
	segs := make([]int32, len(ps))
	for i, p := range ps {
		files[i], segs[i] = p.file, p.seg
	}
	return files, segs
}

var (
	claimCols = []string{"file_id", "segment_index", "practice_id", "payer_code", "patient_control_number",
		"payer_claim_control", "after_reversal", "status", "claim_key", "payment_key", "service_date", "billed_claim_id",
		"method", "confidence", "flags", "nets_against_file", "nets_against_segment", "charge", "paid",
		"patient_responsibility", "review", "revision"}
	lineCols = []string{"file_id", "segment_index", "claim_segment", "practice_id", "svc_index", "procedure_code",
		"modifiers", "service_date", "units", "billed_claim_id", "billed_line_id", "billed_line_number", "method",
		"confidence", "review", "flags", "billed_charge", "billed_units", "charge", "paid", "allowed",
		"patient_responsibility", "expected_allowed", "net_paid", "nets_against_file", "nets_against_segment", "revision"}
	pendingCols = []string{"file_id", "segment_index", "practice_id", "payer_code", "patient_control_number",
		"payer_claim_control", "line_controls", "unmatched", "payload", "queued_at", "attempts"}
	plbCols = []string{"file_id", "segment_index", "position", "practice_id", "payer_code", "provider_id",
		"fiscal_period_date", "reason_code", "kind", "reference", "amount", "method", "confidence", "review",
		"payer_claim_control", "prior_file_id", "prior_segment", "billed_claim_id", "revision"}
)

func (c *claimRow) copyTo(b *pgcopy.Buf) {
	b.Int(c.pos.file).Int(int64(c.pos.seg)).Int(c.practiceID).Text(c.payer).Text(c.pcn).TextOrNull(c.payerControl).
		TextOrNull(c.afterReversal).Text(c.status).Text(c.claimKey).Text(c.paymentKey).Date(c.serviceDate).
		IntOrNull(c.billedClaimID).Text(c.method).Float(c.confidence).Array(c.flags).IntOrNull(c.nets.file).
		IntOrNull(int64(c.nets.seg)).Amount(c.charge).Amount(c.paid).Amount(c.patientResp).Bool(c.review).
		Int(int64(c.revision))
	b.End()
}

func (l *lineRow) copyTo(b *pgcopy.Buf) {
	b.Int(l.pos.file).Int(int64(l.pos.seg)).Int(int64(l.claimSeg)).Int(l.practiceID).Int(int64(l.svcIndex)).
		Text(l.procedure).Array(l.modifiers).Date(l.serviceDate).Qty(l.units, true).IntOrNull(l.billedClaimID).
		IntOrNull(l.billedLineID).IntOrNull(int64(l.billedLineNumber)).Text(l.method).Float(l.confidence).
		Bool(l.review).Array(l.flags).Amount(l.billedCharge).Qty(l.billedUnits, true).Amount(l.charge).
		Amount(l.paid).Amount(l.allowed).Amount(l.patientResp).AmountOrNull(l.expected).Amount(l.netPaid).
		IntOrNull(l.nets.file).IntOrNull(int64(l.nets.seg)).Int(int64(l.revision))
	b.End()
}

// pendingRow is a match_pending row to write.
type pendingRow struct {
	pos          pos
	practiceID   int64
	payer        string
	pcn          string
	payerControl string
	lcns         []string
	unmatched    bool
	payload      []byte
	queuedAt     time.Time
	attempts     int
}

func (p *pendingRow) copyTo(b *pgcopy.Buf) {
	b.Int(p.pos.file).Int(int64(p.pos.seg)).Int(p.practiceID).Text(p.payer).Text(p.pcn).TextOrNull(p.payerControl).
		Array(p.lcns).Bool(p.unmatched).Bytes(p.payload).Text(p.queuedAt.UTC().Format(time.RFC3339Nano)).
		Int(int64(p.attempts))
	b.End()
}

// plbRow is a plb_links row.
type plbRow struct {
	pos          pos
	position     int32
	practiceID   int64
	payer        string
	providerID   string
	fiscalPeriod x12.Date
	reason       string
	kind         string
	reference    string
	amount       money.Amount
	method       string
	confidence   float64
	review       bool
	payerControl string
	prior        pos
	billedClaim  int64
	revision     int
}

func (p *plbRow) copyTo(b *pgcopy.Buf) {
	b.Int(p.pos.file).Int(int64(p.pos.seg)).Int(int64(p.position)).Int(p.practiceID).Text(p.payer).Text(p.providerID).
		Date(p.fiscalPeriod).Text(p.reason).Text(p.kind).Text(p.reference).Amount(p.amount).Text(p.method).
		Float(p.confidence).Bool(p.review).TextOrNull(p.payerControl).IntOrNull(p.prior.file).
		IntOrNull(int64(p.prior.seg)).IntOrNull(p.billedClaim).Int(int64(p.revision))
	b.End()
}

func fmtID(id int64) string { return strconv.FormatInt(id, 10) }

func flagStrings(fs []match.Flag) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = string(f)
	}
	return out
}
