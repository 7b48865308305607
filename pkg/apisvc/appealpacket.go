package apisvc

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/remitq/remitq/carc"
	"github.com/remitq/remitq/pkg/appeal"
	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/route"
	"github.com/remitq/remitq/pkg/rules"
	"github.com/remitq/remitq/pkg/rulesstore"
)

// The appeal packet of a work item (issue 17): GET
// /v1/work-items/{id}/appeal answers the PDF, ?format=text the letter's
// text, and Accept: application/json the packet's facts and warnings
// without the patient's identity. It is built with pkg/appeal from the
// item, its paid and billed lines, the payer profile (the stored profiles
// over the shipped ones, pkg/rulesstore), the router's decision as stored
// on the item, the evidence (auth on file, prior procedures) and the
// appeals already recorded (the next level). A packet pkg/appeal refuses
// answers 409 with the typed reason, which never carries PHI.

// PacketView is the JSON answer: the packet without the patient.
type PacketView struct {
	WorkItemID int64           `json:"work_item_id"`
	Subject    string          `json:"subject"`
	Level      PacketLevel     `json:"level"`
	Addressee  PacketAddressee `json:"addressee"`
	Deadline   string          `json:"deadline"`
	DaysLeft   int             `json:"days_left"`
	Late       bool            `json:"late"`
	Warnings   []string        `json:"warnings"`
	Checklist  []string        `json:"checklist"`
	Arguments  []struct {
		Line       int      `json:"line"`
		Heading    string   `json:"heading"`
		Paragraphs []string `json:"paragraphs"`
		Sources    []string `json:"sources"`
	} `json:"arguments"`
	Lines      []PacketLine `json:"lines"`
	Form       bool         `json:"cms20027"` // the packet carries the CMS-20027 fields
	ProfileID  string       `json:"payer_profile"`
	LevelsUsed int          `json:"levels_used"`
	Evidence   *Evidence    `json:"evidence"`
}

// PacketLevel is the appeal level the packet requests.
type PacketLevel struct {
	Number int    `json:"number"`
	Name   string `json:"name"`
	Days   int    `json:"days"`
	From   string `json:"from"`
	Source string `json:"source"`
}

// PacketAddressee is who receives the packet.
type PacketAddressee struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	Fax     string `json:"fax"`
	Portal  string `json:"portal"`
	Phone   string `json:"phone"`
}

// PacketLine is a denied line of the packet (no PHI).
type PacketLine struct {
	Number    int          `json:"number"`
	Date      string       `json:"date"`
	Procedure string       `json:"procedure"`
	Modifiers []string     `json:"modifiers"`
	Billed    money.Amount `json:"billed"`
	Paid      money.Amount `json:"paid"`
	Category  string       `json:"category"`
}

// packetFacts is what the database gives for the facts.
type packetFacts struct {
	PracticeName string         `db:"practice_name"`
	PracticeNPI  sql.NullString `db:"practice_npi"`
	ProviderName sql.NullString `db:"provider_name"`
	PayerName    sql.NullString `db:"payer_name"`
	PayerCode    sql.NullString `db:"payer_code"`
	Rule         string         `db:"rule"`
}

type packetClaim struct {
	Filing      sql.NullString `db:"claim_filing_indicator"`
	PCC         sql.NullString `db:"payer_claim_control"`
	From        day.Day        `db:"service_date_from"`
	Through     day.Day        `db:"service_date_to"`
	Charge      money.Amount   `db:"charge"`
	Paid        money.Amount   `db:"paid"`
	Name        sql.NullString `db:"phi_patient_name"`
	Member      sql.NullString `db:"phi_member_id"`
	PaymentDate day.Day        `db:"payment_date"`
	Trace       sql.NullString `db:"trace_number"`
	PayerName   sql.NullString `db:"payer_name"`
}

func rdateString(d day.Day) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

var errNoProfile = errf(http.StatusConflict, "appeal_missing_fact", "appeal: a required fact is missing: no payer profile applies to the item's payer")

// appealFacts fills appeal.Facts for item it (read in the caller's scope).
func (s *Service) appealFacts(ctx context.Context, it *WorkItem) (appeal.Facts, *Evidence, error) {
	var f appeal.Facts
	var pf packetFacts
	if err := s.db.GetContext(ctx, &pf, `SELECT p.name AS practice_name, p.npi AS practice_npi,
		(SELECT pv.name FROM providers pv WHERE pv.practice_id = w.practice_id AND pv.npi = w.provider_npi) AS provider_name,
		py.name AS payer_name, py.payer_id_code AS payer_code, w.rule
		FROM work_items w JOIN practices p ON p.id = w.practice_id LEFT JOIN payers py ON py.id = w.payer_id
		WHERE w.id = $1`, it.ID); err != nil {
		return f, nil, err
	}
	f.Practice = appeal.Practice{Name: pf.PracticeName, NPI: pf.PracticeNPI.String}
	f.Provider = appeal.Provider{Name: pf.ProviderName.String, NPI: it.ProviderNPI}
	f.Payer = appeal.Payer{Name: pf.PayerName.String, ID: pf.PayerCode.String}
	var pc packetClaim
	if it.ClaimPaymentID != nil {
		err := s.db.GetContext(ctx, &pc, `SELECT cp.claim_filing_indicator, cp.payer_claim_control, cp.service_date_from, cp.service_date_to,
			cp.charge, cp.paid, cp.phi_patient_name, cp.phi_member_id, t.payment_date, t.trace_number, t.payer_name
			FROM claim_payments cp JOIN remittance_transactions t ON t.id = cp.transaction_id
			WHERE cp.id = $1 AND cp.practice_id = $2`, *it.ClaimPaymentID, it.PracticeID)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return f, nil, err
		}
	}
	if f.Payer.Name == "" {
		f.Payer.Name = pc.PayerName.String
	}
	var birth sql.NullString
	var billedMember sql.NullString
	var diagnoses pq.StringArray
	if it.BilledClaimID != nil {
		if err := s.db.QueryRowxContext(ctx, `SELECT to_char(phi_birth_date, 'YYYY-MM-DD'), phi_member_id, diagnoses FROM billed_claims
			WHERE id = $1 AND practice_id = $2`, *it.BilledClaimID, it.PracticeID).Scan(&birth, &billedMember, &diagnoses); err != nil &&
			!errors.Is(err, sql.ErrNoRows) {
			return f, nil, err
		}
	}
	member := pc.Member.String
	if member == "" {
		member = billedMember.String
	}
	f.Patient = appeal.Patient{Name: appeal.PHI(pc.Name.String), DOB: appeal.PHI(birth.String), MemberID: appeal.PHI(member)}
	remit := it.RemitDate
	if remit.IsZero() {
		remit = pc.PaymentDate
	}
	f.Claim = appeal.Claim{PatientControlNumber: it.PatientControlNumber, PayerClaimControlNumber: firstNonBlank(it.PayerClaimControl, pc.PCC.String),
		From: pc.From, Through: pc.Through, Billed: pc.Charge, Paid: pc.Paid, RemitDate: remit, CheckOrEFT: pc.Trace.String}
	f.DenialDate = remit

	profiles, err := rulesstore.LoadProfiles(ctx, s.db)
	if err != nil {
		return f, nil, err
	}
	dy := day.Day(0)
	if !it.ServiceDate.IsZero() {
		dy, _ = day.ParseSet(it.ServiceDate.Time().Format(time.DateOnly))
	}
	prof := profiles.Resolve(f.Payer.ID, pc.Filing.String, "", dy)
	if prof == nil {
		return f, nil, errNoProfile
	}
	f.Profile = *prof

	// The appeals recorded decide the level.
	var used int
	var lastDecided day.Day
	if err := s.db.QueryRowxContext(ctx, `SELECT count(*), max(decided_on) FROM work_item_appeals WHERE work_item_id = $1 AND outcome <> 'withdrawn'`,
		it.ID).Scan(&used, &lastDecided); err != nil {
		return f, nil, err
	}
	f.LevelsUsed, f.PriorDecisionDate = used, lastDecided

	ev, err := s.evidence(ctx, it)
	if err != nil {
		return f, nil, err
	}
	cause := itemCause(it, pf.Rule)
	evidence := appeal.Evidence{}
	if a := pickAuth(ev); a != nil {
		evidence.Auth = &appeal.Auth{Number: a.Number, From: day.Of(a.From.Time()), Through: day.Of(a.To.Time()),
			Units: a.Units, Codes: slices.Clone(a.Codes)}
	}
	sessions := map[string]*appeal.Procedure{}
	var order []string
	for _, l := range ev.prior {
		k := l.Date.String()
		p, ok := sessions[k]
		if !ok {
			p = &appeal.Procedure{Date: day.Of(l.Date.Time()), Level: l.Level}
			sessions[k] = p
			order = append(order, k)
		}
		if !slices.Contains(p.Codes, l.Procedure) {
			p.Codes = append(p.Codes, l.Procedure)
		}
	}
	slices.Sort(order)
	for _, k := range order {
		evidence.Prior = append(evidence.Prior, *sessions[k])
	}
	if ev.Family == rules.FamilyRFA {
		if evidence.Blocks, err = s.blocks(ctx, ev); err != nil {
			return f, nil, err
		}
	}
	lines, err := s.packetLines(ctx, it, cause, evidence, diagnoses)
	if err != nil {
		return f, nil, err
	}
	f.Lines = lines
	return f, ev, nil
}

// blocks are the diagnostic medial branch blocks (facet-family sessions in
// the region, within the evidence window) before an RFA, with the relief
// on file for their dates (block_relief, under the sharing policy).
func (s *Service) blocks(ctx context.Context, ev *Evidence) ([]appeal.Block, error) {
	set := rules.Default()
	byDate := map[string]*appeal.Block{}
	var order []string
	for _, l := range ev.prior {
		pr, ok := set.Procedure(l.Procedure)
		if !ok || pr.Family != rules.FamilyFacet || l.Status == rules.Denied {
			continue
		}
		k := l.Date.String()
		b, ok := byDate[k]
		if !ok {
			b = &appeal.Block{Date: day.Of(l.Date.Time()), Level: l.Level}
			byDate[k] = b
			order = append(order, k)
		}
		if !slices.Contains(b.Codes, l.Procedure) {
			b.Codes = append(b.Codes, l.Procedure)
		}
	}
	if len(order) == 0 || ev.key.IsZero() {
		return nil, nil
	}
	relief, err := rulesstore.LoadRelief(ctx, s.db, []rules.PatientKey{ev.key})
	if err != nil {
		return nil, err
	}
	for _, r := range relief {
		if !ev.share.May(ev.me, ev.tin, strconv.FormatInt(r.PracticeID, 10), r.TIN) {
			continue
		}
		if b, ok := byDate[r.Relief.Date.String()]; ok && r.Relief.Percent > b.ReliefPercent {
			b.ReliefPercent = r.Relief.Percent
			if b.Level == "" {
				b.Level = r.Relief.Level
			}
		}
	}
	slices.Sort(order)
	out := make([]appeal.Block, 0, len(order))
	for _, k := range order {
		out = append(out, *byDate[k])
	}
	return out, nil
}

// pickAuth is the auth to argue with: one that covers the line, else the
// one billed, else the first on file.
func pickAuth(ev *Evidence) *rules.Auth {
	for i, a := range ev.Auths {
		if a.Covers {
			return &ev.auths[i]
		}
	}
	for i, a := range ev.Auths {
		if a.Billed {
			return &ev.auths[i]
		}
	}
	if len(ev.auths) > 0 {
		return &ev.auths[0]
	}
	return nil
}

// itemCause is the router's root cause as the item stores it. The router's
// route is not stored: an underpayment is a dispute, anything else is
// appealable when the decisive CARC is (the router's base decision).
func itemCause(it *WorkItem, rule string) appeal.Cause {
	c := appeal.Cause{Category: carc.Category(it.Category), Reason: it.Text, Rule: rule, Action: it.Action}
	if it.Kind == "underpayment" {
		c.Route = route.RouteDispute
		return c
	}
	for _, code := range it.CARC {
		g, r, ok := strings.Cut(code, "-")
		if !ok {
			continue
		}
		if e := carc.Explain(g, r, it.RARC); e.Appealable {
			c.Appealable = true
			break
		}
	}
	return c
}

// packetLines are the denied lines: the item's paid line, or for a
// claim-level denial (no SVC) every billed line with the claim's
// adjustments.
func (s *Service) packetLines(ctx context.Context, it *WorkItem, cause appeal.Cause, ev appeal.Evidence, diagnoses pq.StringArray) ([]appeal.DeniedLine, error) {
	type billed struct {
		ID       int64          `db:"id"`
		Number   int            `db:"line_number"`
		Code     string         `db:"procedure_code"`
		Mods     pq.StringArray `db:"modifiers"`
		Units    float64        `db:"units"`
		Charge   money.Amount   `db:"charge"`
		Date     day.Day        `db:"service_date_from"`
		Pointers pq.Int64Array  `db:"diagnosis_pointers"`
	}
	diag := func(ptrs pq.Int64Array) []string {
		var out []string
		for _, p := range ptrs {
			if p >= 1 && int(p) <= len(diagnoses) {
				out = append(out, diagnoses[p-1])
			}
		}
		if out == nil && len(diagnoses) > 0 {
			out = append(out, diagnoses[0])
		}
		return out
	}
	var bls []billed
	if it.BilledClaimID != nil {
		if err := s.db.SelectContext(ctx, &bls, `SELECT bl.id, bl.line_number, bl.procedure_code, bl.modifiers, bl.units::float8 AS units, bl.charge,
			coalesce(bl.service_date_from, bc.service_date_from) AS service_date_from, bl.diagnosis_pointers
			FROM billed_lines bl JOIN billed_claims bc ON bc.id = bl.billed_claim_id
			WHERE bl.billed_claim_id = $1 AND bl.practice_id = $2 ORDER BY bl.line_number`, *it.BilledClaimID, it.PracticeID); err != nil {
			return nil, err
		}
	}
	adjs := func(claim int64, line *int64) ([]route.Adjustment, []string, error) {
		var out []route.Adjustment
		q := `SELECT group_code, reason_code, amount FROM adjustments WHERE claim_payment_id = $1 AND service_line_id IS NULL ORDER BY segment_index, position`
		args := []any{claim}
		if line != nil {
			q = `SELECT group_code, reason_code, amount FROM adjustments WHERE claim_payment_id = $1 AND service_line_id = $2 ORDER BY segment_index, position`
			args = append(args, *line)
		}
		rows, err := s.db.QueryxContext(ctx, q, args...)
		if err != nil {
			return nil, nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var a route.Adjustment
			if err := rows.Scan(&a.Group, &a.Reason, &a.Amount); err != nil {
				return nil, nil, err
			}
			out = append(out, a)
		}
		if err := rows.Err(); err != nil {
			return nil, nil, err
		}
		var remarks []string
		rq := `SELECT code FROM remarks WHERE claim_payment_id = $1 AND service_line_id IS NULL AND qualifier <> 'RX' ORDER BY position`
		if line != nil {
			rq = `SELECT code FROM remarks WHERE claim_payment_id = $1 AND service_line_id = $2 AND qualifier <> 'RX' ORDER BY position`
		}
		if err := s.db.SelectContext(ctx, &remarks, rq, args...); err != nil {
			return nil, nil, err
		}
		return out, remarks, nil
	}
	if it.ServiceLineID != nil && it.ClaimPaymentID != nil {
		var sl struct {
			Number  int            `db:"line_number"`
			Code    string         `db:"procedure_code"`
			Mods    pq.StringArray `db:"modifiers"`
			Charge  money.Amount   `db:"charge"`
			Paid    money.Amount   `db:"paid"`
			Allowed *money.Amount  `db:"allowed_amount"`
			Units   sql.NullInt64  `db:"units"`
			Date    day.Day        `db:"service_date_from"`
		}
		if err := s.db.GetContext(ctx, &sl, `SELECT line_number, procedure_code, modifiers, charge, paid, allowed_amount,
			floor(coalesce(original_units, units, 1))::bigint AS units, service_date_from
			FROM service_line_payments WHERE id = $1 AND practice_id = $2`, *it.ServiceLineID, it.PracticeID); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return nil, nil
			}
			return nil, err
		}
		a, rm, err := adjs(*it.ClaimPaymentID, it.ServiceLineID)
		if err != nil {
			return nil, err
		}
		dl := appeal.DeniedLine{Number: sl.Number, Date: sl.Date, Procedure: sl.Code, Modifiers: []string(sl.Mods),
			Units: int(sl.Units.Int64), Billed: sl.Charge, Paid: sl.Paid, Adjustment: a, Remarks: rm, Cause: cause, Evidence: ev}
		if sl.Allowed != nil {
			dl.Allowed = *sl.Allowed
		}
		if dl.Date.IsZero() && !it.ServiceDate.IsZero() {
			dl.Date = it.ServiceDate
		}
		for _, b := range bls {
			if it.BilledLineID != nil && b.ID == *it.BilledLineID {
				dl.Number, dl.Diagnoses = b.Number, diag(b.Pointers)
				if dl.Date.IsZero() {
					dl.Date = b.Date
				}
			}
		}
		return []appeal.DeniedLine{dl}, nil
	}
	// A claim-level denial: the billed lines carry the claim's adjustments.
	var a []route.Adjustment
	var rm []string
	if it.ClaimPaymentID != nil {
		var err error
		if a, rm, err = adjs(*it.ClaimPaymentID, nil); err != nil {
			return nil, err
		}
	}
	var out []appeal.DeniedLine
	for i, b := range bls {
		dl := appeal.DeniedLine{Number: b.Number, Date: b.Date, Procedure: b.Code, Modifiers: []string(b.Mods), Units: int(b.Units),
			Diagnoses: diag(b.Pointers), Billed: b.Charge, Remarks: rm, Cause: cause, Evidence: ev}
		if i == 0 {
			dl.Adjustment = a
		}
		out = append(out, dl)
	}
	return out, nil
}

func firstNonBlank(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}

// buildErrorCodes name the typed reasons of pkg/appeal.
var buildErrorCodes = []struct {
	err  error
	code string
}{
	{appeal.ErrNoDeniedLine, "appeal_no_denied_line"},
	{appeal.ErrNotAppealable, "appeal_not_appealable"},
	{appeal.ErrNoLevelLeft, "appeal_no_level_left"},
	{appeal.ErrMissingFact, "appeal_missing_fact"},
	{appeal.ErrUnsupported, "appeal_unsupported"},
}

// GET /v1/work-items/{id}/appeal[?format=text|pdf]
func (c *call) getAppealPacket() error {
	id, err := c.pathID("id")
	if err != nil {
		return err
	}
	format := c.r.URL.Query().Get("format")
	asJSON := strings.Contains(c.r.Header.Get("Accept"), "application/json") && format == ""
	if format != "" && format != "text" && format != "pdf" {
		return badRequest("format must be pdf (the default) or text; Accept: application/json for the facts")
	}
	it, err := c.loadItem(id, false, c.s.db)
	if err != nil {
		return err
	}
	ctx := c.r.Context()
	facts, ev, err := c.s.appealFacts(ctx, it)
	var p appeal.Packet
	if err == nil {
		p, err = appeal.Build(facts, day.Of(c.s.opts.Now().UTC()))
	}
	detail := map[string]any{"format": format}
	if asJSON {
		detail["format"] = "json"
	}
	var be *appeal.BuildError
	if errors.As(err, &be) {
		code := "appeal_unbuildable"
		for _, bc := range buildErrorCodes {
			if errors.Is(be, bc.err) {
				code = bc.code
			}
		}
		detail["refused"] = code
		if aerr := c.audit(c.entry("work_item.appeal_packet", "work_item", it.ID, it.PracticeID, detail)); aerr != nil {
			return aerr
		}
		return errf(http.StatusConflict, code, "%s", be.Error())
	}
	if err != nil {
		var ae *apiError
		if errors.As(err, &ae) {
			detail["refused"] = ae.code
			if aerr := c.audit(c.entry("work_item.appeal_packet", "work_item", it.ID, it.PracticeID, detail)); aerr != nil {
				return aerr
			}
		}
		return err
	}
	detail["level"], detail["deadline"], detail["warnings"] = p.Level.Number, rdateString(p.Deadline.Date), len(p.Warnings)
	if err := c.audit(c.entry("work_item.appeal_packet", "work_item", it.ID, it.PracticeID, detail)); err != nil {
		return err
	}
	switch {
	case asJSON:
		v := PacketView{WorkItemID: it.ID, Subject: p.Subject, Level: PacketLevel(p.Level), Addressee: PacketAddressee(p.Addressee),
			Deadline: rdateString(p.Deadline.Date), DaysLeft: p.Deadline.DaysLeft, Late: p.Deadline.Late, Warnings: p.Warnings,
			Checklist: []string{}, Form: p.Form != nil, ProfileID: p.Facts.Profile.ID, LevelsUsed: p.Facts.LevelsUsed, Evidence: ev}
		if v.Warnings == nil {
			v.Warnings = []string{}
		}
		for _, ci := range p.Checklist {
			v.Checklist = append(v.Checklist, ci.Text)
		}
		for _, a := range p.Arguments {
			v.Arguments = append(v.Arguments, struct {
				Line       int      `json:"line"`
				Heading    string   `json:"heading"`
				Paragraphs []string `json:"paragraphs"`
				Sources    []string `json:"sources"`
			}{a.Line, a.Heading, a.Paragraphs, a.Sources})
		}
		for _, l := range p.Facts.Lines {
			mods := l.Modifiers
			if mods == nil {
				mods = []string{}
			}
			v.Lines = append(v.Lines, PacketLine{Number: l.Number, Date: rdateString(l.Date), Procedure: l.Procedure, Modifiers: mods,
				Billed: l.Billed, Paid: l.Paid, Category: string(l.Cause.Category)})
		}
		return c.json(http.StatusOK, v)
	case format == "text":
		c.w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		c.w.WriteHeader(http.StatusOK)
		_, err := c.w.Write([]byte(p.Text()))
		return err
	default:
		var buf bytes.Buffer
		if err := p.WritePDF(&buf); err != nil {
			return err
		}
		c.w.Header().Set("Content-Type", "application/pdf")
		c.w.Header().Set("Content-Disposition", `inline; filename="appeal-`+strconv.FormatInt(it.ID, 10)+`.pdf"`)
		c.w.WriteHeader(http.StatusOK)
		_, err := c.w.Write(buf.Bytes())
		return err
	}
}
