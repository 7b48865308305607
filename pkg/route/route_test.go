package route

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/remitq/remitq/carc"
	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/money"
)

var remitDay = day.New(2026, 3, 2)

// adjs parses "CO-45:437.60 PR-1:100" into adjustments.
func adjs(t testing.TB, s string) []Adjustment {
	t.Helper()
	var out []Adjustment
	for _, f := range strings.Fields(s) {
		code, amt, ok := strings.Cut(f, ":")
		g, r, ok2 := strings.Cut(code, "-")
		if !ok || !ok2 {
			t.Fatalf("bad adjustment %q", f)
		}
		out = append(out, Adjustment{Group: g, Reason: r, Amount: money.MustParse(amt)})
	}
	return out
}

// proc splits "64493-50" into code and modifiers.
func proc(s string) (string, []string) {
	p := strings.Split(s, "-")
	return p[0], p[1:]
}

type lineCase struct {
	name     string
	proc     string // "64493-50"
	siblings []string
	charge   string
	paid     string
	cas      string
	rarcs    []string
	status   string // CLP02, default "1"
	match    Match
	// want
	disp     Disposition
	category carc.Category
	atRisk   string
	work     WorkKind
	rule     string // Decision.Rule prefix, "" = none expected
	text     string // substring of Text
}

func (c lineCase) line(t testing.TB) *Line {
	code, mods := proc(c.proc)
	st := c.status
	if st == "" {
		st = "1"
	}
	m := c.match
	if m.Status == NotChecked {
		m.Status = Matched
	}
	return &Line{ClaimID: "PAIN26001", LineIndex: 1, PayerID: "SHP01", Procedure: code, Modifiers: mods,
		ServiceDate: remitDay, Charge: money.MustParse(c.charge), Paid: money.MustParse(c.paid),
		Adjustments: adjs(t, c.cas), Remarks: append([]string(nil), c.rarcs...), ClaimStatus: st, RemitDate: remitDay, Match: m,
		Siblings: c.siblings}
}

// Real code combinations: the 835 corpus (counts in brackets are lines in
// /work/shared/corpus/835), the pain fixtures in x12/testdata/835, the
// generator, and the pain scenarios of seed 004.
var lineCases = []lineCase{
	// authorization
	{name: "CO-197 N54 on lumbar RFA (generator, pain-full.835)", proc: "64635-LT", charge: "2400", paid: "0", cas: "CO-197:2400", rarcs: []string{"N54"},
		disp: Denied, category: carc.Authorization, atRisk: "2400.00", work: DenialWork, text: "Denied: prior authorization missing or does not match (CARC 197, RARC N54) for 64635-LT on 2026-03-02"},
	{name: "CO-198 auth exceeded on add-on level", proc: "64484-RT", siblings: []string{"64483"}, charge: "650", paid: "0", cas: "CO-198:650",
		disp: Denied, category: carc.Authorization, atRisk: "650.00", work: DenialWork, text: "authorization exceeded"},
	{name: "CO-15 deactivated auth code on an old remit", proc: "64493", charge: "1100", paid: "0", cas: "CO-15:1100",
		disp: Denied, category: carc.Authorization, atRisk: "1100.00", work: DenialWork},
	{name: "CO-16 N54 auth mismatch", proc: "62323", charge: "1200", paid: "0", cas: "CO-16:1200", rarcs: []string{"N54"},
		disp: Denied, category: carc.Authorization, atRisk: "1200.00", work: DenialWork, text: "resubmit by 2026-05-31"},
	{name: "CO-243 no network authorization", proc: "63650", charge: "9000", paid: "0", cas: "CO-243:9000",
		disp: Denied, category: carc.Authorization, atRisk: "9000.00", work: DenialWork},
	// eligibility_coverage
	{name: "CO-27 coverage ended", proc: "64483-RT", charge: "1450", paid: "0", cas: "CO-27:1450",
		disp: Denied, category: carc.EligibilityCoverage, atRisk: "1450.00", work: DenialWork},
	{name: "OA-147 + CO-26 (corpus)", proc: "99214", charge: "210", paid: "0", cas: "OA-147:60 CO-26:150",
		disp: Denied, category: carc.EligibilityCoverage, atRisk: "210.00", work: DenialWork},
	{name: "CO-31 member not found", proc: "20553", charge: "220", paid: "0", cas: "CO-31:220",
		disp: Denied, category: carc.EligibilityCoverage, atRisk: "220.00", work: DenialWork},
	// coding_bundling
	{name: "CO-97 M15 on 77003 beside 64483 (pain-full.835)", proc: "77003", siblings: []string{"64483"}, charge: "250", paid: "0", cas: "CO-97:250", rarcs: []string{"M15"},
		disp: Denied, category: carc.CodingBundling, atRisk: "250.00", work: DenialWork, rule: "pain/imaging-bundled", text: "NCCI bundles fluoroscopic guidance 77003 into 64483 billed the same day"},
	{name: "CO-97 N20 on 77003 beside an interlaminar ESI", proc: "77003", siblings: []string{"62323"}, charge: "250", paid: "0", cas: "CO-97:250", rarcs: []string{"N20"},
		disp: Denied, category: carc.CodingBundling, atRisk: "250.00", work: DenialWork, rule: "pain/imaging-bundled", text: "act by"},
	{name: "CO-236 ILESI with TFESI same day", proc: "62323", siblings: []string{"64483"}, charge: "1200", paid: "0", cas: "CO-236:1200",
		disp: Denied, category: carc.CodingBundling, atRisk: "1200.00", work: DenialWork, text: "NCCI edit"},
	{name: "CO-97 N20 on E/M with 25 beside a facet block", proc: "99213-25", siblings: []string{"64493"}, charge: "180", paid: "0", cas: "CO-97:180", rarcs: []string{"N20"},
		disp: Denied, category: carc.CodingBundling, atRisk: "180.00", work: DenialWork, rule: "pain/em-25-bundled"},
	{name: "CO-97 N20 corpus pair on a lab line", proc: "80053", charge: "40", paid: "0", cas: "CO-97:40", rarcs: []string{"N20"},
		disp: Denied, category: carc.CodingBundling, atRisk: "40.00", work: DenialWork},
	{name: "CO-B20 furnished by another provider", proc: "77012", charge: "300", paid: "0", cas: "CO-B20:300",
		disp: Denied, category: carc.CodingBundling, atRisk: "300.00", work: DenialWork},
	{name: "CO-107 add-on without its primary", proc: "64484-RT", charge: "650", paid: "0", cas: "CO-107:650", rarcs: []string{"N122"},
		disp: Denied, category: carc.CodingBundling, atRisk: "650.00", work: DenialWork, rule: "pain/add-on-without-primary"},
	// a curated pair keeps its category beside pain facts; the payer's re-coding
	{name: "CO-16 N290 on E/M with 25 beside trigger points stays missing data", proc: "99214-25", siblings: []string{"20553"}, charge: "210", paid: "0",
		cas: "CO-16:210", rarcs: []string{"N290"}, disp: Denied, category: carc.MissingClaimData, atRisk: "210.00", work: DenialWork, text: "rendering provider NPI"},
	{name: "CO-4 N519 on E/M with 25 beside trigger points stays modifier", proc: "99214-25", siblings: []string{"20553"}, charge: "210", paid: "0",
		cas: "CO-4:210", rarcs: []string{"N519"}, disp: Denied, category: carc.Modifier, atRisk: "210.00", work: DenialWork},
	{name: "CO-150 with the payer's code change is a downcode", proc: "99213-25", charge: "210", paid: "76", cas: "CO-150:38 CO-45:77 PR-2:19",
		match: Match{Flags: ProcedureChanged, BilledProcedure: "99214", BilledModifiers: []string{"25"}},
		disp:  PartiallyDenied, category: carc.CodingBundling, atRisk: "38.00", work: DenialWork, rule: "match/downcoded", text: "re-coded the billed 99214 as 99213"},
	{name: "CO-150 without a code change stays medical necessity", proc: "99214-25", charge: "210", paid: "76", cas: "CO-150:38 CO-45:77 PR-2:19",
		disp: PartiallyDenied, category: carc.MedicalNecessity, atRisk: "38.00", work: DenialWork},
	{name: "modifier 50 dropped by the payer: paid as unilateral", proc: "64493", charge: "1650", paid: "190", cas: "CO-45:1412.50 PR-2:47.50",
		match: Match{Flags: ModifierDropped, BilledProcedure: "64493", BilledModifiers: []string{"50"}},
		disp:  UnderpaidLine, category: carc.Modifier, atRisk: "118.75", work: UnderpaymentWork, rule: "match/modifier-50-dropped", text: "paid 64493 as unilateral"},
	{name: "another modifier dropped on a paid line needs no work", proc: "64483", charge: "1450", paid: "250", cas: "CO-45:1200",
		match: Match{Flags: ModifierDropped, BilledProcedure: "64483", BilledModifiers: []string{"RT"}},
		disp:  Paid, atRisk: "0.00", work: NoWork},
	// modifier
	{name: "CO-4 N823 modifier 50 on facet add-on", proc: "64494-50", siblings: []string{"64493"}, charge: "900", paid: "0", cas: "CO-4:900", rarcs: []string{"N823"},
		disp: Denied, category: carc.Modifier, atRisk: "900.00", work: DenialWork, rule: "pain/modifier-50-add-on", text: "modifier 50 on add-on code 64494"},
	{name: "CO-4 M80 (corpus pair)", proc: "20553", siblings: []string{"64493"}, charge: "220", paid: "0", cas: "CO-4:220", rarcs: []string{"M80"},
		disp: Denied, category: carc.Modifier, atRisk: "220.00", work: DenialWork, rule: "pain/trigger-point-needs-59"},
	{name: "CO-97 on E/M without 25 beside TFESI", proc: "99214", siblings: []string{"64483"}, charge: "210", paid: "0", cas: "CO-97:210",
		disp: Denied, category: carc.Modifier, atRisk: "210.00", work: DenialWork, rule: "pain/em-without-25", text: "without modifier 25"},
	{name: "CO-236 on trigger points with a facet block, no 59", proc: "20553", siblings: []string{"64493"}, charge: "220", paid: "0", cas: "CO-236:220",
		disp: Denied, category: carc.Modifier, atRisk: "220.00", work: DenialWork, rule: "pain/trigger-point-needs-59"},
	{name: "CO-4 with LT and 50 on one line", proc: "64483-50-LT", charge: "1450", paid: "0", cas: "CO-4:1450", rarcs: []string{"N519"},
		disp: Denied, category: carc.Modifier, atRisk: "1450.00", work: DenialWork, rule: "pain/modifier-50-with-lt-rt"},
	{name: "CO-16 N822 missing modifier", proc: "64493", charge: "1100", paid: "0", cas: "CO-16:1100", rarcs: []string{"N822"},
		disp: Denied, category: carc.Modifier, atRisk: "1100.00", work: DenialWork},
	// medical_necessity
	{name: "CO-50 N115 LCD on lumbar RFA", proc: "64635-RT", charge: "2400", paid: "0", cas: "CO-50:2400", rarcs: []string{"N115"},
		disp: Denied, category: carc.MedicalNecessity, atRisk: "2400.00", work: DenialWork, text: "LCD criteria not met"},
	{name: "CO-50 M25 (corpus)", proc: "64493", charge: "1100", paid: "0", cas: "CO-50:1100", rarcs: []string{"M25"},
		disp: Denied, category: carc.MedicalNecessity, atRisk: "1100.00", work: DenialWork},
	{name: "CO-B15 on RFA without prior blocks", proc: "64635", charge: "2400", paid: "0", cas: "CO-B15:2400",
		disp: Denied, category: carc.MedicalNecessity, atRisk: "2400.00", work: DenialWork, rule: "pain/rfa-needs-two-blocks"},
	{name: "CO-151 N115 repeat ESI too soon", proc: "62323", charge: "1200", paid: "0", cas: "CO-151:1200", rarcs: []string{"N115"},
		disp: Denied, category: carc.MedicalNecessity, atRisk: "1200.00", work: DenialWork},
	// frequency_limit
	{name: "CO-119 on lumbar RFA", proc: "64635", charge: "2400", paid: "0", cas: "CO-119:2400",
		disp: Denied, category: carc.FrequencyLimit, atRisk: "2400.00", work: DenialWork, rule: "pain/session-cap", text: "2 RFA sessions per spinal region"},
	{name: "CO-119 on facet add-on (pain-full.835)", proc: "64494", siblings: []string{"64493"}, charge: "900", paid: "0", cas: "CO-119:900",
		disp: Denied, category: carc.FrequencyLimit, atRisk: "900.00", work: DenialWork, rule: "pain/session-cap"},
	{name: "CO-119 on a presumptive drug test", proc: "80307", charge: "150", paid: "0", cas: "CO-119:150",
		disp: Denied, category: carc.FrequencyLimit, atRisk: "150.00", work: DenialWork, rule: "pain/session-cap", text: "per date of service"},
	{name: "CO-151 N362 units cut on add-on levels", proc: "64484-RT", siblings: []string{"64483"}, charge: "1300", paid: "520", cas: "CO-45:130 CO-151:650", rarcs: []string{"N362"},
		disp: PartiallyDenied, category: carc.FrequencyLimit, atRisk: "650.00", work: DenialWork, text: "650.00 of 1300.00 not paid"},
	{name: "CO-151 alone on a non-pain code", proc: "97110", charge: "120", paid: "0", cas: "CO-151:120",
		disp: Denied, category: carc.FrequencyLimit, atRisk: "120.00", work: DenialWork},
	// timely_filing
	{name: "CO-29 (corpus, 316 lines)", proc: "99213", charge: "125", paid: "0", cas: "CO-29:125",
		disp: Denied, category: carc.TimelyFiling, atRisk: "125.00", work: DenialWork, text: "appeal by 2026-05-31"},
	// duplicate
	{name: "OA-18 (corpus, 46 lines)", proc: "64483-RT", charge: "1450", paid: "0", cas: "OA-18:1450",
		disp: Denied, category: carc.Duplicate, atRisk: "1450.00", work: DenialWork},
	{name: "CO-18 N111", proc: "64493", charge: "1100", paid: "0", cas: "CO-18:1100", rarcs: []string{"N111"},
		disp: Denied, category: carc.Duplicate, atRisk: "1100.00", work: DenialWork},
	{name: "CO-B13 already paid", proc: "20552", charge: "180", paid: "0", cas: "CO-B13:180",
		disp: Denied, category: carc.Duplicate, atRisk: "180.00", work: DenialWork},
	// coordination_of_benefits
	{name: "CO-22 MA04 bill the primary", proc: "64483", charge: "1450", paid: "0", cas: "CO-22:1450", rarcs: []string{"MA04"},
		disp: Denied, category: carc.CoordinationOfBenefits, atRisk: "1450.00", work: DenialWork},
	{name: "CO-16 MA92 (corpus remark)", proc: "99204", charge: "300", paid: "0", cas: "CO-16:300", rarcs: []string{"MA92"},
		disp: Denied, category: carc.CoordinationOfBenefits, atRisk: "300.00", work: DenialWork},
	// missing_claim_data
	{name: "CO-16 N290 missing rendering NPI", proc: "64483-RT", charge: "1450", paid: "0", cas: "CO-16:1450", rarcs: []string{"N290"},
		disp: Denied, category: carc.MissingClaimData, atRisk: "1450.00", work: DenialWork, text: "rendering provider NPI missing"},
	{name: "CO-251 N206 (corpus, 316 lines)", proc: "64493", charge: "1100", paid: "0", cas: "CO-251:1100", rarcs: []string{"N206"},
		disp: Denied, category: carc.MissingClaimData, atRisk: "1100.00", work: DenialWork},
	{name: "CO-16 M51 X999 (corpus, unknown remark)", proc: "99213", charge: "125", paid: "0", cas: "CO-16:125", rarcs: []string{"M51", "X999"},
		disp: Denied, category: carc.MissingClaimData, atRisk: "125.00", work: DenialWork},
	// provider_enrollment
	{name: "CO-B7 N570 credentialing", proc: "64635", charge: "2400", paid: "0", cas: "CO-B7:2400", rarcs: []string{"N570"},
		disp: Denied, category: carc.ProviderEnrollment, atRisk: "2400.00", work: DenialWork},
	{name: "CO-185 rendering not eligible", proc: "62323", charge: "1200", paid: "0", cas: "CO-185:1200",
		disp: Denied, category: carc.ProviderEnrollment, atRisk: "1200.00", work: DenialWork},
	{name: "CO-170 N95 provider type", proc: "64483", charge: "1450", paid: "0", cas: "CO-170:1450", rarcs: []string{"N95"},
		disp: Denied, category: carc.ProviderEnrollment, atRisk: "1450.00", work: DenialWork},
	{name: "CO-242 out of network", proc: "64493", charge: "1100", paid: "0", cas: "CO-242:1100",
		disp: Denied, category: carc.ProviderEnrollment, atRisk: "1100.00", work: DenialWork},
	// non_covered
	{name: "CO-96 N130 excluded", proc: "64999", charge: "800", paid: "0", cas: "CO-96:800", rarcs: []string{"N130"},
		disp: Denied, category: carc.NonCovered, atRisk: "800.00", work: DenialWork},
	{name: "CO-204 N1 (corpus pair)", proc: "J3490", charge: "40", paid: "0", cas: "CO-204:40", rarcs: []string{"N1"},
		disp: Denied, category: carc.NonCovered, atRisk: "40.00", work: DenialWork},
	{name: "PR-204 put on the patient", proc: "64999", charge: "800", paid: "0", cas: "PR-204:800",
		disp: Denied, category: carc.NonCovered, atRisk: "800.00", work: DenialWork, text: "assigned to the patient"},
	{name: "CO-269 anesthesia not covered", proc: "01992", charge: "600", paid: "0", cas: "CO-269:600",
		disp: Denied, category: carc.NonCovered, atRisk: "600.00", work: DenialWork},
	// underpayment
	{name: "facet paid below contract, modifier 50 dropped", proc: "64493", charge: "1800", paid: "720", cas: "CO-45:1000 PR-3:80",
		match: Match{Status: Matched, Flags: ModifierDropped, Expected: money.MustParse("900"), HasExpected: true, BilledModifiers: []string{"50"}},
		disp:  UnderpaidLine, category: carc.Underpayment, atRisk: "180.00", work: UnderpaymentWork, text: "Underpaid: paid 720.00, contract expects 900.00 (short 180.00); a billed modifier was dropped"},
	{name: "shortfall within tolerance is paid", proc: "64483-RT", charge: "1200", paid: "612.40", cas: "CO-45:437.60 PR-1:150",
		match: Match{Status: Matched, Expected: money.MustParse("612.90"), HasExpected: true},
		disp:  Paid, atRisk: "0.00"},
	{name: "matcher flag without amount", proc: "62323", charge: "1200", paid: "500", cas: "CO-45:700",
		match: Match{Status: Matched, Flags: Underpaid},
		disp:  UnderpaidLine, category: carc.Underpayment, atRisk: "0.00", work: UnderpaymentWork, text: "paid below the contracted amount"},
	// other
	{name: "CO-133 pending review", proc: "63650", charge: "9000", paid: "0", cas: "OA-133:9000",
		disp: Denied, category: carc.Other, atRisk: "9000.00", work: DenialWork, text: "pending"},
	{name: "unknown CARC (corpus junk codes)", proc: "99213", charge: "125", paid: "0", cas: "OA-XXX:125",
		disp: Denied, category: carc.Other, atRisk: "125.00", work: DenialWork, text: "unknown adjustment reason code XXX"},
	{name: "CLP02 4 without any code", proc: "99213", charge: "125", paid: "0", status: "4",
		disp: Denied, category: carc.Other, atRisk: "125.00", work: DenialWork, text: "claim denied without a reason code"},
	{name: "unknown CARC, units reduced", proc: "64484", charge: "1300", paid: "650", cas: "CO-ZZ9:650",
		match: Match{Status: Matched, Flags: UnitsReduced},
		disp:  PartiallyDenied, category: carc.FrequencyLimit, atRisk: "650.00", work: DenialWork, rule: "match/units-reduced"},

	{name: "zero-amount CO-16 beside a full deductible is not a denial", proc: "99213", charge: "125", paid: "0", cas: "CO-16:0 PR-1:125", rarcs: []string{"N290"},
		disp: PatientResponsibility, atRisk: "0.00"},
	{name: "zero-amount CO-16 on an unexplained unpaid line", proc: "99213", charge: "125", paid: "0", cas: "CO-16:0", rarcs: []string{"N290"},
		disp: Denied, category: carc.MissingClaimData, atRisk: "125.00", work: DenialWork},
	// not denials
	{name: "CO-45 PR-2 (corpus, 829 lines)", proc: "64483-RT", charge: "1200", paid: "612.40", cas: "CO-45:437.60 PR-2:150",
		disp: Paid, atRisk: "0.00", text: "Paid: 612.40 of 1200.00 for 64483-RT on 2026-03-02 — no payer follow-up: the patient's share of 150.00 (coinsurance PR-2) goes to the practice's statement run (GET /v1/patient-share)."},
	{name: "all deductible", proc: "99214-25", charge: "210", paid: "0", cas: "CO-45:60 PR-1:150",
		disp: PatientResponsibility, atRisk: "0.00", text: "Patient responsibility: deductible applied (CO-45, PR-1) for 99214-25 on 2026-03-02 — no payer follow-up: the patient's share of 150.00 (deductible PR-1) goes to the practice's statement run (GET /v1/patient-share)."},
	{name: "paid with a copay and a coinsurance: both to the statement run", proc: "64483", charge: "1200", paid: "600", cas: "CO-45:400 PR-3:50 PR-2:150",
		disp: Paid, atRisk: "0.00", text: "— no payer follow-up: the patient's share of 200.00 (copay PR-3, coinsurance PR-2) goes to the practice's statement run (GET /v1/patient-share)."},
	{name: "paid in full after the contract: no action", proc: "64483", charge: "1200", paid: "800", cas: "CO-45:400",
		disp: Paid, atRisk: "0.00", text: "for 64483 on 2026-03-02 — no action."},
	{name: "CO-45 full write-off", proc: "J1100", charge: "10", paid: "0", cas: "CO-45:10",
		disp: Contractual, atRisk: "0.00", text: "Contractual: charge above the contracted or allowed amount"},
	{name: "secondary: OA-23 prior payer paid it all (corpus)", proc: "64493", charge: "1100", paid: "0", cas: "OA-23:1100", status: "2",
		disp: Contractual, atRisk: "0.00"},
	{name: "CO-24 capitation", proc: "99213", charge: "125", paid: "0", cas: "CO-24:125",
		disp: Contractual, atRisk: "0.00"},
	{name: "CO-246 reporting-only code at zero", proc: "G8431", charge: "0", paid: "0", cas: "",
		disp: Contractual, atRisk: "0.00"},
	{name: "CO-59 multiple-procedure reduction only", proc: "64483-RT", siblings: []string{"64493"}, charge: "650", paid: "300", cas: "CO-45:250 CO-59:100",
		disp: Paid, atRisk: "0.00"},
	// Issue 16: add-on codes are exempt from the multiple-procedure
	// reduction: CO-59 on 64484 is an underpayment to dispute, not "paid".
	{name: "CO-59 on an add-on code", proc: "64484-RT", siblings: []string{"64483"}, charge: "650", paid: "300", cas: "CO-45:250 CO-59:100",
		disp: UnderpaidLine, category: carc.Underpayment, atRisk: "100.00", work: UnderpaymentWork, rule: "pain/add-on-mppr",
		text: "exempt from it"},
	{name: "reversal (CLP02 22)", proc: "64483-RT", charge: "-1200", paid: "-612.40", cas: "CO-45:-437.60 PR-2:-150", status: "22",
		disp: Reversed, atRisk: "0.00", text: "Reversed: the payer took back 612.40 paid earlier"},
	// unmatched remittance
	{name: "paid line with no billed line", proc: "64493-50", charge: "1800", paid: "720", cas: "CO-45:1000 PR-3:80",
		match: Match{Status: Unmatched},
		disp:  Paid, atRisk: "720.00", work: UnmatchedRemittance, text: "Unmatched remittance: no billed line found for 64493-50 on 2026-03-02 (paid 720.00 of 1800.00) — find the billed claim"},
	{name: "denied line with no billed line", proc: "62323", charge: "1200", paid: "0", cas: "CO-197:1200", rarcs: []string{"N54"},
		match: Match{Status: Unmatched},
		disp:  Denied, category: carc.Authorization, atRisk: "1200.00", work: UnmatchedRemittance},
}

// named returns the table case whose name starts with prefix.
func named(t testing.TB, prefix string) lineCase {
	t.Helper()
	for _, c := range lineCases {
		if strings.HasPrefix(c.name, prefix) {
			return c
		}
	}
	t.Fatalf("no case %q", prefix)
	return lineCase{}
}

func TestDecideTable(t *testing.T) {
	r := New(Config{})
	seen := map[carc.Category]bool{}
	for _, c := range lineCases {
		t.Run(c.name, func(t *testing.T) {
			d := r.Decide(c.line(t))
			if d.Disposition != c.disp || d.Category != c.category {
				t.Errorf("disposition/category = %s/%s, want %s/%s (text %q)", d.Disposition, d.Category, c.disp, c.category, d.Text)
			}
			if got := d.AmountAtRisk.String(); got != c.atRisk {
				t.Errorf("amount at risk %s, want %s", got, c.atRisk)
			}
			if d.WorkItem != c.work {
				t.Errorf("work item %q, want %q", d.WorkItem, c.work)
			}
			if c.rule != "" && !strings.HasPrefix(d.Rule, c.rule) {
				t.Errorf("rule %q, want %q", d.Rule, c.rule)
			}
			if c.rule == "" && strings.HasPrefix(d.Rule, "pain/") {
				t.Errorf("unexpected pain rule %q", d.Rule)
			}
			if c.text != "" && !strings.Contains(d.Text, c.text) {
				t.Errorf("text %q does not contain %q", d.Text, c.text)
			}
			if d.Text == "" || d.Action == "" || d.AppealDeadline.String() != "2026-05-31" {
				t.Errorf("text %q action %q deadline %s", d.Text, d.Action, d.AppealDeadline)
			}
			if (d.WorkItem != NoWork) != (d.Priority > 0) {
				t.Errorf("work item %q with priority %d", d.WorkItem, d.Priority)
			}
			if d.WorkItem != NoWork && d.Category != "" && !d.Category.Valid() {
				t.Errorf("invalid category %q", d.Category)
			}
			seen[d.Category] = true
		})
	}
	for _, c := range carc.Categories() {
		if !seen[c] {
			t.Errorf("no table case lands in category %s", c)
		}
	}
}

func TestDecideFields(t *testing.T) {
	r := New(Config{})
	l := named(t, "CO-197 N54").line(t)
	l.Adjustments = append(l.Adjustments, Adjustment{Group: "CO", Reason: "197", Amount: 0})
	d := r.Decide(l)
	if d.ClaimID != "PAIN26001" || d.LineIndex != 1 || d.Procedure != "64635-LT" {
		t.Errorf("identity fields: %+v", d)
	}
	if len(d.CARC) != 1 || d.CARC[0] != "CO-197" || d.Decisive != "CO-197" {
		t.Errorf("CARC %v decisive %q: want one CO-197", d.CARC, d.Decisive)
	}
	if len(d.RARC) != 1 || d.RARC[0] != "N54" {
		t.Errorf("RARC %v", d.RARC)
	}
	if !d.Appealable || d.Detail == "" || d.Reason == "" {
		t.Errorf("appealable %v detail %q reason %q", d.Appealable, d.Detail, d.Reason)
	}
	// The decision must not alias the caller's remark slice.
	l.Remarks[0] = "N290"
	if d.RARC[0] != "N54" {
		t.Error("Decision.RARC aliases Line.Remarks")
	}
}

func TestDecideJSON(t *testing.T) {
	d := New(Config{}).Decide(named(t, "CO-197 N54").line(t))
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"clp01": "PAIN26001", "svc_index": float64(1), "procedure": "64635-LT", "disposition": "denied",
		"category": "authorization", "amount_at_risk": "2400.00", "appeal_deadline": "2026-05-31",
		"priority": float64(840),
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %#v, want %#v", k, m[k], v)
		}
	}
	for _, k := range []string{"carc", "rarc", "text", "action"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, b)
		}
	}
	// A paid line still renders carc/rarc as arrays, not null.
	p := New(Config{}).Decide(named(t, "CO-45 PR-2").line(t))
	b, _ = json.Marshal(p)
	if !strings.Contains(string(b), `"rarc":[]`) || !strings.Contains(string(b), `"category":""`) {
		t.Errorf("paid line JSON: %s", b)
	}
}

func TestClaimLevel(t *testing.T) {
	r := New(Config{})
	// A claim answered at claim level only: timely filing.
	d := r.DecideClaim(&Claim{ClaimID: "C1", Status: "4", Charge: money.MustParse("1450"), Paid: 0,
		Adjustments: adjs(t, "CO-29:1450"), ServiceDate: remitDay, RemitDate: remitDay, Match: Match{Status: Matched}})
	if d.LineIndex != 0 || d.Disposition != Denied || d.Category != carc.TimelyFiling || d.AmountAtRisk != money.MustParse("1450") {
		t.Errorf("claim-level CO-29: %+v", d)
	}
	if !strings.Contains(d.Text, "for the claim on 2026-03-02") {
		t.Errorf("claim-level text %q", d.Text)
	}
	// CLP02 4 with no codes at all.
	d = r.DecideClaim(&Claim{ClaimID: "C2", Status: "4", Charge: money.MustParse("300"), RemitDate: remitDay})
	if d.Disposition != Denied || d.Category != carc.Other || !strings.Contains(d.Text, "CLP02 4") {
		t.Errorf("CLP02 4 without codes: %+v", d)
	}
	// An unmatched claim-level payment.
	d = r.DecideClaim(&Claim{ClaimID: "C3", Status: "1", Charge: money.MustParse("500"), Paid: money.MustParse("400"),
		Adjustments: adjs(t, "CO-45:100"), RemitDate: remitDay, Match: Match{Status: Unmatched}})
	if d.WorkItem != UnmatchedRemittance || d.AmountAtRisk != money.MustParse("400") || d.Priority != 400 {
		t.Errorf("unmatched claim: %+v", d)
	}
	// A line without CAS of its own takes the claim's codes.
	l := &Line{ClaimID: "C4", LineIndex: 2, Procedure: "64493", Charge: money.MustParse("1100"), Paid: 0,
		ClaimAdjustments: adjs(t, "CO-16:3000"), ClaimRemarks: []string{"N290"}, RemitDate: remitDay, Match: Match{Status: Matched}}
	d = r.Decide(l)
	if d.Disposition != Denied || d.Category != carc.MissingClaimData || d.AmountAtRisk != money.MustParse("1100") || len(d.Warnings) == 0 {
		t.Errorf("line with claim-level codes: %+v", d)
	}
}

func TestDeadlineAndPriority(t *testing.T) {
	r := New(Config{AppealDays: 120, Payers: map[string]PayerProfile{"SHP01": {Name: "Summit", AppealDays: 60}}})
	l := named(t, "CO-197 N54").line(t) // CO-197 N54, 2400.00, authorization 35 %
	d := r.Decide(l)
	if d.AppealDeadline != day.New(2026, 5, 1) {
		t.Errorf("payer window 60: deadline %s", d.AppealDeadline)
	}
	if d.Priority != 2400*35*130/10000 { // 60 days left: urgency 130
		t.Errorf("priority %d", d.Priority)
	}
	l.PayerID = "OTHER"
	if d := r.Decide(l); d.AppealDeadline != day.New(2026, 6, 30) {
		t.Errorf("default window 120: deadline %s", d.AppealDeadline)
	}
	// Near the deadline the same item ranks higher; after it, lower.
	l.PayerID = "SHP01"
	l.AsOf = day.New(2026, 4, 28)
	if d := r.Decide(l); d.Priority != 2400*35*300/10000 {
		t.Errorf("3 days left: priority %d", d.Priority)
	}
	l.AsOf = day.New(2026, 5, 2)
	if d := r.Decide(l); d.Priority != 2400*35*25/10000 {
		t.Errorf("past deadline: priority %d", d.Priority)
	}
	// Recoverability overrides.
	r = New(Config{Recoverability: map[carc.Category]int{carc.Authorization: 50}})
	if d := r.Decide(named(t, "CO-197 N54").line(t)); d.Priority != 1200 {
		t.Errorf("recoverability 50: priority %d", d.Priority)
	}
	// A bundling the payer is right about sinks to the bottom.
	img := named(t, "CO-97 M15").line(t) // 77003 beside 64483
	if d := New(Config{}).Decide(img); d.Priority != 250*5/100 || d.Appealable {
		t.Errorf("imaging bundled: priority %d appealable %v", d.Priority, d.Appealable)
	}
}

func TestPriorityFormula(t *testing.T) {
	tests := []struct {
		atRisk   string
		rec      int
		daysLeft int
		want     int
	}{
		{"1000.00", 90, 89, 900},
		{"1000.00", 90, 7, 2700},
		{"1000.00", 90, 8, 2250},
		{"1000.00", 90, 30, 1800},
		{"1000.00", 90, 31, 1170},
		{"1000.00", 90, 61, 900},
		{"1000.00", 90, -1, 225},
		{"0.99", 90, 10, 1}, // work items never drop below 1
		{"0.00", 0, 10, 1},
		{"-500.00", 100, 90, 500},
		{"90000000000000000.00", 100, 1, int((int64(1) << 40) * 3)},
	}
	for _, tc := range tests {
		var a money.Amount
		if tc.atRisk != "90000000000000000.00" {
			a = money.MustParse(tc.atRisk)
		} else {
			a = money.Amount(9_000_000_000_000_000)
		}
		if got := Priority(a, tc.rec, tc.daysLeft); got != tc.want {
			t.Errorf("Priority(%s, %d, %d) = %d, want %d", tc.atRisk, tc.rec, tc.daysLeft, got, tc.want)
		}
	}
	for c := range DefaultRecoverability {
		if !c.Valid() {
			t.Errorf("recoverability for unknown category %q", c)
		}
	}
	if len(DefaultRecoverability) != len(carc.Categories()) {
		t.Errorf("recoverability covers %d of %d categories", len(DefaultRecoverability), len(carc.Categories()))
	}
}

func TestSharpener(t *testing.T) {
	third := SharpenerFunc(func(l Line, d Decision) (Sharpening, bool) {
		if l.Procedure == "64635" && d.Decisive == "CO-50" {
			return Sharpening{Category: carc.FrequencyLimit, Reason: "third lumbar RFA in 12 months (cap 2)", Rule: "rules/rfa-cap"}, true
		}
		return Sharpening{}, false
	})
	never := SharpenerFunc(func(Line, Decision) (Sharpening, bool) { return Sharpening{}, false })
	r := New(Config{Sharpener: Chain{never, third}})
	l := named(t, "CO-50 N115").line(t) // CO-50 N115 on 64635-RT
	d := r.Decide(l)
	if d.Category != carc.FrequencyLimit || d.Rule != "rules/rfa-cap" || !strings.Contains(d.Text, "third lumbar RFA") {
		t.Errorf("sharpened: %+v", d)
	}
	if d.Action == "" || !strings.Contains(d.Action, "LCD") {
		t.Errorf("an empty Sharpening.Action keeps the code's action: %q", d.Action)
	}
	// The sharpener sees the built-in result and can override it.
	var sawRule string
	spy := SharpenerFunc(func(l Line, d Decision) (Sharpening, bool) { sawRule = d.Rule; return Sharpening{}, false })
	New(Config{Sharpener: spy}).Decide(named(t, "CO-97 M15").line(t))
	if sawRule != "pain/imaging-bundled" {
		t.Errorf("sharpener saw rule %q", sawRule)
	}
	// A bad category is ignored with a warning.
	bad := SharpenerFunc(func(Line, Decision) (Sharpening, bool) { return Sharpening{Category: "auth"}, true })
	d = New(Config{Sharpener: bad}).Decide(named(t, "CO-197 N54").line(t))
	if d.Category != carc.Authorization || len(d.Warnings) != 1 {
		t.Errorf("bad sharpening: category %s warnings %v", d.Category, d.Warnings)
	}
	// Sharpeners are not asked about lines that need no work.
	asked := false
	ask := SharpenerFunc(func(Line, Decision) (Sharpening, bool) { asked = true; return Sharpening{}, false })
	New(Config{Sharpener: ask}).Decide(named(t, "CO-45 PR-2").line(t))
	if asked {
		t.Error("sharpener asked about a paid line")
	}
	// NoBuiltinRules leaves the codes' reading.
	d = New(Config{NoBuiltinRules: true}).Decide(named(t, "CO-97 M15").line(t))
	if d.Rule != "" || d.Category != carc.CodingBundling || strings.Contains(d.Text, "NCCI bundles") {
		t.Errorf("builtin off: %+v", d)
	}
}

func TestMatchFacts(t *testing.T) {
	l := named(t, "CO-197 N54").line(t)
	l.Procedure, l.Modifiers = "64493", nil
	l.Match = Match{Status: Matched, Flags: ProcedureChanged | ModifierDropped, BilledProcedure: "64490", BilledModifiers: []string{"50", "KX"}}
	d := New(Config{}).Decide(l)
	if !strings.Contains(d.Detail, "64493 although 64490 was billed") || !strings.Contains(d.Detail, "dropped billed modifier 50, KX") {
		t.Errorf("detail %q", d.Detail)
	}
	// With an expected amount, the denial's amount at risk is the contract's.
	l.Match.Expected, l.Match.HasExpected = money.MustParse("980"), true
	if d := New(Config{}).Decide(l); d.AmountAtRisk != money.MustParse("980") {
		t.Errorf("amount at risk with expected: %s", d.AmountAtRisk)
	}
}

func TestParseFlags(t *testing.T) {
	f, unknown := ParseFlags([]string{"procedure_changed", "units_differ", "underpaid", "charge_tiebreak", "code_changed"})
	if f != ProcedureChanged|UnitsReduced|Underpaid || len(unknown) != 1 || unknown[0] != "charge_tiebreak" {
		t.Errorf("ParseFlags = %v, %v", f, unknown)
	}
	if s := f.String(); s != "procedure_changed,units_reduced,underpaid" {
		t.Errorf("String = %q", s)
	}
	if f.Has(Reversal) || !f.Has(Underpaid|UnitsReduced) {
		t.Error("Has")
	}
}

func TestDate(t *testing.T) {
	for _, s := range []string{"2026-03-02", "20260302"} {
		d, err := day.Parse(s)
		if err != nil || d != remitDay {
			t.Errorf("ParseDate(%q) = %v, %v", s, d, err)
		}
	}
	if _, err := day.Parse("2026-02-30"); err == nil {
		t.Error("ParseDate accepted Feb 30")
	}
	if d, err := day.Parse(""); err != nil || !d.IsZero() || d.String() != "" || !d.AddDays(9).IsZero() {
		t.Errorf("empty date: %v %v", d, err)
	}
	if got := remitDay.AddDays(90); got.String() != "2026-05-31" || remitDay.DaysUntil(got) != 90 || got.DaysUntil(remitDay) != -90 {
		t.Errorf("AddDays/DaysUntil: %s", got)
	}
	var d day.Day
	if err := json.Unmarshal([]byte(`"2026-05-31"`), &d); err != nil || d != remitDay.AddDays(90) {
		t.Errorf("JSON date: %v %v", d, err)
	}
	b, _ := json.Marshal(struct{ D day.Day }{})
	if string(b) != `{"D":null}` { // pkg/day: no date is null
		t.Errorf("zero date JSON %s", b)
	}
}

func TestTextHelpers(t *testing.T) {
	for in, want := range map[string]string{
		"Attach the auth": "attach the auth", "NPI first": "NPI first", "LT/RT lines": "LT/RT lines", "": "", "x": "x",
	} {
		if got := lowerFirst(in); got != want {
			t.Errorf("lowerFirst(%q) = %q", in, got)
		}
	}
	for q, want := range map[int64]string{0: "1", 1000: "1", 2000: "2", 1500: "1.5", 250: "0.25", 1005: "1.005"} {
		if got := units(q); got != want {
			t.Errorf("units(%d) = %q, want %q", q, got, want)
		}
	}
	if got := procLabel("64493", []string{"50", "KX"}); got != "64493-50-KX" {
		t.Errorf("procLabel = %q", got)
	}
}

func TestPartialDenialUnits(t *testing.T) {
	c := named(t, "CO-151 N362") // CO-151 N362 on 64484
	l := c.line(t)
	l.UnitsBilled, l.UnitsPaid = 2000, 1000
	d := New(Config{}).Decide(l)
	if !strings.Contains(d.Text, "(1 of 2 units paid)") {
		t.Errorf("text %q", d.Text)
	}
}

// A Router is shared by the router service's workers.
func TestDecideConcurrent(t *testing.T) {
	r := New(Config{Payers: map[string]PayerProfile{"SHP01": {AppealDays: 60}}})
	want := make([]Decision, len(lineCases))
	lines := make([]*Line, len(lineCases))
	for i, c := range lineCases {
		lines[i] = c.line(t)
		want[i] = r.Decide(lines[i])
	}
	done := make(chan error, 4)
	for g := 0; g < 4; g++ {
		go func() {
			for n := 0; n < 50; n++ {
				for i, l := range lines {
					if d := r.Decide(l); d.Text != want[i].Text || d.Priority != want[i].Priority {
						done <- fmt.Errorf("%s: decision changed under concurrency", lineCases[i].name)
						return
					}
				}
			}
			done <- nil
		}()
	}
	for g := 0; g < 4; g++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// TestAtRiskAtMostBilled: 77003 billed at $250, denied CO-97 as part of
// 62323 whose contract rate ($322) the matcher expected: at most the
// billed $250 is at risk, also when the payer reports another charge.
func TestAtRiskAtMostBilled(t *testing.T) {
	r := New(Config{})
	l := &Line{PayerID: "P", ClaimID: "C1", LineIndex: 2, Procedure: "62323", ServiceDate: remitDay, RemitDate: remitDay,
		Charge: money.MustParse("250"), Adjustments: adjs(t, "CO-97:250"), Remarks: []string{"M15"},
		Match: Match{Status: Matched, Flags: ProcedureChanged, Expected: money.MustParse("322"), HasExpected: true,
			BilledProcedure: "77003", BilledLine: 2, BilledCharge: money.MustParse("250")}}
	if d := r.Decide(l); d.WorkItem != DenialWork || d.AmountAtRisk != money.MustParse("250") {
		t.Errorf("billed 250: %s at risk %s, want a denial with 250.00", d.WorkItem, d.AmountAtRisk)
	} else if !strings.Contains(d.Text, "for 77003 (adjudicated as 62323)") {
		t.Errorf("text %q does not name the billed 77003 first", d.Text)
	}
	l.Charge, l.Adjustments = money.MustParse("400"), adjs(t, "CO-97:400")
	if d := r.Decide(l); d.AmountAtRisk != money.MustParse("250") {
		t.Errorf("billed 250, charge on the remit 400: at risk %s, want 250.00", d.AmountAtRisk)
	}
	l.Match.BilledCharge = 0 // not known: the line's charge
	if d := r.Decide(l); d.AmountAtRisk != money.MustParse("322") {
		t.Errorf("charge 400, billed unknown: at risk %s, want 322.00", d.AmountAtRisk)
	}
}
