package match

import (
	"slices"

	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/x12"
)

// Method says how a paid line was joined to a billed line.
type Method string

// The matching methods, in ladder order.
const (
	// LineControl: the 835 REF*6R equals the 837 REF*6R.
	LineControl Method = "line_control"
	// ClaimAndProcedure: the claim by CLP01 within the practice, the line by
	// procedure (SVC06 when the payer changed it), modifiers, date and units,
	// tie-broken by charge.
	ClaimAndProcedure Method = "claim_and_procedure"
	// Fuzzy: a scored match on member id, service date and amounts when
	// CLP01 finds no billed claim.
	Fuzzy Method = "fuzzy"
	// Reversal: a reversal (CLP02 = 22) line netted against the earlier
	// payment of the same payer claim (CLP07); the billed line is the one that
	// payment matched.
	Reversal Method = "reversal"
	// ClaimOnly: the billed claim is known but no billed line is: a
	// claim-level-only CLP, or a line that could not be told apart.
	ClaimOnly Method = "claim_only"
	// Unmatched: nothing matched; the paid claim waits in the unmatched queue.
	Unmatched Method = "unmatched"
	// Manual: a person confirmed or picked the billed line.
	Manual Method = "manual"
)

// Flag is a machine-readable note on a result, snake_case.
type Flag string

// The flags the matcher sets.
const (
	FlagModifierDropped     Flag = "modifier_dropped"      // a billed modifier is missing from SVC01
	FlagModifierAdded       Flag = "modifier_added"        // SVC01 carries a modifier that was not billed
	FlagProcedureChanged    Flag = "procedure_changed"     // SVC01 code differs from the billed code
	FlagUnitsReduced        Flag = "units_reduced"         // fewer units paid than billed
	FlagUnderpaid           Flag = "underpaid"             // paid < expected allowed − patient responsibility − tolerance
	FlagDenied              Flag = "denied"                // nothing paid on a charge
	FlagBundled             Flag = "bundled"               // CARC 97: paid within another line's allowance
	FlagReversal            Flag = "reversal"              // CLP02 = 22
	FlagCorrection          Flag = "correction"            // replaces a reversed payment
	FlagDuplicateRemit      Flag = "duplicate_remit"       // the same claim key was remitted before
	FlagSplitClaim          Flag = "split_claim"           // the CLP pays part of a billed claim
	FlagCrossover           Flag = "crossover"             // CLP02 19/20/21: forwarded to another payer
	FlagSecondary           Flag = "secondary"             // CLP02 2/3/20/21: processed as secondary or tertiary
	FlagLateClaim           Flag = "late_claim"            // matched once the billed claim arrived after the remit
	FlagPriorPaymentMissing Flag = "prior_payment_missing" // a reversal or correction whose earlier payment is unknown
	FlagClaimControlDiffers Flag = "claim_control_differs" // REF*6R found a line of a claim with another CLM01
	FlagAmbiguous           Flag = "ambiguous"             // another billed line fit as well
	FlagClaimLevelOnly      Flag = "claim_level_only"      // the CLP has no service lines
	FlagManualReview        Flag = "manual_review"         // below the confidence threshold: a person decides
)

// Billed names a billed claim and, when known, one of its lines.
type Billed struct {
	ClaimID        int64  `json:"claim_id,omitempty"`    // database id, 0 when not stored
	PatientControl string `json:"patient_control"`       // CLM01
	LineID         int64  `json:"line_id,omitempty"`     // database id of the line
	LineNumber     int    `json:"line_number,omitempty"` // LX number; 0: the claim only
}

// NetRef names the earlier payment a reversal, correction or duplicate
// nets against.
type NetRef struct {
	Ref       string `json:"ref"`            // PaidClaim.Ref of the earlier payment
	LineIndex int    `json:"line,omitempty"` // its SVC index; 0: the whole claim
}

// LineResult is the matcher's answer for one paid line (or, with Index 0,
// for a claim-level-only CLP).
type LineResult struct {
	Index       int          `json:"index"` // SVC index in the paid claim; 0 for a claim-level-only CLP
	Procedure   string       `json:"procedure"`
	Modifiers   []string     `json:"modifiers,omitempty"`
	ServiceDate x12.Date     `json:"service_date,omitempty"`
	Units       x12.Quantity `json:"units,omitempty"` // paid units

	Billed      *Billed `json:"billed,omitempty"` // nil: unmatched
	Method      Method  `json:"method"`
	Confidence  float64 `json:"confidence"` // 0..1, not money
	Review      bool    `json:"review"`     // below the threshold, or unmatched: waits for a person
	Flags       []Flag  `json:"flags,omitempty"`
	NetsAgainst *NetRef `json:"nets_against,omitempty"`

	BilledCharge money.Amount  `json:"billed_charge"` // the billed line's charge; the paid charge when unmatched
	BilledUnits  x12.Quantity  `json:"billed_units,omitempty"`
	Charge       money.Amount  `json:"charge"`                     // SVC02
	Paid         money.Amount  `json:"paid"`                       // SVC03
	Allowed      money.Amount  `json:"allowed"`                    // AMT*B6, else paid + patient responsibility
	PatientResp  money.Amount  `json:"patient_responsibility"`     // Σ PR adjustments
	Expected     *money.Amount `json:"expected_allowed,omitempty"` // from the fee schedule, when known
	// NetPaid is what the line changes in the practice's books: Paid, less
	// what the netted earlier payment paid for a correction, and nothing for
	// a duplicate remittance.
	NetPaid money.Amount `json:"net_paid"`
}

// HasFlag reports whether the result carries f.
func (r *LineResult) HasFlag(f Flag) bool { return slices.Contains(r.Flags, f) }

func (r *LineResult) addFlag(f Flag) {
	if !slices.Contains(r.Flags, f) {
		r.Flags = append(r.Flags, f)
	}
}

// ClaimResult is the matcher's answer for one paid claim.
type ClaimResult struct {
	Ref            string   `json:"ref"`
	File           string   `json:"file,omitempty"`
	Practice       string   `json:"practice"`
	Payer          string   `json:"payer"`
	PatientControl string   `json:"patient_control"`
	PayerControl   string   `json:"payer_control,omitempty"`
	Status         string   `json:"status"`
	ServiceDate    x12.Date `json:"service_date,omitempty"`
	// Key is the claim dedupe key: payer + CLP07 + CLP02 + service date.
	Key string `json:"key"`

	Billed      *Billed      `json:"billed,omitempty"` // the billed claim (LineNumber 0), nil when none
	Method      Method       `json:"method"`           // how the claim was found
	Confidence  float64      `json:"confidence"`
	Flags       []Flag       `json:"flags,omitempty"`
	NetsAgainst *NetRef      `json:"nets_against,omitempty"`
	Charge      money.Amount `json:"charge"`
	Paid        money.Amount `json:"paid"`
	PatientResp money.Amount `json:"patient_responsibility"`

	Lines []LineResult `json:"lines"`
}

// NeedsReview reports whether any line waits for a person.
func (r *ClaimResult) NeedsReview() bool {
	for i := range r.Lines {
		if r.Lines[i].Review {
			return true
		}
	}
	return false
}

// Unmatched reports whether any line found no billed line (a
// claim-level-only CLP: no billed claim).
func (r *ClaimResult) Unmatched() bool {
	for i := range r.Lines {
		l := &r.Lines[i]
		if l.Billed == nil || l.Billed.LineNumber == 0 && l.Index > 0 {
			return true
		}
	}
	return false
}

func (r *ClaimResult) addFlag(f Flag) {
	if !slices.Contains(r.Flags, f) {
		r.Flags = append(r.Flags, f)
	}
}

// Confirm records a person's decision on a line waiting for review: the
// billed line b (LineNumber 0 for the claim only). The method becomes
// Manual with full confidence.
func Confirm(r *LineResult, b Billed) {
	r.Billed = &b
	r.Method, r.Confidence, r.Review = Manual, 1, false
	r.Flags = slices.DeleteFunc(r.Flags, func(f Flag) bool { return f == FlagManualReview })
}
