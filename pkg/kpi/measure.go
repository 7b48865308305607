package kpi

// Measure is one additive figure of the daily summary: a count, a sum of
// money in cents, or a sum of day numbers (aging). The summary tables keep
// the measures of a row as an array in this order; append new measures at
// the end only.
type Measure int

// The measures. "Primary adjudication" is a paid claim of CLP02 1, 4 or
// 19 (processed as primary, denied, primary and forwarded); a reversal
// (CLP02 22) counts with the opposite sign of the payment it reverses, so
// an original, its reversal and the correction net to the correction.
// Duplicate remittances (the matcher's duplicate_remit) and
// predeterminations (CLP02 25) count nowhere.
const (
	// LinesAdjudicated: service lines of primary adjudications (a
	// claim-level-only CLP counts its billed claim's lines, else 1).
	LinesAdjudicated Measure = iota
	// LinesDenied: of those, lines the payer paid nothing on, with nothing
	// on the patient and a denial adjustment (carc class "denial"), or
	// CLP02 4 without any code.
	LinesDenied
	// ChargeAdjudicated: SVC02 of the adjudicated lines (cents).
	ChargeAdjudicated
	// ChargeDenied: SVC02 of the denied lines (cents).
	ChargeDenied
	// DenialAmount: Σ of the denial-class CAS amounts of adjudicated lines,
	// partial denials included (cents).
	DenialAmount
	// Contractual: Σ contractual-class CAS amounts of adjudicated lines (cents).
	Contractual
	// PatientResp: Σ patient-class CAS amounts of adjudicated lines (cents).
	PatientResp
	// Payments: Σ SVC03 (CLP04 for a claim-level-only CLP) of every paid
	// claim, primary and secondary, reversals negative (cents).
	Payments
	// LinesPosted: every paid line (primary, secondary, reversal).
	LinesPosted
	// LinesTouchless: posted lines matched without a person (not manual,
	// not waiting for review, not unmatched) that need no work item (not
	// denied, partially denied or underpaid).
	LinesTouchless
	// LinesUnderpaid: adjudicated lines the matcher flagged underpaid.
	LinesUnderpaid
	// UnderpaidAmount: Σ expected allowed − (paid + patient
	// responsibility) of the underpaid lines (cents).
	UnderpaidAmount
	// ARReduction: paid + contractual + patient responsibility of the
	// adjudicated lines that match a billed claim: what leaves payer A/R
	// (cents).
	ARReduction
	// ClaimsAdjudicated: first adjudications: primary paid claims that are
	// not corrections, of original billed claims (CLM05-3 1) or unmatched.
	ClaimsAdjudicated
	// ClaimsPaidInFull: of those, claims paid in full: not CLP02 4, no
	// denied, partially denied or underpaid line (first-pass resolution).
	ClaimsPaidInFull
	// BilledCharges: CLM02 of original billed claims (CLM05-3 1), by
	// billed date (remit basis) or service date (cents).
	BilledCharges
	// BilledClaims: original billed claims.
	BilledClaims
	// CARCLines: lines carrying a denial CAS of the row's code ("CO-197").
	CARCLines
	// CARCAmount: that CAS's amount (cents).
	CARCAmount
	// RARCLines: denied or partially denied lines carrying the row's remark
	// code ("N54").
	RARCLines
	// RARCAmount: those lines' denial amount (cents).
	RARCAmount
	// ItemsCreated: work items created (on their creation day).
	ItemsCreated
	// ItemsClosed: work items resolved or written off (on that day).
	ItemsClosed
	// CreatedDaySum: Σ origin Day (the remit date, else the creation day)
	// of the items created (aging).
	CreatedDaySum
	// ClosedCreatedDaySum: Σ origin Day of the items closed (aging).
	ClosedCreatedDaySum
	// Appeals: work items appealed (on the appeal date).
	Appeals
	// AppealedAmount: their amount at risk when appealed (cents).
	AppealedAmount
	// AppealRecovered: what later remits paid on them (cents).
	AppealRecovered
	// ClaimsDenied: first adjudications with a denied or partially denied
	// line, or CLP02 4.
	ClaimsDenied
	// LinesFirst: service lines of first adjudications (weighted as
	// LinesAdjudicated).
	LinesFirst
	// LinesFirstDenied: of those, lines denied in full or in part.
	LinesFirstDenied
	// ChargeFirst: SVC02 of the lines of first adjudications (cents).
	ChargeFirst
	// DenialFirst: the denied part of those lines: denial-class CAS, or the
	// charge of a code-less CLP02 4 line (cents).
	DenialFirst
	// PaymentsPrimary: SVC03 of primary adjudications, reversals negative
	// (cents): the payer payments the charges-to-payments waterfall ends on.
	PaymentsPrimary
	// PatientPaid: patient payments from the practice-management import,
	// refunds negative (cents).
	PatientPaid
	// PatientPayRows: patient payment records (tells payer-only reports).
	PatientPayRows
	// ARWrittenOff: the open balance of denial work items written off or
	// resolved without payment, on their closing day (cents).
	ARWrittenOff
	// ARPatientMoved: patient-class CAS of primary adjudications of billed
	// claims: what moved from payer to patient A/R (cents).
	ARPatientMoved
	// ARPatientSecondary: secondary payer payments on billed claims, which
	// pay the patient's share (cents).
	ARPatientSecondary
	// AppealsDecided: appealed items decided: with tracked appeals a level
	// won or (none pending) upheld; else something recovered, or the item
	// closed (resolved or written off). See WorkItem.AppealState.
	AppealsDecided
	// AppealsWon: decided appeals won: a tracked level paid in full or in
	// part; else something recovered.
	AppealsWon
	// AppealExpected: dollars expected on decided appeals: the fee-schedule
	// allowed amount of the line, its charge when none is known (cents).
	AppealExpected
	// AppealRecoveredDecided: what decided appeals recovered: the amounts
	// recorded on won tracked levels, else what later remits paid; 0 for a
	// lost one (cents).
	AppealRecoveredDecided
	// UnderpaidReversed: the shortfall of underpaid lines that reversals
	// took back, positive (cents); UnderpaidAmount is already net of it.
	UnderpaidReversed
	// ClaimsAcknowledged: billed claims (originals, by CLM01 in their
	// practice) a 999 or a 277CA named, on the day of their first
	// acknowledgment: the clean-claim rate's claims submitted.
	ClaimsAcknowledged
	// ClaimsClean: of those, claims a 277CA accepted (A1/A2) that no 999
	// and no 277CA ever rejected: the clean-claim rate's clean claims.
	ClaimsClean
	// AppealsFirstDecided: items whose tracked level-1 appeal was decided
	// (paid in full, partial or upheld; not pending, not withdrawn).
	AppealsFirstDecided
	// AppealsFirstWon: those decided paid in full or partial.
	AppealsFirstWon

	// NumMeasures is the number of measures.
	NumMeasures
)

// Measures holds one value per Measure.
type Measures [NumMeasures]int64

// Add adds o to m.
func (m *Measures) Add(o *Measures) {
	for i := range m {
		m[i] += o[i]
	}
}

// Sub subtracts o from m.
func (m *Measures) Sub(o *Measures) {
	for i := range m {
		m[i] -= o[i]
	}
}

// Zero reports whether every measure is zero.
func (m *Measures) Zero() bool {
	for _, v := range m {
		if v != 0 {
			return false
		}
	}
	return true
}

// Slice returns the measures as a slice (for an int8[] column).
func (m *Measures) Slice() []int64 { return append([]int64(nil), m[:]...) }

// MeasuresOf reads a slice written by Slice; missing trailing values are 0.
func MeasuresOf(s []int64) Measures {
	var m Measures
	copy(m[:], s)
	return m
}

var measureNames = [NumMeasures]string{
	"lines_adjudicated", "lines_denied", "charge_adjudicated", "charge_denied", "denial_amount", "contractual",
	"patient_responsibility", "payments", "lines_posted", "lines_touchless", "lines_underpaid", "underpaid_amount",
	"ar_reduction", "claims_adjudicated", "claims_paid_in_full", "billed_charges", "billed_claims", "carc_lines",
	"carc_amount", "rarc_lines", "rarc_amount", "items_created", "items_closed", "created_day_sum",
	"closed_created_day_sum", "appeals", "appealed_amount", "appeal_recovered",
	"claims_denied", "lines_first", "lines_first_denied", "charge_first", "denial_first", "payments_primary",
	"patient_paid", "patient_pay_rows", "ar_written_off", "ar_patient_moved", "ar_patient_secondary",
	"appeals_decided", "appeals_won", "appeal_expected", "appeal_recovered_decided", "underpaid_reversed",
	"claims_acknowledged", "claims_clean", "appeals_first_decided", "appeals_first_won",
}

// String is the measure's snake_case name.
func (m Measure) String() string {
	if m < 0 || m >= NumMeasures {
		return "measure?"
	}
	return measureNames[m]
}

// Money reports whether the measure is an amount of money in cents.
func (m Measure) Money() bool {
	switch m {
	case ChargeAdjudicated, ChargeDenied, DenialAmount, Contractual, PatientResp, Payments, UnderpaidAmount,
		ARReduction, BilledCharges, CARCAmount, RARCAmount, AppealedAmount, AppealRecovered, ChargeFirst, DenialFirst,
		PaymentsPrimary, PatientPaid, ARWrittenOff, ARPatientMoved, ARPatientSecondary, AppealExpected, AppealRecoveredDecided,
		UnderpaidReversed:
		return true
	}
	return false
}
