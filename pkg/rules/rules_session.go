package rules

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/remitq/remitq/pkg/day"
)

// session is the lines of one family group billed by one practice on one date.
type session struct {
	date     day.Day
	practice string
	lines    []*Line
}

func (s *session) hasCur(p *pctx) bool { return slices.ContainsFunc(s.lines, p.isCur) }

// sessions groups the pool lines that match by (date, practice), oldest first.
func (p *pctx) sessions(match func(*Line) bool) []*session {
	var out []*session
	for _, l := range p.pool {
		if !match(l) {
			continue
		}
		i := slices.IndexFunc(out, func(s *session) bool { return s.date == l.Date && s.practice == l.Practice })
		if i < 0 {
			out = append(out, &session{date: l.Date, practice: l.Practice})
			i = len(out) - 1
		}
		out[i].lines = append(out[i].lines, l)
	}
	slices.SortStableFunc(out, func(a, b *session) int {
		return cmp.Or(cmp.Compare(a.date, b.date), cmp.Compare(a.practice, b.practice))
	})
	return out
}

func (p *pctx) sessionWhere(s *session) string {
	if s.practice != p.practice {
		return " at another practice"
	}
	return ""
}

// capRules checks the session caps per region per rolling window.
func (p *pctx) capRules() {
	if !p.enabled(RuleFrequencyCap) {
		return
	}
	for i := range p.cf.caps {
		cr := &p.cf.caps[i]
		if cr.Cap <= 0 {
			continue
		}
		var regions []string
		for _, l := range p.cur {
			if slices.Contains(cr.Families, p.family(l)) && !slices.Contains(regions, p.region(l)) {
				regions = append(regions, p.region(l))
			}
		}
		for _, r := range regions {
			ss := p.sessions(func(l *Line) bool {
				return slices.Contains(cr.Families, p.family(l)) && (!cr.PerRegion || p.region(l) == r)
			})
			for _, s := range ss {
				if s.hasCur(p) {
					p.capSession(cr, r, s, ss)
				}
			}
		}
	}
}

func (p *pctx) capSession(cr *capRule, region string, s *session, all []*session) {
	var prior []*session
	for _, o := range all {
		if o != s && inWindow(o.date, s.date, cr.Window) {
			prior = append(prior, o)
		}
	}
	n := len(prior) + 1
	if n <= cr.Cap {
		return
	}
	on := firstPrimary(s.lines, p)
	var dates []string
	var involved []*Line
	for _, o := range prior {
		dates = append(dates, o.date.String()+p.sessionWhere(o))
		involved = append(involved, o.lines[0])
	}
	reg := ""
	if cr.PerRegion {
		reg = regionWords(region)
	}
	p.emit(RuleFrequencyCap, cr.Severity, cr.Source, on, fmt.Sprintf("%s %s%s session in %s, over the cap of %d (%s)",
		ordinal(n), reg, cr.Name, windowWords(cr.Window), cr.Cap, strings.Join(dates, ", ")), append(s.lines, involved...)...)
}

// isDiagBlock reports whether a line may serve as a diagnostic medial
// branch block before RFA.
func (p *pctx) isDiagBlock(l *Line) bool {
	pr := p.proc(l)
	return pr != nil && pr.Family == FamilyFacet && (p.cf.diagMod == "" || l.HasModifier(p.cf.diagMod))
}

// rfaPrerequisite checks that each RFA session follows the diagnostic blocks
// the LCD asks for, or repeats an RFA of the same region within the repeat window.
func (p *pctx) rfaPrerequisite() {
	if !p.enabled(RuleRFAPrerequisite) || p.cf.rfaBlocks <= 0 {
		return
	}
	var regions []string
	for _, l := range p.cur {
		if p.family(l) == FamilyRFA && !slices.Contains(regions, p.region(l)) {
			regions = append(regions, p.region(l))
		}
	}
	for _, r := range regions {
		rfas := p.sessions(func(l *Line) bool { return p.family(l) == FamilyRFA && p.region(l) == r })
		for _, s := range rfas {
			if s.hasCur(p) {
				p.rfaSession(r, s, rfas)
			}
		}
	}
}

// sessionSide is the side of a session's current (else any) lines: LT or
// RT when every line carries that one, "" when both sides or unknown.
func sessionSide(s *session, p *pctx) string {
	side := ""
	for _, l := range s.lines {
		var this string
		switch lt, rt := l.HasModifier("LT"), l.HasModifier("RT"); {
		case lt && !rt:
			this = "LT"
		case rt && !lt:
			this = "RT"
		default:
			return ""
		}
		if side != "" && this != side {
			return ""
		}
		side = this
	}
	return side
}

// sameSide reports whether two sessions may have treated the same side.
func sameSide(a, b string) bool { return a == "" || b == "" || a == b }

// rfaRepeatRelief checks a repeat RFA at the same site against the relief
// the last one gave: >= 50 % for >= 6 months (LCD L38801). A repeat sooner
// than 6 months cannot show it; a later one needs the relief on record,
// which remitq sees only as a relief record on the last RFA's date.
func (p *pctx) rfaRepeatRelief(region, level string, s, last *session) {
	if !p.enabled(RuleRFARepeatRelief) {
		return
	}
	on := firstPrimary(s.lines, p)
	reg, lv := regionWords(region), ""
	if level != "" {
		lv = " at " + level
	}
	gap := int(s.date - last.date)
	involved := append(slices.Clone(s.lines), last.lines[0])
	// The site is known when both sessions name their level: otherwise the
	// repeat may be another level, and only a warning is sure.
	known := level != "" && sessionLevel(last, p) != ""
	switch pct, ok := p.rec.Relief.find(p.patient, last.date, level); {
	case gap < p.cf.rfaRepeatMin && known:
		p.emit(RuleRFARepeatRelief, Deny, "", on, fmt.Sprintf(
			"repeat %sRFA%s on %s only %d days after the RFA of %s%s at the same site: a repeat needs >= %d %% relief lasting >= 6 months (%d days) after the last one",
			reg, lv, s.date, gap, last.date, p.sessionWhere(last), p.cf.rfaRepeatPct, p.cf.rfaRepeatMin), involved...)
	case !known:
		// The site is unknown: two RFA sessions within the cap are often the
		// two sides or two levels; saying nothing keeps the check quiet on
		// claims the payer pays.
	case ok && pct < p.cf.rfaRepeatPct:
		p.emit(RuleRFARepeatRelief, Deny, "", on, fmt.Sprintf(
			"repeat %sRFA%s on %s: the RFA of %s%s gave %d %% relief, under the %d %% (for >= 6 months) a repeat needs",
			reg, lv, s.date, last.date, p.sessionWhere(last), pct, p.cf.rfaRepeatPct), involved...)
	case !ok:
		p.emit(RuleRFARepeatRelief, Warn, "", on, fmt.Sprintf(
			"repeat %sRFA%s on %s after the RFA of %s%s: a repeat needs >= %d %% relief lasting >= 6 months; no relief record for that RFA: record the relief from the chart (relief record dated %s) to clear this",
			reg, lv, s.date, last.date, p.sessionWhere(last), p.cf.rfaRepeatPct, last.date), involved...)
	}
}

func sessionLevel(s *session, p *pctx) string {
	for _, l := range s.lines {
		if l.Level != "" && p.isCur(l) {
			return l.Level
		}
	}
	for _, l := range s.lines {
		if l.Level != "" {
			return l.Level
		}
	}
	return ""
}

func (p *pctx) rfaSession(region string, s *session, rfas []*session) {
	level := sessionLevel(s, p)
	var prev *session
	for _, o := range rfas {
		if o.date < s.date && inWindow(o.date, s.date, p.cf.rfaRepeat) && sameLevel(level, sessionLevel(o, p)) &&
			sameSide(sessionSide(s, p), sessionSide(o, p)) {
			prev = o // a repeat RFA: the blocks were done before the first one
		}
	}
	if prev != nil {
		p.rfaRepeatRelief(region, level, s, prev)
		return
	}
	blocks := p.sessions(func(l *Line) bool {
		return p.isDiagBlock(l) && p.region(l) == region && l.Date < s.date &&
			inWindow(l.Date, s.date, p.cf.rfaLook) && sameLevel(level, l.Level)
	})
	// Merge blocks of one date at two practices: a date is one block.
	var good []day.Day
	var notes []string
	for _, b := range blocks {
		if len(good) > 0 && good[len(good)-1] == b.date {
			continue
		}
		if pct, ok := p.rec.Relief.find(p.patient, b.date, cmp.Or(sessionLevel(b, p), level)); ok && pct < p.cf.rfaRelief {
			notes = append(notes, fmt.Sprintf("the block of %s%s gave %d %% relief, under %d %%", b.date, p.sessionWhere(b), pct, p.cf.rfaRelief))
			continue
		}
		good = append(good, b.date)
	}
	// Greedy chain: each block at least the gap after the one before.
	chain := 0
	var last day.Day
	for _, d := range good {
		if chain == 0 || int(d-last) >= p.cf.rfaGap {
			chain++
			last = d
		}
	}
	if chain >= p.cf.rfaBlocks {
		return
	}
	reg := regionWords(region)
	lv := ""
	if level != "" {
		lv = " at " + level
	}
	var msg string
	switch {
	case len(good) == 0 && len(notes) == 0:
		msg = fmt.Sprintf("%sRFA%s on %s without prior diagnostic medial branch blocks: none found in the %s before it in the history this practice may see; %d blocks at least %d days apart are required",
			reg, lv, s.date, windowWords(p.cf.rfaLook), p.cf.rfaBlocks, p.cf.rfaGap)
	case len(good) < p.cf.rfaBlocks:
		var ds []string
		for _, d := range good {
			ds = append(ds, d.String())
		}
		msg = fmt.Sprintf("%sRFA%s on %s after %d qualifying diagnostic medial branch block(s) (%s); %d at least %d days apart are required",
			reg, lv, s.date, len(good), cmp.Or(strings.Join(ds, ", "), "none"), p.cf.rfaBlocks, p.cf.rfaGap)
	default:
		var ds []string
		for _, d := range good {
			ds = append(ds, d.String())
		}
		msg = fmt.Sprintf("%sRFA%s on %s: the diagnostic medial branch blocks (%s) are not %d days apart; the second must be at least %d days after the first",
			reg, lv, s.date, strings.Join(ds, ", "), p.cf.rfaGap, p.cf.rfaGap)
	}
	if len(notes) > 0 {
		msg += "; " + strings.Join(notes, "; ")
	}
	if p.cf.diagMod != "" {
		var untagged []string
		for _, l := range p.pool {
			if pr := p.proc(l); pr != nil && pr.Family == FamilyFacet && p.region(l) == region && l.Date < s.date &&
				inWindow(l.Date, s.date, p.cf.rfaLook) && !l.HasModifier(p.cf.diagMod) && !slices.Contains(untagged, l.Date.String()) {
				untagged = append(untagged, l.Date.String())
			}
		}
		if len(untagged) > 0 {
			msg += fmt.Sprintf("; facet blocks without %s (%s) count as therapeutic, not diagnostic", p.cf.diagMod, strings.Join(untagged, ", "))
		}
	}
	var involved []*Line
	for _, b := range blocks {
		involved = append(involved, b.lines[0])
	}
	p.emit(RuleRFAPrerequisite, "", "", firstPrimary(s.lines, p), msg, append(s.lines, involved...)...)
}

// scsTrial checks that a permanent spinal cord stimulator follows a trial
// (a session with the trial lead code and no permanent code) or an earlier
// permanent implant (a replacement).
func (p *pctx) scsTrial() {
	if !p.enabled(RuleSCSWithoutTrial) {
		return
	}
	scs := p.sessions(func(l *Line) bool {
		f := p.family(l)
		return f == FamilySCSTrial || f == FamilySCSPermanent
	})
	permanent := func(s *session) bool {
		return slices.ContainsFunc(s.lines, func(l *Line) bool { return p.family(l) == FamilySCSPermanent })
	}
	for _, s := range scs {
		if !s.hasCur(p) || !permanent(s) {
			continue
		}
		replacement := slices.ContainsFunc(scs, func(o *session) bool { return o.date < s.date && permanent(o) })
		var trial *session
		for _, o := range scs {
			if o.date < s.date && !permanent(o) && inWindow(o.date, s.date, p.cf.scsLook) {
				trial = o
			}
		}
		if replacement {
			continue
		}
		if trial != nil {
			p.scsTrialOutcome(s, trial)
			continue
		}
		var on *Line
		for _, l := range s.lines {
			if p.isCur(l) && p.family(l) == FamilySCSPermanent {
				on = l
				break
			}
		}
		p.emit(RuleSCSWithoutTrial, "", "", on, fmt.Sprintf(
			"permanent spinal cord stimulator (%s) on %s without a trial in the %s before it in the history this practice may see",
			codes(s.lines), s.date, windowWords(p.cf.scsLook)), s.lines...)
	}
}

// scsTrialOutcome checks that the trial before a permanent stimulator has a
// documented outcome: NCD 160.7 asks for >= 50 % relief in the trial, which
// remitq sees only as a relief record on the trial's date.
func (p *pctx) scsTrialOutcome(s, trial *session) {
	if !p.enabled(RuleSCSTrialOutcome) {
		return
	}
	var on *Line
	for _, l := range s.lines {
		if p.isCur(l) && p.family(l) == FamilySCSPermanent {
			on = l
			break
		}
	}
	involved := append(slices.Clone(s.lines), trial.lines[0])
	switch pct, ok := p.rec.Relief.find(p.patient, trial.date, ""); {
	case !ok:
		p.emit(RuleSCSTrialOutcome, "", "", on, fmt.Sprintf(
			"permanent spinal cord stimulator (%s) on %s after the trial of %s%s with no documented trial outcome: the trial must show >= %d %% relief; record it (relief record dated %s) to clear this",
			codes(s.lines), s.date, trial.date, p.sessionWhere(trial), p.cf.scsTrialPct, trial.date), involved...)
	case pct < p.cf.scsTrialPct:
		p.emit(RuleSCSTrialOutcome, Deny, "", on, fmt.Sprintf(
			"permanent spinal cord stimulator (%s) on %s after the trial of %s%s, which gave %d %% relief, under the %d %% a permanent implant needs",
			codes(s.lines), s.date, trial.date, p.sessionWhere(trial), pct, p.cf.scsTrialPct), involved...)
	}
}
