package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/remitq/remitq/pkg/day"
)

// dayRules checks the lines of one date of service together.
func (p *pctx) dayRules(d day.Day) {
	dy := p.sameDay(d)
	p.ncciPairs(dy)
	p.mue(dy)
	p.addons(dy)
	p.imaging(dy)
	p.facetTriggerPoint(dy)
	p.triggerPointUnits(dy)
	p.emWithout25(dy)
	p.udt(d)
}

func (p *pctx) ncciPairs(dy []*Line) {
	if !p.enabled(RuleNCCIPair) {
		return
	}
	for i, a := range dy {
		for _, b := range dy[i+1:] {
			if !p.isCur(a) && !p.isCur(b) {
				continue
			}
			col1, col2 := a, b
			e, ok := p.s.d.ptp[[2]string{a.Procedure, b.Procedure}]
			if !ok {
				col1, col2 = b, a
				e, ok = p.s.d.ptp[[2]string{b.Procedure, a.Procedure}]
			}
			if !ok || e.indicator == '9' {
				continue
			}
			on := col2
			if !p.isCur(on) {
				on = col1
			}
			switch e.indicator {
			case '0':
				p.emit(RuleNCCIPair, "", p.s.d.ptpLabel, on, fmt.Sprintf(
					"%s and %s are never paid together on one date, whatever the modifiers (NCCI modifier indicator 0; rationale: %s); %s is the one denied",
					col1.Procedure, col2.Procedure, e.rationale, col2.Procedure), col1, col2)
			case '1':
				if col1.hasAny(p.cf.ncciMods) || col2.hasAny(p.cf.ncciMods) {
					continue
				}
				p.emit(RuleNCCIPair, "", p.s.d.ptpLabel, on, fmt.Sprintf(
					"%s is bundled into %s on the same date (NCCI rationale: %s): without an NCCI modifier (59/XE/XS/XP/XU, 25 on an E/M) %s is denied",
					col2.Procedure, col1.Procedure, e.rationale, col2.Procedure), col1, col2)
			}
		}
	}
}

func (p *pctx) mue(dy []*Line) {
	if !p.enabled(RuleMUE) {
		return
	}
	var done []string
	for _, l := range dy {
		if !p.isCur(l) || slices.Contains(done, l.Procedure) {
			continue
		}
		e, ok := p.s.d.mue[l.Procedure]
		if !ok {
			continue
		}
		limit := int64(e.units) * 1000
		if e.mai == 1 {
			if u := units(l); u > limit {
				p.emit(RuleMUE, "", p.s.d.mueLabel, l, fmt.Sprintf(
					"%s units of %s on one line, over the NCCI limit of %d per line (MUE indicator 1; rationale: %s)",
					fmtUnits(u), l.Procedure, e.units, e.rationale))
			}
			continue
		}
		done = append(done, l.Procedure)
		var same []*Line
		var total, left, right, none int64
		for _, o := range dy {
			if o.Procedure != l.Procedure {
				continue
			}
			same = append(same, o)
			u := units(o)
			total += u
			switch lt, rt := o.HasModifier("LT"), o.HasModifier("RT"); {
			case lt && !rt:
				left += u
			case rt && !lt:
				right += u
			default:
				none += u
			}
		}
		// Each side is measured against the limit where the payer takes
		// bilateral as LT and RT lines (or as 2 units); where it takes 50 x1
		// (Medicare professional claims), RT and LT lines of one code add up,
		// add-ons included (64494 has MUE 1, MAI 2).
		style := p.cf.bilateral
		if p.isASC(l) {
			style = p.cf.ascBilat
		}
		if pr := p.proc(l); pr != nil && pr.Bilateral > 0 {
			switch style {
			case BilateralLTRT, BilateralEither:
				total = max(left, right) + none
			case BilateralUnits:
				total = max(left, right) + (none+1000)/2000*1000
			}
		}
		if total <= limit {
			continue
		}
		kind := "MUE indicator 2: a policy limit, not paid on appeal"
		if e.mai == 3 {
			kind = "MUE indicator 3: a clinical limit, payable on appeal with records"
		}
		p.emit(RuleMUE, "", p.s.d.mueLabel, l, fmt.Sprintf("%s units of %s on %s, over the NCCI limit of %d per day (%s)",
			fmtUnits(total), l.Procedure, l.Date, e.units, kind), same...)
	}
}

func (p *pctx) addons(dy []*Line) {
	if !p.enabled(RuleAddonWithoutPrimary) {
		return
	}
	for _, l := range dy {
		pr := p.proc(l)
		if !p.isCur(l) || pr == nil || !pr.AddOn {
			continue
		}
		a := p.s.d.aoc[l.Procedure]
		if a == nil || a.typ != 1 || len(a.primaries) == 0 {
			continue
		}
		if slices.ContainsFunc(dy, func(o *Line) bool { return o != l && slices.Contains(a.primaries, o.Procedure) }) {
			continue
		}
		list := a.primaries
		more := ""
		if len(list) > 6 {
			list, more = list[:6], ", ..."
		}
		p.emit(RuleAddonWithoutPrimary, "", p.s.d.aocLabel, l, fmt.Sprintf(
			"add-on code %s billed on %s without one of its primary codes (%s%s) on that date",
			l.Procedure, l.Date, strings.Join(list, ", "), more))
	}
}

// imagingCodes are the guidance codes the imaging rule looks at.
var imagingCodes = []string{"77003", "77012", "76942", "77002"}

func (p *pctx) imaging(dy []*Line) {
	if !p.enabled(RuleImagingBundled) {
		return
	}
	for _, img := range dy {
		if !p.isCur(img) || !slices.Contains(imagingCodes, img.Procedure) {
			continue
		}
		// Guidance belongs to another procedure of the date: for an add-on
		// guidance code (77003, 77002) one of its AOC primaries, for the
		// others a procedure whose guidance is reported separately.
		var with []*Line
		legit := false
		aoc := p.s.d.aoc[img.Procedure]
		for _, o := range dy {
			pr := p.proc(o)
			if o == img || pr == nil {
				continue
			}
			switch {
			case pr.Imaging == "included" || pr.Imaging == "without":
				with = append(with, o)
			case aoc != nil && len(aoc.primaries) > 0:
				legit = legit || slices.Contains(aoc.primaries, o.Procedure)
			case pr.Imaging == "separate":
				legit = true
			}
		}
		if len(with) == 0 || legit {
			continue
		}
		var incl, without []string
		for _, o := range with {
			if p.proc(o).Imaging == "included" {
				incl = append(incl, o.Procedure)
			} else {
				without = append(without, o.Procedure)
			}
		}
		var msg string
		if len(incl) > 0 {
			msg = fmt.Sprintf("%s billed with %s, whose code includes imaging guidance: guidance is not billed separately",
				img.Procedure, strings.Join(incl, ", "))
		} else {
			msg = fmt.Sprintf("%s billed with %s, a without-imaging code: if guidance was used, bill the with-imaging code instead of adding %s",
				img.Procedure, strings.Join(without, ", "), img.Procedure)
		}
		src := p.s.d.rules[RuleImagingBundled].Source
		if _, ok := p.s.d.ptp[[2]string{with[0].Procedure, img.Procedure}]; ok {
			src = p.s.d.ptpLabel + "; " + src
		}
		p.emit(RuleImagingBundled, "", src, img, msg, with...).cover([]*Line{img}, RuleNCCIPair, RuleAddonWithoutPrimary, RuleMUE)
	}
}

func (p *pctx) facetTriggerPoint(dy []*Line) {
	if !p.enabled(RuleFacetTriggerPoint) {
		return
	}
	var facets, tps []*Line
	for _, l := range dy {
		if pr := p.proc(l); pr != nil {
			switch pr.Family {
			case FamilyFacet:
				facets = append(facets, l)
			case FamilyTriggerPoint:
				tps = append(tps, l)
			}
		}
	}
	if len(facets) == 0 || len(tps) == 0 {
		return
	}
	all := append(append([]*Line(nil), facets...), tps...)
	if slices.ContainsFunc(all, func(l *Line) bool { return l.hasAny(p.cf.distinct) }) {
		return
	}
	on := firstPrimary(facets, p)
	if on == nil {
		on = firstPrimary(tps, p)
	}
	if on == nil {
		return
	}
	p.emit(RuleFacetTriggerPoint, "", "", on, fmt.Sprintf(
		"facet injection %s and trigger point injection %s on %s without 59 or XU: if the sites are distinct, add XU (or 59) to the facet line; otherwise the facet line is bundled",
		codes(facets), codes(tps), on.Date), all...).cover(tps, RuleNCCIPair)
}

func (p *pctx) triggerPointUnits(dy []*Line) {
	if !p.enabled(RuleTriggerPointUnits) {
		return
	}
	var tps []*Line
	var total int64
	for _, l := range dy {
		if pr := p.proc(l); pr != nil && pr.Family == FamilyTriggerPoint {
			tps = append(tps, l)
			total += units(l)
		}
	}
	if total <= 1000 {
		return
	}
	on := firstPrimary(tps, p)
	if on == nil {
		return
	}
	p.emit(RuleTriggerPointUnits, "", "", on, fmt.Sprintf(
		"%s trigger point units on %s (%s): one unit per session whatever the number of injections; bill one line, 20552 for 1-2 muscles or 20553 for 3 or more",
		fmtUnits(total), on.Date, codes(tps)), tps...).cover(tps, RuleNCCIPair, RuleMUE)
}

func (p *pctx) emWithout25(dy []*Line) {
	if !p.enabled(RuleEMWithout25) {
		return
	}
	var procs []*Line
	for _, l := range dy {
		if pr := p.proc(l); pr != nil && pr.Family != FamilyEM && (pr.Global == "000" || pr.Global == "010" || pr.Global == "090") {
			procs = append(procs, l)
		}
	}
	if len(procs) == 0 {
		return
	}
	for _, e := range dy {
		pr := p.proc(e)
		if pr == nil || pr.Family != FamilyEM || e.hasAny(p.cf.emMods) {
			continue
		}
		src := ""
		for _, o := range procs {
			if e, ok := p.s.d.ptp[[2]string{o.Procedure, e.Procedure}]; ok && e.indicator == '1' {
				src = p.s.d.ptpLabel + " (E/M as column 2, modifier indicator 1); " + p.s.d.rules[RuleEMWithout25].Source
				break
			}
		}
		on := e
		if !p.isCur(e) {
			if on = firstPrimary(procs, p); on == nil {
				continue
			}
		}
		p.emit(RuleEMWithout25, "", src, on, fmt.Sprintf(
			"E/M %s billed on %s with %s without modifier 25: add 25 if the visit was significant and separately identifiable (57 if it decided on major surgery); otherwise the visit is bundled",
			e.Procedure, e.Date, codes(procs)), append([]*Line{e}, procs...)...).cover([]*Line{e}, RuleNCCIPair)
	}
}

// udt checks drug tests on date d across every visible practice.
func (p *pctx) udt(d day.Day) {
	if !p.enabled(RuleUDTDuplicate) {
		return
	}
	for _, fam := range []string{FamilyUDTPresumptive, FamilyUDTDefinitive} {
		var ls []*Line
		var total int64
		for _, l := range p.pool {
			if l.Date == d && p.family(l) == fam {
				ls = append(ls, l)
				total += units(l)
			}
		}
		if total <= 1000 {
			continue
		}
		on := firstPrimary(ls, p)
		if on == nil {
			continue
		}
		kind := "presumptive"
		if fam == FamilyUDTDefinitive {
			kind = "definitive"
		}
		elsewhere := ""
		if slices.ContainsFunc(ls, func(l *Line) bool { return l.Practice != p.practice }) {
			elsewhere = ", some at another practice"
		}
		p.emit(RuleUDTDuplicate, "", "", on, fmt.Sprintf(
			"%s %s drug tests on %s (%s%s): one %s test per date of service is paid",
			fmtUnits(total), kind, d, codes(ls), elsewhere, kind), ls...).cover(ls, RuleNCCIPair, RuleMUE)
	}
}
