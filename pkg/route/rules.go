package route

import (
	"strings"

	"github.com/remitq/remitq/carc"
	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/rules"
)

// BilledLookup finds the billed line a routed line settles, with its patient key,
// in the form the pain rules read. Services fill it per batch from the
// database; the offline command from the 837 files.
type BilledLookup interface {
	BilledLine(l *Line) (rules.Line, bool)
}

// RulesSharpener is a Sharpener that asks the pain rules (rules.Set.Explain)
// for the root cause of a denial: the rule that explains the decisive CARC on
// the billed line, with the patient's history as the practice may see it.
//
// It answers only for denials and partial denials, and only when the CARC is
// one the rules map (carc_rules.csv: 119, 197, 97, 4, 50, ...) or the codes
// left the category at "other": a specific code reading (CO-16 with N290, a
// missing rendering NPI) is not replaced by an unrelated finding on the same
// line. Safe for concurrent use when Lines and Records are.
type RulesSharpener struct {
	// Rules is the rule set; nil uses rules.Default().
	Rules *rules.Set
	// Lines finds the billed line of a routed line; nil answers nothing.
	Lines BilledLookup
	// Records are the history, authorizations, relief records and sharing
	// policy the rules read.
	Records rules.Records
}

// RulePrefix starts Decision.Rule when the pain rules decided the category:
// "rules/frequency_cap".
const RulePrefix = "rules/"

// Sharpen implements Sharpener.
func (s *RulesSharpener) Sharpen(l Line, d Decision) (Sharpening, bool) {
	if d.Disposition != Denied && d.Disposition != PartiallyDenied || d.Decisive == "" || s.Lines == nil {
		return Sharpening{}, false
	}
	set := s.Rules
	if set == nil {
		set = rules.Default()
	}
	if !set.ExplainsCARC(d.Decisive) && d.Category != carc.Other {
		return Sharpening{}, false
	}
	bl, ok := s.Lines.BilledLine(&l)
	if !ok {
		return Sharpening{}, false
	}
	f, ok := set.ExplainCodes(bl, d.Decisive, d.RARC, &s.Records)
	if !ok || !carc.Category(f.Category).Valid() {
		return Sharpening{}, false
	}
	return Sharpening{Category: carc.Category(f.Category), Reason: f.Message, Rule: RulePrefix + f.Rule}, true
}

// ProfileFromRules is the router's view of a payer profile: its first appeal
// window, timely filing, correction route and bilateral form, with their
// sources. nil gives the zero PayerProfile (remitq's defaults).
func ProfileFromRules(p *rules.Profile) PayerProfile {
	if p == nil {
		return PayerProfile{}
	}
	rp := PayerProfile{Name: p.Name, ID: p.Label(), Plan: p.Plan, TimelyFilingDays: p.TimelyFiling.Days,
		TimelyFilingSource: p.TimelyFiling.Source, Correction: p.Correction, CorrectionSource: p.CorrectionSource,
		Bilateral: p.Bilateral}
	if a, ok := p.FirstAppeal(); ok {
		rp.AppealDays, rp.AppealName, rp.AppealSource = a.Days, a.Name, a.Source
	}
	if p.Reopening != nil {
		rp.ReopeningDays = p.Reopening.Days
	}
	var c []string
	for _, v := range []string{p.Contact.Phone, p.Contact.Portal, p.Contact.Fax, p.Contact.AppealAddress} {
		if v != "" {
			c = append(c, v)
		}
	}
	rp.Contact = strings.Join(c, "; ")
	return rp
}

// PayersFromRules maps each payer ID to its route profile on date asOf: the
// payer's mapping in ps, else none (the payer is left out). Payer IDs of
// the 835 (N1*PR N104, REF*2U) and the 837 (NM1*PR NM109) are the keys.
func PayersFromRules(ps *rules.Profiles, payerIDs []string, asOf day.Day) map[string]PayerProfile {
	out := map[string]PayerProfile{}
	if ps == nil {
		return out
	}
	for _, id := range payerIDs {
		if p := ps.Resolve(id, "", "", asOf); p != nil {
			out[id] = ProfileFromRules(p)
		}
	}
	return out
}

// BilledLines is an in-memory BilledLookup: billed lines by database id, else by
// practice key, claim (CLM01) and line number (LX), as Match names
// them.
type BilledLines struct {
	byID  map[int64]rules.Line
	byRef map[lineRef]rules.Line
}

type lineRef struct {
	practice, claim string
	line            int
}

// NewBilledLines returns an empty BilledLines.
func NewBilledLines() *BilledLines {
	return &BilledLines{byID: map[int64]rules.Line{}, byRef: map[lineRef]rules.Line{}}
}

// Add records a billed line under its database id (0: none) and under
// practice + its claim and number. practice is the key the routed lines
// carry (Line.PracticeID), which may differ from l.Practice.
func (x *BilledLines) Add(practice string, id int64, l rules.Line) {
	if id != 0 {
		x.byID[id] = l
	}
	x.byRef[lineRef{practice, l.Claim, l.Number}] = l
}

// Len returns the number of lines added.
func (x *BilledLines) Len() int { return len(x.byRef) }

// BilledLine implements BilledLookup.
func (x *BilledLines) BilledLine(l *Line) (rules.Line, bool) {
	if id := l.Match.BilledLineID; id != 0 {
		if b, ok := x.byID[id]; ok {
			return b, true
		}
	}
	if l.Match.BilledLine == 0 {
		return rules.Line{}, false
	}
	claim := l.Match.BilledClaim
	if claim == "" {
		claim = l.ClaimID
	}
	b, ok := x.byRef[lineRef{l.PracticeID, claim, l.Match.BilledLine}]
	return b, ok
}
