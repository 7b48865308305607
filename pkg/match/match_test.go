package match

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/remitq/remitq/pkg/billed"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/x12"
)

const (
	practice = "1234567893"
	payer    = "PAYER1"
)

func billedClaim() *billed.Claim {
	return &billed.Claim{Practice: practice, PatientControl: "PM-1", PayerID: payer, MemberID: "M1", TotalCharge: 305000,
		Lines: []billed.Line{
			{Number: 1, Procedure: "64493", Modifiers: []string{"50"}, Charge: 165000, Units: 1000, ServiceFrom: "2026-03-02", ServiceTo: "2026-03-02", LineControl: "PM-1-1"},
			{Number: 2, Procedure: "64494", Charge: 55000, Units: 1000, ServiceFrom: "2026-03-02", ServiceTo: "2026-03-02", LineControl: "PM-1-2"},
			{Number: 3, Procedure: "99214", Modifiers: []string{"25"}, Charge: 21000, Units: 1000, ServiceFrom: "2026-03-02", ServiceTo: "2026-03-02", LineControl: "PM-1-3"},
			{Number: 4, Procedure: "J1040", Charge: 64000, Units: 2000, ServiceFrom: "2026-03-02", ServiceTo: "2026-03-02", LineControl: "PM-1-4"},
		}}
}

// paidLine builds a paid line of the billed claim above, paid in full.
func paidLine(code string, mods []string, charge money.Amount, lcn string) *PaidLine {
	return &PaidLine{Procedure: code, Modifiers: mods, Charge: charge, Paid: charge / 2, DateFrom: "2026-03-02", DateTo: "2026-03-02",
		LineControl: lcn, Adjustments: []Adjustment{{Group: "CO", Reason: "45", Amount: charge / 2}}}
}

func paidClaim(ref string, lines ...*PaidLine) *PaidClaim {
	pc := &PaidClaim{Ref: ref, PatientControl: "PM-1", Status: "1", PayerControl: "ICN1", MemberID: "M1", Lines: lines}
	for i, l := range lines {
		l.Index = i + 1
		pc.Charge += l.Charge
		pc.Paid += l.Paid
	}
	return pc
}

type lineWant struct {
	line   int // billed LX, 0 none
	method Method
	flags  []Flag
	review bool
}

func TestMatchLadder(t *testing.T) {
	tests := []struct {
		name string
		pc   *PaidClaim
		want []lineWant
	}{
		{"line control", paidClaim("r", paidLine("64494", nil, 55000, "PM-1-2"), paidLine("64493", []string{"50"}, 165000, "PM-1-1")),
			[]lineWant{{2, LineControl, []Flag{FlagSplitClaim}, false}, {1, LineControl, []Flag{FlagSplitClaim}, false}}},
		{"no REF*6R, out of order", paidClaim("r", func() *PaidLine {
			l := paidLine("J1040", nil, 64000, "")
			l.Units = 2000
			return l
		}(), paidLine("99214", []string{"25"}, 21000, "")),
			[]lineWant{{4, ClaimAndProcedure, []Flag{FlagSplitClaim}, false}, {3, ClaimAndProcedure, []Flag{FlagSplitClaim}, false}}},
		{"modifier dropped", paidClaim("r", paidLine("64493", nil, 165000, "")),
			[]lineWant{{1, ClaimAndProcedure, []Flag{FlagModifierDropped, FlagSplitClaim}, false}}},
		{"code changed with SVC06", paidClaim("r", func() *PaidLine {
			l := paidLine("99213", []string{"25"}, 21000, "")
			l.HasOriginal, l.OriginalProcedure, l.OriginalModifiers = true, "99214", []string{"25"}
			return l
		}(), paidLine("64494", nil, 55000, "")),
			[]lineWant{{3, ClaimAndProcedure, []Flag{FlagProcedureChanged, FlagSplitClaim}, false}, {2, ClaimAndProcedure, []Flag{FlagSplitClaim}, false}}},
		{"units cut", paidClaim("r", func() *PaidLine {
			l := paidLine("J1040", nil, 64000, "PM-1-4")
			l.Units, l.OriginalUnits = 1000, 2000
			return l
		}()), []lineWant{{4, LineControl, []Flag{FlagUnitsReduced, FlagSplitClaim}, false}}},
		{"code changed without SVC06: one line left, low confidence", paidClaim("r", paidLine("99213", []string{"25"}, 21000, "")),
			[]lineWant{{3, ClaimAndProcedure, []Flag{FlagProcedureChanged, FlagSplitClaim, FlagManualReview}, true}}},
		{"fuzzy by member and date", func() *PaidClaim {
			pc := paidClaim("r", paidLine("64493", []string{"50"}, 165000, ""), paidLine("64494", nil, 55000, ""),
				paidLine("99214", []string{"25"}, 21000, ""), paidLine("J1040", nil, 64000, ""))
			pc.Lines[3].Units = 2000
			pc.PatientControl = "PM1"
			return pc
		}(), []lineWant{{1, Fuzzy, nil, false}, {2, Fuzzy, nil, false}, {3, Fuzzy, nil, false}, {4, Fuzzy, nil, false}}},
		{"unmatched", func() *PaidClaim {
			pc := paidClaim("r", paidLine("64493", []string{"50"}, 165000, "X-1"))
			pc.PatientControl, pc.MemberID = "NOPE", "M2"
			return pc
		}(), []lineWant{{0, Unmatched, []Flag{FlagManualReview}, true}}},
		{"claim-level only", func() *PaidClaim {
			pc := paidClaim("r")
			pc.Status, pc.Charge = "4", 305000
			return pc
		}(), []lineWant{{0, ClaimOnly, []Flag{FlagClaimLevelOnly, FlagDenied}, false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := NewMemory()
			mem.AddClaims(billedClaim())
			res, err := New(mem, Options{}).Match(tt.pc, practice, payer)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Lines) != len(tt.want) {
				t.Fatalf("%d line results, want %d", len(res.Lines), len(tt.want))
			}
			for i, w := range tt.want {
				lr := res.Lines[i]
				line := 0
				if lr.Billed != nil {
					line = lr.Billed.LineNumber
				}
				slices.Sort(lr.Flags)
				slices.Sort(w.flags)
				if line != w.line || lr.Method != w.method || lr.Review != w.review || !slices.Equal(lr.Flags, w.flags) {
					t.Errorf("line %d: got line %d %s review %v flags %v (conf %.2f), want line %d %s review %v flags %v",
						i+1, line, lr.Method, lr.Review, lr.Flags, lr.Confidence, w.line, w.method, w.review, w.flags)
				}
				if lr.Confidence < 0 || lr.Confidence > 1 {
					t.Errorf("line %d: confidence %v out of 0..1", i+1, lr.Confidence)
				}
			}
		})
	}
}

func TestMatchLineControlOfAnotherClaim(t *testing.T) {
	mem := NewMemory()
	mem.AddClaims(billedClaim())
	pc := paidClaim("r", paidLine("64494", nil, 55000, "PM-1-2"))
	pc.PatientControl = "OTHER"
	res, err := New(mem, Options{}).Match(pc, practice, payer)
	if err != nil {
		t.Fatal(err)
	}
	lr := res.Lines[0]
	if lr.Billed == nil || lr.Billed.LineNumber != 2 || lr.Method != LineControl || lr.Confidence != 0.95 ||
		!res.HasFlagged(FlagClaimControlDiffers) {
		t.Errorf("got %+v flags %v", lr, res.Flags)
	}
}

func TestDuplicateLinesInOrder(t *testing.T) {
	c := &billed.Claim{Practice: practice, PatientControl: "D-1", TotalCharge: 275000, Lines: []billed.Line{
		{Number: 1, Procedure: "64483", Modifiers: []string{"RT"}, Charge: 145000, Units: 1000, ServiceFrom: "2026-03-02"},
		{Number: 2, Procedure: "64484", Modifiers: []string{"RT"}, Charge: 65000, Units: 1000, ServiceFrom: "2026-03-02"},
		{Number: 3, Procedure: "64484", Modifiers: []string{"RT"}, Charge: 130000, Units: 2000, ServiceFrom: "2026-03-02"},
		{Number: 4, Procedure: "64484", Modifiers: []string{"RT"}, Charge: 65000, Units: 1000, ServiceFrom: "2026-03-02"},
	}}
	mem := NewMemory()
	mem.AddClaims(c)
	l3 := paidLine("64484", []string{"RT"}, 130000, "")
	l3.Units = 2000
	pc := paidClaim("r", paidLine("64484", []string{"RT"}, 65000, ""), l3, paidLine("64484", []string{"RT"}, 65000, ""),
		paidLine("64483", []string{"RT"}, 145000, ""))
	pc.PatientControl = "D-1"
	res, err := New(mem, Options{}).Match(pc, practice, payer)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, lr := range res.Lines {
		got = append(got, lr.Billed.LineNumber)
	}
	if want := []int{2, 3, 4, 1}; !slices.Equal(got, want) {
		t.Errorf("billed lines %v, want %v", got, want)
	}
}

func TestReversalCorrectionDuplicate(t *testing.T) {
	s := NewSession(Options{})
	if _, err := s.AddClaims(billedClaim()); err != nil {
		t.Fatal(err)
	}
	orig := paidClaim("f1#1", paidLine("64493", []string{"50"}, 165000, "PM-1-1"), paidLine("64494", nil, 55000, "PM-1-2"))
	if _, err := s.Match(orig, practice, payer); err != nil {
		t.Fatal(err)
	}
	// The same claim remitted again: a duplicate that posts nothing.
	dup := paidClaim("f2#1", paidLine("64493", []string{"50"}, 165000, "PM-1-1"), paidLine("64494", nil, 55000, "PM-1-2"))
	res, _ := s.Match(dup, practice, payer)
	if !res.HasFlagged(FlagDuplicateRemit) || res.Lines[0].NetPaid != 0 || res.NetsAgainst.Ref != "f1#1" {
		t.Errorf("duplicate: flags %v net %s", res.Flags, res.Lines[0].NetPaid)
	}
	// The reversal, listed in another order, then the correction under a new CLP07.
	rev := paidClaim("f3#1", paidLine("64494", nil, -55000, ""), paidLine("64493", []string{"50"}, -165000, ""))
	rev.Status = "22"
	for _, l := range rev.Lines {
		l.Paid = l.Charge / 2
	}
	corr := paidClaim("f3#2", paidLine("64493", []string{"50"}, 165000, "PM-1-1"), paidLine("64494", nil, 55000, "PM-1-2"))
	corr.PayerControl = "ICN2"
	corr.Lines[0].Paid += 1000
	LinkCorrection(rev, corr)
	rr, _ := s.Match(rev, practice, payer)
	for i, want := range []int{2, 1} {
		lr := rr.Lines[i]
		if lr.Method != Reversal || lr.Billed.LineNumber != want || lr.NetsAgainst == nil || lr.NetsAgainst.Ref != "f1#1" ||
			lr.NetsAgainst.LineIndex != want {
			t.Errorf("reversal line %d: %+v nets %+v", i+1, lr, lr.NetsAgainst)
		}
	}
	if p := s.Memory.Prior("f1#1"); p == nil || !p.Reversed {
		t.Error("the original payment is not marked reversed")
	}
	cr, _ := s.Match(corr, practice, payer)
	if !cr.HasFlagged(FlagCorrection) || cr.NetsAgainst.Ref != "f1#1" || cr.Lines[0].NetPaid != 1000 || cr.Lines[1].NetPaid != 0 {
		t.Errorf("correction: flags %v nets %+v net paid %s %s", cr.Flags, cr.NetsAgainst, cr.Lines[0].NetPaid, cr.Lines[1].NetPaid)
	}
	// A reversal of a payment never seen.
	lost := paidClaim("f4#1", paidLine("64494", nil, -55000, "PM-1-2"))
	lost.Status, lost.PayerControl = "22", "ICN9"
	lr, _ := s.Match(lost, practice, payer)
	if !lr.HasFlagged(FlagPriorPaymentMissing) || lr.Lines[0].Method != LineControl || lr.Lines[0].Billed.LineNumber != 2 {
		t.Errorf("reversal without prior: %+v", lr.Lines[0])
	}
}

func TestUnderpaid(t *testing.T) {
	fees := billed.NewFeeSchedule([]billed.Fee{{Payer: payer, Procedure: "64494", Allowed: 20000}})
	tests := []struct {
		paid, pr money.Amount
		tol      money.Amount
		want     bool
	}{
		{16000, 4000, 0, false},
		{15950, 4000, 0, false}, // within the default dollar
		{15800, 4000, 0, true},
		{15800, 4000, 500, false},
		{0, 20000, 0, false}, // all deductible
	}
	for _, tt := range tests {
		mem := NewMemory()
		mem.AddClaims(billedClaim())
		l := paidLine("64494", nil, 55000, "PM-1-2")
		l.Paid = tt.paid
		l.Adjustments = []Adjustment{{Group: "CO", Reason: "45", Amount: 55000 - tt.paid - tt.pr}, {Group: "PR", Reason: "2", Amount: tt.pr}}
		res, _ := New(mem, Options{Fees: fees, UnderpaidTolerance: tt.tol}).Match(paidClaim("r", l), practice, payer)
		lr := res.Lines[0]
		if lr.HasFlag(FlagUnderpaid) != tt.want || lr.Expected == nil || *lr.Expected != 20000 || lr.PatientResp != tt.pr ||
			lr.Allowed != tt.paid+tt.pr {
			t.Errorf("paid %s pr %s tol %s: underpaid %v, expected %v, allowed %s", tt.paid, tt.pr, tt.tol,
				lr.HasFlag(FlagUnderpaid), lr.Expected, lr.Allowed)
		}
	}
}

func TestMatchPLB(t *testing.T) {
	s := NewSession(Options{})
	s.AddClaims(billedClaim())
	if _, err := s.Match(paidClaim("f1#1", paidLine("64494", nil, 55000, "PM-1-2")), practice, payer); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ref, method string
		review      bool
	}{
		{"ICN1", PLBByPayerControl, false},
		{"CLAIM ICN1", PLBByPayerControl, false},
		{"PM-1", PLBByPatientControl, false},
		{"", PLBProviderLevel, false},
		{"ZZZ", PLBUnmatched, true},
	}
	for _, tt := range tests {
		r, err := s.Matcher.MatchPLB(PLB{Ref: "p", Reason: "WO", Reference: tt.ref, Amount: 1000}, practice, payer)
		if err != nil {
			t.Fatal(err)
		}
		linked := r.Billed != nil && r.Billed.PatientControl == "PM-1"
		if r.Method != tt.method || r.Review != tt.review || linked != (tt.method == PLBByPayerControl || tt.method == PLBByPatientControl) ||
			r.Kind != "recoupment" {
			t.Errorf("reference %q: %+v", tt.ref, r)
		}
	}
}

func TestPendingRematch(t *testing.T) {
	s := NewSession(Options{})
	pc := paidClaim("f1#1", paidLine("64494", nil, 55000, "PM-1-2"))
	res, _ := s.Match(pc, practice, payer)
	if res.Lines[0].Method != Unmatched || s.Pending.Len() != 1 {
		t.Fatalf("before the claim: %s, %d pending", res.Lines[0].Method, s.Pending.Len())
	}
	other := billedClaim()
	other.PatientControl = "PM-2"
	for i := range other.Lines {
		other.Lines[i].LineControl = "X" + other.Lines[i].LineControl
	}
	if got, _ := s.AddClaims(other); len(got) != 0 || s.Pending.Len() != 1 {
		t.Fatalf("an unrelated claim re-matched %d", len(got))
	}
	got, err := s.AddClaims(billedClaim())
	if err != nil || len(got) != 1 {
		t.Fatalf("re-matched %d, %v", len(got), err)
	}
	lr := got[0].Lines[0]
	if lr.Billed.LineNumber != 2 || lr.Method != LineControl || !lr.HasFlag(FlagLateClaim) || s.Pending.Len() != 0 {
		t.Errorf("after the claim: %+v, %d pending", lr, s.Pending.Len())
	}
	if keys := RetryKeys([]*billed.Claim{billedClaim()}); len(keys) != 1 || len(keys[0].LineControls) != 4 {
		t.Errorf("RetryKeys %+v", keys)
	}
}

func TestConfirm(t *testing.T) {
	lr := LineResult{Method: ClaimOnly, Confidence: 0.4, Review: true, Flags: []Flag{FlagManualReview, FlagDenied}}
	Confirm(&lr, Billed{PatientControl: "PM-1", LineNumber: 3})
	if lr.Method != Manual || lr.Confidence != 1 || lr.Review || lr.HasFlag(FlagManualReview) || !lr.HasFlag(FlagDenied) ||
		lr.Billed.LineNumber != 3 {
		t.Errorf("%+v", lr)
	}
}

func TestKeys(t *testing.T) {
	if got := FileKey("000000101", " PAYER ", []byte{0xab, 0x01}); got != "000000101|PAYER|ab01" {
		t.Errorf("FileKey %q", got)
	}
	if got := PaymentKey("EFT1", "1741234567", 123456); got != "EFT1|1741234567|1234.56" {
		t.Errorf("PaymentKey %q", got)
	}
	if got := ClaimKey("P1", "ICN1", "22", "2026-03-02"); got != "P1|ICN1|22|2026-03-02" {
		t.Errorf("ClaimKey %q", got)
	}
}

func TestMissingRemits(t *testing.T) {
	a, b, c := billedClaim(), billedClaim(), billedClaim()
	a.BilledDate = "2026-03-03"
	b.PatientControl, b.BilledDate = "PM-2", "2026-03-20"
	c.PatientControl, c.PayerID, c.BilledDate = "PM-3", "SLOW", "2026-03-03"
	log := NewRemitLog()
	res := &ClaimResult{Practice: practice, Payer: payer, Billed: &Billed{PatientControl: "PM-9"}}
	log.Observe(res, "2026-04-01")
	log.Observe(res, "2026-03-15")
	got := log.Missing([]*billed.Claim{a, b, c}, "2026-04-10", map[string]int{"SLOW": 45})
	if len(got) != 1 || got[0].PatientControl != "PM-1" || got[0].DaysOut != 38 {
		t.Errorf("missing %+v", got)
	}
	if d, ok := log.LastRemittance(payer); !ok || d != "2026-04-01" || !slices.Equal(log.Payers(), []string{payer}) {
		t.Errorf("last remittance %s %v", d, ok)
	}
	log.Observe(&ClaimResult{Practice: practice, Payer: payer, Billed: &Billed{PatientControl: "PM-1"}}, "2026-04-02")
	if got := log.Missing([]*billed.Claim{a}, "2026-04-10", nil); len(got) != 0 {
		t.Errorf("a remitted claim is listed: %+v", got)
	}
}

func TestAddClaimsIdempotent(t *testing.T) {
	mem := NewMemory()
	mem.AddClaims(billedClaim(), billedClaim())
	if l, _ := mem.ClaimsByControl(practice, "PM-1"); len(l) != 1 {
		t.Errorf("an equal claim loaded twice is held %d times", len(l))
	}
	repl := billedClaim()
	repl.FrequencyCode = "7"
	mem.AddClaims(repl)
	if l, _ := mem.ClaimsByControl(practice, "PM-1"); len(l) != 2 {
		t.Errorf("a replacement claim is held %d times with the original, want 2", len(l))
	}
}

func TestSecondaryNotUnderpaid(t *testing.T) {
	fees := billed.NewFeeSchedule([]billed.Fee{{Payer: payer, Procedure: "64494", Allowed: 20000}})
	mem := NewMemory()
	mem.AddClaims(billedClaim())
	l := paidLine("64494", nil, 55000, "PM-1-2")
	l.Paid, l.Adjustments = 4000, []Adjustment{{Group: "OA", Reason: "23", Amount: 51000}}
	pc := paidClaim("r", l)
	pc.Status = "2"
	res, _ := New(mem, Options{Fees: fees}).Match(pc, practice, payer)
	if lr := res.Lines[0]; lr.HasFlag(FlagUnderpaid) || !lr.HasFlag(FlagSecondary) {
		t.Errorf("secondary payment flags %v", lr.Flags)
	}
}

func TestDecide(t *testing.T) {
	bl0 := &billed.Line{Number: 2, Procedure: "64493", Modifiers: []string{"50"}, Charge: 110000, Units: 2000}
	tests := []struct {
		name  string
		paid  *PaidLine
		bl    *billed.Line
		flags []Flag
	}{
		{"same line", &PaidLine{Procedure: "64493", Modifiers: []string{"50"}, Units: 2000}, bl0, nil},
		{"code, modifier and units changed", &PaidLine{Procedure: "64494", Units: 1000}, bl0,
			[]Flag{FlagProcedureChanged, FlagModifierDropped, FlagUnitsReduced}},
		{"claim only", &PaidLine{Procedure: "64494"}, nil, nil},
	}
	for _, tc := range tests {
		r := &LineResult{Method: ClaimAndProcedure, Confidence: 0.6, Review: true,
			Flags: []Flag{FlagManualReview, FlagAmbiguous}}
		if tc.bl == nil {
			// Only the claim chosen: nothing to compare with.
			Decide(r, Billed{ClaimID: 7}, tc.paid, nil)
		} else {
			Decide(r, Billed{ClaimID: 7, LineID: 9, LineNumber: 2}, tc.paid, tc.bl)
			if r.BilledCharge != 110000 || r.BilledUnits != 2000 {
				t.Errorf("%s: billed charge %v units %v", tc.name, r.BilledCharge, r.BilledUnits)
			}
		}
		if r.Method != Manual || r.Confidence != 1 || r.Review || r.HasFlag(FlagManualReview) {
			t.Errorf("%s: %+v, want a manual decision", tc.name, r)
		}
		if !slices.Equal(r.Flags, tc.flags) {
			t.Errorf("%s: flags %v, want %v", tc.name, r.Flags, tc.flags)
		}
	}
}

// TestTrailingSpacesMatch: a CLP01 and a REF*6R sent with trailing spaces
// (seen in real 835s: "5554555444 ") match their billed claim and line by
// the trimmed key (issue 14); wire.TestPaidClaimTrailingSpaces checks the
// published message gives the same keys.
func TestTrailingSpacesMatch(t *testing.T) {
	c := &x12.ClaimPayment{PatientControl: "PM-1  ", Status: "1", Charge: 55000, Paid: 27500, PayerControl: "ICN1",
		Lines: []*x12.ServicePayment{{Procedure: x12.Procedure{Qualifier: "HC", Code: "64494"}, Charge: 55000, Paid: 27500,
			DateFrom: "2026-03-02", DateTo: "2026-03-02", Refs: []x12.Ref{{Qualifier: "6R", Value: "PM-1-2 "}},
			Adjustments: []x12.Adjustment{{Group: "CO", Reason: "45", Amount: 27500}}}}}
	for name, pc := range map[string]*PaidClaim{"x12": FromX12(c, "r")} {
		t.Run(name, func(t *testing.T) {
			mem := NewMemory()
			mem.AddClaims(billedClaim())
			res, err := New(mem, Options{}).Match(pc, practice, payer)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Lines) != 1 || res.Lines[0].Billed == nil || res.Lines[0].Billed.LineNumber != 2 || res.Lines[0].Method != LineControl {
				b, _ := json.Marshal(res.Lines)
				t.Fatalf("CLP01 %q / REF*6R %q: want billed line 2 by line control, got %s", c.PatientControl, "PM-1-2 ", b)
			}
		})
	}
}
