package kpi

import (
	"errors"
	"strings"
	"testing"

	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/money"
)

// oneMonth computes a KPI over October 2026, ungrouped, from contributions.
func oneMonth(t *testing.T, name string, cs []Contribution) *Report {
	t.Helper()
	def, ok := Lookup(name)
	if !ok {
		t.Fatalf("no KPI %s", name)
	}
	var rows []Row
	for _, c := range cs {
		if c.Basis == RemitBasis {
			rows = append(rows, Row{Day: c.Day, Dims: c.Dims, M: c.M})
		}
	}
	rep, err := Compute(Request{Def: def, GroupBy: []Dim{}, Bucket: ByMonth, From: day.New(2026, 10, 1), To: day.New(2026, 10, 31)}, rows)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func contributions(cs ...interface{ Contributions() []Contribution }) []Contribution {
	var out []Contribution
	for _, c := range cs {
		out = append(out, c.Contributions()...)
	}
	return out
}

func numDen(t *testing.T, rep *Report) [2]int64 {
	t.Helper()
	if len(rep.Points) != 1 {
		t.Fatalf("%s: %d points: %+v", rep.Def.Name, len(rep.Points), rep.Points)
	}
	return [2]int64{rep.Points[0].Num, rep.Points[0].Den}
}

// TestInitialDenialRate: a claim denied, then paid on re-adjudication
// after an appeal, counts once, as denied; a partial denial counts as a
// denied claim and by its denied dollars.
func TestInitialDenialRate(t *testing.T) {
	denied := &PaidClaim{Practice: 1, Payer: "P", Status: "4", RemitDate: day.New(2026, 10, 2), Billed: true, BilledFrequency: "1",
		Lines: []PaidLine{{SVC: 1, Procedure: "64483", Charge: 40000, Method: "line_control", Adjustments: []Adjustment{{"CO", "50", 40000}}}}}
	again := &PaidClaim{Practice: 1, Payer: "P", Status: "1", RemitDate: day.New(2026, 10, 20), Billed: true, BilledFrequency: "1",
		Readjudication: true,
		Lines:          []PaidLine{{SVC: 1, Procedure: "64483", Charge: 40000, Paid: 30000, Method: "line_control", Adjustments: []Adjustment{{"CO", "45", 10000}}}}}
	partial := &PaidClaim{Practice: 1, Payer: "P", Status: "1", RemitDate: day.New(2026, 10, 3), Billed: true, BilledFrequency: "1",
		Lines: []PaidLine{{SVC: 1, Procedure: "64493", Charge: 30000, Paid: 10000, Method: "line_control", Adjustments: []Adjustment{{"CO", "151", 20000}}},
			{SVC: 2, Procedure: "99214", Charge: 10000, Paid: 8000, Method: "line_control", Adjustments: []Adjustment{{"CO", "45", 2000}}}}}
	replacement := &PaidClaim{Practice: 1, Payer: "P", Status: "1", RemitDate: day.New(2026, 10, 4), Billed: true, BilledFrequency: "7",
		Lines: []PaidLine{{SVC: 1, Procedure: "20552", Charge: 10000, Paid: 10000, Method: "line_control"}}}
	cs := contributions(denied, again, partial, replacement)
	// Claims: denied and partial are first adjudications, both denied.
	if got := numDen(t, oneMonth(t, "denial_rate", cs)); got != [2]int64{2, 2} {
		t.Errorf("claims %v, want 2 / 2", got)
	}
	// Lines: 64483 and 64493 of 3 lines first adjudicated.
	if got := numDen(t, oneMonth(t, "denial_rate_lines", cs)); got != [2]int64{2, 3} {
		t.Errorf("lines %v, want 2 / 3", got)
	}
	// Dollars: 400 + 200 (the denied part) of 400 + 300 + 100.
	if got := numDen(t, oneMonth(t, "denial_rate_dollars", cs)); got != [2]int64{60000, 80000} {
		t.Errorf("dollars %v, want 600 / 800", got)
	}
	// First-pass resolution: neither claim was paid in full.
	if got := numDen(t, oneMonth(t, "first_pass_resolution_rate", cs)); got != [2]int64{0, 2} {
		t.Errorf("first pass %v, want 0 / 2", got)
	}
	// The old reading (every adjudication, line level) counted the
	// re-adjudication again: it still does in denials_by_category, which
	// is a volume figure, not a rate.
	if !again.Contributions()[0].M.Zero() && again.First() {
		t.Error("a re-adjudication reads as a first adjudication")
	}
}

func TestCleanClaimRateUnavailable(t *testing.T) {
	rep := oneMonth(t, "clean_claim_rate", contributions(&PaidClaim{Practice: 1, Status: "1", RemitDate: day.New(2026, 10, 2),
		Lines: []PaidLine{{SVC: 1, Charge: 100, Paid: 100, Method: "line_control"}}}))
	if len(rep.Points) != 0 || !strings.Contains(rep.Def.Unavailable, "277CA") {
		t.Errorf("clean_claim_rate: %+v, unavailable %q", rep.Points, rep.Def.Unavailable)
	}
}

// TestNetCollectionPatientPayments: patient payments count; without any
// the report is payer-only and shows no target.
func TestNetCollectionPatientPayments(t *testing.T) {
	claim := &PaidClaim{Practice: 1, Payer: "P", Status: "1", RemitDate: day.New(2026, 10, 2), Billed: true,
		Lines: []PaidLine{{SVC: 1, Charge: 10000, Paid: 6000, Method: "line_control", Adjustments: []Adjustment{{"CO", "45", 2000}, {"PR", "2", 2000}}}}}
	rep := oneMonth(t, "net_collection_rate", contributions(claim))
	if rep.Def.Variant != "payer_only" || rep.Def.Target != nil || numDen(t, rep) != [2]int64{6000, 8000} {
		t.Errorf("payer only: %q %+v %+v", rep.Def.Title, rep.Def.Target, rep.Points)
	}
	pay := &PatientPayment{Practice: 1, Payer: "P", Paid: day.New(2026, 10, 9), Amount: 2000}
	rep = oneMonth(t, "net_collection_rate", contributions(claim, pay))
	if rep.Def.Variant != "" || rep.Def.Target == nil || numDen(t, rep) != [2]int64{8000, 8000} || rep.Points[0].Text(2) != "100.00" {
		t.Errorf("with patient payments: %q %+v", rep.Def.Title, rep.Points)
	}
	// A refund is negative.
	refund := &PatientPayment{Practice: 1, Paid: day.New(2026, 10, 10), Amount: -500}
	if got := numDen(t, oneMonth(t, "net_collection_rate", contributions(claim, pay, refund))); got != [2]int64{7500, 8000} {
		t.Errorf("with a refund: %v", got)
	}
}

// TestWrittenOffLeavesAR: a denial written off takes its balance out of
// payer A/R on the closing day; an underpayment item does not.
func TestWrittenOffLeavesAR(t *testing.T) {
	billed := &BilledClaim{Practice: 1, Payer: "P", Frequency: "1", Charge: 90000, Billed: day.New(2026, 9, 1)}
	denied := &PaidClaim{Practice: 1, Payer: "P", Status: "1", RemitDate: day.New(2026, 10, 2), Billed: true, BilledFrequency: "1",
		Lines: []PaidLine{{SVC: 1, Charge: 90000, Method: "line_control", Adjustments: []Adjustment{{"CO", "197", 90000}}}}}
	open := contributions(billed, denied)
	// 900 open × 90 ÷ 900 = 90 days.
	if got := numDen(t, oneMonth(t, "days_in_ar_payer", open)); got != [2]int64{90000, 90000} {
		t.Errorf("before the write-off: %v", got)
	}
	wo := &WorkItem{Practice: 1, Payer: "P", Kind: "denial", Created: day.New(2026, 10, 2), Closed: day.New(2026, 10, 15), Balance: 90000}
	under := &WorkItem{Practice: 1, Payer: "P", Kind: "underpayment", Created: day.New(2026, 10, 2), Closed: day.New(2026, 10, 15), Balance: 5000}
	if got := numDen(t, oneMonth(t, "days_in_ar_payer", append(open, contributions(wo, under)...))); got != [2]int64{0, 90000} {
		t.Errorf("after the write-off: %v", got)
	}
	// Resolved by a later payment (nothing left at risk): nothing more leaves.
	paid := &WorkItem{Practice: 1, Payer: "P", Kind: "denial", Created: day.New(2026, 10, 2), Closed: day.New(2026, 10, 15)}
	if got := numDen(t, oneMonth(t, "days_in_ar_payer", append(open, contributions(paid)...))); got != [2]int64{90000, 90000} {
		t.Errorf("resolved with nothing at risk: %v", got)
	}
}

// TestAppealRates: recovery over the dollars expected, pending appeals in
// neither rate.
func TestAppealRates(t *testing.T) {
	won := &WorkItem{Practice: 1, Kind: "denial", Created: day.New(2026, 10, 1), Appealed: day.New(2026, 10, 5), Closed: day.New(2026, 10, 25),
		AppealedAmount: 100000, Expected: 21000, Recovered: 21000} // billed $1,000, allowed $210, won in full
	lost := &WorkItem{Practice: 1, Kind: "denial", Created: day.New(2026, 10, 1), Appealed: day.New(2026, 10, 6), Closed: day.New(2026, 10, 26),
		AppealedAmount: 5000, Balance: 5000}
	pending := &WorkItem{Practice: 1, Kind: "denial", Created: day.New(2026, 10, 1), Appealed: day.New(2026, 10, 7), AppealedAmount: 7000, Expected: 7000}
	cs := contributions(won, lost, pending)
	if got := numDen(t, oneMonth(t, "appeal_overturn_rate", cs)); got != [2]int64{1, 2} {
		t.Errorf("overturn %v, want 1 / 2", got)
	}
	// 210 ÷ (210 + 50): the lost appeal had no expected amount known, so its amount at risk.
	if got := numDen(t, oneMonth(t, "appeal_recovery_rate", cs)); got != [2]int64{21000, 26000} {
		t.Errorf("recovery %v, want 210 / 260", got)
	}
	if pending.AppealDecided() || !won.AppealDecided() || !lost.AppealDecided() {
		t.Error("AppealDecided")
	}
}

// TestTrackedAppealState: tracked appeals decide the item's appeal over the
// inference: a win at any level, pending while a level is pending, lost on
// an upheld level, withdrawn levels left out; recorded recoveries, else the
// remits' payments.
func TestTrackedAppealState(t *testing.T) {
	oct := func(d int) day.Day { return day.New(2026, 10, d) }
	base := func(recovered money.Amount, closed day.Day, as ...Appeal) *WorkItem {
		return &WorkItem{Practice: 1, Kind: "denial", Created: oct(1), Closed: closed, Appealed: oct(2), AppealedAmount: 9900,
			Recovered: recovered, Appeals: as}
	}
	tests := []struct {
		name string
		w    *WorkItem
		want AppealState
	}{
		{"upheld then won at level 2, nothing recorded: the remits", base(4000, 0,
			Appeal{Level: 1, Submitted: oct(5), Outcome: AppealUpheld, Decided: oct(9), Amount: 5000},
			Appeal{Level: 2, Submitted: oct(10), Outcome: AppealPaidInFull, Decided: oct(20), Amount: 5000}),
			AppealState{Appealed: oct(5), Amount: 5000, Decided: true, Won: true, Recovered: 4000, Tracked: true, FirstDecided: true}},
		{"partial with a recorded amount", base(4000, 0,
			Appeal{Level: 1, Submitted: oct(5), Outcome: AppealPartial, Decided: oct(9), Amount: 5000, Recovered: 1500}),
			AppealState{Appealed: oct(5), Amount: 5000, Decided: true, Won: true, Recovered: 1500, Tracked: true, FirstDecided: true, FirstWon: true}},
		{"upheld, a remit paid something: lost", base(700, 0,
			Appeal{Level: 1, Submitted: oct(5), Outcome: AppealUpheld, Decided: oct(9), Amount: 5000}),
			AppealState{Appealed: oct(5), Amount: 5000, Decided: true, Tracked: true, FirstDecided: true}},
		{"upheld then pending at level 2", base(0, 0,
			Appeal{Level: 1, Submitted: oct(5), Outcome: AppealUpheld, Decided: oct(9), Amount: 5000},
			Appeal{Level: 2, Submitted: oct(10), Outcome: AppealPending, Amount: 5000}),
			AppealState{Appealed: oct(5), Amount: 5000, Tracked: true, FirstDecided: true}},
		{"withdrawn level 1, upheld level 2: dated by level 2", base(0, 0,
			Appeal{Level: 1, Submitted: oct(5), Outcome: AppealWithdrawn, Decided: oct(6), Amount: 5000},
			Appeal{Level: 2, Submitted: oct(12), Outcome: AppealUpheld, Decided: oct(20), Amount: 4500}),
			AppealState{Appealed: oct(12), Amount: 4500, Decided: true, Tracked: true}},
		{"all withdrawn, item closed: neither", base(0, oct(25),
			Appeal{Level: 1, Submitted: oct(5), Outcome: AppealWithdrawn, Decided: oct(6), Amount: 5000}),
			AppealState{Appealed: oct(5), Amount: 5000, Tracked: true}},
		{"no tracked appeal: closed with nothing recovered is lost", base(0, oct(25)),
			AppealState{Appealed: oct(2), Amount: 9900, Decided: true}},
		{"no tracked appeal: recovered is won", base(300, 0),
			AppealState{Appealed: oct(2), Amount: 9900, Decided: true, Won: true, Recovered: 300}},
	}
	// What the biller recorded on resolving the item (its outcome and the
	// amount the payer paid) decides an untracked appeal, as a tracked
	// level's outcome does: a paper check or a reprocessing no 835 shows
	// is a win, an appeal resolved upheld is lost even when a remit paid
	// something; the recorded amount counts when the remits show nothing.
	resolved := func(recovered money.Amount, outcome string, recorded money.Amount, as ...Appeal) *WorkItem {
		w := base(recovered, oct(25), as...)
		w.Outcome, w.RecordedRecovery = outcome, recorded
		return w
	}
	tests = append(tests, []struct {
		name string
		w    *WorkItem
		want AppealState
	}{
		{"resolved paid in full, no remit: won, the recorded amount", resolved(0, AppealPaidInFull, 450),
			AppealState{Appealed: oct(2), Amount: 9900, Decided: true, Won: true, Recovered: 450}},
		{"resolved partial, a remit paid: won, the remit's amount", resolved(600, AppealPartial, 450),
			AppealState{Appealed: oct(2), Amount: 9900, Decided: true, Won: true, Recovered: 600}},
		{"resolved upheld, a remit paid something: lost", resolved(700, AppealUpheld, 0),
			AppealState{Appealed: oct(2), Amount: 9900, Decided: true}},
		{"tracked win, nothing recorded on it nor paid by remits: the resolution's amount", resolved(0, AppealPaidInFull, 300,
			Appeal{Level: 1, Submitted: oct(5), Outcome: AppealPaidInFull, Decided: oct(9), Amount: 5000}),
			AppealState{Appealed: oct(5), Amount: 5000, Decided: true, Won: true, Recovered: 300, Tracked: true, FirstDecided: true, FirstWon: true}},
	}...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.w.AppealState(); got != tc.want {
				t.Errorf("%+v, want %+v", got, tc.want)
			}
		})
	}
	// Through the KPIs: won (level 2, remits 40), partial (15 recorded),
	// lost (upheld), pending, all withdrawn: 2 ÷ 3; 40 + 15 ÷ 50 + 50 + 50.
	var cs []Contribution
	for _, tc := range tests[:4] {
		cs = append(cs, tc.w.Contributions()...)
	}
	cs = append(cs, tests[5].w.Contributions()...)
	if got := numDen(t, oneMonth(t, "appeal_overturn_rate", cs)); got != [2]int64{2, 3} {
		t.Errorf("overturn %v, want 2 / 3", got)
	}
	if got := numDen(t, oneMonth(t, "appeal_recovery_rate", cs)); got != [2]int64{5500, 15000} {
		t.Errorf("recovery %v, want 55 / 150", got)
	}
	// Level 1: upheld (won later), partial, upheld, upheld (pending later);
	// the all-withdrawn item has no level-1 decision: 1 ÷ 4.
	if got := numDen(t, oneMonth(t, "appeal_overturn_rate_first_level", cs)); got != [2]int64{1, 4} {
		t.Errorf("first-level overturn %v, want 1 / 4", got)
	}
}

// TestUnderpaymentParts: a reversal's take-back is a part of its own.
func TestUnderpaymentParts(t *testing.T) {
	exp := money.Amount(10000)
	orig := &PaidClaim{Practice: 1, Status: "1", RemitDate: day.New(2026, 10, 2), Lines: []PaidLine{{SVC: 1, Charge: 12000, Paid: 7000,
		Expected: &exp, Flags: []string{"underpaid"}, Method: "line_control", Adjustments: []Adjustment{{"CO", "45", 5000}}}}}
	rev := &PaidClaim{Practice: 1, Status: "22", OrigStatus: "1", RemitDate: day.New(2026, 10, 20), Lines: []PaidLine{{SVC: 1, Charge: -12000,
		Paid: -7000, Method: "reversal", ReversesUnderpaid: true, ReversedShortfall: 3000, Adjustments: []Adjustment{{"CO", "45", -5000}}}}}
	rep := oneMonth(t, "underpayment_dollars", contributions(orig, rev))
	if len(rep.Points) != 1 || rep.Points[0].Num != 0 || len(rep.Points[0].Parts) != 2 ||
		rep.Points[0].Parts[0] != 3000 || rep.Points[0].Parts[1] != -3000 {
		t.Errorf("parts: %+v", rep.Points)
	}
}

func TestWorkAgingFromRemitDate(t *testing.T) {
	w := &WorkItem{Practice: 1, Kind: "denial", Created: day.New(2026, 10, 30), Origin: day.New(2026, 10, 1)}
	rep := oneMonth(t, "work_aging", contributions(w))
	if got := numDen(t, rep); got != [2]int64{30, 1} {
		t.Errorf("aging %v, want 30 days from the remit date", got)
	}
}

func TestDefsComplete(t *testing.T) {
	for _, d := range Defs() {
		if d.Definition == "" || d.Formula == "" || d.Chart == "" || len(d.Dims) == 0 {
			t.Errorf("%s: incomplete definition", d.Name)
		}
		if d.Unavailable == "" && (len(d.Num) == 0 || (d.Kind != Sum && len(d.Den) == 0)) {
			t.Errorf("%s: no terms", d.Name)
		}
	}
}

func TestParsePayments(t *testing.T) {
	head := "practice_npi,payment_id,account,claim_id,service_date,amount,paid_date,method\n"
	good := head + "1234567893,P1,A-1,CLM1,2026-09-14,15.5,2026-10-22,Card\n" +
		"1234567893,P2,A-1,,,-5,10/26/2026,other\n"
	recs, err := ParsePayments(strings.NewReader("\ufeff"+good), PaymentOptions{Today: day.New(2026, 11, 1)})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].Amount != 1550 || recs[0].Method != "card" || recs[0].ServiceDate != day.New(2026, 9, 14) ||
		recs[1].Amount != -500 || recs[1].Paid != day.New(2026, 10, 26) || recs[1].Line != 3 {
		t.Errorf("%+v", recs)
	}
	secret := "SMITH-JOHN-1961"
	for _, tc := range []struct {
		name, csv string
		want      []string // "line N, column" prefixes
	}{
		{"missing column", "practice_npi,payment_id,account,amount,paid_date,method\n1234567893,P1,A,1,2026-10-01,cash\n",
			[]string{"line 1, claim_id", "line 1, service_date"}},
		{"unknown column", strings.TrimSuffix(head, "\n") + ",patient_name\n", []string{"line 1, column 9"}},
		{"bad values", head + "1234567890,P1," + secret + ",,2026-13-01,$1,234.00,2026-10-01,bitcoin\n", []string{"line 2"}},
		{"bad fields", head +
			"1234567893,P1,A," + secret + ",," + "1,000.00,2026-10-01,cash\n" +
			"1234567893,P2,A,,,0,2026-10-01,cash\n" +
			"1234567893,P3,A,,,1.234,2026-10-01,cash\n" +
			"1234567893,P4,A,,,12,2027-01-01,cash\n" +
			"1234567893,P4,A,,,12,2026-10-01,cash\n" +
			"1234567893,P4,A,,,12,2026-10-02,cash\n",
			[]string{"line 2", "line 3, amount", "line 4, amount", "line 5, paid_date", "line 7, payment_id"}},
		{"empty", head, []string{"line 2"}},
	} {
		_, err := ParsePayments(strings.NewReader(tc.csv), PaymentOptions{Today: day.New(2026, 11, 1)})
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		msg := err.Error()
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: %q does not name %q", tc.name, msg, w)
			}
		}
		if strings.Contains(msg, secret) || strings.Contains(msg, "bitcoin") {
			t.Errorf("%s: the error echoes a value: %q", tc.name, msg)
		}
		var pe *PaymentError
		if !errors.As(err, &pe) {
			t.Errorf("%s: not a PaymentError: %v", tc.name, err)
		}
	}
	for npi, ok := range map[string]bool{"1234567893": true, "1245319599": true, "1234567890": false, "123456789": false, "12345678a3": false} {
		if validNPI(npi) != ok {
			t.Errorf("validNPI(%s) = %v", npi, !ok)
		}
	}
}
