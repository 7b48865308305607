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
	reversalText    = "Reversals (CLP02 22) count with the opposite sign on their own remit date, read as the payment they reverse; the correction that follows counts as a new adjudication, so original + reversal + correction net to the correction."
	duplicateText   = "Duplicate remittances (the matcher's duplicate_remit) and predeterminations (CLP02 25) count nowhere."
	secondaryText   = "Secondary and tertiary adjudications (CLP02 2, 3, 20, 21) are not adjudications here: the line was adjudicated by its primary payer."
	claimLevelText  = "A claim-level-only CLP (no SVC loops) counts as its billed claim's number of lines (1 when the billed claim is unknown), with CLP03 as charge and the claim-level CAS."
	deniedText      = "A denied line is one the payer paid nothing on (SVC03 = 0) and put nothing on the patient (no patient-class CAS: a line whose allowed amount went to the deductible is not denied) while a denial-class adjustment took money (group + CARC read by package carc: not contractual CO-45 and kin, not patient responsibility PR-1/2/3), or a CLP02 4 claim's line without any code."
	remitPeriodText = "Dated by the remit's payment date (BPR16) with period=remit, or by the line's service date with period=service."
)

var defs = []*Def{
	{
		Name: "denial_rate", Title: "Denial rate (lines)", Unit: Percent, Kind: Ratio, Scale: 100,
		Formula: "denied lines ÷ adjudicated lines × 100",
		Target:  &Target{Text: "< 5 %", Low: 5, High: 5},
		Definition: "Share of adjudicated service lines the payer denied. " + deniedText + " Partially denied lines " +
			"(something paid) are not denied lines; their denial dollars appear in denials_by_category.",
		EdgeCases: []string{adjudicatedText, reversalText, duplicateText, secondaryText, claimLevelText, remitPeriodText},
		Dims:      lineDims, NumLabel: "denied lines", NumUnit: Count, DenLabel: "adjudicated lines", DenUnit: Count,
		Num: []Term{{LinesDenied, 1}}, Den: []Term{{LinesAdjudicated, 1}},
	},
	{
		Name: "denial_rate_dollars", Title: "Denial rate (dollars)", Unit: Percent, Kind: Ratio, Scale: 100,
		Formula:    "charges of denied lines ÷ charges of adjudicated lines × 100",
		Target:     &Target{Text: "< 5 %", Low: 5, High: 5},
		Definition: "The denial rate weighted by billed charge (SVC02): the same lines as denial_rate. " + deniedText,
		EdgeCases:  []string{adjudicatedText, reversalText, duplicateText, secondaryText, claimLevelText, remitPeriodText},
		Dims:       lineDims, NumLabel: "charges denied", NumUnit: Dollars, DenLabel: "charges adjudicated", DenUnit: Dollars,
		Num: []Term{{ChargeDenied, 1}}, Den: []Term{{ChargeAdjudicated, 1}},
	},
	{
		Name: "clean_claim_rate", Title: "Clean-claim (first-pass) rate", Unit: Percent, Kind: Ratio, Scale: 100,
		HigherIsBetter: true,
		Formula:        "claims paid on first adjudication without rework ÷ claims adjudicated × 100",
		Target:         &Target{Text: "≥ 95 %", Low: 95, High: 95},
		Definition: "Claims adjudicated are first adjudications: primary paid claims (CLP02 1, 4, 19) that are not the " +
			"payer's correction of a reversed payment and that pay an original billed claim (CLM05-3 1; replacements and voids are " +
			"rework) or an unmatched one. A claim is clean when it is not CLP02 4, no line is denied, partially denied or " +
			"underpaid, and every line matched its billed line without a person (no review, no manual match, no unmatched line).",
		EdgeCases: []string{"Each CLP of a split claim counts as one adjudication.",
			"Reversals and corrections do not count: the original adjudication stands as it was decided.",
			duplicateText, secondaryText, remitPeriodText},
		Dims: claimDims, NumLabel: "clean claims", NumUnit: Count, DenLabel: "claims adjudicated", DenUnit: Count,
		Num: []Term{{ClaimsClean, 1}}, Den: []Term{{ClaimsAdjudicated, 1}},
	},
	{
		Name: "net_collection_rate", Title: "Net collection rate", Unit: Percent, Kind: Ratio, Scale: 100,
		HigherIsBetter: true,
		Formula:        "payments ÷ (charges − contractual adjustments) × 100",
		Target:         &Target{Text: "96–98 %", Low: 96, High: 98},
		Definition: "Payments are every payer payment on the remits (SVC03, CLP04 for claim-level-only CLPs), primary and " +
			"secondary, reversals negative. Charges are SVC02 of adjudicated lines; contractual adjustments are their CAS " +
			"amounts of class contractual (CO-45 and kin). Patient payments are not on 835s, so the patient's share " +
			"(deductible, coinsurance) stays in the denominator uncollected: compare with the target knowing that.",
		EdgeCases: []string{adjudicatedText, reversalText, duplicateText,
			"Provider-level adjustments (PLB: interest, recoupments, forward balances) are not payments of lines and are left out.",
			remitPeriodText},
		Dims: lineDims, NumLabel: "payments", NumUnit: Dollars, DenLabel: "charges − contractual", DenUnit: Dollars,
		Num: []Term{{Payments, 1}}, Den: []Term{{ChargeAdjudicated, 1}, {Contractual, -1}},
	},
	{
		Name: "days_in_ar", Title: "Days in A/R", Unit: Days, Kind: ARDays, Scale: 90, PeriodFixed: true,
		Formula: "open A/R at the period's last day ÷ (billed charges of the 90 days ending then ÷ 90)",
		Target:  &Target{Text: "< 35 days", Low: 35, High: 35},
		Definition: "Open A/R at day D = billed charges (CLM02 of original claims, by billed date, up to D) − what left payer " +
			"A/R on remits dated up to D for lines matched to billed claims: payments, contractual adjustments and the " +
			"patient's share (moved to patient A/R). Denied amounts stay open until paid, reversed or re-adjudicated.",
		EdgeCases: []string{"Replacement and void claims (CLM05-3 7, 8) add no charges: they restate a claim already billed.",
			"Payments on remits that match no billed claim do not reduce A/R (they are in the unmatched queue).",
			"Written-off denials stay in A/R: remitq does not record write-off amounts as adjustments.",
			"The period parameter is ignored: charges are dated by billed date and reductions by remit date.",
			"Secondary payments are left out (the primary's patient share already left payer A/R)."},
		Dims: claimDims, NumLabel: "open A/R", NumUnit: Dollars, DenLabel: "billed charges, last 90 days", DenUnit: Dollars,
		Num: []Term{{BilledCharges, 1}, {ARReduction, -1}}, Den: []Term{{BilledCharges, 1}},
	},
	{
		Name: "appeal_recovery_rate", Title: "Appeal recovery rate", Unit: Percent, Kind: Ratio, Scale: 100,
		HigherIsBetter: true,
		Formula:        "dollars recovered on appealed items ÷ dollars appealed × 100",
		Definition: "Appealed items are work items moved to status appealed, dated by the day the appeal was sent " +
			"(appealed_on). Dollars appealed are the item's amount at risk when it was first appealed; dollars recovered " +
			"are what later remits paid on the item (work_items.recovered_amount).",
		EdgeCases: []string{"An item appealed twice counts once, with its first appeal.",
			"With period=service the items are dated by their line's service date."},
		Dims: lineDims, NumLabel: "recovered", NumUnit: Dollars, DenLabel: "appealed", DenUnit: Dollars,
		Num: []Term{{AppealRecovered, 1}}, Den: []Term{{AppealedAmount, 1}},
	},
	{
		Name: "touchless_rate", Title: "Touchless rate", Unit: Percent, Kind: Ratio, Scale: 100, HigherIsBetter: true,
		Formula: "lines posted with no human touch ÷ lines posted × 100",
		Definition: "Lines posted are every paid line of the remits (primary, secondary, reversals). A line is touchless " +
			"when the matcher found its billed line without a person (not waiting for review, not manual, not unmatched) and " +
			"it needs no work item (not denied, partially denied or underpaid).",
		EdgeCases: []string{duplicateText, remitPeriodText},
		Dims:      lineDims, NumLabel: "touchless lines", NumUnit: Count, DenLabel: "lines posted", DenUnit: Count,
		Num: []Term{{LinesTouchless, 1}}, Den: []Term{{LinesPosted, 1}},
	},
	{
		Name: "underpayment_dollars", Title: "Underpayment dollars", Unit: Dollars, Kind: Sum, Scale: 1,
		Formula: "Σ (expected allowed − (paid + patient responsibility)) over underpaid lines",
		Definition: "Lines the matcher flagged underpaid against the fee schedule (the payer allowed less than the " +
			"contract), with the shortfall. The denominator column counts the underpaid lines.",
		EdgeCases: []string{reversalText, duplicateText, secondaryText, remitPeriodText},
		Dims:      lineDims, NumLabel: "shortfall", NumUnit: Dollars, DenLabel: "underpaid lines", DenUnit: Count,
		Num: []Term{{UnderpaidAmount, 1}}, Den: []Term{{LinesUnderpaid, 1}},
	},
	{
		Name: "denials_by_category", Title: "Denials by root-cause category", Unit: Dollars, Kind: Sum, Scale: 1,
		Formula: "Σ denial adjustments by root-cause category",
		Definition: "Dollars the payers denied (denial-class CAS amounts, partial denials included) by the DESIGN.md " +
			"root-cause category of each line's largest denial adjustment read with its remark codes; the denominator " +
			"column counts the denied lines. Group by category (the default).",
		EdgeCases:    []string{deniedText, reversalText, duplicateText, secondaryText, remitPeriodText},
		Dims:         lineDims,
		DefaultGroup: []Dim{DimCategory},
		NumLabel:     "denied", NumUnit: Dollars, DenLabel: "denied lines", DenUnit: Count,
		Num: []Term{{DenialAmount, 1}}, Den: []Term{{LinesDenied, 1}},
	},
	{
		Name: "top_carc", Title: "Top denial CARCs", Unit: Count, Kind: Sum, Scale: 1, Codes: true, CodeKind: "carc", Top: 10,
		Formula:    "adjudicated lines carrying each denial group + CARC",
		Definition: "Denial-class adjustments (group + CARC, e.g. CO-197) on adjudicated lines: lines carrying each and the dollars it took (denominator column). Largest first; top= keeps that many codes (default 10).",
		EdgeCases:  []string{reversalText, duplicateText, secondaryText, remitPeriodText},
		Dims:       codeDims, DefaultGroup: []Dim{DimCode},
		NumLabel: "lines", NumUnit: Count, DenLabel: "denied", DenUnit: Dollars,
		Num: []Term{{CARCLines, 1}}, Den: []Term{{CARCAmount, 1}},
	},
	{
		Name: "top_rarc", Title: "Top remark codes on denials", Unit: Count, Kind: Sum, Scale: 1, Codes: true, CodeKind: "rarc", Top: 10,
		Formula:    "denied or partially denied lines carrying each RARC",
		Definition: "Remark codes (LQ*HE, MOA) on lines with a denial: lines carrying each and their denial dollars (denominator column). Largest first; top= keeps that many codes (default 10).",
		EdgeCases:  []string{reversalText, duplicateText, secondaryText, remitPeriodText},
		Dims:       codeDims, DefaultGroup: []Dim{DimCode},
		NumLabel: "lines", NumUnit: Count, DenLabel: "denied", DenUnit: Dollars,
		Num: []Term{{RARCLines, 1}}, Den: []Term{{RARCAmount, 1}},
	},
	{
		Name: "work_throughput", Title: "Work-queue throughput", Unit: Count, Kind: Sum, Scale: 1, HigherIsBetter: true,
		Formula:    "work items closed (resolved or written off) per period",
		Definition: "Work items (denials, underpayments, unmatched remittances) that reached resolved or written_off, by the day they did; the denominator column counts the items created in the period.",
		EdgeCases:  []string{"An item reopened by a later remit counts as closed only when it is closed again, on that day.", "With period=service the items are dated by their line's service date."},
		Dims:       lineDims, NumLabel: "closed", NumUnit: Count, DenLabel: "created", DenUnit: Count,
		Num: []Term{{ItemsClosed, 1}}, Den: []Term{{ItemsCreated, 1}},
	},
	{
		Name: "work_aging", Title: "Work-queue aging", Unit: Days, Kind: Aging, Scale: 1,
		Formula:    "mean age in days of the work items open at the period's last day",
		Definition: "For each period's last day D, the work items created on or before D and not closed by D, and their mean age D − creation day; the denominator column counts them.",
		EdgeCases:  []string{"Items are taken as they are now: an item reopened after closing counts as open from its creation.", "The period parameter is ignored: items are dated by creation and closing."},
		Dims:       lineDims, PeriodFixed: true, NumLabel: "age sum", NumUnit: Days, DenLabel: "open items", DenUnit: Count,
		Num: []Term{{ItemsCreated, 1}, {ItemsClosed, -1}}, Den: []Term{{ItemsCreated, 1}, {ItemsClosed, -1}},
	},
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
