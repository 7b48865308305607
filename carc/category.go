package carc

// Category is a denial root-cause category. The keys are the ones DESIGN.md
// fixes for data and APIs.
type Category string

// The root-cause categories.
const (
	Authorization          Category = "authorization"
	EligibilityCoverage    Category = "eligibility_coverage"
	CodingBundling         Category = "coding_bundling"
	Modifier               Category = "modifier"
	MedicalNecessity       Category = "medical_necessity"
	FrequencyLimit         Category = "frequency_limit"
	TimelyFiling           Category = "timely_filing"
	Duplicate              Category = "duplicate"
	CoordinationOfBenefits Category = "coordination_of_benefits"
	MissingClaimData       Category = "missing_claim_data"
	ProviderEnrollment     Category = "provider_enrollment"
	NonCovered             Category = "non_covered"
	Underpayment           Category = "underpayment"
	Other                  Category = "other"
)

var categories = []Category{
	Authorization, EligibilityCoverage, CodingBundling, Modifier, MedicalNecessity,
	FrequencyLimit, TimelyFiling, Duplicate, CoordinationOfBenefits, MissingClaimData,
	ProviderEnrollment, NonCovered, Underpayment, Other,
}

// Categories returns every category in DESIGN.md order.
func Categories() []Category { return append([]Category(nil), categories...) }

type categoryInfo struct {
	label, action string
}

// The default action is used when neither the combination, the remark nor
// the CARC row names one.
var categoryInfos = map[Category]categoryInfo{
	Authorization:          {"prior authorization", "Check the authorization on file against the claim; attach the auth or request retro-authorization and appeal"},
	EligibilityCoverage:    {"eligibility or coverage", "Re-verify the patient's coverage for the date of service; bill the right payer or the patient"},
	CodingBundling:         {"coding or NCCI bundling", "Review the codes against the note and NCCI edits; correct with a modifier only if the services were distinct, otherwise write off"},
	Modifier:               {"modifier", "Correct the modifier and send a corrected claim"},
	MedicalNecessity:       {"medical necessity", "Appeal with the documentation that meets the payer's policy or LCD; bill the patient only with a signed ABN/waiver"},
	FrequencyLimit:         {"frequency or benefit limit", "Check the patient's history against the limit; appeal only if miscounted, otherwise bill the patient with a signed waiver"},
	TimelyFiling:           {"timely filing", "Appeal with proof of timely filing if you have it; otherwise write off"},
	Duplicate:              {"duplicate", "Find the original claim; close if paid, or resubmit with a distinguishing modifier if it was a distinct service"},
	CoordinationOfBenefits: {"coordination of benefits", "Confirm which payer is primary; bill it first and send the other payer's EOB"},
	MissingClaimData:       {"missing or invalid claim data", "Fix the missing or invalid data the remark codes name and send a corrected claim"},
	ProviderEnrollment:     {"provider enrollment or credentialing", "Check the provider's enrollment and credentialing with the payer; fix and resubmit or appeal"},
	NonCovered:             {"non-covered service", "Check the plan's coverage; appeal if covered, otherwise bill the patient with a signed waiver"},
	Underpayment:           {"underpayment", "Compare the payment with the contracted rate and dispute the difference"},
	Other:                  {"other", "Read the codes on the remit and call the payer if the reason is unclear"},
}

// Valid reports whether c is one of the DESIGN.md keys.
func (c Category) Valid() bool { _, ok := categoryInfos[c]; return ok }

// Label is a short human name ("prior authorization").
func (c Category) Label() string { return categoryInfos[c].label }

// DefaultAction is the recommended action when nothing more specific is known.
func (c Category) DefaultAction() string { return categoryInfos[c].action }

// Class says what kind of money movement an adjustment is.
type Class string

// Adjustment classes.
const (
	// ClassDenial: the payer refused to pay the amount (all or part).
	ClassDenial Class = "denial"
	// ClassContractual: a write-down agreed by contract or set by regulation.
	ClassContractual Class = "contractual"
	// ClassPatient: the patient's share (deductible, coinsurance, copay, ...).
	ClassPatient Class = "patient"
	// ClassInfo: another adjustment that is not a denial (prior payer's
	// payment, interest, predetermination, reporting-only codes, ...).
	ClassInfo Class = "info"
)

func (c Class) valid() bool {
	switch c {
	case ClassDenial, ClassContractual, ClassPatient, ClassInfo:
		return true
	}
	return false
}
