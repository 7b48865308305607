package x12

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/remitq/remitq/pkg/money"
)

// The 837P corpus is read like the 835 one (corpusIn).

// corpus837Facts is the 837P table of SOURCES.md: interchanges, transaction
// sets, CLM and SV1 segments, and how many claims fail CLM02 = Σ SV102
// (0 for the "yes" rows; "NO (n/m)" gives n).
var corpus837Facts = map[string]struct {
	isa, st, clm, sv1 int
	unbalanced        int
}{
	"badx12-X222-COB-billing-provider-to-payer-b.837":       {1, 1, 1, 3, 0},
	"badx12-X222-anesthesia.837":                            {1, 1, 1, 1, 0},
	"badx12-X222-commercial-health-insurance.837":           {1, 1, 1, 4, 0},
	"badx12-X222-drug-administered-in-physician-office.837": {1, 1, 1, 2, 0},
	"badx12-X222-medicare-secondary-payer-COB.837":          {1, 1, 1, 1, 0},
	"edilib-4010-hipaa1.837":                                {1, 1, 7, 7, 0},
	"imsweb-x12_complex.837":                                {1, 2, 6, 10, 6},
	"imsweb-x12_many_claims.837":                            {1, 1, 820, 820, 820},
	"imsweb-x12_multiple_isa.837":                           {2, 2, 4, 4, 4},
	"imsweb-x12_valid_different_separators.837":             {1, 1, 2, 2, 2},
	"lfh-X222A2-demo.example1.837":                          {1, 1, 1, 4, 0},
	"moov-837p-sample.837":                                  {1, 1, 8, 11, 0},
	"oopfactory-5010-837P-MedicaidExample.837":              {1, 1, 5, 10, 5},
	"oopfactory-5010-837P-ST1309-XX.837":                    {1, 1, 1, 2, 0},
	"uhin-837.837":                                          {1, 1, 1, 1, 0},
}

// corpus837Errors lists the errors each corpus file is expected to give,
// as "segment ID element: class" (SE01 counts are wrong in several).
var corpus837Errors = map[string][]string{
	"edilib-4010-hipaa1.837":                    {"DMG 2: invalid value"},
	"imsweb-x12_complex.837":                    {"SE 1: count mismatch", "SE 1: count mismatch", "GE 1: count mismatch"},
	"imsweb-x12_many_claims.837":                {"SE 1: count mismatch"},
	"imsweb-x12_multiple_isa.837":               {"SE 1: count mismatch", "SE 1: count mismatch"},
	"imsweb-x12_valid_different_separators.837": {"SE 1: count mismatch"},
	// De-identified without diagnoses: loop 2300 requires an HI.
	"oopfactory-5010-837P-MedicaidExample.837": {"CLM 0: required value missing", "CLM 0: required value missing",
		"CLM 0: required value missing", "CLM 0: required value missing", "CLM 0: required value missing"},
}

// corpus837Files returns the 837P corpus (see corpusIn).
func corpus837Files(t testing.TB) []string { return corpusIn(t, "837p", "837", corpus837Facts) }

// testdata837Files returns this package's own 837 test files.
func testdata837Files(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "837", "*.837"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/837/*.837 files (err %v)", err)
	}
	return files
}

func read837(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// count837 counts the segments with identifier id.
func count837(t testing.TB, data []byte, id string) int {
	t.Helper()
	r := NewReader(bytes.NewReader(data))
	n := 0
	for {
		s, err := r.Next()
		if s == nil {
			if err == io.EOF || errors.Is(err, ErrNoHeader) {
				return n
			}
			continue
		}
		if s.ID() == id {
			n++
		}
	}
}

// errorKey837 describes an error without its position, for comparisons.
func errorKey837(e *Error) string {
	k := e.ID + " " + strconv.Itoa(e.Element)
	if e.Component > 0 {
		k += "-" + strconv.Itoa(e.Component)
	}
	return k + ": " + e.Err.Error()
}

func TestClaimCorpus(t *testing.T) {
	files := corpus837Files(t)
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			facts, ok := corpus837Facts[name]
			if !ok {
				t.Fatalf("%s is not in the SOURCES.md table", name)
			}
			data := read837(t, path)
			f, err := ReadClaims(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if n := count837(t, data, "ISA"); n != facts.isa {
				t.Errorf("ISA segments: %d, table says %d", n, facts.isa)
			}
			if f.TransactionSets != facts.st || len(f.Batches) != facts.st {
				t.Errorf("transaction sets: %d (%d batches), table says %d", f.TransactionSets, len(f.Batches), facts.st)
			}
			claims, lines, unbalanced := 0, 0, 0
			for _, b := range f.Batches {
				for _, c := range b.Claims {
					claims++
					lines += len(c.Lines)
					if c.TotalCharge != c.LineCharges() {
						unbalanced++
					}
					if c.Batch != b || c.BillingProvider == nil || c.Subscriber == nil || c.Payer == nil {
						t.Errorf("claim %s: batch, billing provider, subscriber or payer missing", c.PatientControlNumber)
					}
					for _, l := range c.Lines {
						if l.Segment == 0 || l.Procedure.Code == "" {
							t.Errorf("claim %s line %d: no SV1", c.PatientControlNumber, l.Number)
						}
					}
				}
			}
			if claims != facts.clm || lines != facts.sv1 {
				t.Errorf("claims/lines: %d/%d, table says %d/%d", claims, lines, facts.clm, facts.sv1)
			}
			if unbalanced != facts.unbalanced {
				t.Errorf("claims with CLM02 != Σ SV102: %d, table says %d", unbalanced, facts.unbalanced)
			}
			var got []string
			for _, e := range f.Errors {
				got = append(got, errorKey837(e))
				if e.Segment == 0 || e.ID == "" {
					t.Errorf("error without position: %v", e)
				}
			}
			if want := corpus837Errors[name]; !slices.Equal(got, want) {
				t.Errorf("errors:\n got %q\nwant %q\n%v", got, want, f.Errors)
			}
			if testing.Verbose() {
				for _, w := range f.Warnings {
					t.Logf("warning: %v", w)
				}
			}
		})
	}
}

// update837 rewrites the golden files: go test ./x12/ -run ClaimGolden -update.
// The flag is shared with the package's other golden tests.
var update837 = func() *flag.Flag {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files in testdata")
	}
	return flag.Lookup("update")
}()

// TestClaimGolden decodes each testdata/837 file to JSON and compares it with
// its golden file.
func TestClaimGolden(t *testing.T) {
	for _, path := range testdata837Files(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			f, err := ReadClaims(bytes.NewReader(read837(t, path)))
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Errors) > 0 || len(f.Warnings) > 0 {
				t.Errorf("errors %v warnings %v", f.Errors, f.Warnings)
			}
			got, err := json.MarshalIndent(f, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := strings.TrimSuffix(path, ".837") + ".golden.json"
			if update837.Value.String() == "true" {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("decoded JSON differs from %s (run with -update after checking):\n%s", golden, firstDiff837(string(want), string(got)))
			}
		})
	}
}

// firstDiff837 shows the first differing line of two texts.
func firstDiff837(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + strconv.Itoa(i+1) + ":\n want " + w + "\n  got " + g
		}
	}
	return "(no difference)"
}

// painClaims837 reads testdata/837/pain-management.837.
func painClaims837(t *testing.T) (*ClaimFile, map[string]*Claim) {
	t.Helper()
	f, err := ReadClaims(bytes.NewReader(read837(t, "testdata/837/pain-management.837")))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]*Claim{}
	for _, b := range f.Batches {
		for _, c := range b.Claims {
			m[c.PatientControlNumber] = c
		}
	}
	return f, m
}

func amt837(s string) money.Amount { return money.MustParse(s) }

func amtp837(s string) *money.Amount { a := money.MustParse(s); return &a }

// TestClaimPainManagement checks the decoded values of the pain-management
// file field by field, loop by loop.
func TestClaimPainManagement(t *testing.T) {
	f, claims := painClaims837(t)
	if len(f.Errors) > 0 {
		t.Fatalf("errors: %v", f.Errors)
	}
	if len(f.Batches) != 1 || len(claims) != 3 {
		t.Fatalf("batches %d claims %d, want 1 and 3", len(f.Batches), len(claims))
	}
	b := f.Batches[0]
	check := func(what string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", what, got, want)
		}
	}
	// Header.
	check("batch", []any{b.Control, b.Implementation, b.Purpose, b.Reference, b.Date, b.Time, b.ClaimType},
		[]any{"0001", "005010X222A1", "00", "PM20260105A", Date("2026-01-05"), "0930", "CH"})
	check("submitter", b.Submitter, Name{Entity: "41", Type: "2", Last: "DESERT SPINE BILLING", IDQualifier: "46", ID: "DSPB01"})
	check("submitter contact", b.SubmitterContacts, []Contact{{Function: "IC", Name: "BILLING OFFICE",
		Numbers: []Ref{{"TE", "5555550100"}, {"EM", "billing@example.invalid"}}}})
	check("receiver", b.Receiver.ID, "CLEARHOUSE01")

	// 2000A/2010AA/2010AB.
	c1, c2, c3 := claims["PM-1001"], claims["PM-1002"], claims["PM-1003"]
	bp := c1.BillingProvider
	if c2.BillingProvider != bp || c3.BillingProvider != bp {
		t.Error("claims of one billing provider HL do not share it")
	}
	check("billing", []any{bp.Entity, bp.Last, bp.NPI, bp.Taxonomy, bp.TIN, bp.SSN},
		[]any{"85", "DESERT SPINE AND PAIN", "1234567893", "208VP0014X", "861234567", ""})
	check("billing address", *bp.Address, Address{Lines: []string{"100 EXAMPLE PLAZA", "SUITE 200"},
		City: "PHOENIX", State: "AZ", PostalCode: "850040000"})
	check("billing contact", bp.Contacts[0].Name, "JANE BILLER")
	check("pay-to", *bp.PayTo, Provider{Name: Name{Entity: "87", Type: "2"},
		Address: &Address{Lines: []string{"PO BOX 1000"}, City: "PHOENIX", State: "AZ", PostalCode: "850011000"}})

	// 2000B/2010BA/2010BB: the subscriber is the patient of PM-1001.
	s1 := c1.Subscriber
	check("subscriber 1 coverage", s1.Coverage, Coverage{Responsibility: "P", Relationship: "18",
		GroupNumber: "GRP-4471", GroupName: "EXAMPLE EMPLOYER PLAN", FilingIndicator: "CI"})
	check("subscriber 1", []any{s1.LastName, s1.FirstName, s1.MiddleName, s1.MemberIDQualifier, s1.MemberID, s1.BirthDate, s1.Gender, s1.Address.City},
		[]any{"TESTPATIENT", "ALPHA", "Q", "MI", "XAA000000001", Date("1958-02-14"), "F", "MESA"})
	if c1.Patient != nil {
		t.Error("PM-1001: patient should be nil (the subscriber is the patient)")
	}
	check("payer 1", []any{c1.Payer.Name, c1.Payer.IDQualifier, c1.Payer.PayerID, c1.Payer.Refs},
		[]any{"EXAMPLE HEALTH PLAN", "PI", "EXHP1", []Ref{{"G2", "EXHP-PROV-77"}}})

	// 2000B + 2000C: a dependent patient with two claims under one patient HL.
	s2 := c2.Subscriber
	if c3.Subscriber != s2 || c3.Patient != c2.Patient || c3.Payer != c2.Payer || s2 == s1 {
		t.Error("PM-1002/PM-1003 do not share their subscriber, patient and payer loops")
	}
	check("subscriber 2", []any{s2.Responsibility, s2.Relationship, s2.LastName, s2.MemberID, c2.Payer.PayerID},
		[]any{"S", "", "TESTPARENT", "XBB000000002", "SEXP2"})
	check("patient", *c2.Patient, Patient{Relationship: "19", LastName: "TESTPARENT", FirstName: "CHARLIE",
		Address:   &Address{Lines: []string{"2 TEST LANE"}, City: "TEMPE", State: "AZ", PostalCode: "85281"},
		BirthDate: "2001-03-22", Gender: "M"})

	// 2300 PM-1001.
	check("CLM", []any{c1.PatientControlNumber, c1.TotalCharge, c1.PlaceOfService, c1.FacilityCodeQualifier, c1.FrequencyCode,
		c1.ProviderSignature, c1.Assignment, c1.BenefitsAssignment, c1.ReleaseOfInformation},
		[]any{"PM-1001", amt837("1850"), "24", "B", "1", "Y", "A", "Y", "Y"})
	check("named dates", []Date{c1.OnsetDate, c1.InitialTreatmentDate, c1.LastSeenDate},
		[]Date{"2025-09-15", "2025-10-20", "2025-12-01"})
	check("dates", c1.Dates, []ClaimDate{{"431", "2025-09-15", "2025-09-15"}, {"454", "2025-10-20", "2025-10-20"},
		{"304", "2025-12-01", "2025-12-01"}})
	check("claim refs", []any{c1.PriorAuthorization, c1.ClearinghouseClaimID, c1.Refs},
		[]any{"AUTH-64483-01", "CH20260105000001", []Ref{{"EA", "MRN-0001"}}})
	check("notes", c1.Notes, []Note{{"ADD", "LUMBAR RADICULOPATHY RIGHT L5"}})
	check("diagnoses", c1.Diagnoses, []Diagnosis{{"ABK", "M5416"}, {"ABF", "M5136"}, {"ABF", "G8929"}})
	check("principal", c1.PrincipalDiagnosis(), "M5416")
	check("referring", []any{c1.Referring.Entity, c1.Referring.Last, c1.Referring.NPI}, []any{"DN", "REFERRER", "1234567901"})
	check("rendering", []any{c1.Rendering.Last, c1.Rendering.NPI, c1.Rendering.Taxonomy, c1.Rendering.Refs},
		[]any{"INJECTOR", "1234567919", "208VP0014X", []Ref{{"G2", "PROV-82-001"}}})
	check("facility", []any{c1.ServiceFacility.NPI, c1.ServiceFacility.Address.Lines}, []any{"1234567927", []string{"200 EXAMPLE PLAZA"}})

	// 2400 PM-1001: TFESI with RT, fluoroscopy, the steroid with its NDC.
	if len(c1.Lines) != 3 {
		t.Fatalf("PM-1001 lines: %d", len(c1.Lines))
	}
	l1 := c1.Lines[0]
	check("line 1", []any{l1.Number, l1.Procedure, l1.Charge, l1.UnitBasis, l1.Units, l1.PlaceOfService, l1.DiagnosisPointers,
		l1.ServiceFrom, l1.ServiceTo, l1.PriorAuthorization, l1.LineControlNumber},
		[]any{1, Procedure{Qualifier: "HC", Code: "64483", Modifiers: []string{"RT"}}, amt837("1200"), "UN", Quantity(1000), "",
			[]int{1, 2}, Date("2026-01-02"), Date("2026-01-02"), "AUTH-64483-01L", "PM1001-1"})
	check("line 2 code", c1.Lines[1].Procedure.Code, "77003")
	check("line 3 drug", *c1.Lines[2].Drug, Drug{Qualifier: "N4", Code: "00009027402", Quantity: 1000, Unit: "UN"})
	check("line positions", l1.Segment > c1.Segment && c1.Lines[1].Segment > l1.Segment && l1.Offset > c1.Offset, true)
	check("line charges", c1.LineCharges(), c1.TotalCharge)

	// 2300 PM-1002: replacement claim with COB (2320/2330) and line adjudication (2430).
	check("CLM 2", []any{c2.TotalCharge, c2.PlaceOfService, c2.FrequencyCode, c2.PatientSignatureSource, c2.RelatedCauses,
		c2.AccidentState, c2.AccidentDate, c2.OnsetDate, c2.PatientPaid, c2.PayerClaimControlNumber, c2.Referral},
		[]any{amt837("1700.5"), "22", "7", "P", []string{"AA"}, "AZ", Date("2025-11-11"), Date("2025-11-11"), amtp837("50"),
			"PAYERCLAIM-778899", "REFERRAL-5566"})
	if len(c2.OtherSubscribers) != 1 {
		t.Fatalf("PM-1002 other subscribers: %d", len(c2.OtherSubscribers))
	}
	o := c2.OtherSubscribers[0]
	check("2320", []any{o.Coverage, o.PayerPaid, o.NonCovered, o.RemainingPatientLiability, o.BenefitsAssignment,
		o.PatientSignatureSource, o.ReleaseOfInformation},
		[]any{Coverage{Responsibility: "P", Relationship: "01", GroupNumber: "GRP-9900", FilingIndicator: "CI"},
			amtp837("1000"), amtp837("200"), (*money.Amount)(nil), "Y", "P", "Y"})
	check("2320 CAS", norm837Adjustments(o.Adjustments), []Adjustment{{Group: "PR", Reason: "1", Amount: amt837("100"), Quantity: qty837(1)},
		{Group: "PR", Reason: "2", Amount: amt837("50")}})
	check("2330A", []any{o.Insured.FirstName, o.Insured.MemberID, o.Insured.Address.City}, []any{"DELTA", "XDD000000004", "TEMPE"})
	check("2330B", []any{o.Payer.Name, o.Payer.PayerID, o.AdjudicationDate, o.Payer.Refs},
		[]any{"FIRST EXAMPLE PAYER", "FEXP9", Date("2025-12-20"), []Ref{{"F8", "FIRSTPAYER-CLM-1"}}})
	check("2330D", []any{len(o.Providers), o.Providers[0].Entity, o.Providers[0].Refs}, []any{1, "82", []Ref{{"G2", "FEXP-RENDER-1"}}})
	l21, l22 := c2.Lines[0], c2.Lines[1]
	check("facet lines", []any{l21.Procedure, l21.PlaceOfService, l22.Procedure.Modifiers, l22.Charge},
		[]any{Procedure{Qualifier: "HC", Code: "64493", Modifiers: []string{"50"}}, "22", []string(nil), amt837("800.5")})
	a := l21.Adjudications[0]
	check("2430", []any{a.PayerID, a.Paid, a.Procedure.Code, a.Procedure.Modifiers, a.PaidUnits, a.AdjudicationDate,
		norm837Adjustments(a.Adjustments)},
		[]any{"FEXP9", amt837("600"), "64493", []string{"50"}, Quantity(1000), Date("2025-12-20"),
			[]Adjustment{{Group: "CO", Reason: "45", Amount: amt837("200")}, {Group: "PR", Reason: "2", Amount: amt837("100")}}})
	a2 := l22.Adjudications[0]
	check("2430 multi-triplet CAS", norm837Adjustments(a2.Adjustments), []Adjustment{
		{Group: "CO", Reason: "45", Amount: amt837("250.5"), Quantity: qty837(1)}, {Group: "CO", Reason: "253", Amount: amt837("150")}})
	check("2430 EAF", a2.RemainingPatientLiability, amtp837("0"))

	// 2300 PM-1003: trigger points over a date range, line-level rendering provider.
	l31, l32 := c3.Lines[0], c3.Lines[1]
	check("RD8", []Date{l31.ServiceFrom, l31.ServiceTo}, []Date{"2025-12-01", "2025-12-15"})
	check("trigger points", []any{l31.Procedure.Code, l31.Units, l31.Notes}, []any{"20552", Quantity(2000), []Note{{"ADD", "TWO SESSIONS"}}})
	check("2420A", []any{l31.Rendering.Last, l31.Rendering.NPI, l31.Rendering.Taxonomy}, []any{"NEEDLER", "1234567935", "208VP0000X"})
	check("claim-level rendering kept", c3.Rendering.Last, "INJECTOR")
	check("line 2 drug", *l32.Drug, Drug{Qualifier: "N4", Code: "00409427616", Quantity: 20000, Unit: "ML"})
}

// TestClaimAnesthesiaPipes checks the file with other delimiters: anesthesia
// minutes, description, emergency/EPSDT/family planning flags, an individual
// billing provider with an SSN, two transaction sets.
func TestClaimAnesthesiaPipes(t *testing.T) {
	f, err := ReadClaims(bytes.NewReader(read837(t, "testdata/837/pain-anesthesia-pipes.837")))
	if err != nil || len(f.Errors) > 0 {
		t.Fatalf("err %v errors %v", err, f.Errors)
	}
	if f.TransactionSets != 2 || len(f.Batches) != 2 || len(f.Batches[0].Claims) != 1 || len(f.Batches[1].Claims) != 1 {
		t.Fatalf("transaction sets %d batches %d", f.TransactionSets, len(f.Batches))
	}
	c := f.Batches[0].Claims[0]
	if c.BillingProvider.SSN != "999000001" || c.BillingProvider.TIN != "" || c.BillingProvider.Suffix != "MD" {
		t.Errorf("billing provider %+v", c.BillingProvider.Provider)
	}
	if c.AdmissionDate != "2026-01-08" || c.DischargeDate != "2026-01-09" || c.PriorAuthorization != "PA-ANES-77" {
		t.Errorf("claim dates/auth: %v %v %v", c.AdmissionDate, c.DischargeDate, c.PriorAuthorization)
	}
	want := []Diagnosis{{"ABK", "M5116"}, {"ABF", "M4806"}, {"BP", "01937"}}
	if !reflect.DeepEqual(c.Diagnoses, want) {
		t.Errorf("diagnoses %v", c.Diagnoses)
	}
	l := c.Lines[0]
	wantProc := Procedure{Qualifier: "HC", Code: "01937", Modifiers: []string{"AA", "QS"}, Description: "ANES PERC SPINE INJ"}
	if !reflect.DeepEqual(l.Procedure, wantProc) || l.UnitBasis != "MJ" || l.Units != 30000 || l.Emergency != "Y" ||
		!reflect.DeepEqual(l.DiagnosisPointers, []int{1, 2}) {
		t.Errorf("anesthesia line %+v", l)
	}
	if l2 := c.Lines[1]; !reflect.DeepEqual(l2.Procedure.Modifiers, []string{"LT", "59"}) || l2.PriorAuthorization != "PA-64483-LT" {
		t.Errorf("line 2 %+v", l2)
	}
	l3 := f.Batches[1].Claims[0].Lines[0]
	if l3.EPSDT != "Y" || l3.FamilyPlanning != "Y" || l3.Emergency != "" {
		t.Errorf("EPSDT/family planning: %+v", l3)
	}
	if f.Batches[1].Claims[0].Subscriber.BirthDate != "2008-02-29" {
		t.Errorf("leap-day birth date: %v", f.Batches[1].Claims[0].Subscriber.BirthDate)
	}
}

func qty837(n int64) *Quantity { q := Quantity(n * 1000); return &q }

// norm837Adjustments drops the positions of adjustments, which depend on how
// CAS segments group them.
func norm837Adjustments(adj []Adjustment) []Adjustment {
	out := slices.Clone(adj)
	for i := range out {
		out[i].Segment, out[i].Position = 0, 0
	}
	return out
}

// norm837 clears what a write/read round trip may change: positions, and
// the implementation reference of non-5010 input.
func norm837(c *Claim) *Claim {
	n := *c
	n.Segment, n.Offset = 0, 0
	if c.Batch != nil {
		b := *c.Batch
		b.Segment, b.Offset, b.Claims = 0, 0, nil
		if !strings.HasPrefix(b.Implementation, "005010X222") {
			b.Implementation = DefaultClaimImplementation
		}
		n.Batch = &b
	}
	n.OtherSubscribers = nil
	for _, o := range c.OtherSubscribers {
		oc := *o
		oc.Adjustments = norm837Adjustments(o.Adjustments)
		n.OtherSubscribers = append(n.OtherSubscribers, &oc)
	}
	n.Lines = nil
	for _, l := range c.Lines {
		lc := *l
		lc.Segment, lc.Offset = 0, 0
		lc.Adjudications = nil
		for _, a := range l.Adjudications {
			ac := *a
			ac.Adjustments = norm837Adjustments(a.Adjustments)
			lc.Adjudications = append(lc.Adjudications, &ac)
		}
		n.Lines = append(n.Lines, &lc)
	}
	return &n
}

// write837 writes the claims of f's batches in one interchange.
func write837(f *ClaimFile, d Delimiters) ([]byte, error) {
	var buf bytes.Buffer
	w := NewWriter(&buf, d)
	w.LineBreak = d.Segment != '\n' && d.Segment != '\r'
	date := time.Date(2026, 1, 5, 9, 30, 0, 0, time.UTC)
	// The ISA and IEA are written here rather than with BeginInterchange,
	// which writes delimiters above 0x7F as two UTF-8 bytes.
	rep := "U"
	if d.Repetition != 0 {
		rep = string([]byte{d.Repetition})
	}
	if err := w.Segment("ISA", "00", "          ", "00", "          ", "ZZ", "SENDER         ", "ZZ", "RECEIVER       ",
		"260105", "0930", rep, "00501", "000000007", "0", "P", string([]byte{d.Component})); err != nil {
		return nil, err
	}
	if err := w.BeginGroup("HC", "SENDER", "RECEIVER", date, 7, DefaultClaimImplementation); err != nil {
		return nil, err
	}
	for _, b := range f.Batches {
		if len(b.Claims) == 0 {
			continue
		}
		if err := WriteClaims(w, b, b.Claims); err != nil {
			return nil, err
		}
	}
	if err := w.EndGroup(); err != nil {
		return nil, err
	}
	if err := w.Segment("IEA", "1", "000000007"); err != nil {
		return nil, err
	}
	err := w.Flush()
	return buf.Bytes(), err
}

// allClaims837 lists the claims of f in order.
func allClaims837(f *ClaimFile) []*Claim {
	var out []*Claim
	for _, b := range f.Batches {
		out = append(out, b.Claims...)
	}
	return out
}

// roundTrip837 reads data, writes its claims with delimiters d (the input's
// when nil), reads them back and reports the first difference.
func roundTrip837(t testing.TB, data []byte, d *Delimiters) {
	t.Helper()
	f1, err := ReadClaims(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if d == nil {
		r := NewClaimReader(bytes.NewReader(data))
		r.Next()
		dd := r.Reader().Delimiters()
		d = &dd
	}
	out, err := write837(f1, *d)
	if err != nil {
		t.Fatalf("write: %v", err)
	}
	f2, err := ReadClaims(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	// A segment the original lacks (a claim without HI) is missing from the
	// written file too: loop placement problems carry over, others may not.
	if e := valueErrors(f2.Errors); e != nil {
		t.Fatalf("reading the written file: %v\n%s", f2.Errors, out)
	}
	c1, c2 := allClaims837(f1), allClaims837(f2)
	if len(c1) != len(c2) {
		t.Fatalf("claims: %d read, %d after the round trip", len(c1), len(c2))
	}
	for i := range c1 {
		a, b := norm837(c1[i]), norm837(c2[i])
		if !reflect.DeepEqual(a, b) {
			ja, _ := json.MarshalIndent(a, "", " ")
			jb, _ := json.MarshalIndent(b, "", " ")
			t.Fatalf("claim %d (%s) differs after the round trip:\n%s\nbatch %+v\n  vs  %+v", i+1, a.PatientControlNumber,
				firstDiff837(string(ja), string(jb)), *a.Batch, *b.Batch)
		}
	}
}

// TestClaimRoundTrip reads every corpus and testdata file, writes it back
// and reads it again: the claims must be equal but for positions.
func TestClaimRoundTrip(t *testing.T) {
	files := append(corpus837Files(t), testdata837Files(t)...)
	others := []Delimiters{
		DefaultDelimiters,
		{Element: '|', Component: '>', Repetition: '!', Segment: '\n'},
		{Element: '~', Component: '^', Segment: '_'},
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data := read837(t, path)
			roundTrip837(t, data, nil)
			for _, d := range others {
				roundTrip837(t, data, &d)
			}
		})
	}
}

// TestWriteClaimsHierarchy checks the HL loops WriteClaims builds.
func TestWriteClaimsHierarchy(t *testing.T) {
	f, claims := painClaims837(t)
	out, err := write837(f, DefaultDelimiters)
	if err != nil {
		t.Fatal(err)
	}
	var hls []string
	r := NewReader(bytes.NewReader(out))
	for {
		s, err := r.Next()
		if s == nil {
			if err != io.EOF {
				t.Fatal(err)
			}
			break
		}
		if err != nil {
			t.Errorf("written file: %v", err)
		}
		if s.ID() == "HL" {
			hls = append(hls, string(s.Raw()))
		}
	}
	want := []string{"HL*1**20*1", "HL*2*1*22*0", "HL*3*1*22*1", "HL*4*3*23*0"}
	if !slices.Equal(hls, want) {
		t.Errorf("HL segments %q, want %q", hls, want)
	}

	// Claims with equal (not identical) loops share them; a subscriber claim
	// after its dependent's opens a new subscriber loop.
	c1, c2, c3 := claims["PM-1001"], claims["PM-1002"], claims["PM-1003"]
	self := *c3
	self.Patient = nil
	bp := *c1.BillingProvider
	c1copy := *c1
	c1copy.BillingProvider = &bp
	var buf bytes.Buffer
	w := NewWriter(&buf, DefaultDelimiters)
	if err := WriteClaims(w, f.Batches[0], []*Claim{c1, &c1copy, c2, &self}); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	got := strings.Count(buf.String(), "~HL*")
	if got != 5 { // 20, 22 (c1, copy), 22 (c2's subscriber, with child), 23, 22 again for self
		t.Errorf("HL segments: %d, want 5\n%s", got, buf.String())
	}

	for _, tc := range []struct {
		name   string
		batch  *ClaimBatch
		claims []*Claim
	}{
		{"no batch", nil, []*Claim{c1}},
		{"no claims", f.Batches[0], nil},
		{"nil claim", f.Batches[0], []*Claim{nil}},
		{"no billing provider", f.Batches[0], []*Claim{{Subscriber: c1.Subscriber}}},
		{"no subscriber", f.Batches[0], []*Claim{{BillingProvider: c1.BillingProvider}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := WriteClaims(NewWriter(io.Discard, DefaultDelimiters), tc.batch, tc.claims); err == nil {
				t.Error("no error")
			}
		})
	}
	bad := *c1
	bad.PatientControlNumber = "A~B"
	if err := WriteClaims(NewWriter(io.Discard, DefaultDelimiters), f.Batches[0], []*Claim{&bad}); err == nil {
		t.Error("value holding the segment terminator: no error")
	}
	bad = *c1
	bad.Diagnoses = []Diagnosis{{"ABK", "M54:16"}}
	if err := WriteClaims(NewWriter(io.Discard, DefaultDelimiters), f.Batches[0], []*Claim{&bad}); err == nil {
		t.Error("component holding the component separator: no error")
	}
}

// TestWriteClaimsBuilt writes a claim built in code (not read) and reads it back.
func TestWriteClaimsBuilt(t *testing.T) {
	batch := &ClaimBatch{Control: "42", Purpose: "00", Reference: "B1", Date: "2026-02-01", Time: "1200", ClaimType: "CH",
		Submitter: Name{Type: "2", Last: "BILLING CO", IDQualifier: "46", ID: "SUB1"},
		Receiver:  Name{Type: "2", Last: "PAYER GATEWAY", IDQualifier: "46", ID: "RCV1"}}
	c := &Claim{
		BillingProvider:      &BillingProvider{Provider: Provider{Name: Name{Type: "2", Last: "PAIN CLINIC"}, NPI: "1234567893", TIN: "861234567", Taxonomy: "208VP0014X"}},
		Subscriber:           &Subscriber{Coverage: Coverage{Responsibility: "P", Relationship: "18", FilingIndicator: "CI"}, Insured: Insured{EntityType: "1", LastName: "TEST", FirstName: "ONE", MemberIDQualifier: "MI", MemberID: "M1"}},
		Payer:                &Payer{Name: "PLAN", IDQualifier: "PI", PayerID: "P1"},
		PatientControlNumber: "BUILT-1", TotalCharge: amt837("1500"), PlaceOfService: "11", FacilityCodeQualifier: "B", FrequencyCode: "1",
		OnsetDate:          "2026-01-02",
		PriorAuthorization: "AUTH1",
		Diagnoses:          []Diagnosis{{"ABK", "M5416"}},
		Lines: []*ServiceLine{
			{Procedure: Procedure{Qualifier: "HC", Code: "64483", Modifiers: []string{"RT"}}, Charge: amt837("1200"), UnitBasis: "UN", Units: 1000,
				DiagnosisPointers: []int{1}, ServiceFrom: "2026-01-20", ServiceTo: "2026-01-20", LineControlNumber: "L1"},
			{Procedure: Procedure{Qualifier: "HC", Code: "20552"}, Charge: amt837("300"), UnitBasis: "UN", Units: 1000,
				DiagnosisPointers: []int{1}, ServiceFrom: "2026-01-20", ServiceTo: "2026-01-22", LineControlNumber: "L2"},
		},
	}
	var buf bytes.Buffer
	w := NewWriter(&buf, DefaultDelimiters)
	if err := WriteClaims(w, batch, []*Claim{c}); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	for _, seg := range []string{"NM1*85*2*PAIN CLINIC*****XX*1234567893~", "REF*EI*861234567~", "DTP*431*D8*20260102~",
		"REF*G1*AUTH1~", "SV1*HC:64483:RT*1200*UN*1***1~", "DTP*472*RD8*20260120-20260122~", "REF*6R*L2~", "SE*"} {
		if !strings.Contains(buf.String(), seg) {
			t.Errorf("output lacks %q:\n%s", seg, buf.String())
		}
	}
	f, err := ReadClaims(bytes.NewReader(buf.Bytes()))
	if err != nil || len(f.Errors) > 0 || len(allClaims837(f)) != 1 {
		t.Fatalf("reading back: %v %v\n%s", err, f.Errors, buf.String())
	}
	got := allClaims837(f)[0]
	if got.OnsetDate != c.OnsetDate || got.Lines[1].ServiceTo != "2026-01-22" || got.BillingProvider.NPI != "1234567893" ||
		got.Lines[0].Number != 1 || got.Lines[1].Number != 2 || got.TotalCharge != got.LineCharges() {
		t.Errorf("read back %+v", got)
	}
}

// segmentIndex837 maps segment numbers to their identifier and offset.
func segmentIndex837(data []byte) map[int]*Segment {
	m := map[int]*Segment{}
	r := NewReader(bytes.NewReader(data))
	for {
		s, err := r.Next()
		if s == nil {
			if err == io.EOF || errors.Is(err, ErrNoHeader) || !errors.Is(err, ErrTruncated) {
				return m
			}
			continue
		}
		m[s.Index] = &Segment{Index: s.Index, Offset: s.Offset, id: s.ID()}
	}
}

// phi837 are values of the test files that errors must never show.
var phi837 = []string{"TESTPATIENT", "TESTPARENT", "ALPHA", "XAA000000001", "XBB000000002", "PM-100", "AUTH-",
	"25O", "20251301", "20010332", "M5416", "M7918", "TESTYOUTH", "AN-200", "1:13"}

// checkErrors837 checks that errors point at real segments and show no values.
func checkErrors837(t *testing.T, data []byte, errs []*Error) {
	t.Helper()
	idx := segmentIndex837(data)
	for _, e := range errs {
		if e.Segment > 0 && e.ID != "" {
			s := idx[e.Segment]
			if s == nil || s.ID() != e.ID || s.Offset != e.Offset {
				t.Errorf("error %v does not point at its segment (found %+v)", e, s)
			}
		}
		for _, v := range phi837 {
			if strings.Contains(e.Error(), v) || strings.Contains(e.Message(), v) {
				t.Errorf("error %q shows the value %q", e.Error(), v)
			}
		}
	}
}

// TestClaimReaderErrors runs broken variants of the test files: each gives
// positioned errors, and the good claims around them are still returned.
func TestClaimReaderErrors(t *testing.T) {
	pain := string(read837(t, "testdata/837/pain-management.837"))
	pipes := string(read837(t, "testdata/837/pain-anesthesia-pipes.837"))
	all := []string{"PM-1001", "PM-1002", "PM-1003"}
	cut := func(after string) string {
		i := strings.Index(pain, after)
		if i < 0 {
			t.Fatalf("%q not in the test file", after)
		}
		return pain[:i+len(after)]
	}
	tests := []struct {
		name   string
		base   string
		edits  []string // old, new pairs (first occurrence)
		data   *string  // instead of base+edits
		errors []string // errorKey837 of each error, in order
		claims []string // patient control numbers returned
	}{
		{name: "clean", base: pain, claims: all},
		{name: "non-numeric SV102", base: pain, edits: []string{"SV1*HC:77003*250*", "SV1*HC:77003*25O*"},
			errors: []string{"SV1 2: invalid value"}, claims: []string{"PM-1002", "PM-1003"}},
		{name: "bad DTP date", base: pain, edits: []string{"DTP*472*RD8*20251201-20251215", "DTP*472*RD8*20251301-20251215"},
			errors: []string{"DTP 3: invalid value"}, claims: []string{"PM-1001", "PM-1002"}},
		{name: "reversed RD8 range", base: pain, edits: []string{"DTP*472*RD8*20251201-20251215", "DTP*472*RD8*20251215-20251201"},
			errors: []string{"DTP 3: invalid value"}, claims: []string{"PM-1001", "PM-1002"}},
		{name: "CLM without CLM01", base: pain, edits: []string{"CLM*PM-1002*", "CLM**"},
			errors: []string{"CLM 1: required value missing"}, claims: []string{"PM-1001", "PM-1003"}},
		{name: "two errors in one claim", base: pain,
			edits:  []string{"SV1*HC:77003*250*", "SV1*HC:77003*25O*", "DTP*472*D8*20260102~\nREF*6R*PM1001-3", "DTP*472*D8*20251301~\nREF*6R*PM1001-3"},
			errors: []string{"SV1 2: invalid value", "DTP 3: invalid value"}, claims: []string{"PM-1002", "PM-1003"}},
		{name: "missing procedure code", base: pain, edits: []string{"SV1*HC:77003*", "SV1*HC*"},
			errors: []string{"SV1 1-2: required value missing"}, claims: []string{"PM-1002", "PM-1003"}},
		{name: "bad diagnosis pointer", base: pain, edits: []string{"SV1*HC:77003*250*UN*1***1", "SV1*HC:77003*250*UN*1***1:13"},
			errors: []string{"SV1 7-2: invalid value"}, claims: []string{"PM-1002", "PM-1003"}},
		{name: "non-numeric LX", base: pain, edits: []string{"LX*2~\nSV1*HC:77003", "LX*B~\nSV1*HC:77003"},
			errors: []string{"LX 1: invalid value"}, claims: []string{"PM-1002", "PM-1003"}},
		{name: "line without SV1", base: pain, edits: []string{"SV1*HC:77003*250*UN*1***1", "NTE*ADD*NO SV1"},
			errors: []string{"LX 0: required value missing"}, claims: []string{"PM-1002", "PM-1003"}},
		{name: "HI code without qualifier", base: pain, edits: []string{"HI*ABK:M7918", "HI*M7918"},
			errors: []string{"HI 1: invalid value"}, claims: []string{"PM-1001", "PM-1002"}},
		{name: "bad AMT", base: pain, edits: []string{"AMT*D*1000", "AMT*D*1,000"},
			errors: []string{"AMT 2: invalid value"}, claims: []string{"PM-1001", "PM-1003"}},
		{name: "claim without lines", base: pipes,
			edits:  []string{"LX|1\nSV1|HC>20553|520|UN|1|11||1>2||||Y|Y", "NTE|ADD|X\nNTE|ADD|Y"},
			errors: []string{"CLM 0: required value missing"}, claims: []string{"AN-2001"}},
		{name: "truncated inside a claim", data: ptr837(cut("REF*6R*PM1002-2~\n")),
			errors: []string{" 0: data ends early", "CLM 0: data ends early"}, claims: []string{"PM-1001"}},
		{name: "truncated inside a segment", data: ptr837(cut("SV1*HC:2055")),
			errors: []string{" 0: data ends early", "CLM 0: data ends early"}, claims: []string{"PM-1001", "PM-1002"}},
		{name: "CLM before any HL", base: pain, edits: []string{"HL*1**20*1", "CLM*X-0*1"},
			errors: []string{"CLM 0: unexpected segment"}},
		{name: "subscriber HL before billing HL", base: pain, edits: []string{"HL*1**20*1", "HL*1**22*1"},
			errors: []string{"HL 0: unexpected segment"}},
		{name: "CLM under a billing provider only", base: pain, edits: []string{"HL*2*1*22*0", "NTE*ADD*NO HL"},
			errors: []string{"CLM 0: unexpected segment"}},
		{name: "bad set skipped, next set read", base: pipes,
			edits:  []string{"NM1|40|2|EXAMPLE CLEARINGHOUSE|||||46|CLEARHOUSE01", "CLM|AN-2000|1"},
			errors: []string{"CLM 0: unexpected segment"}, claims: []string{"AN-2002"}},
		{name: "unknown HL level skips its subtree", base: pain, edits: []string{"HL*3*1*22*1", "HL*3*1*99*1"},
			errors: []string{"HL 3: invalid value"}, claims: []string{"PM-1001"}},
		{name: "bad birth date keeps the claims", base: pain, edits: []string{"DMG*D8*20010322*M", "DMG*D8*20010332*M"},
			errors: []string{"DMG 2: invalid value"}, claims: all},
		{name: "SE count", base: pain, edits: []string{"SE*126*0001", "SE*127*0001"},
			errors: []string{"SE 1: count mismatch"}, claims: all},
		{name: "SE missing", base: pain, edits: []string{"SE*126*0001~\n", ""},
			errors: []string{"GE 0: envelope segment out of place", " 0: data ends early"}, claims: all},
		// Segments of the 837P that are not modelled are skipped silently;
		// a segment no guide knows is reported, and skipped.
		{name: "unknown segments are skipped", base: pain,
			edits:  []string{"NTE*ADD*TWO SESSIONS", "ZZZ*ANY*THING", "REF*EA*MRN-0001", "K3*FREE FORM", "AMT*F5*50", "PWK*OZ*BM"},
			errors: []string{"ZZZ 0: unexpected segment"}, claims: all},
		{name: "CAS without SVD", base: pain, edits: []string{"REF*6R*PM1001-2", "CAS*CO*45*10"},
			errors: []string{"CAS 0: unexpected segment"}, claims: all},
		{name: "N3 in a claim outside a provider loop", base: pain, edits: []string{"NTE*ADD*LUMBAR RADICULOPATHY RIGHT L5", "N3*SOMEWHERE"},
			errors: []string{"N3 0: unexpected segment"}, claims: all},
		{name: "subscriber NM1 in a claim", base: pain, edits: []string{"REF*EA*MRN-0001", "NM1*IL*1*TESTPATIENT"},
			errors: []string{"NM1 1: unexpected segment"}, claims: all},
		{name: "not an 837", base: pain, edits: []string{"ST*837*0001", "ST*835*0001"},
			errors: []string{"ST 1: unexpected segment"}},
		{name: "empty input", data: ptr837(""), errors: []string{" 0: data does not start with an ISA or ST segment"}},
		{name: "garbage", data: ptr837("hello, world"), errors: []string{" 0: data does not start with an ISA or ST segment"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := tc.base
			if tc.data != nil {
				data = *tc.data
			}
			for i := 0; i+1 < len(tc.edits); i += 2 {
				if !strings.Contains(data, tc.edits[i]) {
					t.Fatalf("%q not in the test file", tc.edits[i])
				}
				data = strings.Replace(data, tc.edits[i], tc.edits[i+1], 1)
			}
			// Stream with ClaimReader: errors and claims in file order.
			r := NewClaimReader(strings.NewReader(data))
			var gotErrs []string
			var errs []*Error
			var pcns []string
			for range 1000 {
				c, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					var xe *Error
					if !errors.As(err, &xe) {
						t.Fatalf("error of type %T: %v", err, err)
					}
					errs = append(errs, xe)
					gotErrs = append(gotErrs, errorKey837(xe))
					continue
				}
				pcns = append(pcns, c.PatientControlNumber)
			}
			if !slices.Equal(gotErrs, tc.errors) {
				t.Errorf("errors:\n got %q\nwant %q\n%v", gotErrs, tc.errors, errs)
			}
			if !slices.Equal(pcns, tc.claims) {
				t.Errorf("claims %q, want %q", pcns, tc.claims)
			}
			checkErrors837(t, []byte(data), errs)
			// ReadClaims agrees.
			f, err := ReadClaims(strings.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Errors) != len(errs) || len(allClaims837(f)) != len(pcns) {
				t.Errorf("ReadClaims: %d errors %d claims, Next gave %d and %d", len(f.Errors), len(allClaims837(f)), len(errs), len(pcns))
			}
		})
	}
}

func ptr837(s string) *string { return &s }

// TestClaimReaderPrefixes reads every prefix of the test files: no panic,
// and every claim returned equals the claim read from the whole file.
func TestClaimReaderPrefixes(t *testing.T) {
	for _, path := range testdata837Files(t) {
		data := read837(t, path)
		full, err := ReadClaims(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]*Claim{}
		for _, c := range allClaims837(full) {
			want[c.PatientControlNumber] = norm837(c)
		}
		for n := range len(data) {
			f, err := ReadClaims(bytes.NewReader(data[:n]))
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range allClaims837(f) {
				if w := want[c.PatientControlNumber]; w == nil || !reflect.DeepEqual(norm837(c), w) {
					t.Fatalf("%s cut at %d: claim %s differs from the whole file's", path, n, c.PatientControlNumber)
				}
			}
			for _, e := range f.Errors {
				if e.Segment == 0 && !errors.Is(e, ErrNoHeader) && !errors.Is(e, ErrTruncated) {
					t.Fatalf("%s cut at %d: error without position: %v", path, n, e)
				}
			}
		}
	}
}

// TestClaimJSON checks that a ClaimFile marshals (no cycle through
// Claim.Batch) with snake_case names.
func TestClaimJSON(t *testing.T) {
	f, _ := painClaims837(t)
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if strings.ToLower(k) != k || strings.Contains(k, " ") {
					t.Errorf("JSON name %q is not snake_case", k)
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	for _, key := range []string{`"patient_control_number":"PM-1001"`, `"total_charge":"1850.00"`, `"line_control_number":"PM1001-1"`,
		`"modifiers":["RT"]`, `"npi":"1234567893"`, `"service_from":"2025-12-01","service_to":"2025-12-15"`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("JSON lacks %s", key)
		}
	}
}

// FuzzClaimReader reads arbitrary input: it must not panic, errors must be
// *Error values, and every claim returned must write and read back equal.
func FuzzClaimReader(f *testing.F) {
	_, ext := externalFiles(f)
	for _, path := range append(append(corpus837Files(f), testdata837Files(f)...), ext...) {
		f.Add(read837(f, path))
	}
	pain := string(read837(f, "testdata/837/pain-management.837"))
	for _, e := range [][2]string{{"SV1*HC:77003*250*", "SV1*HC:77003*25O*"}, {"HL*1**20*1", "CLM*X*1"},
		{"HI*ABK:M7918", "HI*ABK*M7918"}, {"LX*2~", "LX*~"}} {
		f.Add([]byte(strings.Replace(pain, e[0], e[1], 1)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewClaimReader(bytes.NewReader(data))
		for range 100000 {
			c, err := r.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				var xe *Error
				if !errors.As(err, &xe) {
					t.Fatalf("error of type %T: %v", err, err)
				}
				_ = xe.Error()
				continue
			}
			check837RoundTrip(t, c, r.Reader().Delimiters())
		}
		t.Fatal("Next did not reach io.EOF")
	})
}

// check837RoundTrip writes one claim alone and reads it back.
func check837RoundTrip(t *testing.T, c *Claim, d Delimiters) {
	t.Helper()
	batch := *c.Batch
	batch.Claims = []*Claim{c}
	out, err := write837(&ClaimFile{Batches: []*ClaimBatch{&batch}}, d)
	if err != nil {
		if errors.Is(err, errDelimInValue) {
			return // a later ISA changed the component separator
		}
		t.Fatalf("write: %v", err)
	}
	f, err := ReadClaims(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	got := allClaims837(f)
	if valueErrors(f.Errors) != nil || len(got) != 1 {
		t.Fatalf("reading the written claim: %d claims, errors %v\n%q", len(got), f.Errors, out)
	}
	a, b := norm837(c), norm837(got[0])
	if !reflect.DeepEqual(a, b) {
		ja, _ := json.MarshalIndent(a, "", " ")
		jb, _ := json.MarshalIndent(b, "", " ")
		t.Fatalf("claim differs after the round trip:\n%s\nbatch %+v\n  vs  %+v\n%q", firstDiff837(string(ja), string(jb)),
			*a.Batch, *b.Batch, out)
	}
}

func BenchmarkClaimReader(b *testing.B) {
	data := read837(b, filepath.Join(committedCorpus, "837p", "imsweb-x12_many_claims.837"))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r := NewClaimReader(bytes.NewReader(data))
		n := 0
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			n++
		}
		if n != 821 { // 820 claims and the SE01 error
			b.Fatalf("%d results", n)
		}
	}
}

func BenchmarkWriteClaims(b *testing.B) {
	f, err := ReadClaims(bytes.NewReader(read837(b, filepath.Join(committedCorpus, "837p", "imsweb-x12_many_claims.837"))))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		w := NewWriter(io.Discard, DefaultDelimiters)
		if err := WriteClaims(w, f.Batches[0], f.Batches[0].Claims); err != nil {
			b.Fatal(err)
		}
		w.Flush()
	}
}
