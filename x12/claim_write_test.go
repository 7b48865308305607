package x12

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// closingBatch is the 837 header of the closing-the-loop tests.
func closingBatch() *ClaimBatch {
	return &ClaimBatch{Control: "0001", Implementation: DefaultClaimImplementation, Purpose: "00", Reference: "CL1",
		Date: "2026-03-02", Time: "0915", ClaimType: "CH",
		Submitter: Name{Entity: "41", Type: "2", Last: "PAIN BILLING CO", IDQualifier: "46", ID: "SUB1"},
		Receiver:  Name{Entity: "40", Type: "2", Last: "CLEARINGHOUSE", IDQualifier: "46", ID: "RCV1"}}
}

// closingClaim is a two-line pain-management claim in the form ClaimReader
// returns it (every DTP also in Dates, D8 ranges with To = From).
func closingClaim(pcn, freq string) *Claim {
	dy := Date("2026-02-20")
	line := func(n int, code string, mods []string, charge string, lcn string) *ServiceLine {
		return &ServiceLine{Number: n, Procedure: Procedure{Qualifier: "HC", Code: code, Modifiers: mods},
			Charge: amt837(charge), UnitBasis: "UN", Units: 1000, DiagnosisPointers: []int{1},
			ServiceFrom: dy, ServiceTo: dy, Dates: []ClaimDate{{Qualifier: "472", From: dy, To: dy}},
			LineControlNumber: lcn}
	}
	return &Claim{
		BillingProvider: &BillingProvider{Provider: Provider{Name: Name{Entity: "85", Type: "2", Last: "SPINE AND PAIN CENTER",
			IDQualifier: "XX", ID: "1234567893"}, NPI: "1234567893", TIN: "861234567", Taxonomy: "208VP0014X",
			Address: &Address{Lines: []string{"100 MAIN ST"}, City: "AUSTIN", State: "TX", PostalCode: "787010000"}}},
		Subscriber: &Subscriber{Coverage: Coverage{Responsibility: "P", Relationship: "18", GroupNumber: "GRP1", FilingIndicator: "CI"},
			Insured: Insured{EntityType: "1", LastName: "TESTSUB", FirstName: "ONE", MemberIDQualifier: "MI", MemberID: "MEM0001",
				BirthDate: "1970-01-01", Gender: "F"}},
		Payer:                &Payer{Name: "FIRST PLAN", IDQualifier: "PI", PayerID: "PAYER1"},
		PatientControlNumber: pcn, TotalCharge: amt837("1500"), PlaceOfService: "11", FacilityCodeQualifier: "B", FrequencyCode: freq,
		ProviderSignature: "Y", Assignment: "A", BenefitsAssignment: "Y", ReleaseOfInformation: "Y",
		Diagnoses: []Diagnosis{{Qualifier: "ABK", Code: "M5416"}},
		Lines: []*ServiceLine{
			line(1, "64483", []string{"RT"}, "1200", pcn+"-L1"),
			line(2, "20552", nil, "300", pcn+"-L2"),
		},
	}
}

// secondaryClaim is closingClaim billed to a second payer after the first
// paid: SBR*S, loop 2320 with 2330A/B, and 2430 for each line.
func secondaryClaim() *Claim {
	c := closingClaim("SEC-1", "1")
	c.Subscriber.Responsibility = "S"
	c.Payer = &Payer{Name: "SECOND PLAN", IDQualifier: "PI", PayerID: "PAYER2"}
	c.OtherSubscribers = []*OtherSubscriber{{
		Coverage: Coverage{Responsibility: "P", Relationship: "18", GroupNumber: "GRP1", FilingIndicator: "CI"},
		Adjustments: []Adjustment{
			{Group: "CO", Reason: "45", Amount: amt837("300")},
			{Group: "PR", Reason: "2", Amount: amt837("120")},
			{Group: "PR", Reason: "3", Amount: amt837("30")},
		},
		PayerPaid:                 amtp837("1050"),
		RemainingPatientLiability: amtp837("150"),
		BenefitsAssignment:        "Y", PatientSignatureSource: "P", ReleaseOfInformation: "Y",
		Outpatient: &Outpatient{Remarks: []string{"MA01", "N130"}},
		Insured: &Insured{EntityType: "1", LastName: "TESTSUB", FirstName: "ONE", MemberIDQualifier: "MI", MemberID: "OTHER0001",
			Address: &Address{Lines: []string{"1 ELM ST"}, City: "AUSTIN", State: "TX", PostalCode: "78701"}},
		Payer: &Payer{Name: "FIRST PLAN", IDQualifier: "PI", PayerID: "PAYER1",
			Refs: []Ref{{Qualifier: "F8", Value: "FIRSTPLAN-CCN-77"}}},
		AdjudicationDate: "2026-03-01",
	}}
	c.Lines[0].Adjudications = []*LineAdjudication{{PayerID: "PAYER1", Paid: amt837("840"),
		Procedure: Procedure{Qualifier: "HC", Code: "64483", Modifiers: []string{"RT"}}, PaidUnits: 1000,
		Adjustments:      []Adjustment{{Group: "CO", Reason: "45", Amount: amt837("240")}, {Group: "PR", Reason: "2", Amount: amt837("120")}},
		AdjudicationDate: "2026-03-01", RemainingPatientLiability: amtp837("120")}}
	c.Lines[1].Adjudications = []*LineAdjudication{{PayerID: "PAYER1", Paid: amt837("210"),
		Procedure: Procedure{Qualifier: "HC", Code: "20552"}, PaidUnits: 1000,
		Adjustments:      []Adjustment{{Group: "CO", Reason: "45", Amount: amt837("60")}, {Group: "PR", Reason: "3", Amount: amt837("30")}},
		AdjudicationDate: "2026-03-01", RemainingPatientLiability: amtp837("30")}}
	return c
}

// writeClosing writes claims as a whole interchange.
func writeClosing(t *testing.T, claims ...*Claim) []byte {
	t.Helper()
	b := closingBatch()
	b.Claims = claims
	out, err := write837(&ClaimFile{Batches: []*ClaimBatch{b}}, DefaultDelimiters)
	if err != nil {
		t.Fatalf("write: %v", err)
	}
	return out
}

// TestWriteClaimsClosingTheLoop writes a primary claim, a replacement (7),
// a void (8) and a secondary claim with 2320/2330/2430, reads each back with
// no errors and compares it with what was written, field by field.
func TestWriteClaimsClosingTheLoop(t *testing.T) {
	repl := closingClaim("REPL-1", "7")
	repl.PayerClaimControlNumber = "PAYERCCN-0001"
	void := closingClaim("VOID-1", "8")
	void.PayerClaimControlNumber = "PAYERCCN-0002"
	for _, tc := range []struct {
		name  string
		claim *Claim
		segs  []string
	}{
		{"primary", closingClaim("PRIM-1", "1"), []string{"CLM*PRIM-1*1500***11:B:1*", "REF*6R*PRIM-1-L1~"}},
		{"replacement", repl, []string{"CLM*REPL-1*1500***11:B:7*", "REF*F8*PAYERCCN-0001~", "REF*6R*REPL-1-L2~"}},
		{"void", void, []string{"CLM*VOID-1*1500***11:B:8*", "REF*F8*PAYERCCN-0002~"}},
		{"secondary", secondaryClaim(), []string{"SBR*S*18*GRP1", "SBR*P*18*GRP1******CI~", "CAS*PR*2*120**3*30~",
			"AMT*D*1050~", "AMT*EAF*150~", "OI***Y*P**Y~", "MOA***MA01*N130~", "NM1*IL*1*TESTSUB*ONE****MI*OTHER0001~",
			"NM1*PR*2*FIRST PLAN*****PI*PAYER1~", "DTP*573*D8*20260301~", "REF*F8*FIRSTPLAN-CCN-77~",
			"SVD*PAYER1*840*HC:64483:RT**1~", "CAS*CO*45*240~"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := writeClosing(t, tc.claim)
			for _, s := range tc.segs {
				if !bytes.Contains(out, []byte(s)) {
					t.Errorf("output lacks %q:\n%s", s, out)
				}
			}
			f, err := ReadClaims(bytes.NewReader(out))
			if err != nil || len(f.Errors) > 0 {
				t.Fatalf("reading back: %v %v\n%s", err, f.Errors, out)
			}
			got := allClaims837(f)
			if len(got) != 1 {
				t.Fatalf("%d claims read back, want 1", len(got))
			}
			g, w := norm837(got[0]), norm837(tc.claim)
			g.Batch, w.Batch = nil, nil
			if !reflect.DeepEqual(g, w) {
				jg, _ := json.MarshalIndent(g, "", " ")
				jw, _ := json.MarshalIndent(w, "", " ")
				t.Errorf("read back differs from what was written:\n%s", firstDiff837(string(jw), string(jg)))
			}
			checkWritten837(t, tc.name, out)
		})
	}
}

// TestWriteClaimsClosingTheLoopBatch writes the four claims in one
// transaction set: they share the billing provider loop and split where
// subscriber or payer differ.
func TestWriteClaimsClosingTheLoopBatch(t *testing.T) {
	repl := closingClaim("REPL-1", "7")
	repl.PayerClaimControlNumber = "PAYERCCN-0001"
	claims := []*Claim{closingClaim("PRIM-1", "1"), repl, secondaryClaim()}
	out := writeClosing(t, claims...)
	f, err := ReadClaims(bytes.NewReader(out))
	if err != nil || len(f.Errors) > 0 {
		t.Fatalf("reading back: %v %v", err, f.Errors)
	}
	got := allClaims837(f)
	if len(got) != len(claims) {
		t.Fatalf("%d claims read back, want %d", len(got), len(claims))
	}
	for i, c := range claims {
		t.Run(c.PatientControlNumber, func(t *testing.T) {
			g, w := norm837(got[i]), norm837(c)
			g.Batch, w.Batch = nil, nil
			if !reflect.DeepEqual(g, w) {
				jg, _ := json.MarshalIndent(g, "", " ")
				jw, _ := json.MarshalIndent(w, "", " ")
				t.Errorf("differs:\n%s", firstDiff837(string(jw), string(jg)))
			}
		})
	}
	if n := strings.Count(string(out), "HL*"); n != 3 {
		t.Errorf("%d HL loops, want 3 (billing, subscriber of the primary plan, subscriber of the second plan)", n)
	}
	checkWritten837(t, "batch", out)
}

// checkWritten837 saves a written file and has the independent checkers
// read it: the shared x12check.py and, when it can be installed, node-x12.
func checkWritten837(t *testing.T, name string, data []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name+".837")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	checkX12check(t, path, "837")
	checkNodeX12(t, path)
}

// TestWriteClaimsMOAOnce checks that a second MOA in a 2320 loop is reported.
func TestWriteClaimsMOAOnce(t *testing.T) {
	out := writeClosing(t, secondaryClaim())
	bad := bytes.Replace(out, []byte("MOA***MA01*N130~"), []byte("MOA***MA01*N130~MOA***MA02~"), 1)
	bad = fixSE(t, bad)
	f, err := ReadClaims(bytes.NewReader(bad))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Errors) != 1 || f.Errors[0].ID != "MOA" || f.Errors[0].Err != ErrUnexpected {
		t.Fatalf("errors %v, want one ErrUnexpected at the second MOA", f.Errors)
	}
	if c := allClaims837(f); len(c) != 1 || c[0].OtherSubscribers[0].Outpatient.Remarks[0] != "MA01" {
		t.Errorf("claim not kept with its first MOA")
	}
	// An MOA outside loop 2320 is still a segment of the 835.
	bad = fixSE(t, bytes.Replace(out, []byte("HI*ABK:M5416~"), []byte("HI*ABK:M5416~MOA***MA01~"), 1))
	f, _ = ReadClaims(bytes.NewReader(bad))
	if len(f.Errors) != 1 || f.Errors[0].ID != "MOA" {
		t.Errorf("MOA in 2300: errors %v, want one", f.Errors)
	}
}
