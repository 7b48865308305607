package kpi

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/money"
)

// small is two claims by hand: claim 1 (2026-10-05) pays 99214 (charge 100,
// paid 60, CO-45 20, PR-2 20) and denies 64483 (charge 200, CO-197 200 with
// N54); claim 2 (2026-10-20) is CLP02 4 denying 62323 (charge 400, CO-50).
func small() []PaidClaim {
	return []PaidClaim{
		{Practice: 1, Payer: "PAY1", Status: "1", RemitDate: day.New(2026, 10, 5), Billed: true, Lines: []PaidLine{
			{SVC: 1, Procedure: "99214", Charge: 10000, Paid: 6000, PatientResp: 2000, Method: "line_control",
				Adjustments: []Adjustment{{"CO", "45", 2000}, {"PR", "2", 2000}}},
			{SVC: 2, Procedure: "64483", Charge: 20000, Method: "line_control",
				Adjustments: []Adjustment{{"CO", "197", 20000}}, Remarks: []string{"N54"}}}},
		{Practice: 1, Payer: "PAY1", Status: "4", RemitDate: day.New(2026, 10, 20), Billed: true, Lines: []PaidLine{
			{SVC: 1, Procedure: "62323", Charge: 40000, Method: "line_control", Adjustments: []Adjustment{{"CO", "50", 40000}}}}},
	}
}

func TestClassifyLine(t *testing.T) {
	tests := []struct {
		name   string
		status string
		line   PaidLine
		denied bool
		cat    string
		denial money.Amount
	}{
		{"paid with contractual and patient share", "1", PaidLine{Charge: 100, Paid: 60, Adjustments: []Adjustment{{"CO", "45", 20}, {"PR", "2", 20}}}, false, "", 0},
		{"authorization denial", "1", PaidLine{Charge: 200, Adjustments: []Adjustment{{"CO", "197", 200}}, Remarks: []string{"N54"}}, true, "authorization", 200},
		{"patient responsibility only is not a denial", "1", PaidLine{Charge: 100, Adjustments: []Adjustment{{"PR", "1", 100}}}, false, "", 0},
		{"contractual only is not a denial", "1", PaidLine{Charge: 100, Adjustments: []Adjustment{{"CO", "45", 100}}}, false, "", 0},
		{"partial denial is not a denied line", "1", PaidLine{Charge: 300, Paid: 100, Adjustments: []Adjustment{{"CO", "151", 200}}}, false, "frequency_limit", 200},
		{"CLP02 4 without codes", "4", PaidLine{Charge: 100}, true, "other", 0},
		{"reversal reads as the payment it reverses", "22", PaidLine{Charge: -200, Adjustments: []Adjustment{{"CO", "197", -200}}}, true, "authorization", 200},
		{"underpaid", "1", PaidLine{Charge: 100, Paid: 50, PatientResp: 10, Flags: []string{"underpaid"}, Expected: ptr(80)}, false, "underpayment", 0},
	}
	for _, tc := range tests {
		c := ClassifyLine(tc.status, &tc.line)
		if c.Denied != tc.denied || c.Category != tc.cat || c.DenialAmount != tc.denial {
			t.Errorf("%s: %+v", tc.name, c)
		}
	}
	u := PaidLine{Charge: 100, Paid: 50, PatientResp: 10, Flags: []string{"underpaid"}, Expected: ptr(80)}
	if c := ClassifyLine("1", &u); c.Shortfall != 20 { // 80 − (50 + 10)
		t.Errorf("shortfall %s, want 0.20", c.Shortfall)
	}
}

func ptr(a money.Amount) *money.Amount { return &a }

func rowsOf(cs []PaidClaim, b Basis) []Row {
	rows, _ := summarize(cs, b)
	return rows
}

func TestComputeByDayAndMonth(t *testing.T) {
	def, _ := Lookup("denial_rate_lines")
	rows := rowsOf(small(), RemitBasis)
	// By month: 2 denied of 3 lines.
	rep, err := Compute(Request{Def: def, Bucket: ByMonth, From: day.New(2026, 10, 1), To: day.New(2026, 10, 31)}, rows)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Points) != 1 || rep.Points[0].Num != 2 || rep.Points[0].Den != 3 || rep.Points[0].Text(2) != "66.67" {
		t.Fatalf("month: %+v", rep.Points)
	}
	// By day: 10-05 1 of 2 = 50 %, 10-20 1 of 1 = 100 %.
	rep, _ = Compute(Request{Def: def, Bucket: ByDay, From: day.New(2026, 10, 1), To: day.New(2026, 10, 31)}, rows)
	if len(rep.Points) != 2 || rep.Points[0].Text(2) != "50.00" || rep.Points[1].Text(2) != "100.00" ||
		rep.Points[1].Start != day.New(2026, 10, 20) {
		t.Fatalf("days: %+v", rep.Points)
	}
	// By week (ISO, Monday): 2026-10-05 is a Monday, 10-20 a Tuesday in the week of 10-19.
	rep, _ = Compute(Request{Def: def, Bucket: ByWeek, From: day.New(2026, 10, 1), To: day.New(2026, 10, 31)}, rows)
	if len(rep.Points) != 2 || rep.Points[0].Start != day.New(2026, 10, 5) || rep.Points[1].Start != day.New(2026, 10, 19) ||
		rep.Points[1].End != day.New(2026, 10, 25) {
		t.Fatalf("weeks: %+v", rep.Points)
	}
	// Grouped by CPT.
	rep, _ = Compute(Request{Def: def, GroupBy: []Dim{DimCPT}, Bucket: ByMonth, From: day.New(2026, 10, 1), To: day.New(2026, 10, 31)}, rows)
	got := map[string]string{}
	for _, p := range rep.Points {
		got[p.Group[0]] = p.Text(0)
	}
	if len(got) != 3 || got["99214"] != "0" || got["64483"] != "100" || got["62323"] != "100" {
		t.Errorf("by cpt: %v", got)
	}
	// A KPI refuses a grouping it cannot give.
	cc, _ := Lookup("first_pass_resolution_rate")
	if _, err := Compute(Request{Def: cc, GroupBy: []Dim{DimCPT}, From: 1, To: 2}, rows); err == nil {
		t.Error("first_pass_resolution_rate grouped by cpt")
	}
}

func TestExports(t *testing.T) {
	def, _ := Lookup("denial_rate_dollars")
	rep, err := Compute(Request{Def: def, GroupBy: []Dim{DimPayer}, Bucket: ByDay, From: day.New(2026, 10, 1), To: day.New(2026, 10, 31)},
		rowsOf(small(), RemitBasis))
	if err != nil {
		t.Fatal(err)
	}
	labels := Labels{DimPayer: {"PAY1": "Hand Payer"}}
	var b bytes.Buffer
	if err := rep.WriteCSV(&b, labels); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"payer", "payer_name", "period_start", "period_end", "denial_rate_dollars (%)", "dollars denied ($)", "charges first adjudicated ($)"},
		{"PAY1", "Hand Payer", "2026-10-05", "2026-10-05", "66.67", "200.00", "300.00"},
		{"PAY1", "Hand Payer", "2026-10-20", "2026-10-20", "100.00", "400.00", "400.00"},
	}
	if len(recs) != len(want) {
		t.Fatalf("csv: %v", recs)
	}
	for i := range want {
		if strings.Join(recs[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("csv row %d: %v, want %v", i, recs[i], want[i])
		}
	}
	b.Reset()
	if err := rep.WriteXLSX(&b, labels); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	// Money cells are numbers with a currency format, dates are dates: a
	// SUM over the amounts gives 600.
	if err := f.SetCellFormula("denial_rate_dollars", "F10", "SUM(F2:F3)"); err != nil {
		t.Fatal(err)
	}
	if v, err := f.CalcCellValue("denial_rate_dollars", "F10", excelize.Options{RawCellValue: true}); err != nil || v != "600" {
		t.Errorf("SUM of the money column: %q %v", v, err)
	}
	for cell, typ := range map[string]excelize.CellType{"F2": excelize.CellTypeNumber, "C2": excelize.CellTypeNumber, "E2": excelize.CellTypeNumber} {
		got, err := f.GetCellType("denial_rate_dollars", cell)
		if err != nil || (got != typ && got != excelize.CellTypeUnset) {
			t.Errorf("%s: type %v %v", cell, got, err)
		}
	}
	if v, _ := f.GetCellValue("denial_rate_dollars", "C2"); v != "2026-10-05" {
		t.Errorf("date cell shows %q", v)
	}
	if v, _ := f.GetCellValue("denial_rate_dollars", "E2"); v != "66.67%" {
		t.Errorf("percent cell shows %q", v)
	}
	if v, _ := f.GetCellValue("denial_rate_dollars", "F2"); v != "$200.00" {
		t.Errorf("money cell shows %q", v)
	}
}
