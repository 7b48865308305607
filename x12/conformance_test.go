package x12

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/remitq/remitq/pkg/money"
)

// This file reproduces the defect classes of issue 14 (files nobody here
// wrote read silently wrong) with small hand-made files.

// isa835 is the ISA of the hand-made 835s; sender ZZ*PAYERSEND, ISA13 = ctl.
func isa835(ctl int) string {
	return fmt.Sprintf("ISA*00*          *00*          *ZZ*PAYERSEND      *ZZ*PROVRECV       *260301*1200*^*00501*%09d*0*T*:", ctl)
}

// st835 wraps the segments of one 835 transaction set in ST…SE with the
// right SE01.
func st835(ctl string, segs ...string) []string {
	out := append([]string{"ST*835*" + ctl + "*005010X221A1"}, segs...)
	return append(out, fmt.Sprintf("SE*%d*%s", len(segs)+2, ctl))
}

// interchange835 wraps transaction sets (each a slice from st835) in one
// ISA/GS with the right counts.
func interchange835(ctl int, sets ...[]string) []string {
	out := []string{isa835(ctl), fmt.Sprintf("GS*HP*PAYERSEND*PROVRECV*20260301*1200*%d*X*005010X221A1", ctl)}
	for _, s := range sets {
		out = append(out, s...)
	}
	return append(out, fmt.Sprintf("GE*%d*%d", len(sets), ctl), fmt.Sprintf("IEA*1*%09d", ctl))
}

// join terminates each segment with "~\n".
func join(segs ...[]string) []byte {
	var b strings.Builder
	for _, ss := range segs {
		for _, s := range ss {
			b.WriteString(s)
			b.WriteString("~\n")
		}
	}
	return []byte(b.String())
}

// header835 is a well-formed 835 header: BPR with the given BPR02, TRN,
// payer and payee loops.
func header835(bpr string) []string {
	return []string{
		"BPR*I*" + bpr + "*C*ACH*CCP*01*021000021*DA*1234567890*1470000001**01*011000015*DA*9876543210*20260301",
		"TRN*1*EFT0001*1470000001",
		"DTM*405*20260228",
		"N1*PR*FIRST PAYER*XV*PAYER01",
		"N3*PO BOX 1",
		"N4*DENVER*CO*80201",
		"REF*2U*PAYER01",
		"N1*PE*RIGHT PRACTICE*XX*1234567893",
		"N3*1 MAIN ST",
		"N4*BOULDER*CO*80302",
		"REF*TJ*841234567",
	}
}

// oneClaim835 is a balanced claim: 100 charged, 80 paid, CO-45 20.
func oneClaim835(id string) []string {
	return []string{
		"CLP*" + id + "*1*100*80**12*PAYERCTL1*11*1",
		"NM1*QC*1*DOE*JANE****MI*M1",
		"SVC*HC:99213*100*80**1",
		"DTM*472*20260215",
		"CAS*CO*45*20",
	}
}

// body835 is header835(bpr) then LX*1 then segs.
func body835(bpr string, segs ...string) []string {
	return append(append(header835(bpr), "LX*1"), segs...)
}

func file835(body []string) []byte {
	return join(interchange835(1, st835("0001", body...)))
}

func read835(t *testing.T, data []byte) *RemitFile {
	t.Helper()
	f, err := ReadRemittances(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("ReadRemittances: %v", err)
	}
	return f
}

// errorAt returns the first error of errs at segment id/element of class.
func errorAt(errs []*Error, id string, elem int, class error) *Error {
	for _, e := range errs {
		if e.ID == id && (elem < 0 || e.Element == elem) && errors.Is(e, class) {
			return e
		}
	}
	return nil
}

func listErrs(errs []*Error) string {
	var b strings.Builder
	for _, e := range errs {
		b.WriteString("\n\t" + e.Error())
	}
	return b.String()
}

// ---- class 1: loop placement ----

func TestLoopPayeeAfterClaims835(t *testing.T) {
	segs := body835("80", oneClaim835("C1")...)
	segs = append(segs,
		"N1*PR*WRONG PAYER*XV*PAYER99", "N3*PO BOX 9", "N4*NOWHERE*NV*89001", "REF*2U*PAYER99",
		"N1*PE*WRONG PRACTICE*XX*1999999984", "N3*9 ELSEWHERE", "N4*RENO*NV*89501", "REF*TJ*999999999")
	f := read835(t, file835(segs))
	if len(f.Remittances) != 1 {
		t.Fatalf("%d remittances", len(f.Remittances))
	}
	rem := f.Remittances[0]
	if rem.Payee.Name != "RIGHT PRACTICE" || rem.Payee.NPI() != "1234567893" || rem.Payee.TIN() != "841234567" ||
		rem.Payee.Address.City != "BOULDER" {
		t.Errorf("payee changed by an N1*PE after the claims: %+v", rem.Payee)
	}
	if rem.Payer.Name != "FIRST PAYER" || rem.Payer.PayerID() != "PAYER01" || rem.Payer.Address.City != "DENVER" {
		t.Errorf("payer changed by an N1*PR after the claims: %+v", rem.Payer)
	}
	segNo := 3 + len(segs) - 8 // ISA, GS, ST before the body; the 8 misplaced segments end it
	for i, id := range []string{"N1", "N3", "N4", "REF", "N1", "N3", "N4", "REF"} {
		n := segNo + i + 1
		found := false
		for _, e := range f.Errors {
			if e.Segment == n && e.ID == id && errors.Is(e, ErrUnexpected) {
				found = true
			}
		}
		if !found {
			t.Errorf("no ErrUnexpected at segment %d (%s):%s", n, id, listErrs(f.Errors))
		}
	}
	if len(rem.Claims) != 1 || !rem.Totals.Balanced {
		t.Errorf("claims %d balanced %v: the misplaced loops must not touch the claims", len(rem.Claims), rem.Totals.Balanced)
	}
}

func TestLoopRepeats835(t *testing.T) {
	// A second BPR, TRN and N1*PR in the header: reported, first kept.
	h := header835("80")
	segs := append([]string{h[0], h[1], "TRN*1*OTHERTRACE*1470000001", "BPR*I*999*C*CHK************20260301"}, h[2:7]...)
	segs = append(segs, "N1*PR*SECOND PAYER*XV*PAYER02", "N3*PO BOX 2")
	segs = append(segs, h[7:]...)
	segs = append(append(segs, "LX*1"), oneClaim835("C1")...)
	f := read835(t, file835(segs))
	rem := f.Remittances[0]
	if rem.Payment.Amount != money.MustParse("80") || rem.Trace.Number != "EFT0001" || rem.Payer.Name != "FIRST PAYER" ||
		len(rem.Payer.Address.Lines) != 1 || rem.Payer.Address.Lines[0] != "PO BOX 1" {
		t.Errorf("a repeated header segment replaced what was read first: BPR02 %s TRN02 %s payer %+v",
			rem.Payment.Amount, rem.Trace.Number, rem.Payer)
	}
	for _, id := range []string{"TRN", "BPR", "N1", "N3"} {
		if errorAt(f.Errors, id, 0, ErrUnexpected) == nil {
			t.Errorf("repeated %s not reported:%s", id, listErrs(f.Errors))
		}
	}
}

func TestLoopMandatory835(t *testing.T) {
	segs := []string{header835("80")[0], "LX*1"}
	segs = append(segs, oneClaim835("C1")[0], "SVC*HC:99213*100*80**1", "CAS*CO*45*20")
	f := read835(t, file835(segs))
	for _, what := range []string{"TRN", "N1*PR", "N1*PE"} {
		found := false
		for _, e := range f.Errors {
			if errors.Is(e, ErrMissing) && strings.Contains(e.Detail, what) {
				found = true
			}
		}
		if !found {
			t.Errorf("missing %s not reported:%s", what, listErrs(f.Errors))
		}
	}
	if !hasWarning(f.Warnings, "NM1*QC") {
		t.Errorf("claim without NM1*QC not reported:%s", listErrs(f.Warnings))
	}
	// Missing segments are not amounts: the claim still balances.
	if c := f.Remittances[0].Claims[0]; len(c.Imbalances) != 0 {
		t.Errorf("claim imbalances %+v", c.Imbalances)
	}
}

func TestLoopNotUsedElements835(t *testing.T) {
	f := read835(t, file835(body835("80",
		"CLP*C1*1*100*80**12*PAYERCTL1*11*1*X",
		"NM1*QC*1*DOE*JANE****MI*M1*X",
		"SVC*HC:99213*100*80**1", "CAS*CO*45*20", "REF*6R*L1*DESC")))
	for _, want := range []struct {
		id   string
		elem int
	}{{"CLP", 10}, {"NM1", 10}, {"REF", 3}} {
		if errorAt(f.Errors, want.id, want.elem, ErrUnexpected) == nil {
			t.Errorf("%s%02d (not used) not reported:%s", want.id, want.elem, listErrs(f.Errors))
		}
	}
}

// base837 is the TR3 COB example (claim to payer B) from the corpus.
const base837 = `ISA*00*          *00*          *27*SSSSSS         *27*PPPPP          *091006*1248*^*00501*000000001*1*P*:~
GS*HC*SSSSSS*PPPPP*20091006*1248*3001*X*005010X222A1~
ST*837*1234*005010X222A1~
BHT*0019*00*0123*20051015*1023*CH~
NM1*41*2*PREMIER BILLING SERVICE*****46*12EEER 000TY~
PER*IC*JERRY*TE*3055552222~
NM1*40*2*GREAT PRAIRIES HEALTH*****46*567890~
HL*1**20*1~
NM1*85*1*KILDARE*BEN****XX*1999996666~
N3*1234SEAWAY ST~
N4*MIAMI*FL*33111~
REF*EI*123456789~
HL*2*1*22*0~
SBR*S*18*******CI~
NM1*IL*1*SMITH*JACK****MI*222334444~
DMG*D8*19431022*M~
NM1*PR*2*GREAT PRAIRIES HEALTH*****PI*567890~
CLM*26407789*79.04***11:B:1*Y*A*Y*I~
HI*BK:4779*BF:2724~
SBR*P*01*******CI~
CAS*PR*1*21.89**2*15~
AMT*D*39.15~
@AMT@OI***Y*P**Y~
NM1*IL*1*SMITH*JANE****MI*JS00111223333~
N3*236 N MAIN ST~
N4*MIAMI*FL*33111~
NM1*PR*2*KEY INSURANCE COMPANY*****PI*999996666~
LX*1~
SV1*HC:99213*79.04*UN*1***1:2~
DTP*472*D8*20051003~
SVD*999996666*40*HC:99213**1~
CAS*CO*42*3~
DTP*573*D8*20051015~
SE*@SE@*1234~
GE*1*3001~
IEA*1*000000001~
`

// make837 fills base837: extra goes after AMT*D, and SE01 is counted.
func make837(extra ...string) []byte {
	s := base837
	ins := ""
	for _, e := range extra {
		ins += e + "~\n"
	}
	s = strings.Replace(s, "@AMT@", ins, 1)
	st := strings.Index(s, "ST*837")
	se := strings.Index(s, "SE*@SE@")
	n := strings.Count(s[st:se], "~") + 1
	return []byte(strings.Replace(s, "@SE@", fmt.Sprint(n), 1))
}

func readClaims837(t *testing.T, data []byte) *ClaimFile {
	t.Helper()
	f, err := ReadClaims(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("ReadClaims: %v", err)
	}
	return f
}

func onlyClaim(t *testing.T, f *ClaimFile) *Claim {
	t.Helper()
	var cs []*Claim
	for _, b := range f.Batches {
		cs = append(cs, b.Claims...)
	}
	if len(cs) != 1 {
		t.Fatalf("%d claims, want 1:%s", len(cs), listErrs(f.Errors))
	}
	return cs[0]
}

func TestLoopPlacement837(t *testing.T) {
	data := make837()
	// A second BHT and NM1*41 in the header, CLM03 and SV106 (not used),
	// and no HI: each reported at its segment, the first values kept.
	s := strings.Replace(string(data), "NM1*40*", "BHT*0019*00*OTHER*20990101*1023*CH~\nNM1*41*2*OTHER SUBMITTER*****46*X~\nNM1*40*", 1)
	s = strings.Replace(s, "CLM*26407789*79.04**", "CLM*26407789*79.04*X*", 1)
	s = strings.Replace(s, "SV1*HC:99213*79.04*UN*1**", "SV1*HC:99213*79.04*UN*1**X", 1)
	s = strings.Replace(s, "HI*BK:4779*BF:2724~\n", "", 1)
	st := strings.Index(s, "ST*837")
	se := strings.Index(s, "SE*")
	s = s[:se] + fmt.Sprintf("SE*%d*1234~\nGE*1*3001~\nIEA*1*000000001~\n", strings.Count(s[st:se], "~")+1)
	f := readClaims837(t, []byte(s))
	c := onlyClaim(t, f)
	if c.Batch.Reference != "0123" || c.Batch.Submitter.Last != "PREMIER BILLING SERVICE" {
		t.Errorf("repeated header segment replaced the first: %+v", c.Batch)
	}
	for _, want := range []struct {
		id    string
		elem  int
		class error
	}{{"BHT", 0, ErrUnexpected}, {"NM1", 0, ErrUnexpected}, {"CLM", 3, ErrUnexpected}, {"SV1", 6, ErrUnexpected}, {"CLM", 0, ErrMissing}} {
		if errorAt(f.Errors, want.id, want.elem, want.class) == nil {
			t.Errorf("%s%02d %v not reported:%s", want.id, want.elem, want.class, listErrs(f.Errors))
		}
	}
}

// ---- class 2: decimals ----

func TestDecimalRType835(t *testing.T) {
	f := read835(t, file835(body835("80",
		"CLP*C1*1*100*80**12*PAYERCTL1*11*1**470*1.2345*0.12345",
		"NM1*QC*1*DOE*JANE****MI*M1",
		"MOA*0.7526*12.5*MA01",
		"SVC*HC:99213*100*80**1", "CAS*CO*45*20*1.2345")))
	if len(f.Errors) != 0 {
		t.Fatalf("errors:%s", listErrs(f.Errors))
	}
	c := f.Remittances[0].Claims[0]
	if c.DRGWeight == nil || *c.DRGWeight != "1.2345" || c.DischargeFraction == nil || *c.DischargeFraction != "0.12345" {
		t.Errorf("CLP12/CLP13 = %v/%v, want 1.2345/0.12345", c.DRGWeight, c.DischargeFraction)
	}
	if c.Outpatient == nil || c.Outpatient.ReimbursementRate == nil || *c.Outpatient.ReimbursementRate != "0.7526" {
		t.Errorf("MOA01 = %+v, want 0.7526", c.Outpatient)
	}
	a := c.Lines[0].Adjustments[0]
	if a.QuantityExact != "1.2345" || a.Quantity == nil || *a.Quantity != 1235 {
		t.Errorf("CAS04 = %v exact %q, want 1.235 (rounded) and 1.2345", a.Quantity, a.QuantityExact)
	}
	if !f.Remittances[0].Totals.Balanced {
		t.Errorf("not balanced: %+v", c.Imbalances)
	}
}

func TestDecimalMoney835(t *testing.T) {
	// 100 − 50.005 = 49.995 = CAS: balanced in exact arithmetic.
	f := read835(t, file835(body835("50.005",
		"CLP*C1*1*100*50.005*135.821*12*PAYERCTL1*11*1",
		"NM1*QC*1*DOE*JANE****MI*M1",
		"SVC*HC:99213*100*50.005**1", "CAS*CO*45*49.995")))
	if len(f.Errors) != 0 {
		t.Fatalf("errors:%s", listErrs(f.Errors))
	}
	rem := f.Remittances[0]
	c := rem.Claims[0]
	if !rem.Totals.Balanced || len(c.Imbalances) != 0 {
		t.Errorf("exactly balanced claim reported unbalanced: %+v %+v", c.Imbalances, rem.Totals.Imbalances)
	}
	exact := map[string]string{}
	for _, e := range c.ExactAmounts {
		exact[fmt.Sprintf("%s%02d", e.ID, e.Element)] = e.Value.String()
	}
	for k, v := range map[string]string{"CLP04": "50.005", "CLP05": "135.821", "SVC03": "50.005", "CAS03": "49.995"} {
		if exact[k] != v {
			t.Errorf("%s exact = %q, want %q (all: %v)", k, exact[k], v, exact)
		}
	}
	if c.PatientResp != money.MustParse("135.82") || c.Paid != money.MustParse("50.01") {
		t.Errorf("rounded CLP05 %s CLP04 %s, want 135.82 and 50.01 (never zero)", c.PatientResp, c.Paid)
	}
	if len(rem.ExactAmounts) != 1 || rem.ExactAmounts[0].ID != "BPR" || rem.ExactAmounts[0].Value.String() != "50.005" {
		t.Errorf("BPR02 exact %+v", rem.ExactAmounts)
	}
	warned := false
	for _, w := range f.Warnings {
		if w.ID == "CLP" && strings.Contains(w.Detail, "more than two decimal places") {
			warned = true
		}
	}
	if !warned {
		t.Errorf("no warning for amounts with more than two places:%s", listErrs(f.Warnings))
	}

	// 100 − 50.004 = 49.996 ≠ 49.995, although both round to 50.00.
	f = read835(t, file835(body835("50.004",
		"CLP*C1*1*100*50.004**12*PAYERCTL1*11*1",
		"NM1*QC*1*DOE*JANE****MI*M1",
		"SVC*HC:99213*100*50.004**1", "CAS*CO*45*49.995")))
	c = f.Remittances[0].Claims[0]
	if len(c.Imbalances) != 2 || f.Remittances[0].Totals.Balanced {
		t.Errorf("a 0.001 imbalance is hidden by rounding: %+v", c.Imbalances)
	}
}

func TestDecimalInvalidAmount835(t *testing.T) {
	for _, bad := range []string{"1,200.00", " 800.00", "5E1"} {
		t.Run(bad, func(t *testing.T) {
			f := read835(t, file835(body835("80",
				"CLP*C1*1*"+bad+"*80**12*PAYERCTL1*11*1",
				"NM1*QC*1*DOE*JANE****MI*M1",
				"SVC*HC:99213*100*80**1", "CAS*CO*45*20")))
			if errorAt(f.Errors, "CLP", 3, ErrInvalid) == nil {
				t.Errorf("no ErrInvalid at CLP03:%s", listErrs(f.Errors))
			}
			rem := f.Remittances[0]
			if rem.Totals.UnreadableClaims != 1 || rem.Totals.Balanced {
				t.Errorf("claim with an unreadable amount totalled silently: %+v", rem.Totals)
			}
			if errorAt(rem.Errors, "ST", 0, ErrInvalid) == nil {
				t.Errorf("the transaction set does not say its totals are incomplete:%s", listErrs(rem.Errors))
			}
		})
	}
}

func TestDecimalMoney837(t *testing.T) {
	data := bytes.Replace(make837(), []byte("SV1*HC:99213*79.04*"), []byte("SV1*HC:99213*79.035*"), 1)
	f := readClaims837(t, data)
	c := onlyClaim(t, f)
	if c.Lines[0].Charge != money.MustParse("79.04") || errorAt(f.Warnings, "SV1", 2, ErrTolerated) == nil {
		t.Errorf("SV102 79.035: charge %s, warnings:%s", c.Lines[0].Charge, listErrs(f.Warnings))
	}
}

// ---- class 3: duplicates ----

func TestDuplicateInterchange835(t *testing.T) {
	ic := interchange835(7, st835("0001", body835("80", oneClaim835("C1")...)...))
	data := join(ic, ic)
	f := read835(t, data)
	if len(f.Remittances) != 1 {
		t.Errorf("%d remittances: the repeated interchange was processed twice", len(f.Remittances))
	}
	if errorAt(f.Warnings, "ISA", 13, ErrDuplicate) == nil {
		t.Errorf("no duplicate warning:%s", listErrs(f.Warnings))
	}
	s, err := Summarize("dup", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if s.Claims != 1 || len(s.Interchanges) != 1 || s.Interchanges[0].Key() != "ZZ:PAYERSEND:000000007" {
		t.Errorf("summary claims %d interchanges %+v", s.Claims, s.Interchanges)
	}
	if s.Interchanges[0].Duplicates != 1 {
		t.Errorf("duplicates %d, want 1", s.Interchanges[0].Duplicates)
	}

	// The same ST02 twice in one group.
	set := st835("0001", body835("80", oneClaim835("C1")...)...)
	data = join(interchange835(8, set, set))
	f = read835(t, data)
	if len(f.Remittances) != 1 || errorAt(f.Warnings, "ST", 2, ErrDuplicate) == nil {
		t.Errorf("%d remittances, warnings:%s", len(f.Remittances), listErrs(f.Warnings))
	}
}

func TestDuplicateInterchange837(t *testing.T) {
	one := make837()
	f := readClaims837(t, append(bytes.Clone(one), one...))
	onlyClaim(t, f)
	if errorAt(f.Warnings, "ISA", 13, ErrDuplicate) == nil {
		t.Errorf("no duplicate warning:%s", listErrs(f.Warnings))
	}
}

// ---- class 4: impossible values ----

func TestNegativeBPR02(t *testing.T) {
	f := read835(t, file835(body835("-20",
		"CLP*C1*22*-100*-20**12*PAYERCTL1*11*1",
		"NM1*QC*1*DOE*JANE****MI*M1",
		"SVC*HC:99213*-100*-20**1", "CAS*CO*45*-80")))
	if errorAt(f.Errors, "BPR", 2, ErrInvalid) == nil {
		t.Errorf("negative BPR02 accepted:%s", listErrs(f.Errors))
	}
	if f.Remittances[0].Totals.Balanced {
		t.Error("negative BPR02 reported balanced")
	}
}

func TestTooManyElements(t *testing.T) {
	f := read835(t, file835(body835("80",
		"CLP*C1*1*100*80**12*PAYERCTL1*11*1",
		"NM1*QC*1*DOE*JANE****MI*M1",
		"SVC*HC:99213*100*80**1",
		"CAS*CO*45*2*1*45*2*1*45*2*1*45*2*1*45*2*1*45*2*1*45*8",
		"N4*A*B*C*D*E*F*G*H")))
	if errorAt(f.Errors, "CAS", 20, ErrInvalid) == nil {
		t.Errorf("CAS with 7 triplets accepted:%s", listErrs(f.Errors))
	}
	if errorAt(f.Errors, "N4", 8, ErrInvalid) == nil {
		t.Errorf("N4 with 8 elements accepted:%s", listErrs(f.Errors))
	}
	if c := f.Remittances[0].Claims[0]; len(c.Imbalances) == 0 {
		t.Error("claim with a dropped 7th CAS triplet reported balanced")
	}
	// The 837 reader too.
	g := readClaims837(t, make837("CAS*PR*1*1*1*2*1*1*3*1*1*4*1*1*5*1*1*6*1*1*7*1"))
	if errorAt(g.Errors, "CAS", 20, ErrInvalid) == nil {
		t.Errorf("837: CAS with 7 triplets accepted:%s", listErrs(g.Errors))
	}
}

func TestImpossibleDates(t *testing.T) {
	for _, d := range []string{"11111111", "20250230", "99999999"} {
		f := read835(t, file835(body835("80",
			"CLP*C1*1*100*80**12*PAYERCTL1*11*1",
			"NM1*QC*1*DOE*JANE****MI*M1",
			"DTM*232*"+d,
			"SVC*HC:99213*100*80**1", "CAS*CO*45*20")))
		if errorAt(f.Errors, "DTM", 2, ErrInvalid) == nil {
			t.Errorf("DTM*232*%s accepted as a date:%s", d, listErrs(f.Errors))
		}
	}
}

func TestDelimiterCollisions(t *testing.T) {
	good := string(file835(body835("80", oneClaim835("C1")...)))
	for name, isa := range map[string]string{
		"ISA11 = ISA16":             strings.Replace(isa835(1), "*^*00501", "*:*00501", 1),
		"ISA11 = element separator": "ISA|00|          |00|          |ZZ|PAYERSEND      |ZZ|PROVRECV       |260301|1200|||00501|000000001|0|T|:",
		"ISA11 = terminator":        strings.Replace(isa835(1), "*^*00501", "*~*00501", 1),
	} {
		t.Run(name, func(t *testing.T) {
			data := strings.Replace(good, isa835(1), isa, 1)
			_, err := ReadRemittances(strings.NewReader(data))
			if !errors.Is(err, ErrDelimiters) {
				t.Errorf("err %v, want ErrDelimiters", err)
			}
		})
	}
}

// ---- class 5: one unexpected segment ----

func TestOtherSubscriberUnexpectedAMT837(t *testing.T) {
	f := readClaims837(t, make837("AMT*F2*10"))
	c := onlyClaim(t, f)
	if len(c.OtherSubscribers) != 1 {
		t.Fatalf("%d other subscribers", len(c.OtherSubscribers))
	}
	o := c.OtherSubscribers[0]
	if o.BenefitsAssignment != "Y" || o.Insured == nil || o.Insured.MemberID != "JS00111223333" ||
		o.Payer == nil || o.Payer.PayerID != "999996666" {
		t.Errorf("AMT*F2 in 2320 lost the OI and 2330A/B: %+v", o)
	}
	if c.Lines[0].Adjudications[0].PayerID != o.Payer.PayerID {
		t.Error("SVD01 does not match the 2330B payer")
	}
	if errorAt(f.Errors, "AMT", 1, ErrUnexpected) == nil {
		t.Errorf("AMT*F2 in 2320 not reported:%s", listErrs(f.Errors))
	}
	for _, e := range f.Errors {
		if e.ID == "NM1" || e.ID == "OI" || e.ID == "N3" || e.ID == "N4" {
			t.Errorf("valid segment reported after the unexpected one: %v", e)
		}
	}
}

func TestUnknownSegment835(t *testing.T) {
	f := read835(t, file835(body835("80",
		"CLP*C1*1*100*80**12*PAYERCTL1*11*1",
		"NM1*QC*1*DOE*JANE****MI*M1",
		"ZZZ*1*2",
		"SVC*HC:99213*100*80**1",
		"LIN**N4*1234",
		"CAS*CO*45*20", "REF*6R*L1")))
	if errorAt(f.Errors, "ZZZ", 0, ErrUnexpected) == nil || errorAt(f.Errors, "LIN", 0, ErrUnexpected) == nil {
		t.Errorf("unknown or misplaced segments not reported:%s", listErrs(f.Errors))
	}
	c := f.Remittances[0].Claims[0]
	if len(c.Lines) != 1 || len(c.Lines[0].Adjustments) != 1 || c.Lines[0].LineControl() != "L1" || len(c.Imbalances) != 0 {
		t.Errorf("the line after the unknown segments is wrong: %+v", c.Lines)
	}
}

// ---- class 6: messy framing ----

func TestBannerBeforeISA(t *testing.T) {
	good := file835(body835("80", oneClaim835("C1")...))
	data := append([]byte("$$ADD ID=PROVRECV BID='MAILBOX 0042'\r\n*** BEGIN TRANSMISSION ***\r\n"), good...)
	f := read835(t, data)
	if len(f.Errors) != 0 || len(f.Remittances) != 1 || len(f.Remittances[0].Claims) != 1 {
		t.Fatalf("errors:%s", listErrs(f.Errors))
	}
	if !hasWarning(f.Warnings, "before the ISA") {
		t.Errorf("no warning for the banner:%s", listErrs(f.Warnings))
	}
}

func hasWarning(ws []*Error, part string) bool {
	for _, w := range ws {
		if strings.Contains(w.Detail, part) {
			return true
		}
	}
	return false
}

func TestTrailingPadding(t *testing.T) {
	good := file835(body835("80", oneClaim835("C1")...))
	for name, pad := range map[string]string{"ctrl-z": "\x1a", "nul": strings.Repeat("\x00", 300), "both": "\r\n\x1a\x00\x00"} {
		t.Run(name, func(t *testing.T) {
			f := read835(t, append(bytes.Clone(good), pad...))
			if len(f.Errors) != 0 || len(f.Remittances) != 1 {
				t.Errorf("errors:%s", listErrs(f.Errors))
			}
			if !hasWarning(f.Warnings, "padding") {
				t.Errorf("no warning:%s", listErrs(f.Warnings))
			}
		})
	}
}

// wrap hard-wraps data at width columns with "\r\n".
func wrap(data []byte, width int) []byte {
	flat := bytes.ReplaceAll(data, []byte("\n"), nil)
	var out []byte
	for len(flat) > width {
		out = append(append(out, flat[:width]...), '\r', '\n')
		flat = flat[width:]
	}
	return append(append(out, flat...), '\r', '\n')
}

func TestWrappedAt80(t *testing.T) {
	good := file835(body835("80", oneClaim835("C1")...))
	want := read835(t, good)
	f := read835(t, wrap(good, 80))
	if len(f.Errors) != 0 || len(f.Remittances) != 1 {
		t.Fatalf("errors:%s", listErrs(f.Errors))
	}
	if !hasWarning(f.Warnings, "wrapped") {
		t.Errorf("no warning:%s", listErrs(f.Warnings))
	}
	g, w := f.Remittances[0], want.Remittances[0]
	if g.Payee.Name != w.Payee.Name || g.Payment.Amount != w.Payment.Amount || len(g.Claims) != 1 ||
		g.Claims[0].PatientControl != "C1" || g.Claims[0].Lines[0].Procedure.Code != "99213" || !g.Totals.Balanced {
		t.Errorf("wrapped file read differently: %+v", g)
	}
	// An 837 wrapped the same way.
	c := onlyClaim(t, readClaims837(t, wrap(make837(), 80)))
	if c.PatientControlNumber != "26407789" || len(c.Lines) != 1 {
		t.Errorf("wrapped 837: %+v", c)
	}
}

func TestTrailingSpaceIdentifier(t *testing.T) {
	segs := oneClaim835("5554555444 ")
	f := read835(t, file835(body835("80", segs...)))
	c := f.Remittances[0].Claims[0]
	if c.PatientControl != "5554555444 " {
		t.Errorf("raw CLP01 %q, want it kept as sent", c.PatientControl)
	}
	if c.MatchKey() != "5554555444" {
		t.Errorf("MatchKey %q", c.MatchKey())
	}
	if MatchKey("  5554555444 ") != "5554555444" {
		t.Error("MatchKey func")
	}
}

// ---- class 7: whole file ----

func TestUnbalancedRemittanceWarning(t *testing.T) {
	f := read835(t, file835(body835("75", oneClaim835("C1")...)))
	if f.Remittances[0].Totals.Balanced {
		t.Fatal("balanced")
	}
	w := errorAt(f.Warnings, "BPR", 2, ErrUnbalanced)
	if w == nil {
		t.Fatalf("no file-level warning for BPR02 ≠ Σ CLP04 − Σ PLB:%s", listErrs(f.Warnings))
	}
	if !strings.Contains(w.Detail, "75.00") || !strings.Contains(w.Detail, "80.00") {
		t.Errorf("detail %q should give both amounts", w.Detail)
	}
}

func TestTransactionTypes(t *testing.T) {
	ack := "ISA*00*          *00*          *ZZ*PAYERSEND      *ZZ*PROVRECV       *260301*1200*^*00501*000000009*0*T*:~\n" +
		"GS*FA*PAYERSEND*PROVRECV*20260301*1200*9*X*005010X231A1~\nST*999*0001*005010X231A1~\nAK1*HC*1*005010X222A1~\nAK9*A*1*1*1~\nSE*4*0001~\nGE*1*9~\nIEA*1*000000009~\n"
	data := append([]byte(ack), file835(body835("80", oneClaim835("C1")...))...)
	types, err := TransactionTypes(data)
	if err != nil || strings.Join(types, ",") != "999,835" {
		t.Errorf("TransactionTypes = %v, %v", types, err)
	}
	// ST01 padded with a space is the same identifier for both (the readers
	// trim it too).
	padded := []byte(strings.Replace(ack, "ST*999*", "ST*999 *", 1))
	if typ, err := TransactionType(padded); err != nil || typ != "999" {
		t.Errorf("TransactionType(ST*999 *) = %q, %v", typ, err)
	}
	if types, err := TransactionTypes(padded); err != nil || strings.Join(types, ",") != "999" {
		t.Errorf("TransactionTypes(ST*999 *) = %v, %v", types, err)
	}
}
