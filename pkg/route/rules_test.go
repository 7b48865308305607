package route_test

import (
	"strings"
	"testing"

	"github.com/remitq/remitq/carc"
	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/route"
	"github.com/remitq/remitq/pkg/rules"
)

var patient = rules.PatientKey{1, 2, 3}

func billed(claim string, n int, practice, tin, code, date string) rules.Line {
	return rules.Line{Claim: claim, Number: n, Patient: patient, Practice: practice, TIN: tin, Payer: "PAY",
		Date: day.Must(date), Procedure: code, Units: 1000, POS: "11", Auth: "A1", Rendering: "1111111111"}
}

// fixture: the patient's third lumbar RFA in 12 months, one of the earlier
// ones at another practice of the same TIN.
func fixture() (*route.BilledLines, *rules.Index) {
	lines := route.NewBilledLines()
	x := rules.NewIndex(3)
	denied := billed("C3", 1, "P1", "T1", "64635", "2026-07-01")
	x.Add(billed("C1", 1, "P1", "T1", "64635", "2026-01-10"), billed("C2", 1, "P2", "T1", "64635", "2026-06-02"), denied)
	lines.Add("P1", 77, denied)
	return lines, x
}

func denial(code, carcCode string, rarcs ...string) *route.Line {
	return &route.Line{PracticeID: "P1", PayerID: "PAY", ClaimID: "C3", LineIndex: 1, Procedure: code,
		ServiceDate: day.New(2026, 7, 1), Charge: money.MustParse("2400"),
		Adjustments: []route.Adjustment{{Group: "CO", Reason: carcCode, Amount: money.MustParse("2400")}},
		Remarks:     rarcs, ClaimStatus: "1", RemitDate: day.New(2026, 7, 20),
		Match: route.Match{Status: route.Matched, BilledClaim: "C3", BilledLine: 1}}
}

func TestSharpener(t *testing.T) {
	lines, x := fixture()
	s := &route.RulesSharpener{Lines: lines, Records: rules.Records{History: x, Sharing: &rules.Sharing{SameTIN: true}}}
	r := route.New(route.Config{Sharpener: s})
	for _, tc := range []struct {
		name     string
		line     *route.Line
		category carc.Category
		rule     string
		text     string
	}{
		{"CARC 119 on the third RFA: the sessions by date", denial("64635", "119", "N640"), carc.FrequencyLimit, "rules/frequency_cap",
			"third lumbar/sacral RFA session in 12 months, over the cap of 2 (2026-01-10, 2026-06-02 at another practice)"},
		{"found by database id", func() *route.Line {
			l := denial("64635", "119")
			l.Match.BilledClaim, l.Match.BilledLine, l.Match.BilledLineID = "", 0, 77
			return l
		}(), carc.FrequencyLimit, "rules/frequency_cap", "2026-06-02 at another practice"},
		{"a curated pair the rules do not map keeps its reading", denial("64635", "16", "N290"), carc.MissingClaimData, "", "rendering provider"},
		{"no billed line: the codes alone", func() *route.Line {
			l := denial("64635", "119")
			l.Match.BilledLine = 0
			return l
		}(), carc.FrequencyLimit, "pain/session-cap", "common policy allows 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := r.Decide(tc.line)
			if d.Category != tc.category || d.Rule != tc.rule || !strings.Contains(d.Text, tc.text) {
				t.Errorf("got %s rule %q text %q; want %s rule %q text containing %q", d.Category, d.Rule, d.Text, tc.category, tc.rule, tc.text)
			}
		})
	}
}

func TestSharpenerLeavesOtherDispositions(t *testing.T) {
	lines, x := fixture()
	s := &route.RulesSharpener{Lines: lines, Records: rules.Records{History: x}}
	l := denial("64635", "45")
	for _, d := range []route.Decision{
		{Disposition: route.Paid, Decisive: "CO-45"},
		{Disposition: route.UnderpaidLine, Category: carc.Underpayment},
		{Disposition: route.Denied, Category: carc.Other}, // no decisive code
	} {
		if sh, ok := s.Sharpen(*l, d); ok {
			t.Errorf("%+v sharpened to %+v", d, sh)
		}
	}
}
