package kpi

import "slices"

// Unit is what a KPI's value is measured in.
type Unit string

// Units.
const (
	Percent Unit = "percent"
	Dollars Unit = "dollars"
	Days    Unit = "days"
	Count   Unit = "count"
)

// Symbol is the unit as written after a number or in a column header.
func (u Unit) Symbol() string {
	switch u {
	case Percent:
		return "%"
	case Dollars:
		return "$"
	case Days:
		return "days"
	}
	return "count"
}

// Kind says how a KPI's value comes from the measures.
type Kind string

// Kinds.
const (
	// Ratio: Σ numerator ÷ Σ denominator over the bucket, × Scale.
	Ratio Kind = "ratio"
	// Sum: Σ numerator over the bucket; the denominator column is a
	// companion figure (not divided by).
	Sum Kind = "sum"
	// ARDays: open A/R at the bucket's last day ÷ average daily billed
	// charges over the 90 days ending then.
	ARDays Kind = "ar_days"
	// Aging: mean age in days of the work items open at the bucket's last day.
	Aging Kind = "aging"
)

// Term is a measure with a sign in a numerator or denominator.
type Term struct {
	M    Measure
	Sign int64 // +1 or -1
}

// ChartForm is the form a KPI is drawn in.
type ChartForm string

// Chart forms.
const (
	// LineChart: a time series, one line per group.
	LineChart ChartForm = "line"
	// BarChart: categories (groups) as horizontal bars over the whole
	// report period, largest first.
	BarChart ChartForm = "bar"
	// StackedChart: one bar per period stacked from Parts, positive parts
	// above zero and negative ones (reversals) below, the net marked.
	StackedChart ChartForm = "stacked"
)

// Part is one named component of a KPI's numerator.
type Part struct {
	Label string
	Terms []Term
}

// Target is the goal billing companies quote (seed 000); nil when none.
type Target struct {
	Text string  `json:"text"` // "< 5 %"
	Low  float64 `json:"low"`  // the band's lower edge, in the KPI's unit; NaN-free: Low = High for a single line
	High float64 `json:"high"`
}

// Def is a KPI's definition.
type Def struct {
	Name           string   `json:"name"`
	Title          string   `json:"title"`
	Formula        string   `json:"formula"`
	Unit           Unit     `json:"unit"`
	Target         *Target  `json:"target,omitempty"`
	HigherIsBetter bool     `json:"higher_is_better"`
	Definition     string   `json:"definition"`
	EdgeCases      []string `json:"edge_cases,omitempty"`
	// Dims are the group_by dimensions the KPI supports.
	Dims []Dim `json:"group_by"`
	// DefaultGroup is the grouping when none is asked for.
	DefaultGroup []Dim `json:"default_group_by,omitempty"`
	// NumLabel/DenLabel name the numerator and denominator columns, with
	// their units.
	NumLabel string `json:"numerator"`
	NumUnit  Unit   `json:"numerator_unit"`
	DenLabel string `json:"denominator"`
	DenUnit  Unit   `json:"denominator_unit"`
	// PeriodFixed: the KPI ignores period= (it is dated by its own events).
	PeriodFixed bool `json:"period_fixed,omitempty"`
	// Chart is the chart form that suits the KPI: bars for categories,
	// lines for a time series (see ChartForm).
	Chart ChartForm `json:"chart"`
	// Unavailable says why remitq cannot compute the KPI yet (the data it
	// needs is not received); its reports have no points. "" when it can.
	Unavailable string `json:"unavailable,omitempty"`
	// Needs, when set, are measures a report must have rows of in its
	// period and scope; without any the report is unavailable with
	// NeedsText (the clean-claim rate without acknowledgments).
	Needs     []Measure `json:"-"`
	NeedsText string    `json:"-"`
	// Variant names a restricted reading of the KPI that a report fell
	// back to ("payer_only": no patient payments in scope); "" normally.
	Variant string `json:"variant,omitempty"`
	// Parts split the numerator for a stacked chart (e.g. new
	// underpayments above zero, reversals below); nil for none.
	Parts []Part `json:"-"`

	Kind  Kind   `json:"kind"`
	Num   []Term `json:"-"`
	Den   []Term `json:"-"`
	Scale int64  `json:"-"` // the value is Num × Scale ÷ Den
	// Codes: the KPI reads the code rows (top CARC/RARC); Top is how many
	// groups a report keeps by default (largest first).
	Codes bool `json:"-"`
	// CodeKind tells CARC rows ("CO-197") from RARC rows ("N54").
	CodeKind string `json:"-"`
	Top      int    `json:"-"`
}

// Dim is a grouping dimension.
type Dim string

// Dimensions.
const (
	DimPractice Dim = "practice"
	DimPayer    Dim = "payer"
	DimProvider Dim = "provider"
	DimCPT      Dim = "cpt"
	DimCategory Dim = "category"
	DimCode     Dim = "code"
)

// Of returns the value of dim in d.
func (dim Dim) Of(d *Dims) string {
	switch dim {
	case DimPractice:
		return itoa(d.Practice)
	case DimPayer:
		return d.Payer
	case DimProvider:
		return d.Provider
	case DimCPT:
		return d.CPT
	case DimCategory:
		return d.Category
	case DimCode:
		return d.Code
	}
	return ""
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

var (
	lineDims  = []Dim{DimPractice, DimPayer, DimProvider, DimCPT, DimCategory}
	claimDims = []Dim{DimPractice, DimPayer, DimProvider}
	codeDims  = []Dim{DimCode, DimPractice, DimPayer, DimProvider, DimCPT, DimCategory}
)

const (
	adjudicatedText = "Adjudicated lines are the service lines of primary adjudications: paid claims with CLP02 1 (processed as primary), 4 (denied) or 19 (primary, forwarded to another payer)."
	firstText       = "First adjudications are primary adjudications (CLP02 1, 4, 19) that are not reversals (CLP02 22), not the payer's correction of a reversed payment, not a re-adjudication of a billed claim the same payer had already adjudicated on an earlier remit (appeals, corrected claims), and that pay an original billed claim (CLM05-3 1; replacements 7 and voids 8 are rework) or an unmatched one. Each CLP of a split claim on one remit counts as one adjudication."
	reversalText    = "Reversals (CLP02 22) count with the opposite sign on their own remit date, read as the payment they reverse; the correction that follows counts as a new adjudication, so original + reversal + correction net to the correction."
	duplicateText   = "Duplicate remittances (the matcher's duplicate_remit) and predeterminations (CLP02 25) count nowhere."
	secondaryText   = "Secondary and tertiary adjudications (CLP02 2, 3, 20, 21) are not adjudications here: the line was adjudicated by its primary payer."
	claimLevelText  = "A claim-level-only CLP (no SVC loops) counts as its billed claim's number of lines (1 when the billed claim is unknown), with CLP03 as charge and the claim-level CAS."
	deniedText      = "A line is denied in full when the payer paid nothing on it (SVC03 = 0) and put nothing on the patient (no patient-class CAS: a line whose allowed amount went to the deductible is not denied) while a denial-class adjustment took money (group + CARC read by package carc: not contractual CO-45 and kin, not patient responsibility PR-1/2/3), or when a CLP02 4 claim's line has no code; in part when something was paid and a denial-class adjustment took the rest or some of it."
	remitPeriodText = "Dated by the remit's payment date (BPR16) with period=remit, or by the line's service date with period=service."
	patientText     = "Patient payments come from the practice-management import (POST of a patient-payments CSV, or `remitq payments import`); refunds are negative. A payment that names a billed claim (its patient control number) is attributed to that claim's payer and provider; one that does not has no payer."
	arText          = "Open A/R at day D: billed charges (CLM02 of original claims, by billed date, up to D) less what left it on remits dated up to D for lines matched to billed claims (payer payments, contractual adjustments, and the patient's share, which moves to patient A/R), less the open balance of denial work items written off or resolved without payment, by their closing day. Patient A/R is the patient share moved less secondary payer payments on billed claims and patient payments."
)

var (
	arEdges = []string{"Replacement and void claims (CLM05-3 7, 8) add no charges: they restate a claim already billed.",
		"Payments on remits that match no billed claim do not reduce A/R (they are in the unmatched queue).",
		"A denial item written off, or resolved while money is still at risk, takes its amount at risk out of payer A/R on its closing day; an item resolved by a later payment takes out nothing more (the payment did). An item reopened counts as open again.",
		"Underpayment and unmatched-remittance items are not A/R balances: closing them changes nothing.",
		"Without patient payments imported, every patient share stays in patient A/R.",
		"The period parameter is ignored: charges are dated by billed date and reductions by remit or closing date."}
	arPayer   = []Term{{BilledCharges, 1}, {ARReduction, -1}, {ARWrittenOff, -1}}
	arPatient = []Term{{ARPatientMoved, 1}, {ARPatientSecondary, -1}, {PatientPaid, -1}}
)

var defs = []*Def{
	{
		Name: "denial_rate", Title: "Initial denial rate (claims)", Unit: Percent, Kind: Ratio, Scale: 100, Chart: LineChart,
		Formula: "claims denied in full or in part on their first adjudication ÷ claims first adjudicated × 100",
		Target:  &Target{Text: "< 5 %", Low: 5, High: 5},
		Definition: "HFMA/MGMA initial denial rate, claim level (the figure the < 5 % target is quoted for): first " +
			"adjudications with at least one line denied in full or in part, or denied as a claim (CLP02 4), over the " +
			"claims first adjudicated in the period. " + deniedText,
		EdgeCases: []string{firstText, "Reversals and the re-adjudications that follow them do not count again: the first decision stands.",
			"Underpayments are not denials.", duplicateText, secondaryText, remitPeriodText},
		Dims: claimDims, NumLabel: "claims denied", NumUnit: Count, DenLabel: "claims first adjudicated", DenUnit: Count,
		Num: []Term{{ClaimsDenied, 1}}, Den: []Term{{ClaimsAdjudicated, 1}},
	},
	{
		Name: "denial_rate_lines", Title: "Initial denial rate (lines)", Unit: Percent, Kind: Ratio, Scale: 100, Chart: LineChart,
		Formula:    "lines denied in full or in part on first adjudication ÷ lines first adjudicated × 100",
		Definition: "The initial denial rate counted in service lines of first adjudications. " + deniedText,
		EdgeCases:  []string{firstText, claimLevelText, duplicateText, secondaryText, remitPeriodText},
		Dims:       lineDims, NumLabel: "lines denied", NumUnit: Count, DenLabel: "lines first adjudicated", DenUnit: Count,
		Num: []Term{{LinesFirstDenied, 1}}, Den: []Term{{LinesFirst, 1}},
	},
	{
		Name: "denial_rate_dollars", Title: "Initial denial rate (dollars)", Unit: Percent, Kind: Ratio, Scale: 100, Chart: LineChart,
		Formula: "dollars denied on first adjudication ÷ charges first adjudicated × 100",
		Definition: "The initial denial rate in dollars: the denied part of each first-adjudicated line (its denial-class CAS " +
			"amounts; the charge of a code-less CLP02 4 line), so a partial denial counts by what was denied, over the " +
			"charges (SVC02) of the lines first adjudicated. " + deniedText,
		EdgeCases: []string{firstText, claimLevelText, duplicateText, secondaryText, remitPeriodText},
		Dims:      lineDims, NumLabel: "dollars denied", NumUnit: Dollars, DenLabel: "charges first adjudicated", DenUnit: Dollars,
		Num: []Term{{DenialFirst, 1}}, Den: []Term{{ChargeFirst, 1}},
	},
	{
		Name: "clean_claim_rate", Title: "Clean-claim rate (HFMA CL-1)", Unit: Percent, Kind: Ratio, Scale: 100, Chart: LineChart,
		HigherIsBetter: true,
		Formula:        "claims that pass the pre-bill edits and are accepted by the clearinghouse and payer (999/277CA) without a manual touch ÷ claims submitted × 100",
		Target:         &Target{Text: "≥ 95 %", Low: 95, High: 95},
		Definition: "HFMA MAP Key CL-1, measured before adjudication from the clearinghouse and payer acknowledgements: " +
			"of the billed claims (originals, by CLM01 in their practice) a 999 or a 277CA named, those a 277CA accepted " +
			"into adjudication (A1/A2) that no 999 and no 277CA ever rejected, counted on the day of the claim's first " +
			"acknowledgement. The pre-bill edit log is not received, so a claim a person fixed before it was sent counts " +
			"as clean. The first-pass resolution rate is the post-adjudication KPI, a separate one.",
		EdgeCases: []string{"A claim rejected by the clearinghouse or the payer and resubmitted is not clean, even once accepted.",
			"A claim named only by a 999 that accepted its transaction set is not counted: a 999 accepting a set names no claim.",
			"A claim whose acknowledgement names no billed claim (CLM01 unknown) counts nowhere."},
		Needs:     []Measure{ClaimsAcknowledged},
		NeedsText: "needs 999/277CA acknowledgements, and none were received for this scope and period",
		Dims:      claimDims, NumLabel: "clean claims", NumUnit: Count, DenLabel: "claims submitted", DenUnit: Count,
		Num: []Term{{ClaimsClean, 1}}, Den: []Term{{ClaimsAcknowledged, 1}},
	},
	{
		Name: "first_pass_resolution_rate", Title: "First-pass resolution rate", Unit: Percent, Kind: Ratio, Scale: 100, Chart: LineChart,
		HigherIsBetter: true,
		Formula:        "claims paid in full on first adjudication ÷ claims first adjudicated × 100",
		Definition: "Claims the payer paid in full on their first adjudication: not denied as a claim (CLP02 4), and no line " +
			"denied in full or in part or underpaid against the fee schedule; the patient's share (deductible, " +
			"coinsurance) does not make a claim unpaid. A separate KPI from the clean-claim rate, not a stand-in for it.",
		EdgeCases: []string{firstText, duplicateText, secondaryText, remitPeriodText},
		Dims:      claimDims, NumLabel: "claims paid in full", NumUnit: Count, DenLabel: "claims first adjudicated", DenUnit: Count,
		Num: []Term{{ClaimsPaidInFull, 1}}, Den: []Term{{ClaimsAdjudicated, 1}},
	},
	{
		Name: "net_collection_rate", Title: "Net collection rate", Unit: Percent, Kind: Ratio, Scale: 100, Chart: LineChart,
		HigherIsBetter: true,
		Formula:        "(payer payments + patient payments) ÷ (charges − contractual adjustments) × 100",
		Target:         &Target{Text: "96–98 %", Low: 96, High: 98},
		Definition: "MGMA adjusted (net) collection rate. Payer payments are every payment on the remits (SVC03, CLP04 for " +
			"claim-level-only CLPs), primary and secondary, reversals negative; patient payments come from the " +
			"practice-management export. Charges are SVC02 of adjudicated lines; contractual adjustments are their CAS " +
			"amounts of class contractual (CO-45 and kin). When no patient payment is on file for the report's scope and " +
			"period, the report says payer-only (variant payer_only) and shows no target: the patient's share then stays " +
			"in the denominator uncollected.",
		EdgeCases: []string{patientText, adjudicatedText, reversalText, duplicateText,
			"Provider-level adjustments (PLB: interest, recoupments, forward balances) are not payments of lines and are left out.",
			"Patient payments have no CPT or category, so the KPI groups by practice, payer and provider only.",
			remitPeriodText + " Patient payments are dated by their payment date, or their date of service with period=service."},
		Dims: claimDims, NumLabel: "payments", NumUnit: Dollars, DenLabel: "charges − contractual", DenUnit: Dollars,
		Num: []Term{{Payments, 1}, {PatientPaid, 1}}, Den: []Term{{ChargeAdjudicated, 1}, {Contractual, -1}},
	},
	{
		Name: "days_in_ar", Title: "Days in A/R", Unit: Days, Kind: ARDays, Scale: 90, PeriodFixed: true, Chart: LineChart,
		Formula:    "(payer A/R + patient A/R) at the period's last day ÷ (billed charges of the 90 days ending then ÷ 90)",
		Target:     &Target{Text: "< 35 days", Low: 35, High: 35},
		Definition: "All open A/R, payer and patient together (days_in_ar_payer and days_in_ar_patient show them apart). " + arText,
		EdgeCases:  arEdges,
		Dims:       claimDims, NumLabel: "open A/R", NumUnit: Dollars, DenLabel: "billed charges, last 90 days", DenUnit: Dollars,
		Num: append(append([]Term{}, arPayer...), arPatient...), Den: []Term{{BilledCharges, 1}},
	},
	{
		Name: "days_in_ar_payer", Title: "Days in A/R (payer)", Unit: Days, Kind: ARDays, Scale: 90, PeriodFixed: true, Chart: LineChart,
		Formula:    "payer A/R at the period's last day ÷ (billed charges of the 90 days ending then ÷ 90)",
		Definition: "The payer part of days in A/R. " + arText,
		EdgeCases:  append(append([]string{}, arEdges...), "Secondary payments are left out of payer A/R (the primary's patient share already left it)."),
		Dims:       claimDims, NumLabel: "payer A/R", NumUnit: Dollars, DenLabel: "billed charges, last 90 days", DenUnit: Dollars,
		Num: arPayer, Den: []Term{{BilledCharges, 1}},
	},
	{
		Name: "days_in_ar_patient", Title: "Days in A/R (patient)", Unit: Days, Kind: ARDays, Scale: 90, PeriodFixed: true, Chart: LineChart,
		Formula:    "patient A/R at the period's last day ÷ (billed charges of the 90 days ending then ÷ 90)",
		Definition: "The patient part of days in A/R: patient shares moved from payer A/R, less secondary payer payments and patient payments. " + arText,
		EdgeCases:  append(append([]string{}, arEdges...), patientText),
		Dims:       claimDims, NumLabel: "patient A/R", NumUnit: Dollars, DenLabel: "billed charges, last 90 days", DenUnit: Dollars,
		Num: arPatient, Den: []Term{{BilledCharges, 1}},
	},
	{
		Name: "appeal_overturn_rate", Title: "Appeal overturn rate", Unit: Percent, Kind: Ratio, Scale: 100, Chart: LineChart,
		HigherIsBetter: true,
		Formula:        "appeals won ÷ appeals decided × 100",
		Definition: "Appealed work items, dated by the day of their first appeal. When the item's appeals are tracked " +
			"(work_item_appeals, one per level) they decide: won when a level was decided paid_in_full or partial, " +
			"else pending while a level is pending, else lost when a level was upheld; withdrawn appeals are left out " +
			"(an item whose appeals were all withdrawn counts in neither). The item is dated by its first level " +
			"submitted (submitted_on). Without tracked appeals the item's appeal is appealed when moved to " +
			"status appealed, dated that day, and decided by the outcome the biller recorded on resolving it (paid in " +
			"full or partial: won; upheld: lost), else inferred: won when a later remit paid something on the item, lost " +
			"when the item was closed (resolved or written off) with nothing recovered. Pending appeals count in neither.",
		EdgeCases: []string{"An item appealed twice (or at several levels) counts once, dated by its first appeal; " +
			"a win at any level makes it won, even after an upheld first level.",
			"A partial recovery is a won appeal; its dollars show in appeal_recovery_rate.",
			"Tracked appeals override the inference for their item: an upheld appeal is lost even if a later remit paid something; " +
				"so does an item resolved with outcome upheld.",
			"An item resolved paid in full or partial is won even when no 835 showed the payment (a paper check, a reprocessing).",
			"A period's figure changes as its pending appeals are decided.", "With period=service the items are dated by their line's service date."},
		Dims: lineDims, NumLabel: "appeals won", NumUnit: Count, DenLabel: "appeals decided", DenUnit: Count,
		Num: []Term{{AppealsWon, 1}}, Den: []Term{{AppealsDecided, 1}},
	},
	{
		Name: "appeal_overturn_rate_first_level", Title: "Appeal overturn rate (first level)", Unit: Percent, Kind: Ratio, Scale: 100,
		Chart: LineChart, HigherIsBetter: true,
		Formula: "first-level appeals won ÷ first-level appeals decided × 100",
		Definition: "Tracked appeals only (work_item_appeals): work items whose level-1 appeal was decided, dated as in " +
			"appeal_overturn_rate (the day of their first appeal not withdrawn). Won: level 1 decided paid_in_full or " +
			"partial; lost: upheld. A pending or withdrawn level 1 counts in neither, whatever later levels did; items " +
			"without tracked appeals have no level and count in neither.",
		EdgeCases: []string{"A level-1 appeal upheld and won at level 2 is lost here and won in appeal_overturn_rate.",
			"A period's figure changes as its pending appeals are decided.", "With period=service the items are dated by their line's service date."},
		Dims: lineDims, NumLabel: "first-level appeals won", NumUnit: Count, DenLabel: "first-level appeals decided", DenUnit: Count,
		Num: []Term{{AppealsFirstWon, 1}}, Den: []Term{{AppealsFirstDecided, 1}},
	},
	{
		Name: "appeal_recovery_rate", Title: "Appeal recovery rate", Unit: Percent, Kind: Ratio, Scale: 100, Chart: LineChart,
		HigherIsBetter: true,
		Formula:        "dollars recovered on decided appeals ÷ dollars expected on them × 100",
		Definition: "Decided appeals as in appeal_overturn_rate. Dollars recovered on a won appeal are the amounts " +
			"recorded on its won levels (work_item_appeals.amount_recovered) when the item's appeals are tracked and " +
			"any was recorded (above zero), else what later remits paid on the item (work_items.recovered_amount), else " +
			"the amount recorded when the item was resolved won (work_items.resolution_recovered); a lost appeal recovers nothing. Dollars expected are the line's allowed amount from the fee schedule or " +
			"contract (the matcher's expected_allowed), the billed charge only when none is known, else the amount at " +
			"risk when appealed (the first tracked level's amount_appealed, or the amount at risk when moved to " +
			"appealed). Pending appeals count in neither.",
		EdgeCases: []string{"An item appealed twice (or at several levels) counts once, dated by its first appeal; " +
			"the recorded recoveries of all its won levels add up.",
			"A won tracked appeal with no amount recorded counts what later remits paid on the item.",
			"Recovered dollars are payer payments: a won appeal whose allowed amount partly went to the patient's deductible reads below 100 %.",
			"With period=service the items are dated by their line's service date."},
		Dims: lineDims, NumLabel: "recovered", NumUnit: Dollars, DenLabel: "expected", DenUnit: Dollars,
		Num: []Term{{AppealRecoveredDecided, 1}}, Den: []Term{{AppealExpected, 1}},
	},
	{
		Name: "touchless_rate", Title: "Touchless rate", Unit: Percent, Kind: Ratio, Scale: 100, HigherIsBetter: true, Chart: LineChart,
		Formula: "lines posted with no human touch ÷ lines posted × 100",
		Definition: "Lines posted are every paid line of the remits (primary, secondary, reversals). A line is touchless " +
			"when the matcher found its billed line without a person (not waiting for review, not manual, not unmatched) and " +
			"it needs no work item (not denied, partially denied or underpaid).",
		EdgeCases: []string{duplicateText, remitPeriodText},
		Dims:      lineDims, NumLabel: "touchless lines", NumUnit: Count, DenLabel: "lines posted", DenUnit: Count,
		Num: []Term{{LinesTouchless, 1}}, Den: []Term{{LinesPosted, 1}},
	},
	{
		Name: "underpayment_dollars", Title: "Underpayment dollars", Unit: Dollars, Kind: Sum, Scale: 1, Chart: StackedChart,
		Formula: "Σ (expected allowed − (paid + patient responsibility)) over underpaid lines, less what reversals took back",
		Definition: "Lines the matcher flagged underpaid against the fee schedule (the payer allowed less than the " +
			"contract), with the shortfall. A reversal of an underpaid payment takes its shortfall back on the reversal's " +
			"date (charts show it below zero, apart from new underpayments). The denominator column counts the underpaid " +
			"lines, net of reversals.",
		EdgeCases: []string{reversalText, duplicateText, secondaryText, remitPeriodText},
		Dims:      lineDims, NumLabel: "shortfall", NumUnit: Dollars, DenLabel: "underpaid lines", DenUnit: Count,
		Num: []Term{{UnderpaidAmount, 1}}, Den: []Term{{LinesUnderpaid, 1}},
		Parts: []Part{{"New underpayments", []Term{{UnderpaidAmount, 1}, {UnderpaidReversed, 1}}},
			{"Taken back by reversals", []Term{{UnderpaidReversed, -1}}}},
	},
	{
		Name: "denials_by_category", Title: "Denials by root-cause category", Unit: Dollars, Kind: Sum, Scale: 1, Chart: BarChart,
		Formula: "Σ denial adjustments by root-cause category",
		Definition: "Dollars the payers denied (denial-class CAS amounts, partial denials included) by the DESIGN.md " +
			"root-cause category of each line's largest denial adjustment read with its remark codes; the denominator " +
			"column counts the lines denied in full. Group by category (the default).",
		EdgeCases:    []string{deniedText, reversalText, duplicateText, secondaryText, remitPeriodText},
		Dims:         lineDims,
		DefaultGroup: []Dim{DimCategory},
		NumLabel:     "denied", NumUnit: Dollars, DenLabel: "denied lines", DenUnit: Count,
		Num: []Term{{DenialAmount, 1}}, Den: []Term{{LinesDenied, 1}},
	},
	{
		Name: "top_carc", Title: "Top denial CARCs", Unit: Count, Kind: Sum, Scale: 1, Codes: true, CodeKind: "carc", Top: 10, Chart: BarChart,
		Formula:    "adjudicated lines carrying each denial group + CARC",
		Definition: "Denial-class adjustments (group + CARC, e.g. CO-197) on adjudicated lines: lines carrying each and the dollars it took (denominator column). Largest first; top= keeps that many codes (default 10).",
		EdgeCases:  []string{reversalText, duplicateText, secondaryText, remitPeriodText},
		Dims:       codeDims, DefaultGroup: []Dim{DimCode},
		NumLabel: "lines", NumUnit: Count, DenLabel: "denied", DenUnit: Dollars,
		Num: []Term{{CARCLines, 1}}, Den: []Term{{CARCAmount, 1}},
	},
	{
		Name: "top_rarc", Title: "Top remark codes on denials", Unit: Count, Kind: Sum, Scale: 1, Codes: true, CodeKind: "rarc", Top: 10, Chart: BarChart,
		Formula:    "denied or partially denied lines carrying each RARC",
		Definition: "Remark codes (LQ*HE, MOA) on lines with a denial: lines carrying each and their denial dollars (denominator column). Largest first; top= keeps that many codes (default 10).",
		EdgeCases:  []string{reversalText, duplicateText, secondaryText, remitPeriodText},
		Dims:       codeDims, DefaultGroup: []Dim{DimCode},
		NumLabel: "lines", NumUnit: Count, DenLabel: "denied", DenUnit: Dollars,
		Num: []Term{{RARCLines, 1}}, Den: []Term{{RARCAmount, 1}},
	},
	{
		Name: "work_throughput", Title: "Work-queue throughput", Unit: Count, Kind: Sum, Scale: 1, HigherIsBetter: true, Chart: LineChart,
		Formula:    "work items closed (resolved or written off) per period",
		Definition: "Work items (denials, underpayments, unmatched remittances) that reached resolved or written_off, by the day they did; the denominator column counts the items created in the period.",
		EdgeCases:  []string{"An item reopened by a later remit counts as closed only when it is closed again, on that day.", "With period=service the items are dated by their line's service date."},
		Dims:       lineDims, NumLabel: "closed", NumUnit: Count, DenLabel: "created", DenUnit: Count,
		Num: []Term{{ItemsClosed, 1}}, Den: []Term{{ItemsCreated, 1}},
	},
	{
		Name: "work_aging", Title: "Work-queue aging", Unit: Days, Kind: Aging, Scale: 1, Chart: LineChart,
		Formula: "mean age in days, from the remit date, of the work items open at the period's last day",
		Definition: "For each period's last day D, the work items created on or before D and not closed by D, and their mean " +
			"age D − the remit date of the remit that opened them (the creation day when it has none); the denominator " +
			"column counts them. The same age the queues show.",
		EdgeCases: []string{"Items are taken as they are now: an item reopened after closing counts as open from its creation.", "The period parameter is ignored: items are dated by creation and closing."},
		Dims:      lineDims, PeriodFixed: true, NumLabel: "age sum", NumUnit: Days, DenLabel: "open items", DenUnit: Count,
		Num: []Term{{ItemsCreated, 1}, {ItemsClosed, -1}}, Den: []Term{{ItemsCreated, 1}, {ItemsClosed, -1}},
	},
}

// payerOnly is the reading of a KPI that needs patient payments when none
// is on file: the same figures, labelled payer-only, without the target.
func (d *Def) payerOnly() *Def {
	c := *d
	c.Title = d.Title + " (payer payments only)"
	c.Target = nil
	c.Variant = "payer_only"
	c.Definition = "No patient payment is on file for this scope and period: payer payments only, and the 96–98 % target does not apply. " + d.Definition
	return &c
}

// needsPatient reports whether the KPI's numerator counts patient payments.
func (d *Def) needsPatient() bool {
	return d.Kind == Ratio && slices.ContainsFunc(d.Num, func(t Term) bool { return t.M == PatientPaid })
}

// Defs returns every KPI definition, in report order.
func Defs() []*Def { return slices.Clone(defs) }

// Lookup finds a KPI by name.
func Lookup(name string) (*Def, bool) {
	for _, d := range defs {
		if d.Name == name {
			return d, true
		}
	}
	return nil, false
}

// Supports reports whether the KPI can be grouped by dim.
func (d *Def) Supports(dim Dim) bool { return slices.Contains(d.Dims, dim) }
