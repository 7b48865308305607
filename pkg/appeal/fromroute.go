package appeal

import (
	"slices"

	"github.com/remitq/remitq/pkg/route"
)

// FromRoute makes the denied line of a routed line and the router's
// decision on it: codes, dates, amounts, adjustments and the root cause.
// Diagnoses and evidence are the caller's to add. Units are whole units
// (the router's thousandths rounded down; 0 reads as 1).
func FromRoute(l *route.Line, d route.Decision) DeniedLine {
	n := l.LineIndex
	if n == 0 && l.Match.BilledLine > 0 {
		n = l.Match.BilledLine
	}
	u := l.UnitsBilled
	if u == 0 {
		u = l.Match.BilledUnits
	}
	dl := DeniedLine{
		Number: n, Date: l.ServiceDate, Procedure: l.Procedure, Modifiers: slices.Clone(l.Modifiers), Units: int(u / 1000),
		Billed: l.Charge, Paid: l.Paid, Adjustment: slices.Clone(l.Adjustments), Remarks: slices.Clone(l.Remarks), Cause: CauseOf(d),
	}
	if l.Match.BilledCharge > 0 && l.Charge == 0 {
		dl.Billed = l.Match.BilledCharge
	}
	if l.HasAllowed {
		dl.Allowed = l.Allowed
	}
	return dl
}
