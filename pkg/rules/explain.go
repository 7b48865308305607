package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/remitq/remitq/pkg/day"
)

// Explain finds the root cause of a denial for the router: the rule that
// explains CARC carc on the denied line, with a sentence a biller can read
// (dates, and "at another practice" where the sharing policy lets the
// practice see that history) and a category key from DESIGN.md. carc may
// carry its group ("CO-119"). The denied line's claim is rebuilt from the
// history (lines of the same practice with the same claim ID).
//
// Only rules consistent with the CARC are considered (carc_rules.csv); for
// a CARC the map does not know, any deny finding on the line. When a
// frequency CARC (119, 151, ...) finds no cap exceeded in the visible
// history, the payer's own signal is reported instead, with the sessions
// the practice can see. It returns false when no rule explains the denial.
func (s *Set) Explain(denied Line, carc string, rec *Records) (Finding, bool) {
	return s.ExplainCodes(denied, carc, nil, rec)
}

// unitsRemarks say a CARC 151 is about units or levels on the day (the
// MUE), frequencyRemarks that it is about sessions in a period.
var (
	unitsRemarks     = []string{"N362"}
	frequencyRemarks = []string{"N640", "M86", "N435", "M90", "N115"}
)

// ExplainCodes is Explain with the remark codes of the denial: CARC 151
// with N362 (and no frequency remark) is a units or levels denial, read by
// the MUE and units rules only, never as a session cap reached.
func (s *Set) ExplainCodes(denied Line, carc string, rarcs []string, rec *Records) (Finding, bool) {
	var r Records
	if rec != nil {
		r = *rec
	}
	if _, code, ok := strings.Cut(carc, "-"); ok {
		carc = code
	}
	carc = strings.ToUpper(strings.TrimSpace(carc))
	c := &Claim{ID: denied.Claim, Lines: []Line{denied}}
	if r.History != nil && denied.Claim != "" {
		for _, h := range r.History.Lines(denied.Patient) {
			if h.Practice == denied.Practice && h.Claim == denied.Claim && h.Number != denied.Number &&
				!slices.ContainsFunc(c.Lines, func(l Line) bool { return l.Number == h.Number }) {
				h.Status = Billed
				c.Lines = append(c.Lines, h)
			}
		}
	}
	fs := s.check(c, &r)
	want, known := s.d.carc[carc]
	units := carc == "151" && slices.ContainsFunc(rarcs, func(x string) bool { return slices.Contains(unitsRemarks, x) }) &&
		!slices.ContainsFunc(rarcs, func(x string) bool { return slices.Contains(frequencyRemarks, x) })
	if units {
		want = []string{RuleMUE, RuleTriggerPointUnits, RuleUDTDuplicate, RuleBilateralStyle}
	}
	on := func(f Finding) bool {
		return f.Claim == denied.Claim && f.Line == denied.Number ||
			slices.Contains(f.Related, LineRef{Claim: denied.Claim, Line: denied.Number})
	}
	if known {
		for _, rule := range want {
			for _, f := range fs {
				if f.Rule == rule && on(f) {
					return f, true
				}
			}
		}
		// Only a frequency code (119, 151, 273, ...) is the payer's own
		// signal that a cap was reached; 50 or 96 may mean a cap but do not
		// say so.
		if len(want) > 0 && want[0] == RuleFrequencyCap && !units {
			return s.payerSignal(denied, carc, &r)
		}
		return Finding{}, false
	}
	for _, sev := range []Severity{Deny, Warn} {
		for _, f := range fs {
			if f.Severity == sev && on(f) {
				return f, true
			}
		}
	}
	return Finding{}, false
}

// payerSignal reports a frequency denial the visible history cannot
// explain: the payer counts sessions this practice cannot see.
func (s *Set) payerSignal(denied Line, carc string, rec *Records) (Finding, bool) {
	p := &pctx{s: s, cf: s.conf(&denied), practice: denied.Practice}
	fam, region := p.family(&denied), p.region(&denied)
	var cr *capRule
	for i := range p.cf.caps {
		if slices.Contains(p.cf.caps[i].Families, fam) {
			cr = &p.cf.caps[i]
			break
		}
	}
	if cr == nil {
		return Finding{}, false
	}
	if !cr.PerRegion {
		region = ""
	}
	var dates []string
	for _, u := range s.Usage(denied.Patient, denied.Practice, denied.TIN, denied.Payer, denied.Date, rec) {
		if u.Cap != cr.Key || u.Region != region {
			continue
		}
		for _, ss := range u.Sessions {
			if ss.Status != Denied && ss.Date < denied.Date {
				w := ""
				if ss.OtherPractice {
					w = " at another practice"
				}
				dates = append(dates, ss.Date.String()+w)
			}
		}
	}
	seen := "none"
	if len(dates) > 0 {
		seen = strings.Join(dates, ", ")
	}
	info := s.d.rules[RuleFrequencyCap]
	return Finding{Claim: denied.Claim, Line: denied.Number, Procedure: denied.Procedure, Date: denied.Date,
		Rule: RuleFrequencyCap, Category: info.Category, Severity: Deny,
		Message: fmt.Sprintf("the payer reports the %s limit reached (CARC %s); %d earlier %s%s session(s) in %s are visible to this practice (%s): the others are in history this practice may not see (another practice or payer)",
			windowWords(cr.Window), carc, len(dates), regionWords(region), cr.Name, windowWords(cr.Window), seen),
		Source: "payer CARC " + carc + "; " + cr.Source}, true
}

// Usage is a patient's sessions of one capped family group in one region
// over the rolling window ending on a date, as one practice may see them.
type Usage struct {
	Cap        string         `json:"cap"` // caps.csv key
	Name       string         `json:"name"`
	Region     string         `json:"region,omitempty"`
	Limit      int            `json:"limit"`
	WindowDays int            `json:"window_days"`
	Counted    int            `json:"counted"` // billed or paid sessions: what counts against the limit
	Paid       int            `json:"paid"`    // sessions with a paid line
	Sessions   []UsageSession `json:"sessions"`
	Source     string         `json:"source"`
}

// UsageSession is one session in a Usage.
type UsageSession struct {
	Date          day.Day  `json:"date"`
	OtherPractice bool     `json:"other_practice,omitempty"`
	Status        Status   `json:"status"` // paid if a line was paid, denied if all were, else billed
	Codes         []string `json:"codes"`
}

// MarshalText writes billed, paid or denied.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Usage returns, for a patient as the given practice may see them (with
// rec.Sharing), the sessions billed, paid and denied per capped family and
// region in the rolling window of each cap ending on asOf, for a payer's
// caps. Groups without sessions are left out.
func (s *Set) Usage(patient PatientKey, practice, tin, payer string, asOf day.Day, rec *Records) []Usage {
	if rec == nil || rec.History == nil {
		return nil
	}
	p := &pctx{s: s, cf: s.conf(&Line{Payer: payer, Date: asOf}), practice: practice}
	var lines []*Line
	hist := rec.History.Lines(patient)
	for i := range hist {
		if rec.Sharing.May(practice, tin, hist[i].Practice, hist[i].TIN) {
			lines = append(lines, &hist[i])
		}
	}
	var out []Usage
	for _, cr := range p.cf.caps {
		byRegion := map[string]*Usage{}
		var order []string
		for _, l := range lines {
			if !slices.Contains(cr.Families, p.family(l)) || !inWindow(l.Date, asOf, cr.Window) {
				continue
			}
			r := ""
			if cr.PerRegion {
				r = p.region(l)
			}
			u := byRegion[r]
			if u == nil {
				u = &Usage{Cap: cr.Key, Name: cr.Name, Region: r, Limit: cr.Cap, WindowDays: cr.Window, Source: cr.Source}
				byRegion[r] = u
				order = append(order, r)
			}
			i := slices.IndexFunc(u.Sessions, func(ss UsageSession) bool {
				return ss.Date == l.Date && ss.OtherPractice == (l.Practice != practice)
			})
			if i < 0 {
				u.Sessions = append(u.Sessions, UsageSession{Date: l.Date, OtherPractice: l.Practice != practice, Status: l.Status})
				i = len(u.Sessions) - 1
			}
			ss := &u.Sessions[i]
			if !slices.Contains(ss.Codes, l.Procedure) {
				ss.Codes = append(ss.Codes, l.Procedure)
			}
			switch {
			case l.Status == Paid || ss.Status == Paid:
				ss.Status = Paid
			case l.Status == Billed || ss.Status == Billed:
				ss.Status = Billed
			}
		}
		slices.Sort(order)
		for _, r := range order {
			u := byRegion[r]
			slices.SortFunc(u.Sessions, func(a, b UsageSession) int { return int(a.Date - b.Date) })
			for _, ss := range u.Sessions {
				if ss.Status != Denied {
					u.Counted++
				}
				if ss.Status == Paid {
					u.Paid++
				}
			}
			out = append(out, *u)
		}
	}
	return out
}

// ExplainsCARC reports whether carc ("119" or "CO-119") is in the
// CARC-to-rule map (carc_rules.csv): Explain then only considers the rules
// the code can mean. For other CARCs Explain takes any deny finding on the
// line, which a caller may not want when the codes already name a specific
// cause (CO-16 with N290 is a missing NPI, whatever else is wrong).
func (s *Set) ExplainsCARC(carc string) bool {
	if _, code, ok := strings.Cut(carc, "-"); ok {
		carc = code
	}
	_, ok := s.d.carc[strings.ToUpper(strings.TrimSpace(carc))]
	return ok
}
