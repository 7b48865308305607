package rules

import "fmt"

// lineRules checks the modifiers of each current line on its own.
func (p *pctx) lineRules() {
	for _, l := range p.cur {
		pr := p.proc(l)
		if pr == nil {
			continue
		}
		has50, lt, rt := l.HasModifier("50"), l.HasModifier("LT"), l.HasModifier("RT")
		switch {
		case has50 && pr.AddOn && !p.cf.addon50 && p.enabled(RuleModifier50Addon):
			p.emit(RuleModifier50Addon, "", "", l, fmt.Sprintf(
				"modifier 50 on add-on code %s: this payer does not take 50 on add-ons; %s", l.Procedure, bilateralHow(p.cf.bilateral, l.Procedure)))
		case has50 && !pr.AddOn && pr.Bilateral < 0 && p.enabled(RuleModifier50NotBilateral):
			why := "this code is never billed bilateral"
			if pr.Family == FamilyTriggerPoint {
				why = "trigger point injections are one unit per session whatever the sides or muscles"
			}
			p.emit(RuleModifier50NotBilateral, "", pr.Source, l, fmt.Sprintf("modifier 50 on %s: %s", l.Procedure, why))
		}
		if p.enabled(RuleLateralityConflict) {
			switch {
			case has50 && (lt || rt):
				p.emit(RuleLateralityConflict, "", "", l, fmt.Sprintf(
					"%s carries both %s and 50 on one line: use one form, 50 alone or two lines LT and RT", l.Procedure, side(lt, rt)))
			case lt && rt:
				p.emit(RuleLateralityConflict, "", "", l, fmt.Sprintf(
					"%s carries both LT and RT on one line: bill bilateral as the payer takes it (50, or two lines LT and RT)", l.Procedure))
			}
		}
		p.bilateralForm(l, pr, has50, lt, rt)
	}
}

// bilateralHow says how a payer of a bilateral style takes a bilateral code.
func bilateralHow(style, code string) string {
	switch style {
	case BilateralLTRT:
		return "bill each side on its own line, " + code + "-LT and " + code + "-RT"
	case BilateralUnits:
		return "bill one line " + code + " with 2 units"
	}
	return "bill one line " + code + "-50 with 1 unit"
}

func side(lt, rt bool) string {
	switch {
	case lt && rt:
		return "LT, RT"
	case lt:
		return "LT"
	}
	return "RT"
}

// bilateralForm checks a bilateral-eligible line against the form the payer
// takes in this setting (ASC or not).
func (p *pctx) bilateralForm(l *Line, pr *Proc, has50, lt, rt bool) {
	if pr.Bilateral <= 0 || pr.AddOn && !p.cf.addon50 && !p.isASC(l) {
		return // modifier_50_addon speaks for add-ons where the payer takes no 50 on them
	}
	rule, style := RuleBilateralStyle, p.cf.bilateral
	where := "this payer takes"
	if p.isASC(l) {
		rule, style, where = RuleASCBilateral, p.cf.ascBilat, "ASC claims take"
	}
	if !p.enabled(rule) {
		return
	}
	switch style {
	case BilateralUnits:
		if has50 && !lt && !rt {
			p.emit(rule, "", "", l, fmt.Sprintf("%s-50: %s bilateral as one line with 2 units and no modifier 50",
				l.Procedure, where)).cover([]*Line{l}, RuleMUE)
			return
		}
		if !lt && !rt || has50 || lt && rt {
			return
		}
		for _, o := range p.sameDay(l.Date) {
			if o == l || o.Procedure != l.Procedure || o.HasModifier("50") {
				continue
			}
			if (lt && o.HasModifier("RT") && !o.HasModifier("LT") && !p.isCur(o)) || (rt && o.HasModifier("LT") && !o.HasModifier("RT")) {
				p.emit(rule, "", "", l, fmt.Sprintf("%s billed as two lines LT and RT on %s: %s bilateral as one line with 2 units",
					l.Procedure, l.Date, where), o).cover([]*Line{l, o}, RuleMUE)
				return
			}
		}
	case BilateralLTRT:
		if lt || rt {
			return // laterality_conflict covers 50 with LT/RT
		}
		if has50 {
			p.emit(rule, "", "", l, fmt.Sprintf("%s-50: %s bilateral as two lines, %s-LT and %s-RT, not modifier 50",
				l.Procedure, where, l.Procedure, l.Procedure)).cover([]*Line{l}, RuleMUE)
		} else if units(l) >= 2000 {
			p.emit(rule, "", "", l, fmt.Sprintf("%s billed with %s units and no side: %s bilateral as two lines, %s-LT and %s-RT",
				l.Procedure, fmtUnits(units(l)), where, l.Procedure, l.Procedure)).cover([]*Line{l}, RuleMUE)
		}
	case Bilateral50:
		if !lt && !rt || has50 || lt && rt {
			return
		}
		// Report once, on the RT line (or on the LT line when the RT line is an earlier claim's).
		for _, o := range p.sameDay(l.Date) {
			if o == l || o.Procedure != l.Procedure || o.HasModifier("50") {
				continue
			}
			if (lt && o.HasModifier("RT") && !o.HasModifier("LT") && !p.isCur(o)) || (rt && o.HasModifier("LT") && !o.HasModifier("RT")) {
				p.emit(rule, "", "", l, fmt.Sprintf("%s billed as two lines LT and RT on %s: %s bilateral as one line with modifier 50 and 1 unit",
					l.Procedure, l.Date, where), o).cover([]*Line{l, o}, RuleMUE)
				return
			}
		}
	}
}
