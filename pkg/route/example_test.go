package route_test

import (
	"fmt"

	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/route"
)

func Example() {
	r := route.New(route.Config{})
	remit := day.New(2026, 3, 2)
	d := r.Decide(&route.Line{
		ClaimID: "PAIN26002", LineIndex: 1,
		Procedure: "64635", ServiceDate: remit,
		Charge: money.MustParse("2400"), Paid: 0,
		Adjustments: []route.Adjustment{{Group: "CO", Reason: "197", Amount: money.MustParse("2400")}},
		Remarks:     []string{"N54"},
		RemitDate:   remit,
		Match:       route.Match{Status: route.Matched},
	})
	fmt.Println(d.Disposition, d.Category, d.CARC, d.AmountAtRisk, d.AppealDeadline, d.Priority)
	fmt.Println(d.Text)
	// Output:
	// denied authorization [CO-197] 2400.00 2026-05-31 840
	// Denied: prior authorization missing or does not match (CARC 197, RARC N54) for 64635 on 2026-03-02 — attach the matching auth or request retro-authorization; appeal by 2026-05-31.
}
