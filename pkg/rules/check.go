package rules

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/remitq/remitq/pkg/day"
)

// Check returns every risk on the lines of claim c, one Finding per risk,
// ordered by line and rule; nil for a clean claim. rec may be nil.
//
// History lines count when the claim's practice may see them (rec.Sharing)
// and they were not denied; lines of the same practice with the same claim
// ID as c are earlier copies of c and are ignored. Rules that compare lines
// of one date (NCCI pairs, MUE, add-ons, modifiers) look at the lines of the
// same practice on that date, this claim's and other claims'; frequency,
// prerequisites and drug-test counts look at every visible practice.
func (s *Set) Check(c *Claim, rec *Records) []Finding {
	var r Records
	if rec != nil {
		r = *rec
	}
	return s.check(c, &r)
}

// CheckClaims checks claims as one batch: each claim also sees the lines of
// the others as billed history (three RFA claims for one patient in one
// file: the third is over the cap). rec may be nil.
func (s *Set) CheckClaims(cs []*Claim, rec *Records) []Finding {
	var r Records
	if rec != nil {
		r = *rec
	}
	n := 0
	for _, c := range cs {
		n += len(c.Lines)
	}
	bh := batchHistory{base: r.History, lines: make(map[PatientKey][]*Line, n)}
	for _, c := range cs {
		for i := range c.Lines {
			l := &c.Lines[i]
			bh.lines[l.Patient] = append(bh.lines[l.Patient], l)
		}
	}
	r.History = bh
	var out []Finding
	for _, c := range cs {
		out = append(out, s.check(c, &r)...)
	}
	return out
}

// pending is a finding with the lines it involves, for suppression.
type pending struct {
	f        Finding
	order    int
	involved []*Line
	// A specific finding covers a generic finding of one of the covers
	// rules whose lines are all involved in it and touch one of anchor:
	// "77003 billed with 64483" covers the NCCI pair 64483/77003 and the
	// add-on edit on 77003, not an NCCI pair between two other lines.
	covers []string
	anchor []*Line
}

// generic rules give way to a specific finding that covers them.
var generic = map[string]bool{RuleNCCIPair: true, RuleMUE: true, RuleAddonWithoutPrimary: true}

func (s *Set) check(c *Claim, rec *Records) []Finding {
	if len(c.Lines) == 0 {
		return nil
	}
	var out []pending
	done := make([]bool, len(c.Lines))
	for i := range c.Lines {
		if done[i] {
			continue
		}
		p := &pctx{s: s, rec: rec, claim: c.ID, patient: c.Lines[i].Patient,
			practice: c.Lines[i].Practice, tin: c.Lines[i].TIN}
		for j := i; j < len(c.Lines); j++ {
			if !done[j] && c.Lines[j].Patient == p.patient {
				done[j] = true
				p.cur = append(p.cur, &c.Lines[j])
			}
		}
		p.cf = s.conf(p.cur[0])
		p.run()
		out = append(out, p.out...)
	}
	return finish(out)
}

// finish drops generic findings covered by a specific one and orders the rest.
func finish(ps []pending) []Finding {
	keep := ps[:0]
	for _, g := range ps {
		if generic[g.f.Rule] && slices.ContainsFunc(ps, func(o pending) bool {
			return slices.Contains(o.covers, g.f.Rule) && covers(o.involved, g.involved) &&
				slices.ContainsFunc(g.involved, func(l *Line) bool { return slices.Contains(o.anchor, l) })
		}) {
			continue
		}
		keep = append(keep, g)
	}
	slices.SortStableFunc(keep, func(a, b pending) int {
		return cmp.Or(cmp.Compare(a.f.Line, b.f.Line), cmp.Compare(a.order, b.order))
	})
	out := make([]Finding, len(keep))
	for i, p := range keep {
		out[i] = p.f
	}
	return out
}

func covers(big, small []*Line) bool {
	for _, l := range small {
		if !slices.Contains(big, l) {
			return false
		}
	}
	return true
}

// pctx checks the lines of one patient in one claim.
type pctx struct {
	s        *Set
	cf       *conf
	rec      *Records
	claim    string
	patient  PatientKey
	practice string
	tin      string
	cur      []*Line // lines checked
	prior    []*Line // visible, not denied, not this claim
	pool     []*Line // cur then prior

	unitsDone []*Auth // auths whose units were reported
	out       []pending
}

func (p *pctx) run() {
	p.loadPrior()
	p.lineRules()
	for _, d := range p.curDates() {
		p.dayRules(d)
	}
	p.capRules()
	p.rfaPrerequisite()
	p.scsTrial()
	p.authRules()
}

// loadPrior collects the history lines the checks may count.
func (p *pctx) loadPrior() {
	var vals []Line
	var ptrs []*Line
	switch h := p.rec.History.(type) {
	case nil:
	case batchHistory: // the batch's claims over a history: no copies
		ptrs = h.lines[p.patient]
		if h.base != nil {
			vals = h.base.Lines(p.patient)
		}
	default:
		vals = h.Lines(p.patient)
	}
	n := len(vals) + len(ptrs)
	p.pool = make([]*Line, 0, len(p.cur)+n)
	p.pool = append(p.pool, p.cur...)
	if n == 0 {
		return
	}
	p.prior = make([]*Line, 0, n)
	type key struct {
		practice, claim string
		number          int
		date            day.Day
		proc            string
	}
	var seen map[key]bool
	if n > 32 {
		seen = make(map[key]bool, n)
	}
	add := func(h *Line) {
		if h.Status == Denied || (h.Practice == p.practice && h.Claim == p.claim && p.claim != "") {
			return
		}
		if !p.rec.Sharing.May(p.practice, p.tin, h.Practice, h.TIN) {
			return
		}
		// A copy of a line being checked (a batch claim without an ID) is not history.
		if p.claim == "" && slices.ContainsFunc(p.cur, func(c *Line) bool { return c == h || sameLine(c, h) }) {
			return
		}
		// The same line from two sources (a history file and the batch) counts once.
		if seen != nil {
			k := key{h.Practice, h.Claim, h.Number, h.Date, h.Procedure}
			if seen[k] {
				return
			}
			seen[k] = true
		} else if slices.ContainsFunc(p.prior, func(o *Line) bool { return sameLine(o, h) }) {
			return
		}
		p.prior = append(p.prior, h)
	}
	for _, h := range ptrs {
		add(h)
	}
	for i := range vals {
		add(&vals[i])
	}
	p.pool = append(p.pool, p.prior...)
}

// sameLine reports whether two lines are one billed line (from two sources).
func sameLine(a, b *Line) bool {
	return a.Number == b.Number && a.Date == b.Date && a.Claim == b.Claim && a.Practice == b.Practice && a.Procedure == b.Procedure
}

func (p *pctx) curDates() []day.Day {
	var ds []day.Day
	for _, l := range p.cur {
		if !slices.Contains(ds, l.Date) {
			ds = append(ds, l.Date)
		}
	}
	return ds
}

func (p *pctx) isCur(l *Line) bool { return slices.Contains(p.cur, l) }

func (p *pctx) proc(l *Line) *Proc { return p.s.d.procs[l.Procedure] }

func (p *pctx) family(l *Line) string {
	pr := p.proc(l)
	if pr == nil {
		return ""
	}
	if pr.Family == FamilyFacet {
		if p.cf.diagMod != "" && l.HasModifier(p.cf.diagMod) {
			return FamilyFacetDiagnostic
		}
		return FamilyFacetTherapeutic
	}
	return pr.Family
}

func (p *pctx) region(l *Line) string {
	if pr := p.proc(l); pr != nil {
		return pr.Region
	}
	return ""
}

func (p *pctx) enabled(rule string) bool { return !p.cf.disabled[rule] }

// isASC reports whether a line is on an ambulatory surgical center's own
// (facility) claim: an ASC place of service billed under an ASC taxonomy.
// The physician's claim for the same service, also at POS 24, is not.
func (p *pctx) isASC(l *Line) bool { return p.cf.ascPlaces[l.POS] && p.cf.ascTax[l.Taxonomy] }

// emit records a finding on line l (a current line) involving other lines
// and returns it, for cover.
func (p *pctx) emit(rule string, sev Severity, source string, l *Line, msg string, involved ...*Line) *pending {
	info := p.s.d.rules[rule]
	if sev == "" {
		sev = info.Severity
	}
	if v, ok := p.cf.severity[rule]; ok {
		sev = v
	}
	if src, ok := p.cf.sources[rule]; ok {
		source = src + "; " + cmp.Or(source, info.Source)
	}
	f := Finding{Claim: l.Claim, Line: l.Number, Procedure: l.Procedure, Date: l.Date, Rule: rule,
		Category: info.Category, Severity: sev, Message: msg, Source: cmp.Or(source, info.Source), Profile: p.cf.label}
	inv := []*Line{l}
	for _, o := range involved {
		if o == l || slices.Contains(inv, o) {
			continue
		}
		inv = append(inv, o)
		if o.Practice == p.practice && o.Claim != "" {
			f.Related = append(f.Related, o.Ref())
		}
	}
	p.out = append(p.out, pending{f: f, order: slices.Index(ruleKeys, rule), involved: inv})
	return &p.out[len(p.out)-1]
}

// cover makes a specific finding cover generic findings of rules that touch anchor.
func (f *pending) cover(anchor []*Line, rules ...string) {
	f.anchor, f.covers = anchor, rules
}

// sameDay returns the lines of the practice on date d: this claim's and
// the practice's other claims'.
func (p *pctx) sameDay(d day.Day) []*Line {
	var out []*Line
	for _, l := range p.pool {
		if l.Date == d && l.Practice == p.practice {
			out = append(out, l)
		}
	}
	return out
}

func codes(ls []*Line) string {
	var cs []string
	for _, l := range ls {
		c := l.Procedure
		if len(l.Modifiers) > 0 {
			c += "-" + strings.Join(l.Modifiers, "-")
		}
		if !slices.Contains(cs, c) {
			cs = append(cs, c)
		}
	}
	return strings.Join(cs, ", ")
}

func units(l *Line) int64 {
	if l.Units <= 0 {
		return 1000
	}
	return int64(l.Units)
}

func fmtUnits(u int64) string {
	if u%1000 == 0 {
		return fmt.Sprint(u / 1000)
	}
	return fmt.Sprintf("%.3g", float64(u)/1000)
}

func regionWords(r string) string {
	switch r {
	case RegionCervicalThoracic:
		return "cervical/thoracic "
	case RegionLumbarSacral:
		return "lumbar/sacral "
	}
	return ""
}

func windowWords(days int) string {
	if days == 365 {
		return "12 months"
	}
	return fmt.Sprintf("%d days", days)
}

var ordinals = []string{"zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"}

func ordinal(n int) string {
	if n >= 0 && n < len(ordinals) {
		return ordinals[n]
	}
	return fmt.Sprintf("%dth", n)
}

func firstPrimary(ls []*Line, p *pctx) *Line {
	for _, l := range ls {
		if p.isCur(l) {
			if pr := p.proc(l); pr != nil && !pr.AddOn {
				return l
			}
		}
	}
	for _, l := range ls {
		if p.isCur(l) {
			return l
		}
	}
	return nil
}
