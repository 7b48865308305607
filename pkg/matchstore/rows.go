package matchstore

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/lib/pq"
	"github.com/remitq/remitq/pkg/billedstore"
	"github.com/remitq/remitq/pkg/match"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/pgcopy"
	"github.com/remitq/remitq/x12"
)

// ClaimRow is a match_claims row.
type ClaimRow struct {
	Pos           Pos
	PracticeID    int64
	Payer         string
	PCN           string
	PayerControl  string
	AfterReversal string
	Status        string
	ClaimKey      string
	PaymentKey    string
	ServiceDate   x12.Date
	BilledClaimID int64
	BilledPCN     string // of billedClaimID (read only)
	Method        string
	Confidence    float64
	Flags         []string
	Nets          Pos // zero: none
	Charge, Paid  money.Amount
	PatientResp   money.Amount
	Review        bool
	Revision      int
}

// LineRow is a line_matches row.
type LineRow struct {
	Pos              Pos // the SVC (the CLP for a claim-level-only payment)
	ClaimSeg         int32
	PracticeID       int64
	SvcIndex         int
	Procedure        string
	Modifiers        []string
	ServiceDate      x12.Date
	Units            x12.Quantity
	BilledClaimID    int64
	BilledLineID     int64
	BilledLineNumber int
	BilledPCN        string // of billedClaimID (read only)
	Method           string
	Confidence       float64
	Review           bool
	Flags            []string
	BilledCharge     money.Amount
	BilledUnits      x12.Quantity
	Charge, Paid     money.Amount
	Allowed          money.Amount
	PatientResp      money.Amount
	Expected         *money.Amount
	NetPaid          money.Amount
	Nets             Pos
	Revision         int
}

// Stored is a recorded paid claim with its lines.
type Stored struct {
	Claim ClaimRow
	Lines []LineRow
}

// Result rebuilds the matcher's answer from the stored rows (for Rematch,
// which compares with the previous answer).
func (s *Stored) Result() *match.ClaimResult {
	c := &s.Claim
	r := &match.ClaimResult{Ref: c.Pos.Ref(), Practice: FmtID(c.PracticeID), Payer: c.Payer, PatientControl: c.PCN,
		PayerControl: c.PayerControl, Status: c.Status, ServiceDate: c.ServiceDate, Key: c.ClaimKey,
		Method: match.Method(c.Method), Confidence: c.Confidence, Charge: c.Charge, Paid: c.Paid, PatientResp: c.PatientResp}
	for _, f := range c.Flags {
		r.Flags = append(r.Flags, match.Flag(f))
	}
	if c.BilledClaimID != 0 {
		r.Billed = &match.Billed{ClaimID: c.BilledClaimID, PatientControl: c.BilledPCN}
	}
	for i := range s.Lines {
		r.Lines = append(r.Lines, s.Lines[i].Result())
	}
	return r
}

func (l *LineRow) Result() match.LineResult {
	lr := match.LineResult{Index: l.SvcIndex, Procedure: l.Procedure, Modifiers: l.Modifiers, ServiceDate: l.ServiceDate,
		Units: l.Units, Method: match.Method(l.Method), Confidence: l.Confidence, Review: l.Review,
		BilledCharge: l.BilledCharge, BilledUnits: l.BilledUnits, Charge: l.Charge, Paid: l.Paid, Allowed: l.Allowed,
		PatientResp: l.PatientResp, Expected: l.Expected, NetPaid: l.NetPaid}
	for _, f := range l.Flags {
		lr.Flags = append(lr.Flags, match.Flag(f))
	}
	if l.BilledClaimID != 0 {
		lr.Billed = &match.Billed{ClaimID: l.BilledClaimID, PatientControl: l.BilledPCN, LineID: l.BilledLineID,
			LineNumber: l.BilledLineNumber}
	}
	return lr
}

// ClaimSelect reads a match_claims row m, and its billed claim's CLM01, in the
// column order LoadStored scans.
const ClaimSelect = `SELECT m.file_id, m.segment_index, m.practice_id, m.payer_code, m.patient_control_number,
	coalesce(m.payer_claim_control, ''), coalesce(m.after_reversal, ''), m.status, m.claim_key, m.payment_key,
	coalesce(m.service_date::text, ''), coalesce(m.billed_claim_id, 0),
	coalesce((SELECT b.patient_control_number FROM billed_claims b WHERE b.id = m.billed_claim_id), ''),
	m.method, m.confidence, m.flags, coalesce(m.nets_against_file, 0), coalesce(m.nets_against_segment, 0),
	m.charge, m.paid, m.patient_responsibility, m.review, m.revision
	FROM match_claims m`

// atPositions drives a read from the positions $1 (files) and $2
// (segments), one index probe each: the subquery's OFFSET 0 keeps the
// planner from turning it into a hash join over a scan of the whole table
// (which it chose while the table grew and its statistics lagged, ~100 ms a
// call at 50,000 rows). It is followed by a LATERAL subquery on k.f, k.s.
const atPositions = `FROM (SELECT DISTINCT u.f, u.s FROM unnest($1::bigint[], $2::int[]) AS u(f, s)) k
	CROSS JOIN LATERAL `

// LoadStored reads the recorded claims at ps with their lines.
func LoadStored(ctx context.Context, q billedstore.DBTX, ps []Pos) (map[Pos]*Stored, error) {
	out := map[Pos]*Stored{}
	if len(ps) == 0 {
		return out, nil
	}
	files, segs := PosArrays(ps)
	rows, err := q.QueryxContext(ctx, `SELECT m.* `+atPositions+`(`+ClaimSelect+`
		WHERE m.file_id = k.f AND m.segment_index = k.s OFFSET 0) m`,
		pq.Array(files), pq.Array(segs))
	if err != nil {
		return nil, fmt.Errorf("matchstore: read claims: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		s := &Stored{}
		c := &s.Claim
		var sd string
		if err := rows.Scan(&c.Pos.File, &c.Pos.Seg, &c.PracticeID, &c.Payer, &c.PCN, &c.PayerControl, &c.AfterReversal,
			&c.Status, &c.ClaimKey, &c.PaymentKey, &sd, &c.BilledClaimID, &c.BilledPCN, &c.Method, &c.Confidence,
			(*pq.StringArray)(&c.Flags), &c.Nets.File, &c.Nets.Seg, &c.Charge, &c.Paid, &c.PatientResp, &c.Review,
			&c.Revision); err != nil {
			return nil, fmt.Errorf("matchstore: read claims: %w", err)
		}
		c.ServiceDate = x12.Date(sd)
		out[c.Pos] = s
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	lr, err := q.QueryxContext(ctx, `SELECT l.* `+atPositions+`(SELECT l.file_id, l.segment_index, l.claim_segment,
		l.practice_id, l.svc_index,
		l.procedure_code, l.modifiers, coalesce(l.service_date::text, ''), coalesce(l.units::text, ''),
		coalesce(l.billed_claim_id, 0), coalesce(l.billed_line_id, 0), coalesce(l.billed_line_number, 0),
		coalesce((SELECT b.patient_control_number FROM billed_claims b WHERE b.id = l.billed_claim_id), ''),
		l.method, l.confidence, l.review, l.flags, l.billed_charge,
		coalesce(l.billed_units::text, ''), l.charge, l.paid, l.allowed, l.patient_responsibility, l.expected_allowed,
		l.net_paid, coalesce(l.nets_against_file, 0), coalesce(l.nets_against_segment, 0), l.revision
		FROM line_matches l WHERE l.file_id = k.f AND l.claim_segment = k.s OFFSET 0) l
		ORDER BY l.file_id, l.claim_segment, l.svc_index`, pq.Array(files), pq.Array(segs))
	if err != nil {
		return nil, fmt.Errorf("matchstore: read lines: %w", err)
	}
	defer lr.Close()
	for lr.Next() {
		var l LineRow
		var sd, units, bunits string
		var exp *money.Amount
		if err := lr.Scan(&l.Pos.File, &l.Pos.Seg, &l.ClaimSeg, &l.PracticeID, &l.SvcIndex, &l.Procedure,
			(*pq.StringArray)(&l.Modifiers), &sd, &units, &l.BilledClaimID, &l.BilledLineID, &l.BilledLineNumber,
			&l.BilledPCN, &l.Method, &l.Confidence, &l.Review, (*pq.StringArray)(&l.Flags), &l.BilledCharge, &bunits,
			&l.Charge, &l.Paid, &l.Allowed, &l.PatientResp, &exp, &l.NetPaid, &l.Nets.File, &l.Nets.Seg,
			&l.Revision); err != nil {
			return nil, fmt.Errorf("matchstore: read lines: %w", err)
		}
		l.ServiceDate, l.Expected = x12.Date(sd), exp
		if len(l.Modifiers) == 0 {
			l.Modifiers = nil
		}
		if units != "" {
			_ = l.Units.UnmarshalText([]byte(units))
		}
		if bunits != "" {
			_ = l.BilledUnits.UnmarshalText([]byte(bunits))
		}
		if s := out[Pos{l.Pos.File, l.ClaimSeg}]; s != nil {
			s.Lines = append(s.Lines, l)
		}
	}
	return out, lr.Err()
}

// PositionsByKeys returns the recorded claims of the payer + CLP07 keys,
// matched on their CLP07 or on the CLP07 of the reversal they correct.
func PositionsByKeys(ctx context.Context, q billedstore.DBTX, keys []Key) ([]Pos, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	payers := make([]string, len(keys))
	ctls := make([]string, len(keys))
	for i, k := range keys {
		payers[i], ctls[i] = k.Payer, k.Control
	}
	// One index probe per key and index (see atPositions).
	rows, err := q.QueryxContext(ctx, `WITH k AS (SELECT DISTINCT u.p, u.c FROM unnest($1::text[], $2::text[]) AS u(p, c))
		SELECT m.file_id, m.segment_index FROM k CROSS JOIN LATERAL (SELECT m.file_id, m.segment_index FROM match_claims m
			WHERE m.payer_code = k.p AND m.payer_claim_control = k.c OFFSET 0) m
		UNION
		SELECT m.file_id, m.segment_index FROM k CROSS JOIN LATERAL (SELECT m.file_id, m.segment_index FROM match_claims m
			WHERE m.payer_code = k.p AND m.after_reversal = k.c OFFSET 0) m`,
		pq.Array(payers), pq.Array(ctls))
	if err != nil {
		return nil, fmt.Errorf("matchstore: earlier payments: %w", err)
	}
	defer rows.Close()
	var out []Pos
	for rows.Next() {
		var p Pos
		if err := rows.Scan(&p.File, &p.Seg); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func PosArrays(ps []Pos) ([]int64, []int32) {
	files := make([]int64, len(ps))
	segs := make([]int32, len(ps))
	for i, p := range ps {
		files[i], segs[i] = p.File, p.Seg
	}
	return files, segs
}

var (
	ClaimCols = []string{"file_id", "segment_index", "practice_id", "payer_code", "patient_control_number",
		"payer_claim_control", "after_reversal", "status", "claim_key", "payment_key", "service_date", "billed_claim_id",
		"method", "confidence", "flags", "nets_against_file", "nets_against_segment", "charge", "paid",
		"patient_responsibility", "review", "revision"}
	LineCols = []string{"file_id", "segment_index", "claim_segment", "practice_id", "svc_index", "procedure_code",
		"modifiers", "service_date", "units", "billed_claim_id", "billed_line_id", "billed_line_number", "method",
		"confidence", "review", "flags", "billed_charge", "billed_units", "charge", "paid", "allowed",
		"patient_responsibility", "expected_allowed", "net_paid", "nets_against_file", "nets_against_segment", "revision"}
	PendingCols = []string{"file_id", "segment_index", "practice_id", "payer_code", "patient_control_number",
		"payer_claim_control", "line_controls", "unmatched", "payload", "queued_at", "attempts"}
	PLBCols = []string{"file_id", "segment_index", "position", "practice_id", "payer_code", "provider_id",
		"fiscal_period_date", "reason_code", "kind", "reference", "amount", "method", "confidence", "review",
		"payer_claim_control", "prior_file_id", "prior_segment", "billed_claim_id", "revision"}
)

func (c *ClaimRow) CopyTo(b *pgcopy.Buf) {
	b.Int(c.Pos.File).Int(int64(c.Pos.Seg)).Int(c.PracticeID).Text(c.Payer).Text(c.PCN).TextOrNull(c.PayerControl).
		TextOrNull(c.AfterReversal).Text(c.Status).Text(c.ClaimKey).Text(c.PaymentKey).Date(c.ServiceDate).
		IntOrNull(c.BilledClaimID).Text(c.Method).Float(c.Confidence).Array(c.Flags).IntOrNull(c.Nets.File).
		IntOrNull(int64(c.Nets.Seg)).Amount(c.Charge).Amount(c.Paid).Amount(c.PatientResp).Bool(c.Review).
		Int(int64(c.Revision))
	b.End()
}

func (l *LineRow) CopyTo(b *pgcopy.Buf) {
	b.Int(l.Pos.File).Int(int64(l.Pos.Seg)).Int(int64(l.ClaimSeg)).Int(l.PracticeID).Int(int64(l.SvcIndex)).
		Text(l.Procedure).Array(l.Modifiers).Date(l.ServiceDate).Qty(l.Units, true).IntOrNull(l.BilledClaimID).
		IntOrNull(l.BilledLineID).IntOrNull(int64(l.BilledLineNumber)).Text(l.Method).Float(l.Confidence).
		Bool(l.Review).Array(l.Flags).Amount(l.BilledCharge).Qty(l.BilledUnits, true).Amount(l.Charge).
		Amount(l.Paid).Amount(l.Allowed).Amount(l.PatientResp).AmountOrNull(l.Expected).Amount(l.NetPaid).
		IntOrNull(l.Nets.File).IntOrNull(int64(l.Nets.Seg)).Int(int64(l.Revision))
	b.End()
}

// PendingRow is a match_pending row to write.
type PendingRow struct {
	Pos          Pos
	PracticeID   int64
	Payer        string
	PCN          string
	PayerControl string
	LineControls []string
	Unmatched    bool
	Payload      []byte
	QueuedAt     time.Time
	Attempts     int
}

func (p *PendingRow) CopyTo(b *pgcopy.Buf) {
	b.Int(p.Pos.File).Int(int64(p.Pos.Seg)).Int(p.PracticeID).Text(p.Payer).Text(p.PCN).TextOrNull(p.PayerControl).
		Array(p.LineControls).Bool(p.Unmatched).Bytes(p.Payload).Text(p.QueuedAt.UTC().Format(time.RFC3339Nano)).
		Int(int64(p.Attempts))
	b.End()
}

// PLBRow is a plb_links row.
type PLBRow struct {
	Pos          Pos
	Position     int32
	PracticeID   int64
	Payer        string
	ProviderID   string
	FiscalPeriod x12.Date
	Reason       string
	Kind         string
	Reference    string
	Amount       money.Amount
	Method       string
	Confidence   float64
	Review       bool
	PayerControl string
	Prior        Pos
	BilledClaim  int64
	Revision     int
}

func (p *PLBRow) CopyTo(b *pgcopy.Buf) {
	b.Int(p.Pos.File).Int(int64(p.Pos.Seg)).Int(int64(p.Position)).Int(p.PracticeID).Text(p.Payer).Text(p.ProviderID).
		Date(p.FiscalPeriod).Text(p.Reason).Text(p.Kind).Text(p.Reference).Amount(p.Amount).Text(p.Method).
		Float(p.Confidence).Bool(p.Review).TextOrNull(p.PayerControl).IntOrNull(p.Prior.File).
		IntOrNull(int64(p.Prior.Seg)).IntOrNull(p.BilledClaim).Int(int64(p.Revision))
	b.End()
}

func FmtID(id int64) string { return strconv.FormatInt(id, 10) }

func FlagStrings(fs []match.Flag) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = string(f)
	}
	return out
}
