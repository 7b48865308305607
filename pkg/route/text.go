package route

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/remitq/remitq/carc"
	"github.com/remitq/remitq/pkg/money"
)

// procLabel is the procedure with its modifiers: "64493-50", "64483-RT".
func procLabel(code string, mods []string) string {
	if len(mods) == 0 {
		return code
	}
	n := len(code)
	for _, m := range mods {
		n += 1 + len(m)
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(code)
	for _, m := range mods {
		if m != "" {
			b.WriteByte('-')
			b.WriteString(m)
		}
	}
	return b.String()
}

func orClaim(proc string) string {
	if proc == "" {
		return "the claim"
	}
	return proc
}

var labels = map[Disposition]string{
	Denied: "Denied", PartiallyDenied: "Partially denied", UnderpaidLine: "Underpaid",
	PatientResponsibility: "Patient responsibility", Contractual: "Contractual", Paid: "Paid", Reversed: "Reversed",
}

// lowerFirst lower-cases the first letter of an action so it reads inside a
// sentence, unless the word is an acronym ("NPI", "LT/RT").
func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || !unicode.IsUpper(r) {
		return s
	}
	if r2, _ := utf8.DecodeRuneInString(s[n:]); !unicode.IsLower(r2) {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}

// deadlineVerb: what has to happen by the deadline.
func deadlineVerb(d *Decision) string {
	switch d.Route {
	case RouteAppeal:
		if d.appealName != "" {
			return "appeal (" + d.appealName + ") by "
		}
		return "appeal by "
	case RouteReopening:
		return "request the reopening by "
	case RouteCorrectedClaim:
		return "send the corrected claim by "
	case RouteNewClaim:
		return "submit the new claim by "
	case RouteDispute:
		return "dispute by "
	case RouteBillPatient, RouteWriteOff:
		return "act by "
	}
	switch {
	case d.Disposition == UnderpaidLine:
		return "dispute by "
	case d.Appealable:
		return "appeal by "
	}
	switch d.Category {
	case carc.MissingClaimData, carc.Modifier, carc.EligibilityCoverage, carc.CoordinationOfBenefits, carc.ProviderEnrollment, carc.Authorization:
		return "resubmit by "
	}
	return "act by "
}

// codesPhrase: "CARC 197, RARC N54" — the decisive CARC and the remarks
// that are not alerts.
func codesPhrase(b *strings.Builder, d *Decision) {
	start := b.Len()
	if _, code, ok := strings.Cut(d.Decisive, "-"); ok {
		b.WriteString("CARC ")
		b.WriteString(code)
	} else if len(d.CARC) == 0 {
		b.WriteString("CLP02 4")
	}
	var rs []string
	for _, r := range d.RARC {
		if m, ok := carc.RARC(r); ok && m.Alert {
			continue
		}
		rs = append(rs, r)
	}
	if len(rs) > 0 {
		if b.Len() > start {
			b.WriteString(", ")
		}
		if len(rs) == 1 {
			b.WriteString("RARC ")
		} else {
			b.WriteString("RARCs ")
		}
		b.WriteString(strings.Join(rs, ", "))
	}
}

func units(q int64) string {
	if q == 0 {
		q = 1000
	}
	s := strconv.FormatInt(q/1000, 10)
	if f := q % 1000; f != 0 {
		if f < 0 {
			f = -f
		}
		s += "." + strings.TrimRight(strconv.FormatInt(1000+f, 10)[1:], "0")
	}
	return s
}

// compose writes the work item's sentence and the final action.
func compose(l *Line, d *Decision, denied money.Amount) (string, string) {
	var b strings.Builder
	b.Grow(256)
	what := func() {
		if l.Procedure == "" {
			b.WriteString(" for the claim")
		} else if bp := l.Match.BilledProcedure; l.Match.Flags.Has(ProcedureChanged) && bp != "" && bp != l.Procedure {
			// The item names the billed code; the payer's is beside it.
			b.WriteString(" for ")
			b.WriteString(bp)
			b.WriteString(" (adjudicated as ")
			b.WriteString(d.Procedure)
			b.WriteString(")")
		} else {
			b.WriteString(" for ")
			b.WriteString(d.Procedure)
		}
		if !l.ServiceDate.IsZero() {
			b.WriteString(" on ")
			var buf [10]byte
			b.Write(l.ServiceDate.AppendText(buf[:0]))
		}
	}
	tail := func(act string) {
		b.WriteString(" — ")
		b.WriteString(lowerFirst(act))
		if d.WorkItem != NoWork && !d.AppealDeadline.IsZero() {
			b.WriteString("; ")
			b.WriteString(deadlineVerb(d))
			var buf [10]byte
			b.Write(d.AppealDeadline.AppendText(buf[:0]))
			if !d.TimelyFiling.IsZero() && d.TimelyFiling != d.AppealDeadline {
				b.WriteString("; timely filing ends ")
				b.Write(d.TimelyFiling.AppendText(buf[:0]))
			}
			if d.Profile != "" {
				b.WriteString(" [profile ")
				b.WriteString(d.Profile)
				b.WriteByte(']')
			}
		}
		b.WriteByte('.')
	}
	denial := func() {
		b.WriteString(d.Reason)
		b.WriteString(" (")
		codesPhrase(&b, d)
		b.WriteByte(')')
	}

	if d.WorkItem == UnmatchedRemittance {
		action := "Find the billed claim for this remittance and link it (check the patient control number, split or re-keyed claims, the payee TIN)"
		b.WriteString("Unmatched remittance: no billed line found")
		what()
		b.WriteString(" (")
		if d.Disposition != Paid {
			b.WriteString(strings.ToLower(labels[d.Disposition]))
			b.WriteString(": ")
		}
		switch d.Disposition {
		case Denied, PartiallyDenied:
			b.WriteString(d.Reason)
			b.WriteString(", ")
			codesPhrase(&b, d)
			action += ", then " + lowerFirst(d.Action)
		case UnderpaidLine:
			b.WriteString(d.Reason)
			action += ", then " + lowerFirst(d.Action)
		case Reversed:
			b.WriteString(max(l.Paid, -l.Paid).String())
			b.WriteString(" taken back")
		case Paid:
			b.WriteString("paid ")
			b.WriteString(l.Paid.String())
			b.WriteString(" of ")
			b.WriteString(l.Charge.String())
		default:
			b.WriteString(d.Reason)
		}
		b.WriteByte(')')
		tail(action)
		return b.String(), action
	}

	b.WriteString(labels[d.Disposition])
	b.WriteString(": ")
	switch d.Disposition {
	case Denied, PartiallyDenied:
		denial()
		what()
		if d.Disposition == PartiallyDenied {
			b.WriteString(", ")
			b.WriteString(denied.String())
			b.WriteString(" of ")
			b.WriteString(l.Charge.String())
			b.WriteString(" not paid")
			if l.UnitsPaid != 0 && l.UnitsBilled > l.UnitsPaid {
				b.WriteString(" (")
				b.WriteString(units(l.UnitsPaid))
				b.WriteString(" of ")
				b.WriteString(units(l.UnitsBilled))
				b.WriteString(" units paid)")
			}
		}
		if d.PatientLiable {
			b.WriteString(", assigned to the patient")
		}
	case UnderpaidLine:
		b.WriteString(d.Reason)
		what()
	case PatientResponsibility, Contractual:
		if d.Reason != "" {
			b.WriteString(d.Reason)
			b.WriteString(" (")
			b.WriteString(strings.Join(d.CARC, ", "))
			b.WriteByte(')')
		} else {
			b.WriteString("nothing paid")
		}
		what()
	case Reversed:
		b.WriteString("the payer took back ")
		b.WriteString(max(l.Paid, -l.Paid).String())
		b.WriteString(" paid earlier")
		what()
	default:
		b.WriteString(l.Paid.String())
		b.WriteString(" of ")
		b.WriteString(l.Charge.String())
		what()
	}
	tail(d.Action)
	return b.String(), d.Action
}

// matchFacts adds what the matcher saw to the detail text.
func matchFacts(l *Line) string {
	var s string
	if l.Match.Flags.Has(ProcedureChanged) && l.Match.BilledProcedure != "" {
		s += " The payer adjudicated " + l.Procedure + " although " + l.Match.BilledProcedure + " was billed."
	}
	if l.Match.Flags.Has(ModifierDropped) {
		var dropped []string
		for _, m := range l.Match.BilledModifiers {
			if !hasModifier(l.Modifiers, m) {
				dropped = append(dropped, m)
			}
		}
		if len(dropped) > 0 {
			s += " The payer dropped billed modifier " + strings.Join(dropped, ", ") + "."
		} else {
			s += " The payer dropped a billed modifier."
		}
	}
	if l.Match.Flags.Has(UnitsReduced) {
		s += " Fewer units were paid than billed."
	}
	return s
}
