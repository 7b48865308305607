package route

import (
	"github.com/remitq/remitq/carc"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/rules"
)

// DefaultAppealDays is the appeal window when the payer profile has none:
// 90 days from the remit date (DESIGN.md).
const DefaultAppealDays = 90

// DefaultUnderpaymentTolerance is the shortfall below which a line is not
// called underpaid (rounding in payers' fee schedules).
const DefaultUnderpaymentTolerance money.Amount = 100 // 1.00

// PayerProfile is the per-payer configuration the router reads: the
// deadlines, the correction route and the bilateral form of the payer's
// profile (pkg/rules Profile; painroute.RouteProfile converts one). A
// profile without an ID is remitq's default: an appeal window only.
type PayerProfile struct {
	Name       string
	AppealDays int // appeal window from the remit date; 0: Config.AppealDays

	// ID names the profile version ("medicare_part_b 2026-01-01"); it is
	// recorded in Decision.Profile.
	ID   string
	Plan string // medicare, medicare_advantage, medicaid, commercial
	// AppealName is the first appeal level ("redetermination").
	AppealName   string
	AppealSource string
	// TimelyFilingDays is the filing limit from the date of service (0:
	// unknown); a new or corrected claim is due within it.
	TimelyFilingDays   int
	TimelyFilingSource string
	// Correction is how the payer takes a fixed claim: "reopening"
	// (Medicare) or "corrected_claim" (frequency 7); ReopeningDays is the
	// reopening window from the remit date.
	Correction       string
	CorrectionSource string
	ReopeningDays    int
	// Bilateral is the payer's bilateral form: "50" (one line, 1 unit),
	// "lt_rt" or "units" ("" = 50).
	Bilateral string
	// Contact is how to reach the payer's appeals (phone, portal, fax,
	// address), for the work item's detail.
	Contact string
}

// Config is plain configuration; the zero value works.
type Config struct {
	// AppealDays is the default appeal window (0: DefaultAppealDays).
	AppealDays int
	// Payers maps a payer id (Line.PayerID) to its profile.
	Payers map[string]PayerProfile
	// Recoverability overrides the default recoverability percentages per
	// category (see DefaultRecoverability).
	Recoverability map[carc.Category]int
	// UnderpaymentTolerance: 0 means DefaultUnderpaymentTolerance.
	UnderpaymentTolerance money.Amount
	// Sharpener, when set, may refine the category of denials and
	// underpayments after the codes and the built-in pain rules (the pain
	// rules package plugs in here).
	Sharpener Sharpener
	// NoBuiltinRules turns off the built-in pain-management sharpening
	// (imaging included in injections, modifier 50 on add-ons, ...), for a
	// Sharpener that does all of it.
	NoBuiltinRules bool
	// Rules is the pain rules' data the built-in sharpening reads (NCCI
	// edits, procedure table, caps); nil: rules.Default().
	Rules *rules.Set
}

// Sharpening is a Sharpener's refinement of a decision.
type Sharpening struct {
	Category carc.Category // required
	Reason   string        // short phrase replacing the code's reason; "" keeps it
	Action   string        // "" keeps the action
	// Recoverability, in percent, overrides the category's for the
	// priority (e.g. 5 for a bundling the payer is right about); 0 keeps it.
	Recoverability int
	Rule           string // rule id recorded in Decision.Rule

	appealable bool // the built-in rule found the payer wrong: appeal
}

// Sharpener refines a denial's or underpayment's root cause with knowledge
// the codes do not carry (payer rules, the patient's history). It gets the
// line and the decision so far (Text not yet written) and must not keep
// them. ok false leaves the decision as it is.
type Sharpener interface {
	Sharpen(l Line, d Decision) (s Sharpening, ok bool)
}

// SharpenerFunc adapts a function to Sharpener.
type SharpenerFunc func(l Line, d Decision) (Sharpening, bool)

// Sharpen calls f.
func (f SharpenerFunc) Sharpen(l Line, d Decision) (Sharpening, bool) { return f(l, d) }

// Chain is a Sharpener that asks each of its members in turn and takes the
// first answer.
type Chain []Sharpener

// Sharpen implements Sharpener.
func (c Chain) Sharpen(l Line, d Decision) (Sharpening, bool) {
	for _, s := range c {
		if r, ok := s.Sharpen(l, d); ok {
			return r, true
		}
	}
	return Sharpening{}, false
}
