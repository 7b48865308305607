package appeal

import (
	"slices"
	"strings"
)

// auth argues that the authorization on file covers the line: its number,
// its validity around the date of service, the code and the units.
func (a *arguer) auth() error {
	l, au := a.l, a.l.Evidence.Auth
	if au == nil || au.Number == "" {
		return fail(ErrMissingFact, l.Number, "the authorization on file (number, dates, codes)")
	}
	if au.From.IsZero() || au.Through.IsZero() {
		return fail(ErrMissingFact, l.Number, "the authorization's validity dates")
	}
	if l.Date.Time().Before(au.From.Time()) || l.Date.Time().After(au.Through.Time()) {
		return fail(ErrUnsupported, l.Number, "the date of service is outside the authorization's validity dates")
	}
	if len(au.Codes) > 0 && !slices.Contains(au.Codes, l.Procedure) {
		return fail(ErrUnsupported, l.Number, "the authorization does not list "+l.Procedure)
	}
	if au.Units > 0 && units(l.Units) > au.Units {
		return fail(ErrUnsupported, l.Number, "the line's units exceed the "+itoa(au.Units)+" authorized")
	}
	p := "Prior authorization " + au.Number + " was issued before the service and is valid from " + au.From.String() +
		" through " + au.Through.String()
	if len(au.Codes) > 0 {
		p += " for " + strings.Join(au.Codes, ", ")
	}
	if au.Units > 0 {
		p += " (" + itoa(au.Units) + " unit(s) authorized)"
	}
	p += ". The date of service " + l.Date.String() + " falls inside that period and " + l.Procedure + " x" + itoa(units(l.Units)) +
		" is within what was authorized, so the line did not lack authorization. The authorization letter is attached; please link authorization " +
		au.Number + " to the claim and reprocess the line."
	a.say(p)
	return nil
}
