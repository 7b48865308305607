package carc

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestListCounts(t *testing.T) {
	var current, deactivated int
	for _, c := range CARCs() {
		if c.Deactivated {
			deactivated++
		} else {
			current++
		}
	}
	if current != 297 || deactivated != 110 {
		t.Errorf("CARCs: %d current, %d deactivated; want 297 and 110 (carc.csv of 2026-08-17)", current, deactivated)
	}
	if n := len(RARCs()); n != 1216 {
		t.Errorf("RARCs: %d, want 1216", n)
	}
	for _, tc := range []struct {
		name string
		got  int
		want int
	}{
		{"groups", len(data().groups), 5},
		{"claim statuses", len(data().statuses), 10},
		{"PLB reasons", len(data().plbs), 41},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, tc.got, tc.want)
		}
	}
}

// Every CARC in the data has a class, a category, a reason, text and an
// action; every current one has a hand-written sentence.
func TestEveryCARCHasCategoryAndText(t *testing.T) {
	for _, c := range CARCs() {
		if !c.Class.valid() || !c.Category.Valid() {
			t.Errorf("CARC %s: class %q category %q", c.Code, c.Class, c.Category)
		}
		if c.Reason == "" || c.Plain == "" || c.Action == "" {
			t.Errorf("CARC %s: empty reason, text or action", c.Code)
		}
		if !c.Deactivated && c.Plain == c.Description {
			t.Errorf("CARC %s: current code without a hand-written sentence", c.Code)
		}
		if strings.Contains(c.Reason, "  ") || strings.HasSuffix(c.Reason, ".") {
			t.Errorf("CARC %s: reason %q should be a short phrase without a full stop", c.Code, c.Reason)
		}
		group := "CO"
		if c.Class == ClassPatient {
			group = "PR"
		}
		e := Explain(group, c.Code, nil)
		if !e.Known || !e.Category.Valid() || e.Text == "" || len(e.Warnings) != 0 {
			t.Errorf("Explain(CO-%s) = %+v", c.Code, e)
		}
	}
}

// The codes the 835 corpus and the generator produce have specific actions
// (not the category default) and, for RARCs, hand-written text.
func TestCorpusCodesCurated(t *testing.T) {
	corpusCARC := []string{"1", "2", "3", "4", "16", "18", "22", "23", "24", "26", "27", "29", "31", "42", "45",
		"50", "59", "94", "96", "97", "104", "107", "131", "141", "147", "151", "165", "176", "197", "204", "251", "A2", "A7"}
	for _, code := range corpusCARC {
		c, ok := CARC(code)
		if !ok {
			t.Errorf("corpus CARC %s not in the list", code)
			continue
		}
		if c.Action == c.Category.DefaultAction() {
			t.Errorf("corpus CARC %s has only the category's default action", code)
		}
	}
	corpusRARC := []string{"M25", "M26", "M51", "M75", "M80", "MA02", "MA92", "N1", "N14", "N20", "N206", "N36", "N54"}
	for _, code := range corpusRARC {
		r, ok := RARC(code)
		if !ok || !r.Curated {
			t.Errorf("corpus RARC %s: found %v, curated %v", code, ok, r.Curated)
		}
	}
}

func TestLookups(t *testing.T) {
	c, ok := CARC(" b7 ")
	if !ok || c.Code != "B7" || c.Category != ProviderEnrollment {
		t.Errorf("CARC(b7) = %+v, %v", c, ok)
	}
	c, _ = CARC("4")
	if c.Usage == "" || strings.Contains(c.Description, "Usage:") {
		t.Errorf("CARC 4: usage note not split off: %q / %q", c.Description, c.Usage)
	}
	c, _ = CARC("42")
	if !c.Deactivated || c.Stop == "" || c.Class != ClassContractual {
		t.Errorf("CARC 42 = %+v; want deactivated contractual with a stop date", c)
	}
	if _, ok := CARC("999"); ok {
		t.Error("CARC 999 found")
	}
	r, ok := RARC("n290")
	if !ok || r.Category != MissingClaimData || r.Alert {
		t.Errorf("RARC N290 = %+v", r)
	}
	r, _ = RARC("MA01")
	if !r.Alert || r.Category != "" {
		t.Errorf("RARC MA01 should be an alert without category: %+v", r)
	}
	r, _ = RARC("N1000")
	if r.Code != "" {
		t.Errorf("RARC N1000 found: %+v", r)
	}
	g, ok := Group("CR")
	if !ok || g.In5010 {
		t.Errorf("group CR = %+v, %v; want found and legacy", g, ok)
	}
	if g, ok := Group("PR"); !ok || !g.In5010 || g.Name != "Patient Responsibility" {
		t.Errorf("group PR = %+v", g)
	}
	if s, ok := ClaimStatus("22"); !ok || !strings.Contains(s.Description, "Reversal") {
		t.Errorf("CLP02 22 = %+v", s)
	}
	if _, ok := ClaimStatus("5"); ok {
		t.Error("CLP02 5 is 4010-only and should not be in the 5010 list")
	}
	if p, ok := PLBReason("WO"); !ok || p.Description != "Overpayment Recovery" {
		t.Errorf("PLB WO = %+v", p)
	}
	if p, ok := PLBReason("L6"); !ok || p.Description != "Interest Owed" {
		t.Errorf("PLB L6 = %+v", p)
	}
}

func TestExplain(t *testing.T) {
	tests := []struct {
		group, carc string
		rarcs       []string
		category    Category
		class       Class
		source      Source
		reason      string // substring
	}{
		// The same CARC with different remarks.
		{"CO", "16", []string{"N54"}, Authorization, ClassDenial, FromCombination, "authorization"},
		{"CO", "16", []string{"N290"}, MissingClaimData, ClassDenial, FromCombination, "rendering provider NPI"},
		{"CO", "16", []string{"M51"}, MissingClaimData, ClassDenial, FromCombination, "procedure code"},
		{"CO", "16", []string{"MA130", "N290"}, MissingClaimData, ClassDenial, FromCombination, "unprocessable"},
		{"CO", "16", []string{"N286"}, MissingClaimData, ClassDenial, FromCombination, "referring"},
		{"CO", "16", []string{"MA92"}, CoordinationOfBenefits, ClassDenial, FromCombination, "other insurance"},
		{"CO", "16", []string{"N519"}, Modifier, ClassDenial, FromRemark, "modifiers"},
		{"CO", "16", nil, MissingClaimData, ClassDenial, FromCARC, "missing information"},
		// Alerts never decide; the next remark does.
		{"CO", "16", []string{"N1", "N822"}, Modifier, ClassDenial, FromCombination, "modifier"},
		{"CO", "4", []string{"N519"}, Modifier, ClassDenial, FromCombination, "modifiers"},
		{"CO", "4", []string{"M80"}, Modifier, ClassDenial, FromCombination, "modifier"},
		{"CO", "97", []string{"N19"}, CodingBundling, ClassDenial, FromCombination, "incidental"},
		{"CO", "97", []string{"M80"}, CodingBundling, ClassDenial, FromCombination, "bundled"},
		{"CO", "97", []string{"N20"}, CodingBundling, ClassDenial, FromCombination, "another service"},
		{"CO", "B20", []string{"N19"}, CodingBundling, ClassDenial, FromCombination, "another provider"},
		{"CO", "236", nil, CodingBundling, ClassDenial, FromCARC, "NCCI"},
		{"CO", "50", []string{"N115"}, MedicalNecessity, ClassDenial, FromCombination, "LCD"},
		{"CO", "50", []string{"M25"}, MedicalNecessity, ClassDenial, FromCombination, "ABN"},
		{"CO", "119", []string{"N362"}, FrequencyLimit, ClassDenial, FromCombination, "maximum"},
		{"CO", "151", []string{"N115"}, MedicalNecessity, ClassDenial, FromCombination, "LCD"},
		{"CO", "151", nil, FrequencyLimit, ClassDenial, FromCARC, "frequency"},
		{"CO", "197", []string{"N54"}, Authorization, ClassDenial, FromCombination, "authorization"},
		{"CO", "198", nil, Authorization, ClassDenial, FromCARC, "exceeded"},
		{"CO", "15", nil, Authorization, ClassDenial, FromCARC, "authorization"},
		{"CO", "27", nil, EligibilityCoverage, ClassDenial, FromCARC, "coverage ended"},
		{"CO", "26", nil, EligibilityCoverage, ClassDenial, FromCARC, "before coverage"},
		{"CO", "31", nil, EligibilityCoverage, ClassDenial, FromCARC, "member"},
		{"CO", "29", nil, TimelyFiling, ClassDenial, FromCARC, "deadline"},
		{"OA", "18", []string{"N111"}, Duplicate, ClassDenial, FromCombination, "duplicate"},
		{"CO", "B13", nil, Duplicate, ClassDenial, FromCARC, "already paid"},
		{"CO", "22", []string{"MA04"}, CoordinationOfBenefits, ClassDenial, FromCombination, "primary"},
		{"OA", "23", nil, CoordinationOfBenefits, ClassInfo, FromCARC, "prior payer"},
		{"CO", "B7", []string{"N95"}, ProviderEnrollment, ClassDenial, FromCombination, "provider type"},
		{"CO", "B7", nil, ProviderEnrollment, ClassDenial, FromCARC, "not certified"},
		{"CO", "170", nil, ProviderEnrollment, ClassDenial, FromCARC, "provider type"},
		{"CO", "185", nil, ProviderEnrollment, ClassDenial, FromCARC, "rendering provider"},
		{"CO", "96", []string{"N130"}, NonCovered, ClassDenial, FromCombination, "plan"},
		{"CO", "96", []string{"N115"}, MedicalNecessity, ClassDenial, FromCombination, "LCD"},
		{"CO", "96", []string{"M75"}, NonCovered, ClassDenial, FromCARC, "non-covered"},
		{"CO", "204", []string{"N130"}, NonCovered, ClassDenial, FromCombination, "plan"},
		{"CO", "59", nil, Underpayment, ClassContractual, FromCARC, "multiple-procedure"},
		{"CO", "B15", []string{"N674"}, MedicalNecessity, ClassDenial, FromCombination, "prerequisite"},
		{"CO", "B15", nil, CodingBundling, ClassDenial, FromCARC, "qualifying"},
		{"CO", "242", nil, ProviderEnrollment, ClassDenial, FromCARC, "out of network"},
		{"CO", "243", nil, Authorization, ClassDenial, FromCARC, "network"},
		{"CO", "252", []string{"N706"}, MissingClaimData, ClassDenial, FromCombination, "documentation"},
		{"CO", "251", []string{"N206"}, MissingClaimData, ClassDenial, FromCombination, "does not match"},
		{"CO", "A1", []string{"N115"}, MedicalNecessity, ClassDenial, FromRemark, "LCD"},
		{"CO", "45", []string{"N14"}, Underpayment, ClassContractual, FromCARC, "contracted"},
		{"PR", "1", nil, EligibilityCoverage, ClassPatient, FromCARC, "deductible"},
		{"PR", "2", nil, EligibilityCoverage, ClassPatient, FromCARC, "coinsurance"},
		{"PR", "96", []string{"N130"}, NonCovered, ClassDenial, FromCombination, "plan"},
		{"CO", "246", nil, Other, ClassInfo, FromCARC, "reporting"},
	}
	for _, tc := range tests {
		name := tc.group + "-" + tc.carc + "+" + strings.Join(tc.rarcs, "+")
		t.Run(name, func(t *testing.T) {
			e := Explain(tc.group, tc.carc, tc.rarcs)
			if e.Category != tc.category || e.Class != tc.class || e.Source != tc.source {
				t.Errorf("category/class/source = %s/%s/%s, want %s/%s/%s", e.Category, e.Class, e.Source, tc.category, tc.class, tc.source)
			}
			if !strings.Contains(e.Reason, tc.reason) {
				t.Errorf("reason %q does not mention %q", e.Reason, tc.reason)
			}
			if e.Text == "" || e.Action == "" || len(e.Warnings) != 0 {
				t.Errorf("text %q action %q warnings %v", e.Text, e.Action, e.Warnings)
			}
			if e.PatientLiable != (tc.group == "PR") {
				t.Errorf("patient liable = %v", e.PatientLiable)
			}
		})
	}
}

func TestExplainTextUsesRemarks(t *testing.T) {
	e := Explain("CO", "50", []string{"N115", "M26", "N1"})
	if !strings.Contains(e.Text, "Local Coverage Determination") || !strings.Contains(e.Text, "refund anything collected") {
		t.Errorf("text misses the remarks: %q", e.Text)
	}
	if strings.Contains(e.Text, "Alert") {
		t.Errorf("alert text should not be in the explanation: %q", e.Text)
	}
	if e.DecidingRARC != "N115" {
		t.Errorf("deciding RARC %q", e.DecidingRARC)
	}
}

func TestExplainUnknown(t *testing.T) {
	tests := []struct {
		group, carc string
		rarcs       []string
		known       bool
		class       Class
		warnings    int
	}{
		{"CO", "999", nil, false, ClassDenial, 1},
		{"PR", "909099", nil, false, ClassPatient, 1},
		{"CO", "X999", []string{"XX99"}, false, ClassDenial, 2},
		{"ZZ", "45", nil, true, ClassContractual, 1},
		{"CO", "16", []string{"N9999"}, true, ClassDenial, 1},
		{"CO", "1", nil, true, ClassContractual, 1}, // cost sharing under CO cannot be billed to the patient
	}
	for _, tc := range tests {
		e := Explain(tc.group, tc.carc, tc.rarcs)
		if e.Known != tc.known || e.Class != tc.class || len(e.Warnings) != tc.warnings {
			t.Errorf("Explain(%s-%s %v) = known %v class %s warnings %q", tc.group, tc.carc, tc.rarcs, e.Known, e.Class, e.Warnings)
		}
		if !e.Category.Valid() || e.Reason == "" || e.Action == "" || e.Text == "" {
			t.Errorf("Explain(%s-%s): unknown codes still need a full reading: %+v", tc.group, tc.carc, e)
		}
	}
	// An unknown CARC still takes the category from a deciding remark.
	if e := Explain("CO", "999", []string{"N54"}); e.Category != Authorization || e.Source != FromRemark {
		t.Errorf("unknown CARC with N54: %s from %s", e.Category, e.Source)
	}
}

func TestCategories(t *testing.T) {
	cs := Categories()
	if len(cs) != 14 {
		t.Fatalf("%d categories, want 14", len(cs))
	}
	for _, c := range cs {
		if !c.Valid() || c.Label() == "" || c.DefaultAction() == "" {
			t.Errorf("category %q incomplete", c)
		}
	}
	if Category("contractual").Valid() {
		t.Error("contractual is not a denial category")
	}
	// Every category is reachable from the data.
	used := map[Category]bool{}
	for _, c := range CARCs() {
		used[c.Category] = true
	}
	for _, c := range cs {
		if !used[c] {
			t.Errorf("no CARC has category %s", c)
		}
	}
}

func TestCombinationsRefine(t *testing.T) {
	for _, cb := range Combinations() {
		e := Explain("CO", cb.CARC, []string{cb.RARC})
		if e.Source != FromCombination || e.Reason != cb.Reason {
			t.Errorf("%s+%s not applied: %+v", cb.CARC, cb.RARC, e)
		}
	}
}

func TestBuildRejectsBadData(t *testing.T) {
	good := fstest.MapFS{}
	for _, n := range []string{"carc.csv", "rarc.csv", "group_codes.csv", "claim_status.csv", "plb_reasons.csv", "carc_plain.csv", "rarc_plain.csv", "combos.csv"} {
		b, err := files.ReadFile("data/" + n)
		if err != nil {
			t.Fatal(err)
		}
		good["data/"+n] = &fstest.MapFile{Data: b}
	}
	if _, err := build(good); err != nil {
		t.Fatalf("embedded data: %v", err)
	}
	edit := func(name, old, repl string) fstest.MapFS {
		fs := fstest.MapFS{}
		for k, v := range good {
			fs[k] = v
		}
		s := string(good["data/"+name].Data)
		if !strings.Contains(s, old) {
			t.Fatalf("%s does not contain %q", name, old)
		}
		fs["data/"+name] = &fstest.MapFile{Data: []byte(strings.Replace(s, old, repl, 1))}
		return fs
	}
	bad := map[string]fstest.MapFS{
		"CARC without a row":  edit("carc_plain.csv", "\nB23,", "\n#B23,"),
		"bad category":        edit("carc_plain.csv", "197,denial,authorization", "197,denial,auth"),
		"bad class":           edit("carc_plain.csv", "45,contractual", "45,writeoff"),
		"bad yes/no":          edit("carc_plain.csv", "29,denial,timely_filing,no,yes", "29,denial,timely_filing,no,maybe"),
		"unknown combo code":  edit("combos.csv", "16,N54,", "16,N54999,"),
		"repeated RARC row":   edit("rarc_plain.csv", "M62,", "N54,"),
		"missing column":      edit("combos.csv", "\ncarc,rarc,category", "\ncarc,remark,category"),
		"row for a non-CARC":  edit("carc_plain.csv", "\n1,patient", "\n0,patient"),
		"deciding w/o reason": edit("rarc_plain.csv", `N54,authorization,"claim does not match the authorization"`, `N54,authorization,""`),
	}
	for name, fs := range bad {
		if _, err := build(fs); err == nil {
			t.Errorf("%s: build accepted it", name)
		}
	}
}

func BenchmarkExplain(b *testing.B) {
	rarcs := []string{"N115", "N1"}
	for b.Loop() {
		_ = Explain("CO", "50", rarcs)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		group, code string
		class       Class
		category    Category
		known       bool
	}{
		{"CO", "45", ClassContractual, Underpayment, true},
		{"PR", "2", ClassPatient, EligibilityCoverage, true},
		{"co", " 197 ", ClassDenial, Authorization, true},
		{"OA", "23", ClassInfo, CoordinationOfBenefits, true},
		{"PR", "204", ClassDenial, NonCovered, true},
		{"CO", "2", ClassContractual, EligibilityCoverage, true},
		{"PR", "45", ClassPatient, Underpayment, true},
		{"CR", "1", ClassPatient, EligibilityCoverage, true},
		{"CO", "X999", ClassDenial, Other, false},
		{"PR", "909099", ClassPatient, Other, false},
	}
	for _, tc := range tests {
		class, cat, known := Classify(tc.group, tc.code)
		if class != tc.class || cat != tc.category || known != tc.known {
			t.Errorf("Classify(%q, %q) = %s %s %v, want %s %s %v", tc.group, tc.code, class, cat, known, tc.class, tc.category, tc.known)
		}
		// Classify agrees with Explain on class.
		if e := Explain(tc.group, tc.code, nil); e.Class != class {
			t.Errorf("Explain(%s-%s).Class = %s, Classify says %s", tc.group, tc.code, e.Class, class)
		}
	}
}
