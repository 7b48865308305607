package correct_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/remitq/remitq/pkg/correct"
	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/rules"
	"github.com/remitq/remitq/pkg/synth"
	"github.com/remitq/remitq/x12"
)

func profile(t testing.TB, id string) *rules.Profile {
	t.Helper()
	ps := rules.DefaultProfiles()
	d, _ := day.ParseSet("2026-06-01")
	p := ps.Get(id, d)
	if p == nil {
		t.Fatalf("no profile %s", id)
	}
	return p
}

// checkDiff holds the corrected claim to the original: every line the
// changes do not name is the original line (but for its LX and REF*6R),
// every fix names a line that differs, and the claim-level fields but
// CLM02, CLM05-3 and REF*F8 are the original's.
func checkDiff(t testing.TB, orig, got *x12.Claim, res *correct.Result) {
	t.Helper()
	touched := map[int]bool{}
	removed := map[int]bool{}
	for _, ch := range res.Fixes() {
		touched[ch.Line] = true
		if ch.Field == "line" && ch.To == "" {
			removed[ch.Line] = true
		}
	}
	if len(res.Fixes()) == 0 {
		t.Fatalf("claim %s: no fix listed", orig.PatientControlNumber)
	}
	// Lines of the corrected claim, by the billed line they come from.
	byOrig := map[string][]*x12.ServiceLine{}
	for _, l := range got.Lines {
		base, _, _ := strings.Cut(l.LineControlNumber, ".R")
		byOrig[base] = append(byOrig[base], l)
	}
	for _, ol := range orig.Lines {
		gl := byOrig[ol.LineControlNumber]
		switch {
		case removed[ol.Number]:
			if len(gl) != 0 {
				t.Fatalf("claim %s line %d: listed as removed but still there", orig.PatientControlNumber, ol.Number)
			}
		case len(gl) == 0:
			if !slices.ContainsFunc(res.Changes, func(c correct.Change) bool { return c.Field == "line" && c.From == "line" && c.Line == ol.Number }) {
				t.Fatalf("claim %s line %d: missing from the correction without a change saying so", orig.PatientControlNumber, ol.Number)
			}
		case !touched[ol.Number]:
			a, b := *ol, *gl[0]
			a.Number, b.Number, a.LineControlNumber, b.LineControlNumber = 0, 0, "", ""
			if len(gl) != 1 || bare(t, &a) != bare(t, &b) {
				t.Fatalf("claim %s line %d changed without a fix naming it:\n%s\n%s", orig.PatientControlNumber, ol.Number, bare(t, &a), bare(t, &b))
			}
		default:
			a, b := *ol, *gl[0]
			a.Number, b.Number, a.LineControlNumber, b.LineControlNumber = 0, 0, "", ""
			if len(gl) == 1 && bare(t, &a) == bare(t, &b) {
				t.Fatalf("claim %s line %d: a fix is listed but the line is unchanged", orig.PatientControlNumber, ol.Number)
			}
		}
	}
	a, b := *orig, *got
	a.Lines, b.Lines = nil, nil
	if b.FrequencyCode != correct.FrequencyReplacement || b.PayerClaimControlNumber == "" {
		t.Fatalf("claim %s: frequency %q REF*F8 %q", orig.PatientControlNumber, b.FrequencyCode, b.PayerClaimControlNumber)
	}
	var sum money.Amount
	for _, l := range got.Lines {
		sum += l.Charge
	}
	if b.TotalCharge != sum {
		t.Fatalf("claim %s: CLM02 %s, lines %s", orig.PatientControlNumber, b.TotalCharge, sum)
	}
	a.TotalCharge, b.TotalCharge, a.FrequencyCode, b.FrequencyCode, a.PayerClaimControlNumber, b.PayerClaimControlNumber = 0, 0, "", "", "", ""
	if bare(t, &a) != bare(t, &b) {
		t.Fatalf("claim %s: claim-level fields changed:\n%s\n%s", orig.PatientControlNumber, bare(t, &a), bare(t, &b))
	}
	seen := map[string]bool{}
	for _, l := range got.Lines {
		if l.LineControlNumber == "" || seen[l.LineControlNumber] {
			t.Fatalf("claim %s: line ids not new and unique", orig.PatientControlNumber)
		}
		seen[l.LineControlNumber] = true
		for _, ol := range orig.Lines {
			if ol.LineControlNumber == l.LineControlNumber {
				t.Fatalf("claim %s: a line keeps its old REF*6R", orig.PatientControlNumber)
			}
		}
	}
}

// Over the routed truth set: every correction-type denial gets a corrected
// claim (or, under Medicare Part B, the reopening it is worked as), each
// file reads back without errors and passes the shared checker, and the
// corrected claim differs from the billed one exactly by the fix.
func TestFixOverTheTruthSet(t *testing.T) {
	tr, err := synth.GenerateTruth(synth.TruthOptions{Seed: 18, Lines: 3000})
	if err != nil {
		t.Fatal(err)
	}
	// The billed claims as billedstore keeps them: read from their 837P.
	claims := map[string]*x12.Claim{}
	for i, c := range tr.Claims {
		claims[c.PatientControlNumber] = readBack(t, write(t, 100000+i, c))[0]
	}
	filing := map[string]string{}
	for _, p := range tr.Payers {
		filing[p.ID] = p.Filing
	}
	ps := rules.DefaultProfiles()
	dy, _ := day.ParseSet("2026-03-01")
	counts := map[string]int{}
	ctl := 0
	var files [][]byte
	for _, tl := range tr.Lines {
		if !correct.Correctable(tl.Category) || tl.BilledClaim == "" || tl.SVC == 0 {
			continue
		}
		c := claims[tl.BilledClaim]
		if c == nil {
			t.Fatalf("truth line names claim %s that is not billed", tl.BilledClaim)
		}
		p := ps.Resolve(tl.Payer, filing[tl.Payer], "", dy)
		before := bare(t, c)
		res, err := correct.Fix(c, correct.Denial{Category: tl.Category, CARC: tl.Adjustments, RARC: tl.Remarks,
			Line: tl.BilledLine, PayerControl: tl.PayerControl, Revision: 1}, p)
		if err != nil {
			t.Fatalf("%s line %d (%s %v %v): %v", tl.BilledClaim, tl.BilledLine, tl.Category, tl.Adjustments, tl.Remarks, err)
		}
		if bare(t, c) != before {
			t.Fatalf("Fix changed the billed claim %s", tl.BilledClaim)
		}
		if p != nil && p.Correction == rules.CorrectionReopening {
			if !res.Reopening || res.Claim != nil || !strings.Contains(res.Note, "reopening") || len(res.Fixes()) == 0 {
				t.Fatalf("%s: Medicare correction %+v", tl.BilledClaim, res)
			}
			counts["reopening"]++
			continue
		}
		if res.Reopening || res.Claim == nil {
			t.Fatalf("%s: no corrected claim: %+v", tl.BilledClaim, res)
		}
		ctl++
		raw := write(t, ctl, res.Claim)
		back := readBack(t, raw)
		if len(back) != 1 {
			t.Fatalf("%d claims read back", len(back))
		}
		if bare(t, back[0]) != bare(t, res.Claim) {
			t.Fatalf("%s: the file does not read back as the corrected claim:\n%s\n%s", tl.BilledClaim, bare(t, back[0]), bare(t, res.Claim))
		}
		checkDiff(t, c, back[0], res)
		files = append(files, raw)
		counts[tl.Category]++
	}
	x12check(t, files...)
	t.Logf("corrections: %v", counts)
	for _, k := range []string{"modifier", "coding_bundling", "missing_claim_data", "reopening"} {
		if counts[k] == 0 {
			t.Fatalf("the truth set gave no %s correction: %v", k, counts)
		}
	}
}

func line(n int, code string, mods []string, charge money.Amount) *x12.ServiceLine {
	return &x12.ServiceLine{Number: n, Procedure: x12.Procedure{Qualifier: "HC", Code: code, Modifiers: mods}, Charge: charge,
		UnitBasis: "UN", Units: 1000, DiagnosisPointers: []int{1}, ServiceFrom: "2026-05-04", ServiceTo: "2026-05-04",
		LineControlNumber: "LC-" + code + "-" + string(rune('0'+n))}
}

func sample(lines ...*x12.ServiceLine) *x12.Claim {
	c := &x12.Claim{
		BillingProvider: &x12.BillingProvider{Provider: x12.Provider{Name: x12.Name{Entity: "85", Type: "2", Last: "SPINE ONE", IDQualifier: "XX", ID: "1234567893"}, NPI: "1234567893",
			Address: &x12.Address{Lines: []string{"1 MAIN ST"}, City: "AUSTIN", State: "TX", PostalCode: "78701"}, TIN: "741234567"}},
		Subscriber: &x12.Subscriber{Coverage: x12.Coverage{Responsibility: "P", Relationship: "18", FilingIndicator: "CI"},
			Insured: x12.Insured{EntityType: "1", LastName: "DOE", FirstName: "JANE", MemberIDQualifier: "MI", MemberID: "M123", BirthDate: "1960-02-03", Gender: "F"}},
		Payer:                &x12.Payer{Name: "BIG PAYER", IDQualifier: "PI", PayerID: "BP1"},
		PatientControlNumber: "PCN-1", PlaceOfService: "11", FacilityCodeQualifier: "B", FrequencyCode: "1",
		ProviderSignature: "Y", Assignment: "A", BenefitsAssignment: "Y", ReleaseOfInformation: "Y",
		Diagnoses: []x12.Diagnosis{{Qualifier: "ABK", Code: "M5416"}, {Qualifier: "ABF", Code: "M47816"}},
		Rendering: &x12.Provider{Name: x12.Name{Entity: "82", Type: "1", Last: "DOC", First: "A", IDQualifier: "XX", ID: "1245319599"}, NPI: "1245319599"},
		Lines:     lines,
	}
	for _, l := range lines {
		c.TotalCharge += l.Charge
	}
	return c
}

// One case per fix: the change Fix makes and the claim it writes.
func TestFixCases(t *testing.T) {
	ltrt := *profile(t, "commercial")
	ltrt.Bilateral = rules.BilateralLTRT
	units := *profile(t, "commercial")
	units.Bilateral = rules.BilateralUnits
	ma := profile(t, "medicare_advantage")
	comm := profile(t, "commercial")
	var files [][]byte
	defer func() { x12check(t, files...) }()
	for _, tc := range []struct {
		name  string
		claim *x12.Claim
		d     correct.Denial
		p     *rules.Profile
		want  []string // "LX:code:mods:units" of the corrected lines
	}{
		{"50 to RT and LT lines", sample(line(1, "64493", []string{"50"}, 165000), line(2, "64494", nil, 55000)),
			correct.Denial{Category: "modifier", CARC: []string{"CO-4"}, Line: 1}, &ltrt,
			[]string{"1:64493:RT:1", "2:64493:LT:1", "3:64494::1"}},
		{"50 to 2 units", sample(line(1, "64493", []string{"50"}, 165000)),
			correct.Denial{Category: "modifier", CARC: []string{"CO-4"}, Line: 1}, &units,
			[]string{"1:64493::2"}},
		{"50 never on 20552", sample(line(1, "20552", []string{"50"}, 18000)),
			correct.Denial{Category: "modifier", CARC: []string{"CO-4"}, Line: 1}, comm,
			[]string{"1:20552::1"}},
		{"RT and LT lines to 50", sample(line(1, "64483", []string{"RT"}, 145000), line(2, "64483", []string{"LT"}, 145000)),
			correct.Denial{Category: "modifier", CARC: []string{"CO-4"}, Line: 1}, comm,
			[]string{"1:64483:50:1"}},
		{"E/M gets 25", sample(line(1, "99214", nil, 21000), line(2, "64483", []string{"RT"}, 145000)),
			correct.Denial{Category: "modifier", CARC: []string{"CO-4"}, Line: 1}, comm,
			[]string{"1:99214:25:1", "2:64483:RT:1"}},
		{"trigger point with a facet gets XU under Medicare Advantage", sample(line(1, "64493", []string{"50"}, 165000), line(2, "20552", nil, 18000)),
			correct.Denial{Category: "coding_bundling", CARC: []string{"CO-236"}, Line: 2}, ma,
			[]string{"1:64493:50:1", "2:20552:XU:1"}},
		{"trigger point with a facet gets 59 commercially", sample(line(1, "64493", []string{"50"}, 165000), line(2, "20552", nil, 18000)),
			correct.Denial{Category: "modifier", CARC: []string{"CO-4"}, Line: 2}, comm,
			[]string{"1:64493:50:1", "2:20552:59:1"}},
		{"77003 never with 62323", sample(line(1, "62323", nil, 120000), line(2, "77003", nil, 25000)),
			correct.Denial{Category: "coding_bundling", CARC: []string{"CO-97"}, RARC: []string{"M15"}, Line: 2}, comm,
			[]string{"1:62323::1"}},
		{"rendering provider on the line", sample(line(1, "62323", nil, 120000)),
			correct.Denial{Category: "missing_claim_data", CARC: []string{"CO-16"}, RARC: []string{"N290"}, Line: 1}, comm,
			[]string{"1:62323::1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.d.PayerControl, tc.d.Revision = "ICN-778899", 2
			tc.claim = readBack(t, write(t, 1, tc.claim))[0] // as billedstore keeps it
			res, err := correct.Fix(tc.claim, tc.d, tc.p)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, l := range res.Claim.Lines {
				got = append(got, strings.Join([]string{string(rune('0' + l.Number)), l.Procedure.Code, strings.Join(l.Procedure.Modifiers, ","), l.Units.String()}, ":"))
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("lines %v, want %v (changes %+v)", got, tc.want, res.Changes)
			}
			raw := write(t, 7, res.Claim)
			back := readBack(t, raw)
			files = append(files, raw)
			checkDiff(t, tc.claim, back[0], res)
			if back[0].PayerClaimControlNumber != "ICN-778899" || back[0].FrequencyCode != "7" {
				t.Fatalf("REF*F8 %q CLM05-3 %q", back[0].PayerClaimControlNumber, back[0].FrequencyCode)
			}
			if tc.name == "rendering provider on the line" && (back[0].Lines[0].Rendering == nil || back[0].Lines[0].Rendering.NPI != "1245319599") {
				t.Fatalf("line rendering %+v", back[0].Lines[0].Rendering)
			}
		})
	}
}

// What Fix refuses, and why.
func TestFixRefuses(t *testing.T) {
	c := sample(line(1, "64483", []string{"RT"}, 145000))
	comm := profile(t, "commercial")
	if _, err := correct.Fix(c, correct.Denial{Category: "authorization", Line: 1, PayerControl: "X"}, comm); !errors.Is(err, correct.ErrNotCorrection) {
		t.Fatalf("authorization: %v", err)
	}
	if _, err := correct.Fix(c, correct.Denial{Category: "modifier", Line: 1}, comm); !errors.Is(err, correct.ErrNoPayerControl) {
		t.Fatalf("no CLP07: %v", err)
	}
	if _, err := correct.Fix(c, correct.Denial{Category: "modifier", Line: 5, PayerControl: "X"}, comm); !errors.Is(err, correct.ErrNoLine) {
		t.Fatalf("no line: %v", err)
	}
	if _, err := correct.Fix(c, correct.Denial{Category: "missing_claim_data", RARC: []string{"N999"}, Line: 1, PayerControl: "X"}, comm); !errors.Is(err, correct.ErrNoFix) {
		t.Fatalf("unknown remark: %v", err)
	}
	if _, err := correct.Void(c, "", 1); !errors.Is(err, correct.ErrNoPayerControl) {
		t.Fatalf("void without CLP07: %v", err)
	}
	// A Medicare Part B correction is a reopening: no claim.
	res, err := correct.Fix(sample(line(1, "20552", []string{"50"}, 18000)), correct.Denial{Category: "modifier", Line: 1}, profile(t, "medicare_part_b"))
	if err != nil || !res.Reopening || res.Claim != nil {
		t.Fatalf("Medicare: %+v %v", res, err)
	}
}

// A void is the billed claim with CLM05-3 8, REF*F8 and new line ids.
func TestVoid(t *testing.T) {
	c := readBack(t, write(t, 1, sample(line(1, "64483", []string{"RT"}, 145000), line(2, "64484", []string{"RT"}, 65000))))[0]
	res, err := correct.Void(c, "ICN-1", 1)
	if err != nil {
		t.Fatal(err)
	}
	raw := write(t, 9, res.Claim)
	x12check(t, raw)
	back := readBack(t, raw)[0]
	if back.FrequencyCode != "8" || back.PayerClaimControlNumber != "ICN-1" || len(back.Lines) != 2 || back.TotalCharge != c.TotalCharge {
		t.Fatalf("void %+v", back)
	}
	for i, l := range back.Lines {
		if l.LineControlNumber == c.Lines[i].LineControlNumber || l.Procedure.Code != c.Lines[i].Procedure.Code {
			t.Fatalf("void line %d %+v", i+1, l)
		}
	}
}
