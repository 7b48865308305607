package match_test

import (
	"fmt"

	"github.com/remitq/remitq/pkg/billed"
	"github.com/remitq/remitq/pkg/match"
)

func Example() {
	s := match.NewSession(match.Options{})
	// The claim as billed: a bilateral facet block and its second level.
	s.AddClaims(&billed.Claim{Practice: "1234567893", PatientControl: "PM-1", MemberID: "M1", TotalCharge: 220000,
		Lines: []billed.Line{
			{Number: 1, Procedure: "64493", Modifiers: []string{"50"}, Charge: 165000, Units: 1000, ServiceFrom: "2026-03-02", LineControl: "PM-1-1"},
			{Number: 2, Procedure: "64494", Charge: 55000, Units: 1000, ServiceFrom: "2026-03-02", LineControl: "PM-1-2"},
		}})
	// The payment: the second level comes back with its REF*6R; the first
	// without, and without its modifier 50.
	paid := &match.PaidClaim{Ref: "era-1:12", PatientControl: "PM-1", Status: "1", PayerControl: "ICN1",
		Charge: 220000, Paid: 60000, Lines: []*match.PaidLine{
			{Index: 1, Procedure: "64494", Charge: 55000, Paid: 20000, DateFrom: "2026-03-02", LineControl: "PM-1-2",
				Adjustments: []match.Adjustment{{Group: "CO", Reason: "45", Amount: 35000}}},
			{Index: 2, Procedure: "64493", Charge: 165000, Paid: 40000, DateFrom: "2026-03-02",
				Adjustments: []match.Adjustment{{Group: "CO", Reason: "45", Amount: 125000}}},
		}}
	res, err := s.Match(paid, "1234567893", "PAYER1")
	if err != nil {
		panic(err)
	}
	for _, l := range res.Lines {
		fmt.Printf("SVC %d %s -> %s line %d by %s (%.2f) %v\n", l.Index, l.Procedure, l.Billed.PatientControl,
			l.Billed.LineNumber, l.Method, l.Confidence, l.Flags)
	}
	// Output:
	// SVC 1 64494 -> PM-1 line 2 by line_control (1.00) []
	// SVC 2 64493 -> PM-1 line 1 by claim_and_procedure (0.98) [modifier_dropped]
}
