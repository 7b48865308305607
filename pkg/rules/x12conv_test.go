package rules

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/x12"
)

var update = flag.Bool("update", false, "rewrite the testdata files and golden outputs")

// The testdata scenario: two practices of one covered entity (TIN
// 111111111) and one outside it; four patients (fictitious).
var (
	practiceA = &x12.BillingProvider{Provider: x12.Provider{Name: x12.Name{Entity: "85", Type: "2", Last: "EXAMPLE PAIN CLINIC A", IDQualifier: "XX", ID: "1234567893"},
		NPI: "1234567893", TIN: "111111111"}}
	practiceB = &x12.BillingProvider{Provider: x12.Provider{Name: x12.Name{Entity: "85", Type: "2", Last: "EXAMPLE PAIN CLINIC B", IDQualifier: "XX", ID: "1987654321"},
		NPI: "1987654321", TIN: "111111111"}}
	practiceC = &x12.BillingProvider{Provider: x12.Provider{Name: x12.Name{Entity: "85", Type: "2", Last: "UNRELATED SPINE CENTER", IDQualifier: "XX", ID: "1555555555"},
		NPI: "1555555555", TIN: "999999999"}}
	payer = &x12.Payer{Name: "EXAMPLE PLAN", IDQualifier: "PI", PayerID: "PAYER1"}
)

func subscriber(last, first, member, dob string) *x12.Subscriber {
	return &x12.Subscriber{Coverage: x12.Coverage{Responsibility: "P", Relationship: "18", FilingIndicator: "CI"},
		Insured: x12.Insured{EntityType: "1", LastName: last, FirstName: first, MemberIDQualifier: "MI", MemberID: member,
			BirthDate: x12.Date(dob), Gender: "F"}}
}

var (
	jane = subscriber("DOE", "JANE", "M000001", "1960-02-03")
	// The same patient as another practice typed her.
	janeAtB = subscriber("Doe", "Jane", "m-000001", "1960-02-03")
	john    = subscriber("ROE", "JOHN", "M000002", "1955-11-30")
	mary    = subscriber("POE", "MARY", "M000003", "1970-07-14")
)

type sl struct {
	code  string
	mods  []string
	units int
	date  string
	auth  string
	note  string
}

func claim837(bp *x12.BillingProvider, sub *x12.Subscriber, id, pos, auth string, lines ...sl) *x12.Claim {
	c := &x12.Claim{BillingProvider: bp, Subscriber: sub, Payer: payer, PatientControlNumber: id, PlaceOfService: pos,
		FacilityCodeQualifier: "B", FrequencyCode: "1", ProviderSignature: "Y", Assignment: "A", BenefitsAssignment: "Y",
		ReleaseOfInformation: "Y", PriorAuthorization: auth, Diagnoses: []x12.Diagnosis{{Qualifier: "ABK", Code: "M47816"}}}
	for i, l := range lines {
		u := l.units
		if u == 0 {
			u = 1
		}
		s := &x12.ServiceLine{Number: i + 1, Procedure: x12.Procedure{Qualifier: "HC", Code: l.code, Modifiers: l.mods},
			Charge: money.Amount(50000), UnitBasis: "UN", Units: x12.Quantity(u * 1000), DiagnosisPointers: []int{1},
			ServiceFrom: x12.Date(l.date), ServiceTo: x12.Date(l.date), LineControlNumber: id + "-" + itoa(i+1),
			PriorAuthorization: l.auth}
		if l.note != "" {
			s.Notes = []x12.Note{{Code: "ADD", Text: l.note}}
		}
		c.Lines = append(c.Lines, s)
		c.TotalCharge += s.Charge
	}
	return c
}

func historyClaims() []*x12.Claim {
	return []*x12.Claim{
		claim837(practiceA, jane, "H-100", "11", "AUTH-J0", sl{code: "64635", date: "2026-01-10"}),
		claim837(practiceB, janeAtB, "H-200", "11", "AUTH-J1", sl{code: "64635", date: "2026-06-02"}, sl{code: "64636", date: "2026-06-02"}),
		claim837(practiceA, john, "H-300", "11", "AUTH-R0", sl{code: "64493", mods: []string{"KX"}, date: "2026-03-01", note: "MBB L4-5"}),
		claim837(practiceA, john, "H-301", "11", "AUTH-R0", sl{code: "64493", mods: []string{"KX"}, date: "2026-03-20", note: "MBB L4-5"}),
		// Outside the covered entity: never counted for Mary at practice A.
		claim837(practiceC, mary, "X-1", "11", "AUTH-C", sl{code: "64483", date: "2026-02-01"}, sl{code: "64483", date: "2026-04-01"}),
	}
}

func checkClaims() []*x12.Claim {
	return []*x12.Claim{
		// Third lumbar RFA in 12 months, the second at practice B.
		claim837(practiceA, jane, "PM-1", "11", "AUTH-J2", sl{code: "64635", date: "2026-07-01"}, sl{code: "64636", date: "2026-07-01"}),
		// RFA after two diagnostic blocks 19 days apart at the same level: clean.
		claim837(practiceA, john, "PM-2", "11", "AUTH-R1", sl{code: "64635", date: "2026-07-01", note: "RFA L4-L5"}),
		// Guidance with an injection that includes it, E/M without 25, 50 on a
		// trigger point (20552 also bundles 64483 in NCCI), no auth number.
		claim837(practiceA, mary, "PM-3", "11", "", sl{code: "99213", date: "2026-07-02"}, sl{code: "64483", date: "2026-07-02"},
			sl{code: "77003", date: "2026-07-02"}, sl{code: "20552", mods: []string{"50"}, date: "2026-07-02"}),
		// Clean: E/M with 25, one presumptive and one definitive drug test.
		claim837(practiceA, mary, "PM-4", "11", "", sl{code: "99214", mods: []string{"25"}, date: "2026-07-09"},
			sl{code: "80307", date: "2026-07-09"}, sl{code: "G0481", date: "2026-07-09"}),
		// ASC: bilateral facet with 50 and an add-on with 50; auth expired.
		claim837(practiceA, john, "PM-5", "24", "AUTH-R2", sl{code: "64490", mods: []string{"50"}, date: "2026-08-04"},
			sl{code: "64491", mods: []string{"50"}, date: "2026-08-04"}),
	}
}

const authsCSV = `auth_number,payer_id,member_id,birth_date,last_name,first_name,cpt_codes,provider_npi,valid_from,valid_to,units
AUTH-J2,PAYER1,M000001,1960-02-03,DOE,JANE,64635,,2026-06-15,2026-09-15,
AUTH-R1,PAYER1,M000002,1955-11-30,ROE,JOHN,64635,,2026-06-15,2026-09-15,
AUTH-R2,PAYER1,M000002,1955-11-30,ROE,JOHN,64490,,2026-06-15,2026-07-31,
`

func write837(t *testing.T, claims []*x12.Claim) []byte {
	t.Helper()
	var b bytes.Buffer
	w := x12.NewWriter(&b, x12.Delimiters{Element: '*', Component: ':', Repetition: '^', Segment: '~'})
	w.LineBreak = true
	date := time.Date(2026, 7, 10, 9, 30, 0, 0, time.UTC)
	batch := &x12.ClaimBatch{Control: "0001", Purpose: "00", Reference: "B1", Date: "2026-07-10", Time: "0930", ClaimType: "CH",
		Submitter: x12.Name{Entity: "41", Type: "2", Last: "EXAMPLE BILLING", IDQualifier: "46", ID: "SUB1"},
		Receiver:  x12.Name{Entity: "40", Type: "2", Last: "EXAMPLE CLEARINGHOUSE", IDQualifier: "46", ID: "RCV1"}}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.BeginInterchange(x12.Interchange{SenderID: "EXAMPLEBILLING", ReceiverID: "CLEARINGHOUSE", Date: date, Control: 1}))
	must(w.BeginGroup("HC", "SUB1", "RCV1", date, 1, x12.DefaultClaimImplementation))
	must(x12.WriteClaims(w, batch, claims))
	must(w.EndGroup())
	must(w.EndInterchange())
	must(w.Flush())
	return b.Bytes()
}

// golden compares data with a testdata file, or rewrites it with -update.
func golden(t *testing.T, name string, data []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if !bytes.Equal(want, data) {
		t.Errorf("%s differs from what the test produces (run go test -update and review the diff):\n%s", path, data)
	}
}

func readClaimFile(t *testing.T, name string) *x12.ClaimFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	f, err := x12.ReadClaims(bytes.NewReader(b))
	if err != nil || len(f.Errors) > 0 {
		t.Fatalf("%s: %v %v", name, err, f.Errors)
	}
	return f
}

// TestCheckX12 is what `remitq check testdata/check_claims.837 --history
// testdata/check_history.837 --auths testdata/check_auths.csv` prints: one
// JSON object per risk, in testdata/check.golden.jsonl.
func TestCheckX12(t *testing.T) {
	golden(t, "check_claims.837", write837(t, checkClaims()))
	golden(t, "check_history.837", write837(t, historyClaims()))
	golden(t, "check_auths.csv", []byte(authsCSV))

	k, _ := NewKeyer([]byte("a per-run secret of the offline check"))
	auths, err := ReadAuths(strings.NewReader(authsCSV), k)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := Default().CheckX12(readClaimFile(t, "check_claims.837"), []*x12.ClaimFile{readClaimFile(t, "check_history.837")},
		k, &Records{Auths: auths, Sharing: &Sharing{SameTIN: true}})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	for _, f := range fs {
		if err := enc.Encode(f); err != nil {
			t.Fatal(err)
		}
	}
	golden(t, "check.golden.jsonl", out.Bytes())

	// The findings the scenario plants, and nothing on the clean claims.
	var g []string
	for _, f := range fs {
		g = append(g, f.Claim+":"+f.Rule+"@"+itoa(f.Line))
	}
	want := []string{
		"PM-1:frequency_cap@1",
		"PM-3:em_without_25@1", "PM-3:ncci_pair@2", "PM-3:prior_auth_missing@2", "PM-3:imaging_bundled@3", "PM-3:modifier_50_not_bilateral@4",
		// PM-5 is the physician's claim at POS 24 (not an ASC taxonomy) with
		// 64490-50 and 64491-50: 50 x1 is right there (issue 16), so no
		// asc_bilateral and no modifier_50_addon.
		"PM-5:prior_auth_expired@1", "PM-5:prior_auth_expired@2",
	}
	if !slices.Equal(g, want) {
		t.Errorf("findings\n%s\nwant\n%s", strings.Join(g, "\n"), strings.Join(want, "\n"))
	}
	for _, f := range fs {
		for _, phi := range []string{"DOE", "JANE", "ROE", "POE", "M00000", "1960", "1955", "1970-07"} {
			if strings.Contains(f.Message, phi) {
				t.Errorf("message %q holds %q", f.Message, phi)
			}
		}
	}
	if f := fs[0]; !strings.Contains(f.Message, "third lumbar/sacral RFA session in 12 months, over the cap of 2 (2026-01-10, 2026-06-02 at another practice)") {
		t.Errorf("PM-1 message %q", f.Message)
	}
}

func TestFromX12(t *testing.T) {
	k, _ := NewKeyer([]byte("0123456789abcdef"))
	c := claim837(practiceA, jane, "PM-9", "11", "AUTH-C", sl{code: "64635", mods: []string{"lt"}, date: "2026-07-01", note: "RFA L4-5"},
		sl{code: "64636", units: 2, date: "2026-07-01", auth: "AUTH-L"})
	c.Lines[1].PlaceOfService = "24"
	c.Lines[1].Rendering = &x12.Provider{Name: x12.Name{Entity: "82"}, NPI: "1222222222"}
	c.Lines[1].Adjudications = []*x12.LineAdjudication{{PayerID: "P0", Paid: 0}}
	got, err := FromX12(c, k)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := k.Key(Person{MemberID: "M000001", BirthDate: "1960-02-03", LastName: "Doe", FirstName: "Jane"})
	l1, l2 := got.Lines[0], got.Lines[1]
	if got.ID != "PM-9" || l1.Patient != key || l1.Practice != "1234567893" || l1.TIN != "111111111" || l1.Payer != "PAYER1" ||
		l1.Date != day.Must("2026-07-01") || l1.Procedure != "64635" || !slices.Equal(l1.Modifiers, []string{"LT"}) ||
		l1.Units != 1000 || l1.POS != "11" || l1.Auth != "AUTH-C" || l1.Level != "L4-L5" || l1.Rendering != "1234567893" ||
		!slices.Equal(l1.Diagnoses, []string{"M47816"}) || l1.Status != Billed {
		t.Errorf("line 1 = %+v", l1)
	}
	if l2.Units != 2000 || l2.POS != "24" || l2.Auth != "AUTH-L" || l2.Rendering != "1222222222" || l2.Status != Denied || l2.Level != "" {
		t.Errorf("line 2 = %+v", l2)
	}
	// A dependent: the subscriber's member ID with the patient's name and birth date.
	dep := claim837(practiceA, jane, "PM-10", "11", "", sl{code: "99213", date: "2026-07-01"})
	dep.Patient = &x12.Patient{Relationship: "19", LastName: "DOE", FirstName: "JIM", BirthDate: "2010-05-05"}
	d, err := FromX12(dep, k)
	depKey, _ := k.Key(Person{MemberID: "M000001", BirthDate: "2010-05-05", LastName: "DOE", FirstName: "JIM"})
	if err != nil || d.Lines[0].Patient != depKey {
		t.Errorf("dependent key: %v", err)
	}
	// No birth date: an error naming the claim, not the patient.
	nodob := claim837(practiceA, subscriber("SMITHSON", "ANN", "W9", ""), "PM-11", "11", "", sl{code: "99213", date: "2026-07-01"})
	if _, err := FromX12(nodob, k); err == nil || !strings.Contains(err.Error(), "PM-11") || strings.Contains(err.Error(), "SMITHSON") {
		t.Errorf("error %v", err)
	}
	// Replacement and void in one file.
	orig := claim837(practiceA, jane, "PM-12", "11", "", sl{code: "64483", date: "2026-07-01"})
	repl := claim837(practiceA, jane, "PM-12", "11", "", sl{code: "64483", date: "2026-07-02"})
	repl.FrequencyCode = "7"
	gone := claim837(practiceA, jane, "PM-13", "11", "", sl{code: "64483", date: "2026-07-01"})
	void := claim837(practiceA, jane, "PM-13", "11", "", sl{code: "64483", date: "2026-07-01"})
	void.FrequencyCode = "8"
	f := &x12.ClaimFile{Batches: []*x12.ClaimBatch{{Claims: []*x12.Claim{orig, gone, repl, nodob, void}}}}
	cs, err := FromX12File(f, k)
	if err == nil || len(cs) != 1 || cs[0].ID != "PM-12" || cs[0].Lines[0].Date != day.Must("2026-07-02") {
		t.Errorf("FromX12File = %d claims, %v", len(cs), err)
	}
}
