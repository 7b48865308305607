package apisvc

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/remitq/remitq/carc"
	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/money"
)

// claimNPI is the rendering provider of paid claim cp, by which provider
// scopes see it: its NM1*82, else its lines' REF*HPI, else the rendering
// NPI of the billed claim it was matched to (most 835s name no rendering
// provider); the empty string when none is known.
const claimNPI = `coalesce(cp.rendering_npi,
	(SELECT min(l.rendering_npi) FROM service_line_payments l WHERE l.claim_payment_id = cp.id AND l.file_id = cp.file_id),
	(SELECT min(bc.rendering_npi) FROM match_claims m JOIN billed_claims bc ON bc.id = m.billed_claim_id
		WHERE m.file_id = cp.file_id AND m.segment_index = cp.segment_index), '')`

// ClaimView is a paid claim as a biller reads it: the payer's decision,
// every line billed against paid, and every CAS adjustment and remark code
// in plain language. PatientName and MemberID are PHI: every answer that
// holds a ClaimView is audited.
type ClaimView struct {
	ID                    int64         `db:"id" json:"id"`
	FileID                int64         `db:"file_id" json:"file_id"`
	PracticeID            int64         `db:"practice_id" json:"practice_id"`
	PatientControlNumber  string        `db:"patient_control_number" json:"patient_control_number"`
	Status                string        `db:"status" json:"status"`
	StatusText            string        `db:"-" json:"status_text"`
	Charge                money.Amount  `db:"charge" json:"charge"`
	Paid                  money.Amount  `db:"paid" json:"paid"`
	PatientResponsibility *money.Amount `db:"patient_responsibility" json:"patient_responsibility"`
	ClaimFilingIndicator  *string       `db:"claim_filing_indicator" json:"claim_filing_indicator"`
	PayerClaimControl     *string       `db:"payer_claim_control" json:"payer_claim_control"`
	Frequency             *string       `db:"frequency" json:"frequency"`
	ServiceDateFrom       day.Day       `db:"service_date_from" json:"service_date_from"`
	ServiceDateTo         day.Day       `db:"service_date_to" json:"service_date_to"`
	ReceivedDate          day.Day       `db:"received_date" json:"received_date"`
	RenderingNPI          *string       `db:"rendering_npi" json:"rendering_npi"`
	PatientName           *string       `db:"phi_patient_name" json:"patient_name"`
	MemberID              *string       `db:"phi_member_id" json:"member_id"`
	PayerName             *string       `db:"payer_name" json:"payer_name"`
	PaymentDate           day.Day       `db:"payment_date" json:"payment_date"`
	TraceNumber           *string       `db:"trace_number" json:"trace_number"`
	PaymentMethod         *string       `db:"payment_method" json:"payment_method"`
	// Adjustments and Remarks at claim level (CAS and MOA/MIA).
	Adjustments []Adjustment `db:"-" json:"adjustments"`
	Remarks     []Remark     `db:"-" json:"remarks"`
	Lines       []LineView   `db:"-" json:"lines"`
}

// LineView is one paid service line with what was billed.
type LineView struct {
	ID                    int64          `db:"id" json:"id"`
	LineNumber            int            `db:"line_number" json:"line_number"`
	ProcedureQualifier    string         `db:"procedure_qualifier" json:"procedure_qualifier"`
	ProcedureCode         string         `db:"procedure_code" json:"procedure_code"`
	Modifiers             pq.StringArray `db:"modifiers" json:"modifiers"`
	OriginalProcedureCode *string        `db:"original_procedure_code" json:"original_procedure_code"`
	Charge                money.Amount   `db:"charge" json:"billed"`
	Paid                  money.Amount   `db:"paid" json:"paid"`
	AllowedAmount         *money.Amount  `db:"allowed_amount" json:"allowed"`
	Units                 *string        `db:"units" json:"units"`
	OriginalUnits         *string        `db:"original_units" json:"billed_units"`
	ServiceDateFrom       day.Day        `db:"service_date_from" json:"service_date_from"`
	ServiceDateTo         day.Day        `db:"service_date_to" json:"service_date_to"`
	LineControlNumber     *string        `db:"line_control_number" json:"line_control_number"`
	RenderingNPI          *string        `db:"rendering_npi" json:"rendering_npi"`
	Adjustments           []Adjustment   `db:"-" json:"adjustments"`
	Remarks               []Remark       `db:"-" json:"remarks"`
	Match                 *Match         `db:"-" json:"match"`
	// Focus marks the line a work item is about.
	Focus bool `db:"-" json:"focus,omitempty"`
}

// Adjustment is one CAS triplet read in plain language.
type Adjustment struct {
	Group       string           `json:"group"`
	CARC        string           `json:"carc"`
	Amount      money.Amount     `json:"amount"`
	Quantity    *string          `json:"quantity,omitempty"`
	Explanation carc.Explanation `json:"explanation"`
}

// Remark is one remark code (RARC, or NCPDP reject code) in plain language.
type Remark struct {
	Qualifier string `json:"qualifier"`
	Code      string `json:"code"`
	Known     bool   `json:"known"`
	Text      string `json:"text"`
	Action    string `json:"action,omitempty"`
}

// Match is how the matcher paired a paid line with a billed line (0005
// line_matches), with the billed line and the authorization on file.
type Match struct {
	Method          string        `json:"method"`
	Confidence      float64       `json:"confidence"`
	Review          bool          `json:"review"` // waits for a person
	Flags           []string      `json:"flags"`
	MatchedAt       time.Time     `json:"matched_at"`
	BilledClaimID   *int64        `json:"billed_claim_id"`
	Allowed         money.Amount  `json:"allowed"`
	ExpectedAllowed *money.Amount `json:"expected_allowed"`
	NetPaid         money.Amount  `json:"net_paid"`
	Billed          *BilledLine   `json:"billed_line"`
}

// BilledLine is a line as the practice billed it.
type BilledLine struct {
	ID            int64          `json:"id"`
	LineNumber    int            `json:"line_number"`
	ProcedureCode string         `json:"procedure_code"`
	Modifiers     pq.StringArray `json:"modifiers"`
	Units         string         `json:"units"`
	Charge        money.Amount   `json:"charge"`
	ServiceDate   day.Day        `json:"service_date"`
	// Authorization is the prior authorization number on file (REF*G1 of
	// the line, else of the claim); "" when none was billed.
	Authorization string `json:"authorization"`
}

func (v *ClaimView) markFocus(lineID *int64) {
	if lineID == nil {
		return
	}
	for i := range v.Lines {
		v.Lines[i].Focus = v.Lines[i].ID == *lineID
	}
}

// claimView reads a claim payment. scope, when not nil, is the caller whose
// scope the claim must be in (else errNotFound).
func (s *Service) claimView(ctx context.Context, claimID int64, scope *auth.Identity) (*ClaimView, error) {
	var args auth.Args
	q := `SELECT cp.id, cp.file_id, cp.practice_id, cp.patient_control_number, cp.status, cp.charge, cp.paid,
		cp.patient_responsibility, cp.claim_filing_indicator, cp.payer_claim_control, cp.frequency, cp.service_date_from,
		cp.service_date_to, cp.received_date, cp.rendering_npi, cp.phi_patient_name, cp.phi_member_id,
		t.payer_name, t.payment_date, t.trace_number, t.payment_method
		FROM claim_payments cp JOIN remittance_transactions t ON t.id = cp.transaction_id
		WHERE cp.id = ` + args.Add(claimID)
	if scope != nil {
		q += " AND " + scope.Where("cp.practice_id", claimNPI, &args)
	}
	var v ClaimView
	if err := s.db.GetContext(ctx, &v, q, args...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, errNotFound
		}
		return nil, err
	}
	if st, ok := carc.ClaimStatus(v.Status); ok {
		v.StatusText = st.Description
	}
	if err := s.db.SelectContext(ctx, &v.Lines, `SELECT id, line_number, procedure_qualifier, procedure_code, modifiers,
		original_procedure_code, charge, paid, allowed_amount, units::text, original_units::text, service_date_from,
		service_date_to, line_control_number, rendering_npi
		FROM service_line_payments WHERE claim_payment_id = $1 ORDER BY line_number`, claimID); err != nil {
		return nil, err
	}
	v.Adjustments, v.Remarks = []Adjustment{}, []Remark{}
	byLine := make(map[int64]*LineView, len(v.Lines))
	ids := make([]int64, len(v.Lines))
	for i := range v.Lines {
		l := &v.Lines[i]
		l.Adjustments, l.Remarks = []Adjustment{}, []Remark{}
		byLine[l.ID] = l
		ids[i] = l.ID
	}
	rrows, err := s.db.QueryxContext(ctx, `SELECT service_line_id, qualifier, code FROM remarks
		WHERE claim_payment_id = $1 ORDER BY service_line_id NULLS FIRST, qualifier, position`, claimID)
	if err != nil {
		return nil, err
	}
	lineRARCs := map[int64][]string{}
	var claimRARCs []string
	for rrows.Next() {
		var line sql.NullInt64
		var r Remark
		if err := rrows.Scan(&line, &r.Qualifier, &r.Code); err != nil {
			rrows.Close()
			return nil, err
		}
		if rc, ok := carc.RARC(r.Code); ok && r.Qualifier != "RX" {
			r.Known, r.Text, r.Action = true, rc.Plain, rc.Action
		} else if r.Qualifier == "RX" {
			r.Text = "NCPDP reject code"
		} else {
			r.Text = "unknown remark code"
		}
		if l, ok := byLine[line.Int64]; line.Valid && ok {
			l.Remarks = append(l.Remarks, r)
			lineRARCs[line.Int64] = append(lineRARCs[line.Int64], r.Code)
		} else {
			v.Remarks = append(v.Remarks, r)
			claimRARCs = append(claimRARCs, r.Code)
		}
	}
	rrows.Close()
	if err := rrows.Err(); err != nil {
		return nil, err
	}
	arows, err := s.db.QueryxContext(ctx, `SELECT service_line_id, group_code, reason_code, amount, quantity::text
		FROM adjustments WHERE claim_payment_id = $1 ORDER BY segment_index, position`, claimID)
	if err != nil {
		return nil, err
	}
	for arows.Next() {
		var line sql.NullInt64
		var a Adjustment
		if err := arows.Scan(&line, &a.Group, &a.CARC, &a.Amount, &a.Quantity); err != nil {
			arows.Close()
			return nil, err
		}
		if l, ok := byLine[line.Int64]; line.Valid && ok {
			a.Explanation = carc.Explain(a.Group, a.CARC, lineRARCs[line.Int64])
			l.Adjustments = append(l.Adjustments, a)
		} else {
			a.Explanation = carc.Explain(a.Group, a.CARC, claimRARCs)
			v.Adjustments = append(v.Adjustments, a)
		}
	}
	arows.Close()
	if err := arows.Err(); err != nil {
		return nil, err
	}
	if err := s.matches(ctx, ids, byLine); err != nil {
		return nil, err
	}
	return &v, nil
}

// matches fills each paid line's match (0005: line_matches keyed by the
// paid SVC segment) and its billed line.
func (s *Service) matches(ctx context.Context, lineIDs []int64, byLine map[int64]*LineView) error {
	if len(lineIDs) == 0 {
		return nil
	}
	rows, err := s.db.QueryxContext(ctx, `SELECT sl.id, m.method, m.confidence, m.review, m.flags, m.matched_at,
		m.billed_claim_id, m.allowed, m.expected_allowed, m.net_paid,
		b.id, b.line_number, b.procedure_code, b.modifiers, b.units::text, b.charge, b.service_date_from,
		coalesce(nullif(b.prior_authorization, ''), bc.prior_authorization, '')
		FROM service_line_payments sl
		JOIN line_matches m ON m.file_id = sl.file_id AND m.segment_index = sl.segment_index
		LEFT JOIN billed_lines b ON b.id = m.billed_line_id
		LEFT JOIN billed_claims bc ON bc.id = b.billed_claim_id
		WHERE sl.id = ANY($1::bigint[])`, pq.Array(lineIDs))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var line int64
		var m Match
		var flags pq.StringArray
		var bid, bnum sql.NullInt64
		var code, units, authz sql.NullString
		var mods pq.StringArray
		var charge *money.Amount
		var date day.Day
		if err := rows.Scan(&line, &m.Method, &m.Confidence, &m.Review, &flags, &m.MatchedAt, &m.BilledClaimID,
			&m.Allowed, &m.ExpectedAllowed, &m.NetPaid, &bid, &bnum, &code, &mods, &units, &charge, &date, &authz); err != nil {
			return err
		}
		m.Flags = []string(flags)
		if m.Flags == nil {
			m.Flags = []string{}
		}
		if bid.Valid {
			m.Billed = &BilledLine{ID: bid.Int64, LineNumber: int(bnum.Int64), ProcedureCode: code.String, Modifiers: mods,
				Units: units.String, ServiceDate: date, Authorization: authz.String}
			if charge != nil {
				m.Billed.Charge = *charge
			}
		}
		if l, ok := byLine[line]; ok {
			l.Match = &m
		}
	}
	return rows.Err()
}

// GET /v1/claims/{id}: a paid claim with its lines (PHI, audited).
func (c *call) getClaim() error {
	id, err := c.pathID("id")
	if err != nil {
		return err
	}
	v, err := c.s.claimView(c.r.Context(), id, c.id)
	if err != nil {
		return err
	}
	if err := c.audit(c.entry("claim.view", "claim_payment", v.ID, v.PracticeID, nil)); err != nil {
		return err
	}
	return c.json(http.StatusOK, v)
}

// ClaimSummary is a paid claim in a list (PHI: the patient's name).
type ClaimSummary struct {
	ID                   int64        `db:"id" json:"id"`
	FileID               int64        `db:"file_id" json:"file_id"`
	PracticeID           int64        `db:"practice_id" json:"practice_id"`
	PatientControlNumber string       `db:"patient_control_number" json:"patient_control_number"`
	PayerClaimControl    *string      `db:"payer_claim_control" json:"payer_claim_control"`
	Status               string       `db:"status" json:"status"`
	Charge               money.Amount `db:"charge" json:"charge"`
	Paid                 money.Amount `db:"paid" json:"paid"`
	ServiceDateFrom      day.Day      `db:"service_date_from" json:"service_date_from"`
	RenderingNPI         *string      `db:"rendering_npi" json:"rendering_npi"`
	PatientName          *string      `db:"phi_patient_name" json:"patient_name"`
}

var claimSorts = []sortKey{
	{name: "id", expr: "cp.id", typ: "bigint"},
	{name: "service_date", expr: "coalesce(cp.service_date_from, '-infinity'::date)", typ: "date"},
	{name: "paid", expr: "cp.paid", typ: "numeric"},
}

// GET /v1/claims?file_id=&practice_id=&patient_control_number=&status=
func (c *call) getClaims() error { return c.listClaims(0) }

// GET /v1/files/{id}/claims
func (c *call) getFileClaims() error {
	id, err := c.pathID("id")
	if err != nil {
		return err
	}
	if err := c.fileInScope(id); err != nil {
		return err
	}
	return c.listClaims(id)
}

func (c *call) listClaims(fileID int64) error {
	q := c.r.URL.Query()
	p, err := newPager(q, claimSorts...)
	if err != nil {
		return err
	}
	var args auth.Args
	where := []string{c.id.Where("cp.practice_id", claimNPI, &args)}
	if fileID == 0 && q.Get("file_id") != "" {
		if fileID, err = parseID(q.Get("file_id"), "file_id"); err != nil {
			return err
		}
	}
	if fileID != 0 {
		where = append(where, "cp.file_id = "+args.Add(fileID))
	}
	if v := q.Get("practice_id"); v != "" {
		n, err := parseID(v, "practice_id")
		if err != nil {
			return err
		}
		where = append(where, "cp.practice_id = "+args.Add(n))
	}
	for _, f := range []struct{ param, col string }{{"patient_control_number", "cp.patient_control_number"},
		{"payer_claim_control", "cp.payer_claim_control"}, {"status", "cp.status"}, {"rendering_npi", "cp.rendering_npi"}} {
		if v := q.Get(f.param); v != "" {
			where = append(where, f.col+" = "+args.Add(v))
		}
	}
	if fileID == 0 && q.Get("practice_id") == "" && q.Get("patient_control_number") == "" && q.Get("payer_claim_control") == "" {
		return badRequest("filter claims by file_id, practice_id, patient_control_number or payer_claim_control")
	}
	if k := p.where("cp.id", &args); k != "" {
		where = append(where, k)
	}
	var rows []struct {
		K string `db:"k"`
		ClaimSummary
	}
	if err := c.s.db.SelectContext(c.r.Context(), &rows, "SELECT "+p.keyCol()+` AS k, cp.id, cp.file_id, cp.practice_id,
		cp.patient_control_number, cp.payer_claim_control, cp.status, cp.charge, cp.paid, cp.service_date_from,
		cp.rendering_npi, cp.phi_patient_name FROM claim_payments cp WHERE `+strings.Join(where, " AND ")+p.orderLimit("cp.id"), args...); err != nil {
		return err
	}
	n, next := p.next(len(rows), func(i int) (string, int64) { return rows[i].K, rows[i].ID })
	out := Page[ClaimSummary]{Items: make([]ClaimSummary, n), NextCursor: next}
	for i := range n {
		out.Items[i] = rows[i].ClaimSummary
	}
	// One audit row per practice whose patients were shown, with the ids.
	if err := c.auditList("claim.list", "claim_payment", func(i int) int64 { return rows[i].PracticeID },
		func(i int) int64 { return rows[i].ID }, n, map[string]any{"file_id": fileID}); err != nil {
		return err
	}
	return c.json(http.StatusOK, out)
}

func parseID(v, name string) (int64, error) {
	n, err := parseInt(v)
	if err != nil || n <= 0 {
		return 0, badRequest("%s must be a positive integer", name)
	}
	return n, nil
}
