package match

import (
	"slices"

	"github.com/remitq/remitq/pkg/billed"
)

// Decide records a person's decision on a line, as Confirm does, and
// compares the paid line with the billed line chosen: procedure_changed,
// modifier_dropped, modifier_added and units_reduced are set anew, ambiguous
// is dropped, and the billed charge and units follow the billed line. paid
// is nil for a claim-level-only payment, billed nil when only the claim was
// chosen.
func Decide(r *LineResult, b Billed, paid *PaidLine, bl *billed.Line) {
	Confirm(r, b)
	r.Flags = slices.DeleteFunc(r.Flags, func(f Flag) bool {
		switch f {
		case FlagProcedureChanged, FlagModifierDropped, FlagModifierAdded, FlagUnitsReduced, FlagAmbiguous:
			return true
		}
		return false
	})
	if bl == nil {
		return
	}
	r.BilledCharge, r.BilledUnits = bl.Charge, bl.UnitsOrOne()
	if paid != nil && !r.HasFlag(FlagReversal) {
		lineFlags(r, paid, bl)
	}
}
