package x12

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/remitq/remitq/pkg/money"
)

// The external conformance corpus (testdata/external, origins and licenses
// in its SOURCES.md): files nobody here wrote, read with the problems each
// is known to have, and the values the peers' own tests assert.

// externalErrors lists the errors each external file gives, as
// "ID element: class"; a file not listed gives none. Each was checked by
// hand against the file.
var externalErrors = map[string][]string{
	// BPR16 "20002316": month 23 (stupidedi's transcription has 20020316).
	"lfh-managed-care.835": {"BPR 16: invalid value"},
	// TS309 and TS311 (4010 elements) are not used in 5010.
	"lfh-medicare-part-a.835": {"TS3 9: unexpected segment", "TS3 11: unexpected segment",
		"TS3 9: unexpected segment", "TS3 11: unexpected segment"},
	// SE01 says 40 for 41 segments.
	"stupidedi-x221-case3a.835": {"SE 1: count mismatch"},
}

func errorKeys(errs []*Error) []string {
	var out []string
	for _, e := range errs {
		out = append(out, errorKey837(e))
	}
	return out
}

func TestExternalCorpus(t *testing.T) {
	r835, r837 := externalFiles(t)
	for _, path := range r835 {
		name := filepath.Base(path)
		f := read835(t, readFile(t, path))
		if got, want := errorKeys(f.Errors), externalErrors[name]; !slices.Equal(got, want) {
			t.Errorf("%s: errors %q, want %q%s", name, got, want, listErrs(f.Errors))
		}
		if len(f.Remittances) == 0 || len(f.Remittances[0].Claims) == 0 {
			t.Errorf("%s: no claims read", name)
		}
	}
	for _, path := range r837 {
		name := filepath.Base(path)
		f := readClaims837(t, readFile(t, path))
		if got, want := errorKeys(f.Errors), externalErrors[name]; !slices.Equal(got, want) {
			t.Errorf("%s: errors %q, want %q%s", name, got, want, listErrs(f.Errors))
		}
		if len(f.Batches) == 0 || len(f.Batches[0].Claims) == 0 {
			t.Errorf("%s: no claims read", name)
		}
	}
}

// TestExternalStupidediX221Case1 asserts what stupidedi's own spec
// (spec/lib/stupidedi/transaction_sets/005010/X221-HP835_spec.rb) asserts
// of its fixture X221 case/1.edi: the TR3's Medicare Part A example, with
// a description before the ISA, "+" elements, ">" components, "~"
// repetitions and CR-terminated segments.
func TestExternalStupidediX221Case1(t *testing.T) {
	data := readFile(t, filepath.Join(externalCorpus, "835", "stupidedi-x221-case1.835"))
	f := read835(t, data)
	if len(f.Errors) != 0 {
		t.Fatalf("errors:%s", listErrs(f.Errors))
	}
	if !hasWarning(f.Warnings, "before the ISA") {
		t.Errorf("no warning for the text before the ISA:%s", listErrs(f.Warnings))
	}
	r := NewReader(bytes.NewReader(data))
	r.Next()
	// stupidedi names CR the segment terminator; the file ends segments
	// with CR LF, which remitq reads as line-end terminated (CR stripped).
	if d := r.Delimiters(); d.Element != '+' || d.Component != '>' || d.Repetition != '~' || d.Segment != '\r' && d.Segment != '\n' {
		t.Errorf("delimiters %q", []byte{d.Element, d.Component, d.Repetition, d.Segment})
	}
	if len(f.Remittances) != 1 {
		t.Fatalf("%d remittances", len(f.Remittances))
	}
	rem := f.Remittances[0]
	want := func(what string, got, want any) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s = %v, stupidedi asserts %v", what, got, want)
		}
	}
	want("BPR02", rem.Payment.Amount, money.MustParse("150000"))
	want("GS06", rem.GSControl, "1")
	want("DTM*405", rem.ProductionDate, Date("2002-09-13"))
	want("payer N102", rem.Payer.Name, "INSURANCE COMPANY OF TIMBUCKTU")
	want("payer N301", rem.Payer.Address.Lines, []string{"1 MAIN STREET"})
	want("payer REF", rem.Payer.Refs, []Ref{{"2U", "999"}, {"NF", "12345"}})
	want("payee N103/N104", rem.Payee.IDQualifier+" "+rem.Payee.ID, "XX 1232343560")
	want("payee REF01", rem.Payee.Refs[0].Qualifier, "TJ")
	if len(rem.Claims) != 2 {
		t.Fatalf("%d claims", len(rem.Claims))
	}
	c1, c2 := rem.Claims[0], rem.Claims[1]
	want("LX", c1.Header.Number+" "+c2.Header.Number, "110212 130212")
	want("claim 1 CAS", c1.Adjustments[0].Group+" "+c1.Adjustments[0].Reason+" "+c1.Adjustments[0].Amount.String(), "CO 45 73348.57")
	want("claim 1 NM1*QC last", c1.Name("QC").Last, "JONES")
	want("claim 1 MIA01", c1.Inpatient.CoveredDays, Quantity(0))
	want("claim 1 MIA04", *c1.Inpatient.DRGAmount, money.MustParse("138018.4"))
	want("claim 1 DTM*232/233", string(c1.StatementFrom)+" "+string(c1.StatementTo), "2002-08-16 2002-08-24")
	want("claim 1 AMT*AU", c1.Amounts[0].Qualifier+" "+c1.Amounts[0].Amount.String(), "AU 150000.00")
	want("claim 1 QTY*CA", c1.Quantities[0].Qualifier+" "+c1.Quantities[0].Quantity.String(), "CA 8")
	want("claim 2 CLP01", c2.PatientControl, "777777")
	want("claim 2 TS3", c2.Header.TS3, []string{"6543210909", "13", "19961231", "1", "15000"})
	want("claim 2 CAS", c2.Adjustments[0].Group+" "+c2.Adjustments[0].Reason+" "+c2.Adjustments[0].Amount.String(), "CO 45 3019.67")
	want("claim 2 MOA03", c2.Outpatient.Remarks, []string{"MA02"})
	want("claim 2 DTM*232", c2.StatementFrom, Date("2002-05-12"))
	want("claim 2 AMT*AU", c2.Amounts[0].Amount, money.MustParse("17000"))
	if len(rem.Adjustments) != 1 {
		t.Fatalf("PLB: %+v", rem.Adjustments)
	}
	p := rem.Adjustments[0]
	want("PLB", p.ProviderID+" "+string(p.FiscalPeriod)+" "+p.Reason+":"+p.Reference+" "+p.Amount.String(),
		"6543210903 2002-12-31 CV:CP -1.27")
	want("ISA13", rem.ISAControl, "000000905")
}

// TestExternalStupidediX222Case1 asserts what stupidedi's spec
// (X222A1-HC837_spec.rb) asserts of its fixture X222 case/1.edi.
func TestExternalStupidediX222Case1(t *testing.T) {
	data := readFile(t, filepath.Join(externalCorpus, "837p", "stupidedi-x222-case1.837"))
	f := readClaims837(t, data)
	r := NewReader(bytes.NewReader(data))
	r.Next()
	if d := r.Delimiters(); d != DefaultDelimiters {
		t.Errorf("delimiters %q", []byte{d.Element, d.Component, d.Repetition, d.Segment})
	}
	c := onlyClaim(t, f)
	if c.Batch.Submitter.Entity != "41" || c.Batch.Receiver.Entity != "40" || len(c.Batch.SubmitterContacts) != 1 {
		t.Errorf("header %+v", c.Batch)
	}
	// HL 1 billing provider, HL 2 subscriber, HL 3 patient.
	if c.BillingProvider == nil || c.Subscriber == nil || c.Patient == nil {
		t.Errorf("hierarchy: billing %v subscriber %v patient %v", c.BillingProvider != nil, c.Subscriber != nil, c.Patient != nil)
	}
}

// TestExternalTrailingSpaceCLP01: the TR3's managed-care example as
// transcribed by stupidedi has CLP01 5554555444; a payer that pads it
// ("5554555444 ") must still match the billed CLM01.
func TestExternalTrailingSpaceCLP01(t *testing.T) {
	data := readFile(t, filepath.Join(externalCorpus, "835", "stupidedi-x221-case2.835"))
	padded := bytes.Replace(data, []byte("CLP*5554555444*"), []byte("CLP*5554555444 *"), 1)
	if bytes.Equal(padded, data) {
		t.Fatal("CLP01 5554555444 not in the file")
	}
	for _, in := range [][]byte{data, padded} {
		f := read835(t, in)
		c := f.Remittances[0].Claims[0]
		if c.MatchKey() != "5554555444" {
			t.Errorf("MatchKey %q (CLP01 %q)", c.MatchKey(), c.PatientControl)
		}
	}
	if c := read835(t, padded).Remittances[0].Claims[0]; c.PatientControl != "5554555444 " {
		t.Errorf("CLP01 %q: the raw value is kept", c.PatientControl)
	}
}

// TestExternalDuplicateInterchanges: a real file that holds one interchange
// 156 times (tastypackets-profee-multiple) is read once, with the repeats
// counted.
func TestExternalDuplicateInterchanges(t *testing.T) {
	path := filepath.Join(sharedCorpus, "835", "tastypackets-profee-multiple.835")
	alt := filepath.Join(committedCorpus, "835", "tastypackets-profee-multiple.835")
	data, err := os.ReadFile(path)
	if err != nil {
		data = readFile(t, alt)
	}
	s, err := Summarize("profee", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Interchanges) != 1 || s.Interchanges[0].Duplicates != 155 || s.Claims != 3 {
		t.Errorf("interchanges %+v, claims %d", s.Interchanges, s.Claims)
	}
	dups := 0
	for _, w := range s.Warnings {
		if w.ID == "ISA" {
			dups++
		}
	}
	if dups != 155 {
		t.Errorf("%d duplicate warnings, want 155", dups)
	}
}
