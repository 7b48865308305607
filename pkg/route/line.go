package route

import (
	"strings"

	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/money"
)

// Adjustment is one CAS reason/amount/quantity triplet.
type Adjustment struct {
	Group    string       // CAS01: CO, OA, PI, PR (CR in 4010 files)
	Reason   string       // CARC
	Amount   money.Amount // positive reduces the payment
	Quantity int64        // thousandths of a unit; 0 when not sent
}

// Code formats the adjustment as "CO-197".
func (a Adjustment) Code() string { return a.Group + "-" + a.Reason }

// MatchStatus says whether the matcher found the billed line.
type MatchStatus uint8

// Match statuses.
const (
	// NotChecked: no billed data was consulted (offline runs); no
	// unmatched-remittance work item is raised.
	NotChecked MatchStatus = iota
	// Matched: the billed line (or claim) was found.
	Matched
	// Unmatched: nothing billed matches; the line goes to the unmatched
	// remittance queue.
	Unmatched
)

// Flags are the matcher's facts about a paid line.
type Flags uint16

// Match flags.
const (
	ProcedureChanged Flags = 1 << iota // the payer adjudicated another code than billed (SVC06)
	ModifierDropped                    // a billed modifier is missing from the adjudicated line
	UnitsReduced                       // fewer units paid than billed
	Underpaid                          // paid less than the contract says (see Match.Expected)
	Reversal                           // the line reverses an earlier payment
	SplitClaim                         // the payer split the billed claim into several CLPs
)

var flagNames = []struct {
	f     Flags
	names []string
}{
	{ProcedureChanged, []string{"procedure_changed", "code_changed"}},
	{ModifierDropped, []string{"modifier_dropped"}},
	{UnitsReduced, []string{"units_reduced", "units_differ"}},
	{Underpaid, []string{"underpaid"}},
	{Reversal, []string{"reversal"}},
	{SplitClaim, []string{"split_claim"}},
}

// ParseFlags reads the matcher's flag names ("procedure_changed",
// "modifier_dropped", "units_reduced", "underpaid", "reversal",
// "split_claim"; the proto's "code_changed" and "units_differ" too) and
// returns the names it does not know.
func ParseFlags(names []string) (Flags, []string) {
	var f Flags
	var unknown []string
outer:
	for _, n := range names {
		for _, fn := range flagNames {
			for _, s := range fn.names {
				if n == s {
					f |= fn.f
					continue outer
				}
			}
		}
		unknown = append(unknown, n)
	}
	return f, unknown
}

// Has reports whether all of x are set.
func (f Flags) Has(x Flags) bool { return f&x == x }

// String lists the set flags by their canonical names, comma-separated.
func (f Flags) String() string {
	var s []string
	for _, fn := range flagNames {
		if f.Has(fn.f) {
			s = append(s, fn.names[0])
		}
	}
	return strings.Join(s, ",")
}

// Match is what the matcher found for a paid line.
type Match struct {
	Status MatchStatus
	Flags  Flags
	// Expected is the payer's expected payment for the line under the
	// practice's contract (after the patient's share), when known.
	Expected    money.Amount
	HasExpected bool
	// BilledProcedure and BilledModifiers are what the practice billed, when
	// the payer changed them.
	BilledProcedure string
	BilledModifiers []string
	// BilledUnits is the billed quantity in thousandths (0: unknown).
	BilledUnits int64
	// BilledCharge is the billed line's charge (the billed claim's total
	// for a claim-level match); 0: unknown. A work item never puts more
	// at risk than this (else than the line's charge).
	BilledCharge money.Amount
	// BilledClaim (CLM01) and BilledLine (LX) name the billed line the paid
	// line settles, when known (BilledLine 0: the claim only); BilledClaimID
	// and BilledLineID are their database ids (0: not stored). The router
	// does not read them; a Sharpener uses them to find the patient's line.
	BilledClaim   string
	BilledLine    int
	BilledClaimID int64
	BilledLineID  int64
}

// Line is one paid (or denied) service line with everything the router
// needs. It is the router's own input shape; services fill it from the
// matcher's messages.
type Line struct {
	PracticeID string
	PayerID    string
	ClaimID    string // CLP01, the practice's patient control number
	LineIndex  int    // 1-based position of the SVC in the claim; 0 for a claim-level decision

	Procedure   string   // SVC01-2 as adjudicated
	Modifiers   []string // SVC01-3..6
	ServiceDate day.Day  // DTM*472, else the claim's statement date
	Charge      money.Amount
	Paid        money.Amount
	Allowed     money.Amount // AMT*B6
	HasAllowed  bool
	UnitsBilled int64 // thousandths (SVC07, else SVC05); 0: one unit
	UnitsPaid   int64 // thousandths (SVC05); 0: one unit

	Adjustments []Adjustment // the line's CAS
	Remarks     []string     // the line's LQ*HE remark codes

	// ClaimAdjustments and ClaimRemarks are the claim-level CAS and MOA/MIA
	// remarks. They decide a line only when the line has no CAS (or
	// remarks) of its own, as when a payer answers at claim level.
	ClaimAdjustments []Adjustment
	ClaimRemarks     []string

	ClaimStatus string  // CLP02: 1-3, 19-21 processed, 4 denied, 22 reversal, 23 not our claim
	RemitDate   day.Day // payment/production date of the 835: the appeal clock starts here
	AsOf        day.Day // "today" for the deadline's urgency; zero: RemitDate

	Match Match

	// Siblings are the procedure codes of the other lines of the same claim
	// on the same service date (so "77003 next to 64483" can be seen).
	Siblings []string
}

// Claim is a claim answered at claim level only (no SVC loops), or a whole
// unmatched claim.
type Claim struct {
	PracticeID  string
	PayerID     string
	ClaimID     string // CLP01
	Status      string // CLP02
	Charge      money.Amount
	Paid        money.Amount
	Adjustments []Adjustment // claim-level CAS
	Remarks     []string     // MOA/MIA remark codes
	ServiceDate day.Day      // statement from-date
	RemitDate   day.Day
	AsOf        day.Day
	Match       Match
}

func hasModifier(mods []string, want ...string) bool {
	for _, m := range mods {
		for _, w := range want {
			if m == w {
				return true
			}
		}
	}
	return false
}
