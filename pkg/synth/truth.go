package synth

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/remitq/remitq/pkg/billed"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/x12"
)

// A truth set is an 837P and the 835s that pay it, with the answer the
// matcher must give for every paid line: which billed claim and line it
// pays, how it should be found, what it should be flagged with, and the
// denial root-cause category the router should give it. It covers clean
// payments, denials with the CARC/RARC combinations a pain practice sees,
// partial payments (units cut), underpayments against the fee schedule,
// reversals and corrections, split claims, lines without REF*6R, codes
// changed by the payer (SVC06), dropped modifiers, duplicate lines with the
// same code and date, payer-bundled lines, PLB recoupments, crossovers,
// duplicate remittances, remits that arrive before their claims, remits the
// payer mangled (fuzzy) and remits for claims never billed (unmatched).
//
// Delivery order: load the billed claims not marked Late, match the 835
// files in order (Files), then load the Late claims and retry the pending
// paid claims.

// TruthOptions shape a truth set.
type TruthOptions struct {
	Seed      uint64    // same seed, same truth set
	Lines     int       // billed lines to generate, at least (default 1000)
	Practices int       // payee practices (default 3)
	Start     time.Time // first service date (default 2026-01-05)
	// PaySpread spreads the payers' pay dates: the first payer pays on
	// Start + 80 days (its reversals and corrections 14 days later), the
	// last PaySpread days after that, the others in between (default 0:
	// every payer pays on the same day). A secondary payer (Medicaid after
	// Medicare) is last, so it still pays after the primary.
	PaySpread int
}

// TruthPractice is a generated practice: the billing provider of its
// claims and the payee of its remits.
type TruthPractice struct {
	Key       string   `json:"key"` // the practice key: its NPI
	NPI       string   `json:"npi"`
	TIN       string   `json:"tin"`
	Name      string   `json:"name"`
	Rendering []string `json:"rendering"` // rendering provider NPIs
}

// TruthPayer is a generated payer.
type TruthPayer struct {
	ID      string `json:"id"` // 837 2010BB NM109 = 835 REF*2U
	Name    string `json:"name"`
	Filing  string `json:"filing"`   // SBR09 / CLP06
	RatePct int    `json:"rate_pct"` // fee schedule as a percentage of the base rates; 0: no fee schedule
}

// RemitFile is one generated 835 file: one interchange of one payer with a
// transaction set per practice.
type RemitFile struct {
	Name        string            `json:"name"`
	Payer       string            `json:"payer"`
	Control     int               `json:"control"` // ISA13
	Date        time.Time         `json:"date"`
	Remittances []*x12.Remittance `json:"-"` // claims in Claims, PLBs in Adjustments
}

// TruthLine is the expected answer for one paid line, or (SVC 0) for one
// claim-level-only CLP.
type TruthLine struct {
	File  string `json:"file"`  // RemitFile.Name
	Claim int    `json:"claim"` // 1-based position of the CLP in the file, over its transaction sets
	SVC   int    `json:"svc"`   // 1-based position of the SVC in the CLP; 0: claim-level-only CLP

	Practice       string `json:"practice"`
	Payer          string `json:"payer"`
	PatientControl string `json:"patient_control"` // CLP01 as the payer sent it
	PayerControl   string `json:"payer_control"`   // CLP07
	Status         string `json:"status"`          // CLP02
	Procedure      string `json:"procedure"`       // SVC01-2

	// BilledClaim and BilledLine are the expected billed claim (CLM01) and
	// line (LX); "" and 0 when the remit pays nothing billed.
	BilledClaim string `json:"billed_claim,omitempty"`
	BilledLine  int    `json:"billed_line,omitempty"`
	// Method is the expected method: line_control, claim_and_procedure,
	// fuzzy, reversal, claim_only or unmatched (the names of pkg/match).
	Method string `json:"method"`
	// Flags are the expected flags among TruthFlags, sorted.
	Flags []string `json:"flags,omitempty"`
	// Scenario names the generator case the line belongs to.
	Scenario string `json:"scenario"`
	// Category is the expected denial root-cause category (DESIGN.md keys),
	// "" when the line is neither denied nor underpaid.
	Category string `json:"category,omitempty"`
	// Adjustments are the line's CAS as "GROUP-CARC" (e.g. "CO-197"), and
	// Remarks its RARCs.
	Adjustments []string `json:"adjustments,omitempty"`
	Remarks     []string `json:"remarks,omitempty"`
	// NetsFile and NetsClaim name the earlier CLP a reversal, correction or
	// duplicate remittance nets against.
	NetsFile  string `json:"nets_file,omitempty"`
	NetsClaim int    `json:"nets_claim,omitempty"`
	// Paid is SVC03 (CLP04 for a claim-level-only CLP).
	Paid money.Amount `json:"paid"`
}

// TruthPLB is the expected answer for one provider-level adjustment.
type TruthPLB struct {
	File        string       `json:"file"`
	Index       int          `json:"index"` // 1-based position among the PLB pairs of the file
	Practice    string       `json:"practice"`
	Reason      string       `json:"reason"`
	Reference   string       `json:"reference"`
	Amount      money.Amount `json:"amount"`
	BilledClaim string       `json:"billed_claim"` // CLM01 of the claim it concerns
	Method      string       `json:"method"`       // payer_claim_control or patient_control
}

// TruthFlags are the flags a truth line states in full: a matcher result
// must carry exactly these of them.
var TruthFlags = []string{"bundled", "claim_level_only", "correction", "crossover", "denied", "duplicate_remit",
	"late_claim", "modifier_dropped", "procedure_changed", "reversal", "secondary", "split_claim", "underpaid",
	"units_reduced"}

// Truth is a generated truth set.
type Truth struct {
	Options   TruthOptions    `json:"options"`
	Practices []TruthPractice `json:"practices"`
	Payers    []TruthPayer    `json:"payers"`
	// Claims are the billed 837P claims; Late[i] says claim i arrives after
	// the remits.
	Claims []*x12.Claim `json:"-"`
	Late   []bool       `json:"-"`
	// Files are the 835 files in delivery order.
	Files []*RemitFile `json:"files"`
	// Fees is the fee schedule the payments follow.
	Fees []billed.Fee `json:"-"`
	// Lines holds one expected answer per paid line and claim-level-only CLP,
	// in file order.
	Lines []TruthLine `json:"-"`
	PLBs  []TruthPLB  `json:"-"`
	// BilledLines counts the billed service lines.
	BilledLines int `json:"billed_lines"`
	// Scenarios counts the billed claims of each scenario.
	Scenarios map[string]int `json:"scenarios"`
}

// The truth-set scenarios, one per billed claim (unmatched remits have no
// billed claim).
const (
	ScenarioClean        = "clean"
	ScenarioDenialLine   = "denial_line"
	ScenarioDeniedClaim  = "denied_claim"
	ScenarioClaimLevel   = "claim_level_only"
	ScenarioUnitsCut     = "units_cut"
	ScenarioUnderpaid    = "underpaid"
	ScenarioReversal     = "reversal_correction"
	ScenarioSplit        = "split_claim"
	ScenarioNoLineCtl    = "missing_ref_6r"
	ScenarioCodeChanged  = "code_changed"
	ScenarioModDropped   = "modifier_dropped"
	ScenarioDupLines     = "duplicate_lines"
	ScenarioBundled      = "payer_bundled"
	ScenarioPLB          = "plb_recoupment"
	ScenarioLate         = "remit_before_claim"
	ScenarioCrossover    = "crossover"
	ScenarioFuzzy        = "fuzzy"
	ScenarioDupRemit     = "duplicate_remit"
	ScenarioUnmatched    = "unmatched"
	scenarioWeightsTotal = 100
)

var scenarioWeights = []struct {
	name string
	w    int
}{
	{ScenarioClean, 31}, {ScenarioDenialLine, 10}, {ScenarioDeniedClaim, 3}, {ScenarioClaimLevel, 2},
	{ScenarioUnitsCut, 4}, {ScenarioUnderpaid, 4}, {ScenarioReversal, 5}, {ScenarioSplit, 4},
	{ScenarioNoLineCtl, 6}, {ScenarioCodeChanged, 4}, {ScenarioModDropped, 4}, {ScenarioDupLines, 4},
	{ScenarioBundled, 3}, {ScenarioPLB, 3}, {ScenarioLate, 3}, {ScenarioCrossover, 4}, {ScenarioFuzzy, 2},
	{ScenarioDupRemit, 2}, {ScenarioUnmatched, 2},
}

// baseRates are synthetic per-unit allowed amounts (cents) the payers'
// schedules scale; they are round figures, not a published fee schedule.
var baseRates = map[string]money.Amount{
	"64483": 25000, "64484": 11000, "64479": 24000, "62323": 23000, "62322": 18000, "64493": 19000,
	"64494": 9500, "64635": 42000, "64636": 15000, "20552": 6000, "20553": 7000, "77003": 6500,
	"99214": 13000, "99213": 9200, "J1040": 800,
}

// charges are the practice's billed charges per unit (cents).
var charges = map[string]money.Amount{
	"64483": 145000, "64484": 65000, "64479": 140000, "62323": 120000, "62322": 95000, "64493": 110000,
	"64494": 55000, "64635": 240000, "64636": 90000, "20552": 18000, "20553": 21000, "77003": 25000,
	"99214": 21000, "99213": 15000, "J1040": 4500,
}

// bilateralPct is what modifier 50 adds to the facet rate.
const bilateralPct = 150

// rate returns the payer's expected allowed amount per unit.
func (p *TruthPayer) rate(code string, mods []string) money.Amount {
	r := baseRates[code] * money.Amount(p.RatePct) / 100
	if slices.Contains(mods, "50") {
		r = r * bilateralPct / 100
	}
	return r
}

type billedLine struct {
	code  string
	mods  []string
	units x12.Quantity
}

// gen holds the generator's state.
type gen struct {
	rng     *rand.Rand
	t       *Truth
	start   time.Time
	seq     int               // billed claim sequence
	icn     int               // payer claim control sequence
	members []map[string]bool // per practice: member+date taken
	memPool [][]string
	buckets map[bucketKey]*bucket
	order   []bucketKey
	bill    []*x12.BillingProvider
	payers  []*x12.Payer
}

type bucketKey struct{ cycle, payer, practice int }

type bucket struct {
	clps []*genCLP
	plbs []*genPLB
}

type genCLP struct {
	cp    *x12.ClaimPayment
	lines []TruthLine
	nets  *genCLP
	file  string
	ord   int
}

type genPLB struct {
	adj   x12.ProviderAdjustment
	truth TruthPLB
}

// GenerateTruth builds a truth set in memory.
func GenerateTruth(o TruthOptions) (*Truth, error) {
	if o.Lines <= 0 {
		o.Lines = 1000
	}
	if o.Practices <= 0 {
		o.Practices = 3
	}
	if o.Start.IsZero() {
		o.Start = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	}
	g := &gen{rng: rand.New(rand.NewPCG(o.Seed, 0x7247)), start: o.Start, buckets: map[bucketKey]*bucket{}}
	t := &Truth{Options: o, Scenarios: map[string]int{}}
	g.t = t
	for i := 0; i < o.Practices; i++ {
		t.Practices = append(t.Practices, TruthPractice{
			Key: npi(1000 + i*7), NPI: npi(1000 + i*7), TIN: fmt.Sprintf("74%07d", 1000+i), Name: fmt.Sprintf("SYNTHETIC PAIN CENTER %d", i+1),
			Rendering: []string{npi(5000 + i*10), npi(5001 + i*10)}})
	}
	t.Payers = []TruthPayer{
		{ID: "SYNMCR", Name: "SYNTHETIC MEDICARE", Filing: "MB", RatePct: 100},
		{ID: "SYNBCB", Name: "SYNTHETIC BLUE PLAN", Filing: "BL", RatePct: 125},
		{ID: "SYNAET", Name: "SYNTHETIC COMMERCIAL A", Filing: "CI", RatePct: 140},
		{ID: "SYNUHC", Name: "SYNTHETIC COMMERCIAL U", Filing: "CI", RatePct: 130},
		{ID: "SYNMCD", Name: "SYNTHETIC MEDICAID", Filing: "MC"}, // crossover target, no schedule
	}
	for pi := range t.Payers {
		p := &t.Payers[pi]
		if p.RatePct == 0 {
			continue
		}
		codes := make([]string, 0, len(baseRates))
		for c := range baseRates {
			codes = append(codes, c)
		}
		slices.Sort(codes)
		for _, c := range codes {
			t.Fees = append(t.Fees, billed.Fee{Payer: p.ID, Procedure: c, Allowed: p.rate(c, nil), From: "2026-01-01"})
			if c == "64493" {
				t.Fees = append(t.Fees, billed.Fee{Payer: p.ID, Procedure: c, Modifier: "50", Allowed: p.rate(c, []string{"50"}), From: "2026-01-01"})
			}
		}
	}
	expectedClaims := o.Lines/2 + 10
	pool := max(8, expectedClaims/(3*o.Practices))
	for pr := 0; pr < o.Practices; pr++ {
		g.members = append(g.members, map[string]bool{})
		var ids []string
		for m := 0; m < pool; m++ {
			ids = append(ids, fmt.Sprintf("M%d%08d", pr+1, m+1))
		}
		g.memPool = append(g.memPool, ids)
	}
	for t.BilledLines < o.Lines {
		if err := g.claim(); err != nil {
			return nil, err
		}
	}
	g.files()
	return t, nil
}

// npi makes a 10-digit NPI with a valid Luhn check digit (prefix 80840).
func npi(n int) string {
	base := fmt.Sprintf("1%08d", n)
	sum := 24 // the 80840 prefix
	for i := len(base) - 1; i >= 0; i-- {
		d := int(base[i] - '0')
		if (len(base)-1-i)%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return base + strconv.Itoa((10-sum%10)%10)
}

func (g *gen) pickScenario() string {
	n := g.rng.IntN(scenarioWeightsTotal)
	for _, s := range scenarioWeights {
		if n < s.w {
			return s.name
		}
		n -= s.w
	}
	return ScenarioClean
}

// template returns the billed lines of a session for the scenario.
func (g *gen) template(sc string) []billedLine {
	one := x12.Quantity(1000)
	switch sc {
	case ScenarioBundled:
		l := []billedLine{{"62323", nil, one}, {"77003", nil, one}}
		if g.rng.IntN(2) == 0 {
			l = append(l, billedLine{"J1040", nil, one})
		}
		return l
	case ScenarioDupLines:
		l := []billedLine{{"64483", []string{"RT"}, one}, {"64484", []string{"RT"}, one}, {"64484", []string{"RT"}, one}}
		if g.rng.IntN(3) == 0 {
			l[2].units = 2000 // same code and date, told apart by units and charge
		}
		return l
	case ScenarioCodeChanged:
		if g.rng.IntN(2) == 0 {
			return []billedLine{{"99214", []string{"25"}, one}, {"20552", nil, one}}
		}
		return []billedLine{{"62323", nil, one}, {"J1040", nil, one}}
	case ScenarioModDropped:
		if g.rng.IntN(2) == 0 {
			return []billedLine{{"64493", []string{"50"}, one}, {"64494", nil, one}}
		}
		return []billedLine{{"99214", []string{"25"}, one}, {"64483", []string{"RT"}, one}}
	case ScenarioUnitsCut:
		return []billedLine{{"64483", []string{"LT"}, one}, {"64484", []string{"LT"}, 2000}, {"J1040", nil, 2000}}
	case ScenarioSplit:
		return []billedLine{{"99214", []string{"25"}, one}, {"64635", []string{"RT"}, one}, {"64636", []string{"RT"}, one},
			{"20552", nil, one}}
	}
	switch g.rng.IntN(6) {
	case 0:
		l := []billedLine{{"64483", []string{"RT"}, one}}
		if g.rng.IntN(2) == 0 {
			l = append(l, billedLine{"64484", []string{"RT"}, one})
		}
		return append(l, billedLine{"J1040", nil, one})
	case 1:
		return []billedLine{{"62323", nil, one}, {"J1040", nil, one}}
	case 2:
		return []billedLine{{"64493", []string{"50"}, one}, {"64494", nil, one}}
	case 3:
		l := []billedLine{{"64635", []string{"LT"}, one}}
		if g.rng.IntN(2) == 0 {
			l = append(l, billedLine{"64636", []string{"LT"}, one})
		}
		return l
	case 4:
		return []billedLine{{"99214", []string{"25"}, one}, {"20553", nil, one}}
	}
	return []billedLine{{"99213", nil, one}}
}

func (g *gen) bucket(cycle, payer, practice int) *bucket {
	k := bucketKey{cycle, payer, practice}
	b := g.buckets[k]
	if b == nil {
		b = &bucket{}
		g.buckets[k] = b
		g.order = append(g.order, k)
	}
	return b
}

func (g *gen) nextICN(payer int) string {
	g.icn++
	return fmt.Sprintf("%d%012d", payer+1, g.icn)
}

func (g *gen) date(practice int, member string) (time.Time, bool) {
	for try := 0; try < 8; try++ {
		d := g.start.AddDate(0, 0, g.rng.IntN(70))
		if d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
			continue
		}
		k := member + d.Format("20060102")
		if !g.members[practice][k] {
			g.members[practice][k] = true
			return d, true
		}
	}
	return time.Time{}, false
}

// billing returns the practice's billing provider loop, shared by its
// claims (read-only, as x12.Claim documents).
func (g *gen) billing(pr int) *x12.BillingProvider {
	for len(g.bill) <= pr {
		p := &g.t.Practices[len(g.bill)]
		g.bill = append(g.bill, &x12.BillingProvider{Provider: x12.Provider{
			Name: x12.Name{Entity: "85", Type: "2", Last: p.Name, IDQualifier: "XX", ID: p.NPI},
			NPI:  p.NPI, TIN: p.TIN,
			Address: &x12.Address{Lines: []string{"100 SYNTHETIC WAY"}, City: "PHOENIX", State: "AZ", PostalCode: "85004"}}})
	}
	return g.bill[pr]
}

// payer returns the payer loop, shared by the payer's claims.
func (g *gen) payer(i int) *x12.Payer {
	for len(g.payers) <= i {
		p := &g.t.Payers[len(g.payers)]
		g.payers = append(g.payers, &x12.Payer{Name: p.Name, IDQualifier: "PI", PayerID: p.ID})
	}
	return g.payers[i]
}

// claim generates one billed claim (or one unmatched remit) with its remits.
func (g *gen) claim() error {
	t := g.t
	sc := g.pickScenario()
	pr := g.rng.IntN(len(t.Practices))
	payer := g.rng.IntN(4)
	if sc == ScenarioCrossover {
		payer = 0
	}
	var member string
	var dy time.Time
	for {
		member = g.memPool[pr][g.rng.IntN(len(g.memPool[pr]))]
		if sc == ScenarioUnmatched {
			member = fmt.Sprintf("X%d%08d", pr+1, g.seq+1)
		}
		var ok bool
		if dy, ok = g.date(pr, member); ok {
			break
		}
	}
	g.seq++
	t.Scenarios[sc]++
	prac := &t.Practices[pr]
	py := &t.Payers[payer]
	pcn := fmt.Sprintf("P%d-%07d", pr+1, g.seq)
	tpl := g.template(sc)
	c := &x12.Claim{
		BillingProvider: g.billing(pr),
		Subscriber: &x12.Subscriber{Coverage: x12.Coverage{Responsibility: "P", Relationship: "18", FilingIndicator: py.Filing},
			Insured: x12.Insured{EntityType: "1", LastName: "SYNTH", FirstName: "PATIENT", MemberIDQualifier: "MI",
				MemberID: member, BirthDate: x12.Date(fmt.Sprintf("19%02d-%02d-%02d", 40+g.rng.IntN(45), 1+g.rng.IntN(12), 1+g.rng.IntN(28))),
				Gender: "F"}},
		Payer:                g.payer(payer),
		PatientControlNumber: pcn, PlaceOfService: "11", FacilityCodeQualifier: "B", FrequencyCode: "1",
		ProviderSignature: "Y", Assignment: "A", BenefitsAssignment: "Y", ReleaseOfInformation: "Y",
		Diagnoses: []x12.Diagnosis{{Qualifier: "ABK", Code: "M5416"}, {Qualifier: "ABF", Code: "M47816"}},
		Rendering: &x12.Provider{Name: x12.Name{Entity: "82", Type: "1", Last: "DOCTOR", First: "SYNTH", IDQualifier: "XX",
			ID: prac.Rendering[g.rng.IntN(2)]}},
	}
	c.Rendering.NPI = c.Rendering.ID
	if g.rng.IntN(3) == 0 {
		c.PriorAuthorization = fmt.Sprintf("AUTH%07d", g.seq)
	}
	d := x12.Date(dy.Format(time.DateOnly))
	for i, bl := range tpl {
		ch := charges[bl.code] * money.Amount(bl.units) / 1000
		if bl.code == "64493" && slices.Contains(bl.mods, "50") {
			ch = ch * 3 / 2
		}
		c.Lines = append(c.Lines, &x12.ServiceLine{Number: i + 1,
			Procedure: x12.Procedure{Qualifier: "HC", Code: bl.code, Modifiers: bl.mods}, Charge: ch,
			UnitBasis: "UN", Units: bl.units, DiagnosisPointers: []int{1}, ServiceFrom: d, ServiceTo: d,
			LineControlNumber: fmt.Sprintf("L%d-%07d-%d", pr+1, g.seq, i+1)})
		c.TotalCharge += ch
	}
	if sc != ScenarioUnmatched {
		t.Claims = append(t.Claims, c)
		t.Late = append(t.Late, sc == ScenarioLate)
		t.BilledLines += len(c.Lines)
	}
	a := &adjudication{g: g, c: c, pr: pr, payer: payer, py: py, sc: sc, member: member}
	a.run()
	return nil
}

// adjudication builds the remits of one billed claim.
type adjudication struct {
	g      *gen
	c      *x12.Claim
	pr     int
	payer  int
	py     *TruthPayer
	sc     string
	member string
}

// lineOut is a paid line under construction with its expected answer.
type lineOut struct {
	sp    *x12.ServicePayment
	truth TruthLine
}

// prKind picks how the patient shares the cost: 0 coinsurance, 1 copay,
// 2 deductible, 3 nothing.
func (a *adjudication) prKind() int {
	if a.payer == 0 {
		return 0
	}
	return a.g.rng.IntN(4)
}

func patientShare(kind int, allowed money.Amount, first bool) (string, money.Amount) {
	switch kind {
	case 0:
		return "2", allowed / 5
	case 1:
		if first && allowed > 4000 {
			return "3", 4000
		}
	case 2:
		if first {
			return "1", min(allowed, 20000)
		}
	}
	return "", 0
}

// pay builds a paid line: allowed = rate × units × pct / 100.
func (a *adjudication) pay(l *x12.ServiceLine, pct int, kind int, first bool) *lineOut {
	allowed := a.py.rate(l.Procedure.Code, l.Procedure.Modifiers) * money.Amount(l.Units) / 1000 * money.Amount(pct) / 100
	o := a.base(l)
	o.sp.Amounts = []x12.Amount{{Qualifier: "B6", Amount: allowed}}
	if l.Charge > allowed {
		o.adj("CO", "45", l.Charge-allowed)
	}
	if reason, amt := patientShare(kind, allowed, first); amt > 0 {
		o.adj("PR", reason, amt)
	}
	o.settle()
	if pct < 100 {
		o.flag("underpaid")
		o.truth.Category = "underpayment"
	}
	return o
}

// deny builds a denied line.
func (a *adjudication) deny(l *x12.ServiceLine, group, carc, rarc, category string) *lineOut {
	o := a.base(l)
	o.adj(group, carc, l.Charge)
	if rarc != "" {
		o.sp.Remarks = append(o.sp.Remarks, x12.Remark{Qualifier: "HE", Code: rarc})
		o.truth.Remarks = append(o.truth.Remarks, rarc)
	}
	o.settle()
	o.flag("denied")
	o.truth.Category = category
	return o
}

func (a *adjudication) base(l *x12.ServiceLine) *lineOut {
	units := l.Units
	o := &lineOut{sp: &x12.ServicePayment{Procedure: x12.Procedure{Qualifier: "HC", Code: l.Procedure.Code,
		Modifiers: slices.Clone(l.Procedure.Modifiers)}, Charge: l.Charge, Units: &units, DateFrom: l.ServiceFrom, DateTo: l.ServiceTo,
		Refs: []x12.Ref{{Qualifier: "6R", Value: l.LineControlNumber}}}}
	o.truth = TruthLine{BilledClaim: a.c.PatientControlNumber, BilledLine: l.Number, Method: "line_control",
		Scenario: a.sc, Procedure: l.Procedure.Code}
	return o
}

func (o *lineOut) adj(group, reason string, amt money.Amount) {
	o.sp.Adjustments = append(o.sp.Adjustments, x12.Adjustment{Group: group, Reason: reason, Amount: amt})
	o.truth.Adjustments = append(o.truth.Adjustments, group+"-"+reason)
}

// settle sets SVC03 = SVC02 − Σ CAS.
func (o *lineOut) settle() {
	p := o.sp.Charge
	for _, x := range o.sp.Adjustments {
		p -= x.Amount
	}
	o.sp.Paid = p
	o.truth.Paid = p
}

func (o *lineOut) flag(f string) {
	if !slices.Contains(o.truth.Flags, f) {
		o.truth.Flags = append(o.truth.Flags, f)
	}
}

func (o *lineOut) noLineControl() {
	o.sp.Refs = nil
	if o.truth.Method == "line_control" {
		o.truth.Method = "claim_and_procedure"
	}
}

// denials are the line denials a pain practice sees, with the category the
// router should give them.
var denials = []struct{ group, carc, rarc, category string }{
	{"CO", "197", "N54", "authorization"},
	{"CO", "50", "N115", "medical_necessity"},
	{"CO", "119", "N640", "frequency_limit"},
	{"CO", "16", "N290", "missing_claim_data"},
	{"CO", "4", "N519", "modifier"},
}

// claimPayment wraps lines into a CLP.
func (a *adjudication) claimPayment(pcn, status, icn string, outs []*lineOut) *genCLP {
	cp := &x12.ClaimPayment{PatientControl: pcn, Status: status, FilingIndicator: a.py.Filing, PayerControl: icn,
		FacilityType: "11", Frequency: "1",
		Names: []x12.Name{{Entity: "QC", Type: "1", Last: "SYNTH", First: "PATIENT", IDQualifier: "MI", ID: a.member}}}
	gc := &genCLP{cp: cp}
	for i, o := range outs {
		o.sp.Number = i + 1
		cp.Lines = append(cp.Lines, o.sp)
		cp.Charge += o.sp.Charge
		cp.Paid += o.sp.Paid
		for _, x := range o.sp.Adjustments {
			if x.Group == "PR" {
				cp.PatientResp += x.Amount
			}
		}
		o.truth.SVC = i + 1
		gc.lines = append(gc.lines, o.truth)
	}
	if status == "1" && cp.Paid == 0 && cp.PatientResp == 0 {
		cp.Status = "4"
	}
	for i := range gc.lines {
		gc.lines[i].Status = cp.Status
	}
	return gc
}

func (a *adjudication) put(cycle int, gc *genCLP) {
	b := a.g.bucket(cycle, a.payer, a.pr)
	b.clps = append(b.clps, gc)
}

// clean pays every line at the schedule.
func (a *adjudication) clean(pct int) []*lineOut {
	kind := a.prKind()
	var outs []*lineOut
	for i, l := range a.c.Lines {
		outs = append(outs, a.pay(l, pct, kind, i == 0))
	}
	return outs
}

func (a *adjudication) run() {
	g, c := a.g, a.c
	pcn := c.PatientControlNumber
	switch a.sc {
	case ScenarioClean, ScenarioLate:
		outs := a.clean(100)
		if a.sc == ScenarioLate {
			for _, o := range outs {
				o.flag("late_claim")
				if g.rng.IntN(2) == 0 {
					o.noLineControl()
				}
			}
		}
		a.put(0, a.claimPayment(pcn, "1", g.nextICN(a.payer), outs))
	case ScenarioNoLineCtl:
		outs := a.clean(100)
		for _, o := range outs {
			o.noLineControl()
		}
		// The payer lists the lines in its own order.
		g.rng.Shuffle(len(outs), func(i, j int) { outs[i], outs[j] = outs[j], outs[i] })
		a.put(0, a.claimPayment(pcn, "1", g.nextICN(a.payer), outs))
	case ScenarioDenialLine:
		outs := a.clean(100)
		k := g.rng.IntN(len(outs))
		dn := denials[g.rng.IntN(len(denials))]
		for dn.carc == "4" && len(c.Lines[k].Procedure.Modifiers) == 0 {
			dn = denials[g.rng.IntN(len(denials))]
		}
		outs[k] = a.deny(c.Lines[k], dn.group, dn.carc, dn.rarc, dn.category)
		a.put(0, a.claimPayment(pcn, "1", g.nextICN(a.payer), outs))
	case ScenarioDeniedClaim:
		dn := denials[g.rng.IntN(2)*3] // auth or missing data: the whole claim
		var outs []*lineOut
		for _, l := range c.Lines {
			outs = append(outs, a.deny(l, dn.group, dn.carc, dn.rarc, dn.category))
		}
		a.put(0, a.claimPayment(pcn, "4", g.nextICN(a.payer), outs))
	case ScenarioClaimLevel:
		gc := a.claimPayment(pcn, "4", g.nextICN(a.payer), nil)
		gc.cp.Charge = c.TotalCharge
		gc.cp.Adjustments = []x12.Adjustment{{Group: "CO", Reason: "16", Amount: c.TotalCharge}}
		gc.cp.Outpatient = &x12.Outpatient{Remarks: []string{"MA130"}}
		gc.lines = []TruthLine{{BilledClaim: pcn, Method: "claim_only", Scenario: a.sc, Status: "4",
			Flags: []string{"claim_level_only", "denied"}, Category: "missing_claim_data", Adjustments: []string{"CO-16"},
			Remarks: []string{"MA130"}}}
		a.put(0, gc)
	case ScenarioUnitsCut:
		kind := a.prKind()
		var outs []*lineOut
		for i, l := range c.Lines {
			if l.Units <= 1000 {
				outs = append(outs, a.pay(l, 100, kind, i == 0))
				continue
			}
			paidUnits := l.Units - 1000
			allowed := a.py.rate(l.Procedure.Code, l.Procedure.Modifiers) * money.Amount(paidUnits) / 1000
			o := a.base(l)
			pu, ou := paidUnits, l.Units
			o.sp.Units, o.sp.OriginalUnits = &pu, &ou
			o.sp.Amounts = []x12.Amount{{Qualifier: "B6", Amount: allowed}}
			cut := l.Charge * money.Amount(l.Units-paidUnits) / money.Amount(l.Units)
			o.adj("CO", "151", cut)
			o.adj("CO", "45", l.Charge-cut-allowed)
			if reason, amt := patientShare(kind, allowed, i == 0); amt > 0 {
				o.adj("PR", reason, amt)
			}
			o.sp.Remarks = []x12.Remark{{Qualifier: "HE", Code: "N362"}}
			o.truth.Remarks = []string{"N362"}
			o.settle()
			o.flag("units_reduced")
			o.truth.Category = "frequency_limit"
			outs = append(outs, o)
		}
		a.put(0, a.claimPayment(pcn, "1", g.nextICN(a.payer), outs))
	case ScenarioUnderpaid:
		a.put(0, a.claimPayment(pcn, "1", g.nextICN(a.payer), a.clean(80)))
	case ScenarioReversal:
		icn := g.nextICN(a.payer)
		orig := a.claimPayment(pcn, "1", icn, a.clean(80))
		a.put(0, orig)
		rev := a.reversal(orig)
		a.put(1, rev)
		newICN := icn
		if g.rng.IntN(2) == 0 {
			newICN = g.nextICN(a.payer)
		}
		corr := a.claimPayment(pcn, "1", newICN, a.clean(100))
		for i := range corr.lines {
			corr.lines[i].Flags = append(corr.lines[i].Flags, "correction")
		}
		corr.nets = orig
		a.put(1, corr)
	case ScenarioSplit:
		outs := a.clean(100)
		k := 1 + g.rng.IntN(len(outs)-1)
		noLCN := g.rng.IntN(2) == 0
		for _, o := range outs {
			o.flag("split_claim")
			if noLCN {
				o.noLineControl()
			}
		}
		a.put(0, a.claimPayment(pcn, "1", g.nextICN(a.payer), outs[:k]))
		a.put(g.rng.IntN(2), a.claimPayment(pcn, "1", g.nextICN(a.payer), outs[k:]))
	case ScenarioCodeChanged:
		kind := a.prKind()
		var outs []*lineOut
		for i, l := range c.Lines {
			newCode := map[string]string{"99214": "99213", "62323": "62322"}[l.Procedure.Code]
			if newCode == "" {
				outs = append(outs, a.pay(l, 100, kind, i == 0))
				continue
			}
			o := a.base(l)
			o.sp.Original = &x12.Procedure{Qualifier: "HC", Code: l.Procedure.Code, Modifiers: slices.Clone(l.Procedure.Modifiers)}
			o.sp.Procedure.Code = newCode
			o.truth.Procedure = newCode
			allowed := a.py.rate(newCode, l.Procedure.Modifiers) * money.Amount(l.Units) / 1000
			full := a.py.rate(l.Procedure.Code, l.Procedure.Modifiers) * money.Amount(l.Units) / 1000
			o.sp.Amounts = []x12.Amount{{Qualifier: "B6", Amount: allowed}}
			o.adj("CO", "150", full-allowed)
			o.adj("CO", "45", l.Charge-full)
			if reason, amt := patientShare(kind, allowed, i == 0); amt > 0 {
				o.adj("PR", reason, amt)
			}
			o.settle()
			o.flag("procedure_changed")
			o.truth.Category = "coding_bundling"
			if g.rng.IntN(2) == 0 {
				o.noLineControl()
			}
			outs = append(outs, o)
		}
		a.put(0, a.claimPayment(pcn, "1", g.nextICN(a.payer), outs))
	case ScenarioModDropped:
		kind := a.prKind()
		noLCN := g.rng.IntN(2) == 0
		var outs []*lineOut
		for i, l := range c.Lines {
			var o *lineOut
			switch l.Procedure.Code {
			case "64493": // 50 stripped: paid as unilateral
				allowed := a.py.rate("64493", nil)
				o = a.base(l)
				o.sp.Procedure.Modifiers = nil
				o.sp.Amounts = []x12.Amount{{Qualifier: "B6", Amount: allowed}}
				o.adj("CO", "45", l.Charge-allowed)
				if reason, amt := patientShare(kind, allowed, i == 0); amt > 0 {
					o.adj("PR", reason, amt)
				}
				o.settle()
				o.flag("modifier_dropped")
				o.truth.Category = "modifier"
			case "99214": // 25 stripped: E/M denied with the procedure
				o = a.deny(l, "CO", "4", "N519", "modifier")
				o.sp.Procedure.Modifiers = nil
				o.flag("modifier_dropped")
			default:
				o = a.pay(l, 100, kind, i == 0)
			}
			if noLCN {
				o.noLineControl()
			}
			outs = append(outs, o)
		}
		a.put(0, a.claimPayment(pcn, "1", g.nextICN(a.payer), outs))
	case ScenarioDupLines:
		outs := a.clean(100)
		if g.rng.IntN(2) == 0 {
			for _, o := range outs {
				o.noLineControl()
			}
		}
		a.put(0, a.claimPayment(pcn, "1", g.nextICN(a.payer), outs))
	case ScenarioBundled:
		kind := a.prKind()
		var outs []*lineOut
		for i, l := range c.Lines {
			if l.Procedure.Code != "77003" {
				outs = append(outs, a.pay(l, 100, kind, i == 0))
				continue
			}
			o := a.deny(l, "CO", "97", "M15", "coding_bundling")
			o.sp.Original = &x12.Procedure{Qualifier: "HC", Code: "77003"}
			o.sp.Procedure.Code = "62323" // paid under the injection's code
			o.truth.Procedure = "62323"
			o.flag("bundled")
			o.flag("procedure_changed")
			if g.rng.IntN(2) == 0 {
				o.noLineControl()
			}
			outs = append(outs, o)
		}
		a.put(0, a.claimPayment(pcn, "1", g.nextICN(a.payer), outs))
	case ScenarioPLB:
		icn := g.nextICN(a.payer)
		gc := a.claimPayment(pcn, "1", icn, a.clean(100))
		a.put(0, gc)
		reason, ref, method := "WO", icn, "payer_claim_control"
		switch g.rng.IntN(3) {
		case 1:
			reason = "72"
		case 2:
			reason, ref, method = "FB", pcn, "patient_control"
		}
		amt := gc.cp.Paid / 4
		if amt == 0 {
			amt = 1000
		}
		b := g.bucket(1, a.payer, a.pr)
		b.plbs = append(b.plbs, &genPLB{
			adj: x12.ProviderAdjustment{ProviderID: g.t.Practices[a.pr].NPI, FiscalPeriod: "2026-12-31", Reason: reason,
				Reference: ref, Amount: amt},
			truth: TruthPLB{Practice: g.t.Practices[a.pr].Key, Reason: reason, Reference: ref, Amount: amt,
				BilledClaim: pcn, Method: method}})
	case ScenarioCrossover:
		outs := a.clean(100)
		prim := make([]money.Amount, len(outs))
		for i, o := range outs {
			o.flag("crossover")
			for _, x := range o.sp.Adjustments {
				if x.Group == "PR" {
					prim[i] += x.Amount
				}
			}
		}
		gc := a.claimPayment(pcn, "19", g.nextICN(a.payer), outs)
		gc.cp.Names = append(gc.cp.Names, x12.Name{Entity: "TT", Type: "2", Last: g.t.Payers[4].Name, IDQualifier: "PI", ID: g.t.Payers[4].ID})
		a.put(0, gc)
		sec := &adjudication{g: g, c: c, pr: a.pr, payer: 4, py: &g.t.Payers[4], sc: a.sc, member: a.member}
		var souts []*lineOut
		for i, l := range c.Lines {
			o := sec.base(l)
			o.sp.Refs = nil
			o.truth.Method = "claim_and_procedure"
			o.adj("OA", "23", l.Charge-prim[i])
			o.settle()
			o.flag("secondary")
			if prim[i] == 0 {
				o.flag("denied")
			}
			souts = append(souts, o)
		}
		sec.put(1, sec.claimPayment(pcn, "2", g.nextICN(4), souts))
	case ScenarioFuzzy:
		outs := a.clean(100)
		for _, o := range outs {
			o.noLineControl()
			o.truth.Method = "fuzzy"
		}
		mangled := pcn[:1] + pcn[3:] // the payer dropped the practice digit and dash
		a.put(0, a.claimPayment(mangled, "1", g.nextICN(a.payer), outs))
	case ScenarioDupRemit:
		icn := g.nextICN(a.payer)
		outs := a.clean(100)
		a.put(0, a.claimPayment(pcn, "1", icn, outs))
		again := a.claimPayment(pcn, "1", icn, cloneOuts(outs))
		for i := range again.lines {
			again.lines[i].Flags = append(again.lines[i].Flags, "duplicate_remit")
		}
		again.nets = a.g.buckets[bucketKey{0, a.payer, a.pr}].clps[len(a.g.buckets[bucketKey{0, a.payer, a.pr}].clps)-1]
		a.put(1, again)
	case ScenarioUnmatched:
		outs := a.clean(100)
		for _, o := range outs {
			o.sp.Refs = nil
			o.truth.Method, o.truth.BilledClaim, o.truth.BilledLine = "unmatched", "", 0
		}
		a.put(0, a.claimPayment("U"+pcn, "1", g.nextICN(a.payer), outs))
	}
}

func cloneOuts(outs []*lineOut) []*lineOut {
	var out []*lineOut
	for _, o := range outs {
		sp := *o.sp
		sp.Adjustments = slices.Clone(sp.Adjustments)
		sp.Refs = slices.Clone(sp.Refs)
		out = append(out, &lineOut{sp: &sp, truth: o.truth})
	}
	return out
}

// reversal negates an earlier CLP (CLP02 = 22, same CLP07).
func (a *adjudication) reversal(orig *genCLP) *genCLP {
	o := orig.cp
	cp := &x12.ClaimPayment{PatientControl: o.PatientControl, Status: "22", Charge: -o.Charge, Paid: -o.Paid,
		PatientResp: -o.PatientResp, FilingIndicator: o.FilingIndicator, PayerControl: o.PayerControl,
		FacilityType: o.FacilityType, Frequency: o.Frequency, Names: o.Names}
	gc := &genCLP{cp: cp, nets: orig}
	for i, l := range o.Lines {
		nl := *l
		nl.Charge, nl.Paid = -l.Charge, -l.Paid
		nl.Adjustments = nil
		for _, x := range l.Adjustments {
			x.Amount = -x.Amount
			nl.Adjustments = append(nl.Adjustments, x)
		}
		nl.Amounts = nil
		cp.Lines = append(cp.Lines, &nl)
		tl := orig.lines[i]
		tl.Status, tl.Method, tl.Paid = "22", "reversal", nl.Paid
		tl.Flags = []string{"reversal"}
		tl.Category = ""
		gc.lines = append(gc.lines, tl)
	}
	return gc
}

// payShift is how many days after the first payer payer p pays
// (TruthOptions.PaySpread).
func (g *gen) payShift(p int) int {
	n := len(g.t.Payers)
	if g.t.Options.PaySpread <= 0 || n < 2 {
		return 0
	}
	return g.t.Options.PaySpread * p / (n - 1)
}

// files assembles the 835 files: cycle by cycle, payer by payer, one
// transaction set per practice.
func (g *gen) files() {
	t := g.t
	keys := slices.Clone(g.order)
	slices.SortFunc(keys, func(a, b bucketKey) int {
		if a.cycle != b.cycle {
			return a.cycle - b.cycle
		}
		if a.payer != b.payer {
			return a.payer - b.payer
		}
		return a.practice - b.practice
	})
	var f *RemitFile
	ord, plbOrd := 0, 0
	control := 0
	for _, k := range keys {
		b := g.buckets[k]
		py := &t.Payers[k.payer]
		name := fmt.Sprintf("era-c%d-%s.835", k.cycle+1, py.ID)
		if f == nil || f.Name != name {
			control++
			f = &RemitFile{Name: name, Payer: py.ID, Control: control, Date: g.start.AddDate(0, 0, 80+14*k.cycle+g.payShift(k.payer))}
			t.Files = append(t.Files, f)
			ord, plbOrd = 0, 0
		}
		prac := &t.Practices[k.practice]
		dy := x12.Date(f.Date.Format(time.DateOnly))
		rem := &x12.Remittance{
			Control:        fmt.Sprintf("%04d", len(f.Remittances)+1),
			Implementation: "005010X221A1",
			Payment:        x12.Payment{Handling: "I", CreditDebit: "C", Method: "ACH", Format: "CCP", Date: dy},
			Trace:          x12.Trace{Type: "1", Number: fmt.Sprintf("EFT%02d%03d%04d", k.cycle+1, k.payer+1, k.practice+1), Originator: "1" + py.ID},
			ProductionDate: dy,
			Payer: x12.Party{Entity: "PR", Name: py.Name,
				Address: x12.Address{Lines: []string{"PO BOX 1"}, City: "DALLAS", State: "TX", PostalCode: "75201"},
				Refs:    []x12.Ref{{Qualifier: "2U", Value: py.ID}}},
			Payee: x12.Party{Entity: "PE", Name: prac.Name, IDQualifier: "XX", ID: prac.NPI,
				Refs: []x12.Ref{{Qualifier: "TJ", Value: prac.TIN}}},
		}
		header := &x12.HeaderNumber{Number: "1"}
		var paid money.Amount
		for _, gc := range b.clps {
			ord++
			gc.file, gc.ord = f.Name, ord
			gc.cp.Header = header
			rem.Claims = append(rem.Claims, gc.cp)
			paid += gc.cp.Paid
		}
		for _, p := range b.plbs {
			plbOrd++
			rem.Adjustments = append(rem.Adjustments, p.adj)
			p.truth.File, p.truth.Index = f.Name, plbOrd
			paid -= p.adj.Amount
			t.PLBs = append(t.PLBs, p.truth)
		}
		if paid < 0 {
			// More reversed than paid: the guide allows no negative BPR02;
			// the payer carries the balance forward as a PLB FB against the
			// reversed claim and the payment is a zero notification.
			var rev *x12.ClaimPayment
			for _, gc := range b.clps {
				if rev == nil || gc.cp.Paid < rev.Paid {
					rev = gc.cp
				}
			}
			tp := TruthPLB{Practice: prac.Key, Reason: "FB", Amount: paid}
			if rev != nil {
				tp.Reference, tp.BilledClaim, tp.Method = rev.PatientControl, rev.PatientControl, "patient_control"
			} else { // only recoupments: carried against the first one's claim
				first := b.plbs[0].truth
				tp.Reference, tp.BilledClaim, tp.Method = first.Reference, first.BilledClaim, first.Method
			}
			plbOrd++
			tp.File, tp.Index = f.Name, plbOrd
			rem.Adjustments = append(rem.Adjustments, x12.ProviderAdjustment{ProviderID: prac.NPI, FiscalPeriod: "2026-12-31",
				Reason: "FB", Reference: tp.Reference, Amount: paid})
			t.PLBs = append(t.PLBs, tp)
			paid = 0
			rem.Payment.Handling, rem.Payment.Method, rem.Payment.Format = "H", "NON", ""
		}
		rem.Payment.Amount = paid
		f.Remittances = append(f.Remittances, rem)
	}
	n := 0
	for _, k := range keys {
		for _, gc := range g.buckets[k].clps {
			n += len(gc.lines)
		}
	}
	t.Lines = make([]TruthLine, 0, n)
	// Buckets are in file order and CLPs in position order, so the lines
	// come out in file order.
	for _, k := range keys {
		for _, gc := range g.buckets[k].clps {
			for _, tl := range gc.lines {
				tl.File, tl.Claim = gc.file, gc.ord
				tl.Practice, tl.Payer = t.Practices[k.practice].Key, t.Payers[k.payer].ID
				tl.PatientControl, tl.PayerControl = gc.cp.PatientControl, gc.cp.PayerControl
				tl.Status = gc.cp.Status
				if gc.nets != nil {
					tl.NetsFile, tl.NetsClaim = gc.nets.file, gc.nets.ord
				}
				slices.Sort(tl.Flags)
				tl.Flags = slices.Compact(tl.Flags)
				t.Lines = append(t.Lines, tl)
			}
		}
	}
}
