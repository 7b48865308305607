package apisvc

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/rules"
	"github.com/remitq/remitq/pkg/rulesstore"
)

// Evidence (issue 17): what a biller needs to work a frequency or
// authorization denial, read from the history and the records the router
// uses (pkg/rulesstore) under the sharing policy: the patient's prior
// procedures in the item's spinal region over the 12 months before its
// service date, and the prior authorizations on file with whether each
// covers the line. The patient is found server-side from the item's billed
// claim: no patient key, member id or birth date is asked for or shown.
// A line or auth of another practice (visible only when the sharing policy
// allows) is shown without its practice, claim or number detail beyond
// what judges the line: its date, codes and whether it was paid.

// EvidenceProcedure is one prior procedure session line.
type EvidenceProcedure struct {
	Date          string   `json:"date"`
	ProcedureCode string   `json:"procedure_code"`
	Modifiers     []string `json:"modifiers"`
	Family        string   `json:"family"`
	Status        string   `json:"status"` // billed, paid, denied
	// OwnPractice: billed by the item's practice (else by a practice the
	// sharing policy lets it see; then no claim id is shown).
	OwnPractice   bool   `json:"own_practice"`
	BilledClaimID *int64 `json:"billed_claim_id,omitempty"`
	LineNumber    int    `json:"line_number,omitempty"`
}

// EvidenceAuth is a prior authorization on file for the patient.
type EvidenceAuth struct {
	Number      string   `json:"number"`
	ValidFrom   string   `json:"valid_from"`
	ValidTo     string   `json:"valid_to"`
	Codes       []string `json:"codes"`
	Units       int      `json:"units"`
	OwnPractice bool     `json:"own_practice"`
	// Covers: the auth lists the line's code, its dates hold the service
	// date, and its payer and provider (when it names them) are the line's.
	Covers bool `json:"covers"`
	// Gaps say why it does not cover the line.
	Gaps []string `json:"gaps"`
	// Billed: the line (or its claim) carried this number.
	Billed bool `json:"billed"`
}

// Evidence is the answer of GET /v1/work-items/{id}/evidence.
type Evidence struct {
	WorkItemID    int64   `json:"work_item_id"`
	ProcedureCode string  `json:"procedure_code"`
	ServiceDate   day.Day `json:"service_date"`
	Region        string  `json:"region"`
	Family        string  `json:"family"`
	// Window is the rolling window the prior procedures are read over.
	WindowFrom string              `json:"window_from"`
	WindowTo   string              `json:"window_to"`
	Prior      []EvidenceProcedure `json:"prior_procedures"`
	// Sessions counts the prior sessions (dates) of the item's family in
	// the region, as the caps count them.
	Sessions int `json:"sessions_same_family"`
	// BilledAuthorization is the number the line (or claim) was billed
	// with; "" when none.
	BilledAuthorization string         `json:"billed_authorization"`
	Auths               []EvidenceAuth `json:"auths"`
	// Covered: an auth on file covers the line.
	Covered bool `json:"covered"`
	// PatientKnown: the billed claim identifies the patient (a patient
	// key, or a member id); without it nothing can be read.
	PatientKnown bool   `json:"patient_known"`
	Sharing      string `json:"sharing"` // what the policy let count: own_practice, or shared
	// internal: for the appeal packet.
	auths []rules.Auth
	prior []rules.Line
	key   rules.PatientKey
	me    string // the item's practice, as rules.Sharing names it
	tin   string
	share *rules.Sharing
}

type evidencePatient struct {
	BilledClaimID int64          `db:"id"`
	PCN           string         `db:"patient_control_number"`
	PracticeID    int64          `db:"practice_id"`
	TIN           string         `db:"tin"`
	Key           []byte         `db:"patient_key"`
	Member        sql.NullString `db:"phi_member_id"`
	Birth         sql.NullString `db:"birth"`
	Payer         string         `db:"payer_code"`
	Rendering     string         `db:"rendering_npi"`
	Auth          string         `db:"auth"`
}

// evidence reads the item's evidence. it is an item already read in the
// caller's scope.
func (s *Service) evidence(ctx context.Context, it *WorkItem) (*Evidence, error) {
	ev := &Evidence{WorkItemID: it.ID, ProcedureCode: it.ProcedureCode, ServiceDate: it.ServiceDate,
		Prior: []EvidenceProcedure{}, Auths: []EvidenceAuth{}, Sharing: "own_practice"}
	set := rules.Default()
	proc, known := set.Procedure(it.ProcedureCode)
	if known {
		ev.Region, ev.Family = proc.Region, proc.Family
	}
	if it.BilledClaimID == nil {
		return ev, nil
	}
	var p evidencePatient
	err := s.db.GetContext(ctx, &p, `SELECT bc.id, bc.patient_control_number, bc.practice_id, coalesce(pr.tin, bc.billing_tin, '') AS tin, bc.patient_key,
		bc.phi_member_id, to_char(bc.phi_birth_date, 'YYYY-MM-DD') AS birth, bc.payer_code, coalesce(bc.rendering_npi, '') AS rendering_npi,
		coalesce((SELECT nullif(bl.prior_authorization, '') FROM billed_lines bl WHERE bl.id = $2), bc.prior_authorization, '') AS auth
		FROM billed_claims bc LEFT JOIN practices pr ON pr.id = bc.practice_id
		WHERE bc.id = $1 AND bc.practice_id = $3`, *it.BilledClaimID, it.BilledLineID, it.PracticeID)
	if errors.Is(err, sql.ErrNoRows) {
		return ev, nil
	}
	if err != nil {
		return nil, err
	}
	ev.BilledAuthorization = p.Auth
	var key rules.PatientKey
	if len(p.Key) == len(key) {
		copy(key[:], p.Key)
	}
	if key.IsZero() && (!p.Member.Valid || p.Member.String == "") {
		return ev, nil
	}
	ev.PatientKnown = true
	policy, err := rulesstore.LoadPolicy(ctx, s.db)
	if err != nil {
		return nil, err
	}
	sh := policy.Sharing()
	me := strconv.FormatInt(p.PracticeID, 10)
	ev.key, ev.me, ev.tin, ev.share = key, me, p.TIN, sh
	asOf := time.Now().UTC()
	if !it.ServiceDate.IsZero() {
		asOf = it.ServiceDate.Time()
	}
	from, to := asOf.AddDate(-1, 0, 0), asOf
	ev.WindowFrom, ev.WindowTo = from.Format(time.DateOnly), to.Format(time.DateOnly)
	if ev.Region != "" {
		fd, _ := day.ParseSet(ev.WindowFrom)
		td, _ := day.ParseSet(ev.WindowTo)
		h, err := rulesstore.LoadHistory(ctx, s.db, []rulesstore.Patient{{Key: key, MemberID: p.Member.String, BirthDate: p.Birth.String}},
			rulesstore.HistoryOptions{From: fd, To: td})
		if err != nil {
			return nil, err
		}
		sessions := map[string]bool{}
		for _, l := range h.Lines(h.Key(0)) {
			if l.Claim == "" {
				continue
			}
			pr, ok := set.Procedure(l.Procedure)
			if !ok || pr.Region != ev.Region {
				continue
			}
			if !sh.May(me, p.TIN, l.Practice, l.TIN) {
				continue
			}
			own := l.Practice == me
			if !own {
				ev.Sharing = "shared"
			}
			if own && (l.Claim == p.PCN || l.Claim == it.PatientControlNumber) {
				continue // the item's own claim
			}
			e := EvidenceProcedure{Date: l.Date.String(), ProcedureCode: l.Procedure, Modifiers: slices.Clone(l.Modifiers),
				Family: pr.Family, Status: statusWord(l.Status), OwnPractice: own}
			if e.Modifiers == nil {
				e.Modifiers = []string{}
			}
			if own {
				e.LineNumber = l.Number
			}
			ev.Prior = append(ev.Prior, e)
			ev.prior = append(ev.prior, l)
			if pr.Family == ev.Family && l.Status != rules.Denied {
				sessions[l.Date.String()] = true
			}
		}
		slices.SortFunc(ev.Prior, func(a, b EvidenceProcedure) int {
			if a.Date != b.Date {
				if a.Date > b.Date {
					return -1
				}
				return 1
			}
			return a.LineNumber - b.LineNumber
		})
		ev.Sessions = len(sessions)
	}
	if key.IsZero() {
		return ev, nil
	}
	stored, err := rulesstore.LoadAuths(ctx, s.db, rulesstore.AuthFilter{Patients: []rules.PatientKey{key}})
	if err != nil {
		return nil, err
	}
	dy, _ := day.ParseSet(asOf.Format(time.DateOnly))
	for _, st := range stored {
		if !sh.May(me, p.TIN, strconv.FormatInt(st.PracticeID, 10), st.TIN) {
			continue
		}
		a := st.Auth
		ea := EvidenceAuth{Number: a.Number, ValidFrom: a.From.String(), ValidTo: a.To.String(), Codes: slices.Clone(a.Codes),
			Units: a.Units, OwnPractice: st.PracticeID == p.PracticeID, Gaps: []string{}, Billed: p.Auth != "" && p.Auth == a.Number}
		if ea.Codes == nil {
			ea.Codes = []string{}
		}
		if !ea.OwnPractice {
			ev.Sharing = "shared"
		}
		if !slices.Contains(a.Codes, it.ProcedureCode) {
			ea.Gaps = append(ea.Gaps, "does not list "+it.ProcedureCode)
		}
		if !it.ServiceDate.IsZero() && (dy < a.From || dy > a.To) {
			ea.Gaps = append(ea.Gaps, "not valid on the service date")
		}
		if a.Payer != "" && p.Payer != "" && a.Payer != p.Payer {
			ea.Gaps = append(ea.Gaps, "issued by another payer")
		}
		if a.NPI != "" && p.Rendering != "" && a.NPI != p.Rendering {
			ea.Gaps = append(ea.Gaps, "issued for another rendering provider")
		}
		ea.Covers = len(ea.Gaps) == 0
		ev.Covered = ev.Covered || ea.Covers
		ev.Auths = append(ev.Auths, ea)
		ev.auths = append(ev.auths, a)
	}
	return ev, nil
}

func statusWord(s rules.Status) string {
	switch s {
	case rules.Paid:
		return "paid"
	case rules.Denied:
		return "denied"
	}
	return "billed"
}

// GET /v1/work-items/{id}/evidence (PHI: the patient's history; audited).
func (c *call) getEvidence() error {
	id, err := c.pathID("id")
	if err != nil {
		return err
	}
	it, err := c.loadItem(id, false, c.s.db)
	if err != nil {
		return err
	}
	ev, err := c.s.evidence(c.r.Context(), it)
	if err != nil {
		return err
	}
	if err := c.audit(c.entry("work_item.evidence", "work_item", it.ID, it.PracticeID, map[string]any{"prior": len(ev.Prior),
		"auths": len(ev.Auths), "sharing": ev.Sharing})); err != nil {
		return err
	}
	return c.json(http.StatusOK, ev)
}
