package appeal

import (
	"slices"
	"strconv"
	"strings"

	"github.com/remitq/remitq/carc"
	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/route"
	"github.com/remitq/remitq/pkg/rules"
)

// Argument is the case for one denied line: a heading and paragraphs (a
// paragraph of lines starting "- " is a list), with the policies it cites.
type Argument struct {
	Line       int
	Heading    string
	Paragraphs []string
	Sources    []string
}

// arguer builds one line's argument from the facts and the rules data.
type arguer struct {
	f    *Facts
	l    *DeniedLine
	set  *rules.Set
	arg  Argument
	warn []string
}

// appealable reports whether the router's route for a line is an appeal
// (or the dispute of an underpayment, which payers take as an appeal).
func appealable(c Cause) (bool, string) {
	why := ""
	switch c.Route {
	case route.RouteAppeal, route.RouteDispute:
		return true, ""
	case "":
		if c.Appealable {
			return true, ""
		}
		why = "the router marked the category " + string(c.Category) + " not appealable"
	default:
		why = "the router's route is " + c.Route + ", not an appeal"
	}
	if c.Action != "" {
		why += " (its action: " + c.Action + ")"
	}
	return false, why
}

// argue writes the argument the line's root cause needs.
func argue(f *Facts, l *DeniedLine, set *rules.Set) (Argument, []string, error) {
	a := &arguer{f: f, l: l, set: set}
	a.arg = Argument{Line: l.Number, Heading: a.heading()}
	switch {
	case len(l.Adjustment) == 0:
	case l.Cause.Category == carc.Underpayment && l.Cause.Reason == "":
		a.say("The remittance of " + f.denialDate().String() + " reduced this line with " + adjustments(l) + ".")
	case l.Cause.Category == carc.Underpayment:
		a.say("The remittance of " + f.denialDate().String() + " reduced this line with " + adjustments(l) + ": " + a.meaning() + ".")
	default:
		a.say("The remittance of " + f.denialDate().String() + " denied this line with " + adjustments(l) + ": " + a.meaning() + ".")
	}
	var err error
	switch l.Cause.Category {
	case carc.Authorization:
		err = a.auth()
	case carc.MedicalNecessity, carc.NonCovered:
		if a.family() == rules.FamilyRFA || strings.HasSuffix(l.Cause.Rule, rules.RuleRFAPrerequisite) {
			err = a.rfa()
		} else {
			err = a.lcd(true)
		}
	case carc.CodingBundling:
		switch {
		case l.Evidence.NCCI != nil:
			err = a.ncci()
		case l.Evidence.AddOn != nil:
			err = a.addOnPrimary()
		default:
			err = fail(ErrMissingFact, l.Number, "the NCCI pair (column 1/2, modifier indicator, modifier) or the add-on's primary")
		}
	case carc.Modifier:
		switch {
		case l.Evidence.NCCI != nil:
			err = a.ncci()
		case slices.Contains(l.Modifiers, "50"):
			err = a.bilateral()
		default:
			err = fail(ErrMissingFact, l.Number, "the NCCI pair and the modifier used, for a modifier denial")
		}
	case carc.FrequencyLimit:
		err = a.frequency()
	case carc.Underpayment:
		if l.Evidence.AddOn == nil {
			err = fail(ErrMissingFact, l.Number, "the add-on relationship (code and primary) for an underpayment")
		} else {
			err = a.mppr()
		}
	default:
		err = a.notes()
	}
	if err != nil {
		return Argument{}, nil, err
	}
	return a.arg, a.warn, nil
}

func (a *arguer) say(p string) { a.arg.Paragraphs = append(a.arg.Paragraphs, p) }

// cite adds the public part of each source; an unverified one is left out
// of the letter with a warning.
func (a *arguer) cite(src ...string) {
	for _, s := range src {
		if c, ok := citable(s); ok {
			a.arg.Sources = appendNew(a.arg.Sources, lcdFor(a.f.Profile.Plan, c))
		} else if s != "" {
			a.warn = appendNew(a.warn, "not cited in the letter, confirm with the payer: "+s)
		}
	}
}
func (a *arguer) warnf(parts ...string) {
	a.warn = append(a.warn, "line "+itoa(a.l.Number)+": "+strings.Join(parts, ""))
}
func (a *arguer) proc() (rules.Proc, bool) { return a.set.Procedure(a.l.Procedure) }

func (a *arguer) family() string {
	p, _ := a.proc()
	return p.Family
}

// heading is "Line 1: 64635 x1 on 2026-07-01 (medical necessity)".
func (a *arguer) heading() string {
	l := a.l
	return "Line " + itoa(l.Number) + ": " + codeLabel(l.Procedure, l.Modifiers) + " x" + itoa(units(l.Units)) +
		" on " + l.Date.String() + " (" + l.Cause.Category.Label() + ")"
}

// meaning is the reading of the decisive code pair.
func (a *arguer) meaning() string {
	adj := decisive(a.l.Adjustment)
	e := carc.Explain(adj.Group, adj.Reason, a.l.Remarks)
	r := e.Reason
	if a.l.Cause.Reason != "" {
		r = a.l.Cause.Reason
	}
	return strings.TrimSuffix(r, ".")
}

// notes argues a category with no built-in argument from the biller's notes.
func (a *arguer) notes() error {
	if len(a.f.Notes) == 0 {
		return fail(ErrMissingFact, a.l.Number, "a biller's note stating the argument for category "+string(a.l.Cause.Category))
	}
	a.say("We believe the denial is in error for the reasons stated in the notes below and in the attached records.")
	return nil
}

// decisive is the largest adjustment.
func decisive(adjs []route.Adjustment) route.Adjustment {
	var best route.Adjustment
	for i, x := range adjs {
		if i == 0 || x.Amount > best.Amount {
			best = x
		}
	}
	return best
}

// adjustments lists "CO-50 (1,250.00), RARC N115".
func adjustments(l *DeniedLine) string {
	var parts []string
	for _, x := range l.Adjustment {
		parts = append(parts, x.Code()+" ("+x.Amount.String()+")")
	}
	s := strings.Join(parts, ", ")
	if len(l.Remarks) > 0 {
		s += " and remark code " + strings.Join(l.Remarks, ", ")
	}
	return s
}

func codeLabel(code string, mods []string) string {
	if len(mods) == 0 {
		return code
	}
	return code + "-" + strings.Join(mods, "-")
}

func units(u int) int {
	if u <= 0 {
		return 1
	}
	return u
}

func itoa(n int) string { return strconv.Itoa(n) }

func appendNew(list []string, add ...string) []string {
	for _, s := range add {
		if s != "" && !slices.Contains(list, s) {
			list = append(list, s)
		}
	}
	return list
}

// sumReason adds the adjustments with a CARC.
func sumReason(adjs []route.Adjustment, carcCode string) money.Amount {
	var t money.Amount
	for _, x := range adjs {
		if x.Reason == carcCode {
			t += x.Amount
		}
	}
	return t
}

func (f *Facts) denialDate() day.Day {
	if !f.DenialDate.IsZero() {
		return f.DenialDate
	}
	return f.Claim.RemitDate
}
