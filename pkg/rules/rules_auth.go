package rules

import (
	"fmt"
	"slices"
	"strings"
)

// needsAuth reports whether a line needs prior authorization for this
// payer and, under a profile, the list (program) that asks for it: a code,
// state, place of service and date of service on the list.
func (p *pctx) needsAuth(l *Line) (*PriorAuthRule, bool) {
	if !p.cf.priorAuth {
		return nil, false
	}
	if p.cf.authCodes != nil {
		return nil, p.cf.authCodes[l.Procedure]
	}
	pr := p.proc(l)
	inList := pr != nil && pr.PriorAuth
	if p.cf.profile == nil {
		return nil, inList
	}
	for i := range p.cf.profile.PriorAuth {
		if r := &p.cf.profile.PriorAuth[i]; r.applies(l, inList) {
			return r, true
		}
	}
	return nil, false
}

// authCovers reports whether auth a covers the line's code: listed, or the
// line is an add-on of a listed primary.
func (p *pctx) authCovers(a *Auth, l *Line) bool {
	if a.covers(l.Procedure) {
		return true
	}
	if e := p.s.d.aoc[l.Procedure]; e != nil {
		return slices.ContainsFunc(e.primaries, a.covers)
	}
	return false
}

func (p *pctx) authRules() {
	for _, l := range p.cur {
		pa, need := p.needsAuth(l)
		if !need {
			continue
		}
		book := p.rec.Auths
		num := normAuth(l.Auth)
		if num == "" {
			p.authMissing(l, book, pa)
			continue
		}
		if book == nil {
			continue // nothing to compare the number with
		}
		var cands []*Auth
		for _, a := range book.byNumber[num] {
			if a.Patient == p.patient || a.Patient.IsZero() {
				cands = append(cands, a)
			}
		}
		if len(cands) == 0 {
			if p.enabled(RulePriorAuthMissing) {
				p.emit(RulePriorAuthMissing, Warn, "", l, fmt.Sprintf(
					"authorization %s on the claim is not on file for this patient: check the number with the payer", l.Auth))
			}
			continue
		}
		// The best record: covering the code, then the date.
		best := cands[0]
		score := -1
		for _, a := range cands {
			sc := 0
			if p.authCovers(a, l) {
				sc += 2
			}
			if l.Date >= a.From && l.Date <= a.To {
				sc++
			}
			if sc > score {
				best, score = a, sc
			}
		}
		p.authRecord(l, best)
	}
}

func (p *pctx) authMissing(l *Line, book *AuthBook, pa *PriorAuthRule) {
	if !p.enabled(RulePriorAuthMissing) {
		return
	}
	if book != nil {
		for _, a := range book.byPatient[p.patient] {
			if p.authCovers(a, l) && l.Date >= a.From && l.Date <= a.To &&
				(a.Payer == "" || l.Payer == "" || a.Payer == l.Payer) {
				p.emit(RulePriorAuthMissing, Warn, "", l, fmt.Sprintf(
					"%s needs prior authorization and the claim carries no number; authorization %s on file covers it: add it to the claim (REF*G1)",
					l.Procedure, a.Number))
				return
			}
		}
	}
	onFile := ""
	if book != nil {
		onFile = " and none on file covers it on that date"
	}
	if pa == nil {
		p.emit(RulePriorAuthMissing, "", "", l, fmt.Sprintf(
			"%s on %s needs prior authorization: no authorization number on the line or the claim%s", l.Procedure, l.Date, onFile))
		return
	}
	where := ""
	if len(pa.States) > 0 && l.State != "" {
		where = " in " + l.State
	}
	if len(pa.Places) > 0 {
		where += " at place of service " + l.POS
	}
	note := ""
	if pa.Note != "" {
		note = ": " + pa.Note
	}
	clear := "add the authorization number (REF*G1) or record the authorization on file"
	p.emit(RulePriorAuthMissing, pa.Severity, pa.Source, l, fmt.Sprintf(
		"%s on %s%s needs prior authorization under %s (%s)%s; no authorization number on the line or the claim%s: %s",
		l.Procedure, l.Date, where, pa.Program, p.cf.profile.Name, note, onFile, clear))
}

func (p *pctx) authRecord(l *Line, a *Auth) {
	if p.enabled(RulePriorAuthMismatch) {
		var why []string
		if !p.authCovers(a, l) {
			why = append(why, fmt.Sprintf("it was issued for %s, not %s", strings.Join(a.Codes, ", "), l.Procedure))
		}
		if a.NPI != "" && l.Rendering != "" && a.NPI != l.Rendering {
			why = append(why, fmt.Sprintf("it names rendering provider NPI %s, the line %s", a.NPI, l.Rendering))
		}
		if a.Payer != "" && l.Payer != "" && a.Payer != l.Payer {
			why = append(why, "it was issued by another payer")
		}
		if len(why) > 0 {
			p.emit(RulePriorAuthMismatch, "", "", l, fmt.Sprintf("authorization %s does not fit the line: %s", l.Auth, strings.Join(why, "; ")))
		}
	}
	if p.enabled(RulePriorAuthExpired) {
		switch {
		case l.Date > a.To:
			p.emit(RulePriorAuthExpired, "", "", l, fmt.Sprintf("authorization %s expired on %s, before the date of service %s", l.Auth, a.To, l.Date))
		case l.Date < a.From:
			p.emit(RulePriorAuthExpired, "", "", l, fmt.Sprintf("authorization %s starts on %s, after the date of service %s", l.Auth, a.From, l.Date))
		}
	}
	if a.Units > 0 && p.enabled(RulePriorAuthUnits) && !slices.Contains(p.unitsDone, a) {
		var used int64
		var under []*Line
		for _, o := range p.pool {
			if normAuth(o.Auth) == a.Number && p.authCovers(a, o) && !(p.proc(o) != nil && p.proc(o).AddOn) {
				used += units(o)
				under = append(under, o)
			}
		}
		if used > int64(a.Units)*1000 && !(p.proc(l) != nil && p.proc(l).AddOn) {
			p.unitsDone = append(p.unitsDone, a)
			p.emit(RulePriorAuthUnits, "", "", l, fmt.Sprintf("%s units billed under authorization %s, which allows %d",
				fmtUnits(used), l.Auth, a.Units), under...)
		}
	}
}
