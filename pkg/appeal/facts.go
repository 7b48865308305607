package appeal

import (
	"github.com/remitq/remitq/carc"
	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/route"
	"github.com/remitq/remitq/pkg/rules"
)

// Facts is everything a packet needs, filled by the caller. Build reads it
// and never changes it.
type Facts struct {
	Practice Practice
	Provider Provider
	Payer    Payer
	// Profile is the payer profile (rules.Profiles.Resolve): its appeal
	// levels, contact and plan decide the level, addressee and deadline.
	Profile rules.Profile
	Patient Patient
	Claim   Claim
	// Lines are the denied (or underpaid) lines the packet appeals.
	Lines []DeniedLine
	// Notes are the biller's notes chosen for the letter, in order.
	Notes []string
	// LevelsUsed is how many appeal levels of the profile were already
	// used on this claim: 0 asks for the first level.
	LevelsUsed int
	// DenialDate is the date of the initial determination (the remittance
	// that denied the lines); zero: Claim.RemitDate.
	DenialDate day.Day
	// PriorDecisionDate is the date of the last appeal decision, needed
	// when the next level counts from it (Medicare reconsideration).
	PriorDecisionDate day.Day
	// LateReason is the good cause for a late request, when there is one.
	LateReason string
}

// Practice is the billing practice (the appellant). No TIN: the letter does
// not need it.
type Practice struct {
	Name    string
	NPI     string   // group NPI
	Address []string // street, city/state/ZIP lines
	Phone   string
	Fax     string
	Contact string // the biller who answers for the appeal
}

// Provider is the rendering provider.
type Provider struct {
	Name string
	NPI  string
}

// Payer names the payer as the remittance does.
type Payer struct {
	Name string
	ID   string // payer id (N1*PR N104 / REF*2U)
}

// Claim is the claim as billed and as the payer answered it.
type Claim struct {
	PatientControlNumber    string // CLM01 / CLP01
	PayerClaimControlNumber string // CLP07 (Medicare: the ICN)
	From, Through           day.Day
	Billed                  money.Amount
	Paid                    money.Amount
	RemitDate               day.Day
	CheckOrEFT              string // TRN02: the check or EFT trace number
}

// DeniedLine is one denied or underpaid service line with its root cause
// and the evidence for its argument.
type DeniedLine struct {
	Number     int // the line's number on the claim (LX), for the table
	Date       day.Day
	Procedure  string // CPT/HCPCS
	Modifiers  []string
	Units      int // whole units; 0 reads as 1
	Diagnoses  []string
	Billed     money.Amount
	Allowed    money.Amount
	Paid       money.Amount
	Adjustment []route.Adjustment // the line's CAS, group and CARC
	Remarks    []string           // RARCs
	Cause      Cause
	Evidence   Evidence
}

// Cause is the router's root cause of a line (CauseOf fills it from a
// route.Decision).
type Cause struct {
	Category carc.Category
	Reason   string // the router's short phrase
	Rule     string // what sharpened it ("rules/rfa_prerequisite", "pain/add-on-mppr")
	// Route is the router's work route (route.RouteAppeal, ...); "" reads
	// Appealable.
	Route      string
	Appealable bool
	// Action is the router's recommended action, quoted when Build
	// refuses a line that is not appealable.
	Action string
}

// CauseOf takes a line's root cause from the router's decision.
func CauseOf(d route.Decision) Cause {
	return Cause{Category: d.Category, Reason: d.Reason, Rule: d.Rule, Route: d.Route, Appealable: d.Appealable, Action: d.Action}
}

// Evidence is what the practice has on file for one line's argument.
type Evidence struct {
	Auth *Auth
	// Prior are the patient's earlier procedures in the same spinal region
	// (or of the same capped kind), any practice, as far as known.
	Prior []Procedure
	// Blocks are the diagnostic medial branch blocks before an RFA.
	Blocks []Block
	NCCI   *NCCIPair
	AddOn  *AddOn
	LCD    *LCD
	// Records name where in the chart the argument's facts are
	// ("op note 2026-07-01, page 2"), added to the checklist.
	Records []string
}

// Auth is an authorization on file.
type Auth struct {
	Number        string
	From, Through day.Day
	Units         int // units a line may carry; 0: not limited
	Codes         []string
}

// Procedure is one earlier procedure session.
type Procedure struct {
	Date  day.Day
	Codes []string
	Level string // "L4-L5", when known
}

// Block is one diagnostic medial branch block with its relief.
type Block struct {
	Date          day.Day
	Codes         []string
	Level         string
	ReliefPercent int // relief of the index pain after the block; 0: not recorded
}

// NCCIPair is the NCCI procedure-to-procedure edit the payer applied and the
// modifier that bypasses it.
type NCCIPair struct {
	Column1, Column2 string
	// Indicator is the edit's modifier indicator: "1" allows a modifier,
	// "0" never does.
	Indicator string
	Modifier  string // the modifier used on the line (59, XE, XS, XP, XU, 25)
	// Distinct says why the services were distinct, as the note shows it
	// ("separate site: trapezius trigger points, L4-L5 facet").
	Distinct string
}

// AddOn is an add-on code and the primary it was billed with.
type AddOn struct {
	Code    string
	Primary string
}

// LCD is the coverage policy and the criteria the record meets.
type LCD struct {
	ID       string // "L39240"
	Title    string
	Criteria []Criterion
}

// Criterion is one coverage criterion met and where the record shows it.
type Criterion struct {
	Text  string // "radicular pain for at least 4 weeks"
	Where string // "office note 2026-05-12"
}
