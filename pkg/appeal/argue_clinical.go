package appeal

import (
	"slices"
	"strings"

	"github.com/remitq/remitq/pkg/rules"
)

// Minimums of the facet LCD for an RFA (PAIN_RULES_NOTES §2, LCD L38801
// [LCD-CHECKLIST]): two diagnostic blocks at least 14 days apart, each
// with at least 80 % relief.
const (
	rfaBlockGapDays   = 14
	rfaBlockReliefPct = 80
)

var regionWords = map[string]string{rules.RegionCervicalThoracic: "cervical/thoracic", rules.RegionLumbarSacral: "lumbar/sacral"}

// lcd argues the coverage criteria the record meets; required says the
// LCD is the whole argument (else it adds to another).
func (a *arguer) lcd(required bool) error {
	c := a.l.Evidence.LCD
	if c == nil || c.ID == "" || len(c.Criteria) == 0 {
		if !required {
			return nil
		}
		return fail(ErrMissingFact, a.l.Number, "the LCD/NCD id and the criteria the record meets")
	}
	title := c.ID
	if c.Title != "" {
		title += " (" + c.Title + ")"
	}
	a.say(a.l.Procedure + " on " + a.l.Date.String() + " meets the coverage criteria of " + title +
		". The record documents each criterion, at the place named:")
	var b strings.Builder
	for i, cr := range c.Criteria {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("- " + cr.Text)
		if cr.Where != "" {
			b.WriteString(": " + cr.Where)
		}
	}
	a.say(b.String())
	if len(a.l.Diagnoses) > 0 {
		a.say("The diagnoses on the claim (" + strings.Join(a.l.Diagnoses, ", ") + ") are the ones the record supports for this service.")
	}
	a.cite(title)
	return nil
}

// rfa argues the two diagnostic medial branch blocks before an RFA.
func (a *arguer) rfa() error {
	l := a.l
	var blocks []Block
	for _, b := range l.Evidence.Blocks {
		if !b.Date.IsZero() && b.Date.Time().Before(l.Date.Time()) {
			blocks = append(blocks, b)
		}
	}
	slices.SortFunc(blocks, func(x, y Block) int { return x.Date.Time().Compare(y.Date.Time()) })
	if len(blocks) < 2 {
		return fail(ErrMissingFact, l.Number, "two diagnostic medial branch blocks before the RFA (dates, codes, relief)")
	}
	first, second, ok := blocks[0], Block{}, false
	for _, b := range blocks[1:] {
		if first.Date.DaysUntil(b.Date) >= rfaBlockGapDays {
			second, ok = b, true
			break
		}
	}
	if !ok {
		return fail(ErrUnsupported, l.Number, "no second diagnostic block at least 14 days after the first")
	}
	for _, b := range []Block{first, second} {
		switch {
		case b.ReliefPercent == 0:
			a.warnf("relief after the block of ", b.Date.String(), " is not recorded: attach the pain diary")
		case b.ReliefPercent < rfaBlockReliefPct:
			return fail(ErrUnsupported, l.Number, "a diagnostic block gave less than 80 % relief")
		}
	}
	at := ""
	if lv := firstNonEmpty(first.Level, second.Level); lv != "" {
		at = " at " + lv
	}
	a.say("Radiofrequency ablation " + l.Procedure + " was performed after two diagnostic medial branch blocks" + at + ": " +
		blockWords(first) + " and " + blockWords(second) + ", " + itoa(first.Date.DaysUntil(second.Date)) +
		" days apart. The facet joint interventions policy requires two diagnostic medial branch blocks, each with at least 80 % relief of the index pain, " +
		"the second at least 14 days after the first; both conditions are met, as the attached block records and pain diaries show.")
	if c := l.Evidence.LCD; c == nil || c.ID == "" {
		a.cite(facetPolicy(a.f.Profile.Plan))
		a.warn = append(a.warn, "the RFA criteria are remitq's reading of LCD L38801 (a compliance checklist, not the LCD text): confirm them on the policy of this payer's MAC or plan")
	}
	return a.lcd(false)
}

func blockWords(b Block) string {
	s := b.Date.String()
	if len(b.Codes) > 0 {
		s += " (" + strings.Join(b.Codes, ", ")
		if b.ReliefPercent > 0 {
			s += ", " + itoa(b.ReliefPercent) + " % relief"
		}
		s += ")"
	} else if b.ReliefPercent > 0 {
		s += " (" + itoa(b.ReliefPercent) + " % relief)"
	}
	return s
}

// frequency argues that the sessions in the rolling window are within the
// cap, by listing the earlier ones.
func (a *arguer) frequency() error {
	l := a.l
	p, _ := a.proc()
	if p.Family == rules.FamilyUDTPresumptive || p.Family == rules.FamilyUDTDefinitive {
		return a.udt(p)
	}
	c, ok := a.set.CapOf(l.Procedure)
	if ok {
		if v, set := a.f.Profile.Caps[c.Key]; set {
			c.Limit = v
		}
	}
	if !ok || c.Limit <= 0 {
		return fail(ErrMissingFact, l.Number, "a session cap for "+l.Procedure+" in the rules data or the payer profile")
	}
	var in, out []Procedure
	for _, pr := range l.Evidence.Prior {
		if pr.Date.IsZero() || !pr.Date.Time().Before(l.Date.Time()) {
			continue
		}
		if pr.Date.DaysUntil(l.Date) <= c.Window {
			in = appendSession(in, pr)
		} else {
			out = appendSession(out, pr)
		}
	}
	n := len(in) + 1
	if n > c.Limit {
		return fail(ErrUnsupported, l.Number, "the earlier sessions listed put this one over the cap of "+itoa(c.Limit))
	}
	region := ""
	if c.PerRegion {
		region = regionWords[p.Region]
	}
	unit := c.Name + " sessions"
	if region != "" {
		unit += " per " + region + " region"
	}
	a.say("The policy allows " + itoa(c.Limit) + " " + unit + " per rolling " + window(c.Window) + ". " + a.sessionList(in, region, c.Window) +
		" The session of " + l.Date.String() + " is number " + itoa(n) + " of " + itoa(c.Limit) + ", within the limit.")
	if len(out) > 0 {
		a.say("Earlier sessions outside the window, which do not count: " + sessions(out) + ".")
	}
	a.say("If the payer counted a session on another date, in another region or of another kind, we ask that it be removed from the count and the line paid.")
	a.cite(c.Source)
	return nil
}

func (a *arguer) sessionList(in []Procedure, region string, days int) string {
	where := ""
	if region != "" {
		where = " " + region
	}
	if len(in) == 0 {
		return "In the " + window(days) + " before " + a.l.Date.String() + " the patient had no earlier" + where + " session."
	}
	return "In the " + window(days) + " before " + a.l.Date.String() + " the patient had " + itoa(len(in)) + " earlier" + where +
		" session(s): " + sessions(in) + "."
}

// udt argues one drug test of its kind on the date.
func (a *arguer) udt(p rules.Proc) error {
	l := a.l
	for _, pr := range l.Evidence.Prior {
		if pr.Date == l.Date && slices.ContainsFunc(pr.Codes, func(c string) bool {
			q, _ := a.set.Procedure(c)
			return q.Family == p.Family
		}) {
			return fail(ErrUnsupported, l.Number, "another drug test of the same kind is listed on the date of service")
		}
	}
	kind := "presumptive"
	if p.Family == rules.FamilyUDTDefinitive {
		kind = "definitive"
	}
	a.say(l.Procedure + " was the only " + kind + " drug test for the patient on " + l.Date.String() +
		": the limit of one " + kind + " test per date of service is not exceeded. The physician's order and the result are attached.")
	a.cite("NCCI MUE " + l.Procedure + " = 1 per day")
	return nil
}

func appendSession(ss []Procedure, p Procedure) []Procedure {
	for i := range ss {
		if ss[i].Date == p.Date {
			ss[i].Codes = appendNew(ss[i].Codes, p.Codes...)
			return ss
		}
	}
	return append(ss, Procedure{Date: p.Date, Codes: slices.Clone(p.Codes), Level: p.Level})
}

func sessions(ss []Procedure) string {
	slices.SortFunc(ss, func(x, y Procedure) int { return x.Date.Time().Compare(y.Date.Time()) })
	var parts []string
	for _, s := range ss {
		w := s.Date.String()
		if len(s.Codes) > 0 || s.Level != "" {
			w += " (" + strings.Join(appendNew(slices.Clone(s.Codes), s.Level), ", ") + ")"
		}
		parts = append(parts, w)
	}
	return strings.Join(parts, ", ")
}

func window(days int) string {
	if days == 365 {
		return "12 months"
	}
	return itoa(days) + " days"
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// facetPolicy names the facet policy to cite when the caller named none:
// the Medicare LCD for Medicare and Medicare Advantage (which follow
// Medicare coverage rules), the payer's own policy otherwise.
func facetPolicy(plan string) string {
	if plan == rules.PlanMedicare || plan == rules.PlanMedicareAdvantage {
		return "LCD L38801, Facet Joint Interventions for Pain Management"
	}
	return "the plan's facet joint interventions policy (criteria as in Medicare LCD L38801)"
}
