package kpi_test

import (
	"fmt"
	"os"

	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/kpi"
)

func Example() {
	claim := kpi.PaidClaim{Practice: 1, Payer: "PAY1", Status: "1", RemitDate: day.New(2026, 10, 5), Lines: []kpi.PaidLine{
		{SVC: 1, Procedure: "99214", Charge: 10000, Paid: 6000, PatientResp: 2000, Method: "line_control",
			Adjustments: []kpi.Adjustment{{Group: "CO", Reason: "45", Amount: 2000}, {Group: "PR", Reason: "2", Amount: 2000}}},
		{SVC: 2, Procedure: "64483", Charge: 20000, Method: "line_control",
			Adjustments: []kpi.Adjustment{{Group: "CO", Reason: "197", Amount: 20000}}, Remarks: []string{"N54"}},
	}}
	var rows []kpi.Row
	for _, c := range claim.Contributions() {
		if c.Basis == kpi.RemitBasis {
			rows = append(rows, kpi.Row{Day: c.Day, Dims: c.Dims, M: c.M})
		}
	}
	def, _ := kpi.Lookup("denial_rate_lines")
	rep, err := kpi.Compute(kpi.Request{Def: def, Bucket: kpi.ByMonth, From: day.New(2026, 10, 1), To: day.New(2026, 10, 31)}, rows)
	if err != nil {
		panic(err)
	}
	if err := rep.WriteCSV(os.Stdout, nil); err != nil {
		panic(err)
	}
	fmt.Println(def.Formula)
	// Output:
	// period_start,period_end,denial_rate_lines (%),lines denied (count),lines first adjudicated (count)
	// 2026-10-01,2026-10-31,50.00,1,2
	// lines denied in full or in part on first adjudication ÷ lines first adjudicated × 100
}
