package synth

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/rules"
	"github.com/remitq/remitq/x12"
)

// A rules truth set is a set of 837P claims to check before they are sent,
// the patients' earlier claims (history, at the same practice, at
// practices that share history and at one that shares with none), the
// prior authorizations and block relief on file, and the answer: every
// rule violation planted (claim, line, rule key of pkg/rules). Claims of
// the clean scenarios must give no finding at all; claims of the others
// exactly the planted ones. Each claim has its own patient, so scenarios
// never see each other's lines.
//
// Practices 0 and 1 bill under one tax ID (they share history), practices
// 2 and 3 are declared a sharing group (Groups), practice 4 shares with
// no one. Everything is synthetic.
//
// A truth set is for one plan type (RulesTruthOptions.Plan): the same seed
// gives the same claims under Medicare, a commercial and a Medicaid payer,
// and each scenario plants what a coder expects under that payer's profile
// (rules.DefaultProfiles): traditional Medicare needs no prior
// authorization for an office facet block, a commercial plan does; KX marks
// diagnostic blocks on Medicare only.

// RulesTruthOptions shape a rules truth set.
type RulesTruthOptions struct {
	Seed   uint64    // same seed, same truth set
	Claims int       // claims to check, at least (default 300)
	Start  time.Time // first date of service checked (default 2026-04-01); dates spread over 180 days, history up to 366 days before
	// Plan is the payer's plan type: rules.PlanMedicare (the default),
	// rules.PlanCommercial or rules.PlanMedicaid.
	Plan string
}

// rulesPayers are the synthetic payers of each plan type, with the claim
// filing indicator (SBR09) that maps them to a shipped profile.
var rulesPayers = map[string]TruthPayer{
	rules.PlanMedicare:   {ID: "SYNMCR", Name: "SYNTHETIC MEDICARE", Filing: "MB"},
	rules.PlanCommercial: {ID: "SYNCOM", Name: "SYNTHETIC COMMERCIAL", Filing: "CI"},
	rules.PlanMedicaid:   {ID: "SYNMCD", Name: "SYNTHETIC MEDICAID", Filing: "MC"},
}

// RulesPatient is a synthetic patient as auth and relief files name them.
type RulesPatient struct {
	MemberID  string `json:"member_id"`
	BirthDate string `json:"birth_date"` // YYYY-MM-DD
	LastName  string `json:"last_name"`
	FirstName string `json:"first_name"`
}

// RulesAuth is a prior authorization on file, loaded by Practice.
type RulesAuth struct {
	Practice string       `json:"practice"` // practice key (NPI) of the practice that loads it
	Number   string       `json:"auth_number"`
	Patient  RulesPatient `json:"patient"`
	Payer    string       `json:"payer_id"`
	Codes    []string     `json:"cpt_codes"`
	NPI      string       `json:"provider_npi"`
	From, To x12.Date
}

// RulesRelief is a block relief record, recorded by Practice.
type RulesRelief struct {
	Practice string       `json:"practice"`
	Patient  RulesPatient `json:"patient"`
	Date     x12.Date     `json:"date"`
	Percent  int          `json:"percent"`
}

// RulesFinding is one planted violation: the rule key a check must report
// on the line.
type RulesFinding struct {
	Claim    string `json:"clm01"`
	Line     int    `json:"line"`
	Rule     string `json:"rule"`
	Scenario string `json:"scenario"`
}

// RulesTruth is a generated rules truth set.
type RulesTruth struct {
	Options   RulesTruthOptions
	Practices []TruthPractice
	// Groups are the declared sharing groups, by practice key.
	Groups [][]string
	Payer  TruthPayer
	// History are the earlier claims (billed, not adjudicated); Claims the
	// claims to check.
	History []*x12.Claim
	Claims  []*x12.Claim
	Auths   []RulesAuth
	Relief  []RulesRelief
	// Expected holds every planted violation, by claim in order.
	Expected []RulesFinding
	// Scenario gives the scenario of each claim to check (by CLM01);
	// Scenarios counts the claims per scenario.
	Scenario  map[string]string
	Scenarios map[string]int

	planted map[string]bool // scenarios that planted a violation under this plan
}

// Clean reports whether a scenario plants no violation under the truth
// set's plan (a scenario may be clean under one payer and not another).
func (t *RulesTruth) Clean(scenario string) bool {
	return t.Scenarios[scenario] > 0 && !t.planted[scenario]
}

// rline is a line of a generated claim.
type rline struct {
	code  string
	mods  []string
	units x12.Quantity
	level string // spinal level written in the line note ("L4-L5"), or ""
}

func (l rline) at(level string) rline { l.level = level; return l }

func ln(code string, mods ...string) rline { return rline{code: code, mods: mods, units: 1000} }

// Auth plans of a case.
const (
	authValid = iota
	authNone
	authExpired
	authWrongCode
	authWrongNPI
)

// rcase is one claim to check under construction.
type rcase struct {
	g        *rgen
	pr       int // practice of the claim
	day      time.Time
	pos      string
	lines    []rline
	auth     int
	history  []rhist
	relief   []rrelief
	expect   []rexpect
	patient  RulesPatient
	scenario string
	plan     string
	asc      bool // the ambulatory surgical center's own claim (taxonomy 261QA1903X)
}

type rhist struct {
	pr    int
	days  int // before the date of service
	lines []rline
}

type rrelief struct {
	days, pct int
}

type rexpect struct {
	line int
	rule string
}

func (c *rcase) hist(pr, days int, lines ...rline) {
	c.history = append(c.history, rhist{pr, days, lines})
}
func (c *rcase) want(line int, rule string) { c.expect = append(c.expect, rexpect{line, rule}) }

// wantUnder plants a violation only under the given plan types.
func (c *rcase) wantUnder(line int, rule string, plans ...string) {
	if slices.Contains(plans, c.plan) {
		c.want(line, rule)
	}
}

// sharedPair returns a practice and another whose history it may see.
func (g *rgen) sharedPair() (int, int) {
	pairs := [][2]int{{0, 1}, {1, 0}, {2, 3}, {3, 2}}
	p := pairs[g.rng.IntN(len(pairs))]
	return p[0], p[1]
}

// unsharedPair returns a practice and another whose history it may not see.
func (g *rgen) unsharedPair() (int, int) {
	a := g.rng.IntN(4)
	if g.rng.IntN(2) == 0 {
		return a, 4
	}
	return 4, a
}

type rscenario struct {
	name  string
	clean bool
	build func(c *rcase)
}

// rulesScenarios are the cases, clean ones first.
var rulesScenarios = []rscenario{
	{"clean_visit", true, func(c *rcase) { c.lines = []rline{ln("99213")} }},
	{"clean_esi", true, func(c *rcase) { c.lines = []rline{ln("64483", "RT"), ln("64484", "RT"), ln("J1040")} }},
	{"clean_diagnostic_block", true, func(c *rcase) { c.lines = []rline{ln("64493", "KX"), ln("64494", "KX")} }},
	{"clean_bilateral_facet", true, func(c *rcase) { c.lines = []rline{ln("64493", "50"), ln("64494")} }},
	// Issue 16: 50 x1 on a bilateral add-on is right (bilateral indicator 1).
	{"clean_bilateral_addon_50", true, func(c *rcase) { c.lines = []rline{ln("64493", "50"), ln("64494", "50")} }},
	{"clean_bilateral_esi_addon_50", true, func(c *rcase) { c.lines = []rline{ln("64483", "50"), ln("64484", "50")} }},
	// Issue 16: the physician's own claim at POS 24 takes 50, not RT/LT lines.
	{"clean_physician_pos24_50", true, func(c *rcase) {
		c.pos = "24"
		c.lines = []rline{ln("64493", "50")}
	}},
	{"clean_trigger_point", true, func(c *rcase) { c.lines = []rline{ln("20552")} }},
	{"clean_em_25", true, func(c *rcase) { c.lines = []rline{ln("99214", "25"), ln("64483", "LT")} }},
	{"clean_facet_tp_xu", true, func(c *rcase) { c.lines = []rline{ln("64493", "XU"), ln("20552")} }},
	{"clean_udt", true, func(c *rcase) { c.lines = []rline{ln("99213"), ln("80307")} }},
	{"clean_rfa_after_blocks", true, func(c *rcase) {
		c.hist(c.pr, 60, ln("64493", "KX"))
		c.hist(c.pr, 40, ln("64493", "KX"))
		c.relief = []rrelief{{60, 90}, {40, 85}}
		c.lines = []rline{ln("64635", "LT"), ln("64636", "LT")}
	}},
	{"clean_rfa_blocks_shared", true, func(c *rcase) {
		pr, other := c.g.sharedPair()
		c.pr = pr
		c.hist(other, 50, ln("64493", "KX"))
		c.hist(pr, 30, ln("64493", "KX"))
		c.lines = []rline{ln("64635", "RT")}
	}},
	{"clean_scs_after_trial", true, func(c *rcase) {
		c.hist(c.pr, 30, ln("63650"))
		c.relief = []rrelief{{30, 70}} // the trial's documented outcome (NCD 160.7)
		c.lines = []rline{ln("63685")}
	}},
	{"clean_esi_fourth", true, func(c *rcase) {
		for _, d := range []int{300, 150, 60} {
			c.hist(c.pr, d, ln("64483", "RT"))
		}
		c.lines = []rline{ln("64483", "RT")}
	}},
	{"clean_cap_not_shared", true, func(c *rcase) {
		pr, other := c.g.unsharedPair()
		c.pr = pr
		for _, d := range []int{320, 240, 120, 40} {
			c.hist(other, d, ln("64483", "RT"))
		}
		c.lines = []rline{ln("64483", "RT")}
	}},
	{"clean_cap_window_edge", true, func(c *rcase) {
		for _, d := range []int{366, 200, 100, 50} {
			c.hist(c.pr, d, ln("64483", "RT"))
		}
		c.lines = []rline{ln("64483", "RT")}
	}},
	{"clean_udt_not_shared", true, func(c *rcase) {
		pr, other := c.g.unsharedPair()
		c.pr = pr
		c.hist(other, 0, ln("80307"))
		c.lines = []rline{ln("80307")}
	}},

	{"cap_own_practice", false, func(c *rcase) {
		for _, d := range []int{330, 200, 100, 30} {
			c.hist(c.pr, d, ln("64483", "RT"))
		}
		c.lines = []rline{ln("64483", "RT")}
		c.want(1, rules.RuleFrequencyCap)
	}},
	{"cap_shared_practice", false, func(c *rcase) {
		pr, other := c.g.sharedPair()
		c.pr = pr
		for i, d := range []int{300, 220, 90, 20} {
			at := other
			if i%2 == 1 && c.g.rng.IntN(2) == 0 {
				at = pr
			}
			c.hist(at, d, ln("64483", "LT"))
		}
		c.lines = []rline{ln("64483", "LT")}
		c.want(1, rules.RuleFrequencyCap)
	}},
	{"cap_window_edge", false, func(c *rcase) {
		for _, d := range []int{365, 200, 100, 50} {
			c.hist(c.pr, d, ln("62323"))
		}
		c.lines = []rline{ln("64483", "RT")}
		c.want(1, rules.RuleFrequencyCap)
	}},
	{"cap_rfa", false, func(c *rcase) {
		c.hist(c.pr, 200, ln("64493", "KX"))
		c.hist(c.pr, 180, ln("64493", "KX"))
		c.hist(c.pr, 150, ln("64635", "RT"))
		c.hist(c.pr, 60, ln("64635", "LT"))
		c.lines = []rline{ln("64635", "RT")}
		c.want(1, rules.RuleFrequencyCap)
	}},
	{"rfa_without_blocks", false, func(c *rcase) {
		c.lines = []rline{ln("64635", "LT"), ln("64636", "LT")}
		c.want(1, rules.RuleRFAPrerequisite)
	}},
	{"rfa_blocks_too_close", false, func(c *rcase) {
		c.hist(c.pr, 30, ln("64493", "KX"))
		c.hist(c.pr, 23, ln("64493", "KX"))
		c.lines = []rline{ln("64635", "RT")}
		c.want(1, rules.RuleRFAPrerequisite)
	}},
	{"rfa_block_low_relief", false, func(c *rcase) {
		c.hist(c.pr, 60, ln("64493", "KX"))
		c.hist(c.pr, 40, ln("64493", "KX"))
		c.relief = []rrelief{{60, 90}, {40, 50}}
		c.lines = []rline{ln("64635", "RT")}
		c.want(1, rules.RuleRFAPrerequisite)
	}},
	{"rfa_blocks_not_shared", false, func(c *rcase) {
		pr, other := c.g.unsharedPair()
		c.pr = pr
		c.hist(other, 50, ln("64493", "KX"))
		c.hist(other, 30, ln("64493", "KX"))
		c.lines = []rline{ln("64635", "RT")}
		c.want(1, rules.RuleRFAPrerequisite)
	}},
	{"imaging_with_esi", false, func(c *rcase) {
		if c.g.rng.IntN(2) == 0 {
			c.lines = []rline{ln("64483", "RT"), ln("77003")}
		} else {
			c.lines = []rline{ln("62323"), ln("77003")}
		}
		c.want(2, rules.RuleImagingBundled)
	}},
	// Issue 16: RT and LT add-on lines break the MUE (1, MAI 2) where the
	// payer takes 50 x1 (every shipped profile does).
	{"bilateral_addon_rt_lt", false, func(c *rcase) {
		c.lines = []rline{ln("64493", "RT"), ln("64493", "LT"), ln("64494", "RT"), ln("64494", "LT")}
		c.want(1, rules.RuleBilateralStyle) // reported on the RT line of each pair
		c.want(3, rules.RuleBilateralStyle)
	}},
	{"modifier_50_with_side", false, func(c *rcase) {
		c.lines = []rline{ln("64483", "50", "LT")}
		c.want(1, rules.RuleLateralityConflict)
	}},
	{"asc_bilateral_50", false, func(c *rcase) {
		c.pos, c.asc = "24", true
		c.lines = []rline{ln("64483", "50")}
		c.want(1, rules.RuleASCBilateral)
	}},
	// Issue 16: KX marks diagnostic blocks on Medicare only; a commercial or
	// Medicaid plan counts the blocks against its policy.
	{"rfa_after_blocks_without_kx", false, func(c *rcase) {
		c.hist(c.pr, 60, ln("64493"))
		c.hist(c.pr, 40, ln("64493"))
		c.lines = []rline{ln("64635", "RT")}
		c.wantUnder(1, rules.RuleRFAPrerequisite, rules.PlanMedicare)
	}},
	// Issue 16: traditional Medicare needs no prior authorization for an
	// office facet block (not on WISeR); commercial and Medicaid plans do.
	{"office_facet_without_auth", false, func(c *rcase) {
		c.auth = authNone
		c.lines = []rline{ln("64493", "RT")}
		c.wantUnder(1, rules.RulePriorAuthMissing, rules.PlanCommercial, rules.PlanMedicaid)
	}},
	// Issue 16: a repeat RFA at the same site within 6 months.
	{"rfa_repeat_too_soon", false, func(c *rcase) {
		c.hist(c.pr, 150, ln("64493", "KX").at("L4-L5"))
		c.hist(c.pr, 130, ln("64493", "KX").at("L4-L5"))
		c.hist(c.pr, 100, ln("64635", "RT").at("L4-L5"))
		c.lines = []rline{ln("64635", "RT").at("L4-L5")}
		c.want(1, rules.RuleRFARepeatRelief)
	}},
	// Issue 16: a permanent SCS after a trial with no documented outcome (a warning).
	{"scs_trial_no_outcome", false, func(c *rcase) {
		c.hist(c.pr, 30, ln("63650"))
		c.lines = []rline{ln("63685")}
		c.want(1, rules.RuleSCSTrialOutcome)
	}},
	{"addon_without_primary", false, func(c *rcase) {
		c.lines = []rline{ln("64484", "RT")}
		c.want(1, rules.RuleAddonWithoutPrimary)
	}},
	{"mue_units", false, func(c *rcase) {
		c.lines = []rline{{code: "62323", units: 2000}}
		c.want(1, rules.RuleMUE)
	}},
	{"facet_trigger_point", false, func(c *rcase) {
		c.lines = []rline{ln("64493"), ln("20552")}
		c.want(1, rules.RuleFacetTriggerPoint)
	}},
	{"trigger_point_units", false, func(c *rcase) {
		c.lines = []rline{{code: "20552", units: 2000}}
		c.want(1, rules.RuleTriggerPointUnits)
	}},
	{"em_without_25", false, func(c *rcase) {
		c.lines = []rline{ln("99213"), ln("64483", "RT")}
		c.want(1, rules.RuleEMWithout25)
	}},
	{"udt_twice", false, func(c *rcase) {
		c.lines = []rline{ln("80305"), ln("80307")}
		c.want(1, rules.RuleUDTDuplicate)
	}},
	{"udt_twice_shared", false, func(c *rcase) {
		pr, other := c.g.sharedPair()
		c.pr = pr
		c.hist(other, 0, ln("80307"))
		c.lines = []rline{ln("80307")}
		c.want(1, rules.RuleUDTDuplicate)
	}},
	{"scs_without_trial", false, func(c *rcase) {
		c.lines = []rline{ln("63685")}
		c.want(1, rules.RuleSCSWithoutTrial)
	}},
	{"auth_missing", false, func(c *rcase) {
		c.auth = authNone
		c.lines = []rline{ln("64483", "RT")}
		c.want(1, rules.RulePriorAuthMissing)
	}},
	{"auth_expired", false, func(c *rcase) {
		c.auth = authExpired
		c.lines = []rline{ln("64483", "LT")}
		c.want(1, rules.RulePriorAuthExpired)
	}},
	{"auth_wrong_code", false, func(c *rcase) {
		c.auth = authWrongCode
		c.lines = []rline{ln("62323")}
		c.want(1, rules.RulePriorAuthMismatch)
	}},
	{"auth_wrong_provider", false, func(c *rcase) {
		c.auth = authWrongNPI
		c.lines = []rline{ln("64483", "RT")}
		c.want(1, rules.RulePriorAuthMismatch)
	}},
}

// RulesScenarios lists the scenario names, clean ones first.
func RulesScenarios() []string {
	out := make([]string, len(rulesScenarios))
	for i, s := range rulesScenarios {
		out[i] = s.name
	}
	return out
}

// rgen holds the rules generator's state.
type rgen struct {
	rng   *rand.Rand
	t     *RulesTruth
	set   *rules.Set
	bill  []*x12.BillingProvider
	payer *x12.Payer
	seq   int
	hseq  int
}

// GenerateRulesTruth builds a rules truth set in memory: every scenario at
// least once, then scenarios at random (clean ones about half the time)
// until Options.Claims claims.
func GenerateRulesTruth(o RulesTruthOptions) (*RulesTruth, error) {
	if o.Claims <= 0 {
		o.Claims = 300
	}
	if o.Start.IsZero() {
		o.Start = time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	}
	if o.Plan == "" {
		o.Plan = rules.PlanMedicare
	}
	payer, ok := rulesPayers[o.Plan]
	if !ok {
		return nil, fmt.Errorf("synth: no synthetic payer for plan %q", o.Plan)
	}
	t := &RulesTruth{Options: o, Scenario: map[string]string{}, Scenarios: map[string]int{}, Payer: payer,
		planted: map[string]bool{}}
	tins := []string{"741000001", "741000001", "742000002", "743000003", "744000004"}
	for i, tin := range tins {
		t.Practices = append(t.Practices, TruthPractice{Key: npi(2000 + i*7), NPI: npi(2000 + i*7), TIN: tin,
			Name: fmt.Sprintf("SYNTHETIC SPINE CENTER %d", i+1), Rendering: []string{npi(6000 + i*10), npi(6001 + i*10)}})
	}
	t.Groups = [][]string{{t.Practices[2].Key, t.Practices[3].Key}}
	g := &rgen{rng: rand.New(rand.NewPCG(o.Seed, 0x52554c45)), t: t, set: rules.Default(),
		payer: &x12.Payer{Name: t.Payer.Name, IDQualifier: "PI", PayerID: t.Payer.ID}}
	var clean, dirty []int
	for i, s := range rulesScenarios {
		if s.clean {
			clean = append(clean, i)
		} else {
			dirty = append(dirty, i)
		}
	}
	for n := 0; n < max(o.Claims, len(rulesScenarios)); n++ {
		i := n
		if n >= len(rulesScenarios) {
			if g.rng.IntN(2) == 0 {
				i = clean[g.rng.IntN(len(clean))]
			} else {
				i = dirty[g.rng.IntN(len(dirty))]
			}
		}
		if err := g.emit(&rulesScenarios[i]); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// ascTaxonomy is the NUCC taxonomy of an ambulatory surgical center.
const ascTaxonomy = "261QA1903X"

// ascBilling is practice pr's ambulatory surgical center: the same provider
// billing its facility claims under the ASC taxonomy.
func (g *rgen) ascBilling(pr int) *x12.BillingProvider {
	b := *g.billing(pr)
	b.Taxonomy = ascTaxonomy
	return &b
}

func (g *rgen) billing(pr int) *x12.BillingProvider {
	for len(g.bill) <= pr {
		p := &g.t.Practices[len(g.bill)]
		g.bill = append(g.bill, &x12.BillingProvider{Provider: x12.Provider{
			Name: x12.Name{Entity: "85", Type: "2", Last: p.Name, IDQualifier: "XX", ID: p.NPI},
			NPI:  p.NPI, TIN: p.TIN,
			Address: &x12.Address{Lines: []string{"200 SYNTHETIC WAY"}, City: "TUCSON", State: "AZ", PostalCode: "85701"}}})
	}
	return g.bill[pr]
}

// rulesCharges are synthetic per-unit charges (cents) of the codes the
// scenarios bill; other codes are charged 100.00.
var rulesCharges = map[string]money.Amount{
	"63650": 300000, "63685": 900000, "80305": 2500, "80307": 9000,
}

func charge(code string, units x12.Quantity) money.Amount {
	c, ok := charges[code]
	if !ok {
		if c, ok = rulesCharges[code]; !ok {
			c = 10000
		}
	}
	return c * money.Amount(units) / 1000
}

// claim builds an 837P claim of lines on day at practice pr for patient p.
func (g *rgen) claim(id string, pr int, p RulesPatient, dy time.Time, pos, auth string, ls []rline) *x12.Claim {
	prac := &g.t.Practices[pr]
	c := &x12.Claim{
		BillingProvider: g.billing(pr),
		Subscriber: &x12.Subscriber{Coverage: x12.Coverage{Responsibility: "P", Relationship: "18", FilingIndicator: g.t.Payer.Filing},
			Insured: x12.Insured{EntityType: "1", LastName: p.LastName, FirstName: p.FirstName, MemberIDQualifier: "MI",
				MemberID: p.MemberID, BirthDate: x12.Date(p.BirthDate), Gender: "M"}},
		Payer:                g.payer,
		PatientControlNumber: id, PlaceOfService: pos, FacilityCodeQualifier: "B", FrequencyCode: "1",
		ProviderSignature: "Y", Assignment: "A", BenefitsAssignment: "Y", ReleaseOfInformation: "Y",
		PriorAuthorization: auth,
		Diagnoses:          []x12.Diagnosis{{Qualifier: "ABK", Code: "M5416"}, {Qualifier: "ABF", Code: "M47816"}},
		Rendering: &x12.Provider{Name: x12.Name{Entity: "82", Type: "1", Last: "DOCTOR", First: "SYNTH", IDQualifier: "XX",
			ID: prac.Rendering[0]}, NPI: prac.Rendering[0]},
	}
	d := x12.Date(dy.Format(time.DateOnly))
	for i, l := range ls {
		ch := charge(l.code, l.units)
		c.Lines = append(c.Lines, &x12.ServiceLine{Number: i + 1,
			Procedure: x12.Procedure{Qualifier: "HC", Code: l.code, Modifiers: l.mods}, Charge: ch,
			UnitBasis: "UN", Units: l.units, DiagnosisPointers: []int{1}, ServiceFrom: d, ServiceTo: d,
			LineControlNumber: fmt.Sprintf("%s-%d", id, i+1)})
		if l.level != "" {
			c.Lines[i].Notes = []x12.Note{{Code: "ADD", Text: "LEVEL " + l.level}}
		}
		c.TotalCharge += ch
	}
	return c
}

// authCodes are the codes of ls that need prior authorization.
func (g *rgen) authCodes(ls []rline) []string {
	var out []string
	for _, l := range ls {
		if p, ok := g.set.Procedure(l.code); ok && p.PriorAuth && !slices.Contains(out, l.code) {
			out = append(out, l.code)
		}
	}
	return out
}

func (g *rgen) emit(s *rscenario) error {
	g.seq++
	t := g.t
	c := &rcase{g: g, pr: g.rng.IntN(len(t.Practices)), pos: "11", scenario: s.name, plan: t.Options.Plan,
		day: t.Options.Start.AddDate(0, 0, g.rng.IntN(180))}
	c.patient = RulesPatient{MemberID: fmt.Sprintf("RM%08d", g.seq),
		BirthDate: fmt.Sprintf("19%02d-%02d-%02d", 40+g.rng.IntN(45), 1+g.rng.IntN(12), 1+g.rng.IntN(28)),
		LastName:  "SYNTH", FirstName: fmt.Sprintf("PATIENT%d", g.seq)}
	s.build(c)
	if len(c.lines) == 0 {
		return fmt.Errorf("synth: scenario %s built no line", s.name)
	}
	id := fmt.Sprintf("R%06d", g.seq)
	for _, h := range c.history {
		g.hseq++
		dy := c.day.AddDate(0, 0, -h.days)
		hc := g.claim(fmt.Sprintf("H%06d", g.hseq), h.pr, c.patient, dy, "11", "", h.lines)
		if codes := g.authCodes(h.lines); len(codes) > 0 {
			hc.PriorAuthorization = fmt.Sprintf("HA%06d", g.hseq)
		}
		t.History = append(t.History, hc)
	}
	for _, r := range c.relief {
		t.Relief = append(t.Relief, RulesRelief{Practice: t.Practices[c.pr].Key, Patient: c.patient,
			Date: x12.Date(c.day.AddDate(0, 0, -r.days).Format(time.DateOnly)), Percent: r.pct})
	}
	number := ""
	if codes := g.authCodes(c.lines); len(codes) > 0 && c.auth != authNone {
		number = fmt.Sprintf("AU%06d", g.seq)
		prac := &t.Practices[c.pr]
		a := RulesAuth{Practice: prac.Key, Number: number, Patient: c.patient, Payer: t.Payer.ID, Codes: codes,
			NPI: prac.Rendering[0], From: date(c.day.AddDate(0, 0, -30)), To: date(c.day.AddDate(0, 0, 60))}
		switch c.auth {
		case authExpired:
			a.From, a.To = date(c.day.AddDate(0, 0, -120)), date(c.day.AddDate(0, 0, -1))
		case authWrongCode:
			a.Codes = []string{"64493"}
		case authWrongNPI:
			a.NPI = prac.Rendering[1]
		}
		t.Auths = append(t.Auths, a)
	}
	xc := g.claim(id, c.pr, c.patient, c.day, c.pos, number, c.lines)
	if c.asc {
		xc.BillingProvider = g.ascBilling(c.pr)
	}
	t.Claims = append(t.Claims, xc)
	t.Scenario[id] = s.name
	t.Scenarios[s.name]++
	if len(c.expect) > 0 {
		t.planted[s.name] = true
	}
	for _, e := range c.expect {
		t.Expected = append(t.Expected, RulesFinding{Claim: id, Line: e.line, Rule: e.rule, Scenario: s.name})
	}
	return nil
}

func date(t time.Time) x12.Date { return x12.Date(t.Format(time.DateOnly)) }

// Compare checks findings against the planted violations: missing are the
// planted ones no finding reports (same claim, line and rule), extra the
// findings nothing planted (on a clean claim, or beside the planted ones).
func (t *RulesTruth) Compare(fs []rules.Finding) (missing []RulesFinding, extra []rules.Finding) {
	type key struct {
		claim string
		line  int
		rule  string
	}
	want := map[key]bool{}
	for _, e := range t.Expected {
		want[key{e.Claim, e.Line, e.Rule}] = true
	}
	got := map[key]bool{}
	for _, f := range fs {
		k := key{f.Claim, f.Line, f.Rule}
		got[k] = true
		if !want[k] {
			extra = append(extra, f)
		}
	}
	for _, e := range t.Expected {
		if !got[key{e.Claim, e.Line, e.Rule}] {
			missing = append(missing, e)
		}
	}
	return missing, extra
}
