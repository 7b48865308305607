package correct_test

import (
	"fmt"

	"github.com/remitq/remitq/pkg/correct"
)

// A modifier denial (CO-4) on a trigger point billed with a facet
// injection the same day: the corrected claim adds 59 to the line, is a
// replacement (7) of the payer's claim and gets new line ids.
func ExampleFix() {
	claim := sample(line(1, "64493", []string{"50"}, 165000), line(2, "20552", nil, 18000))
	res, err := correct.Fix(claim, correct.Denial{Category: "modifier", CARC: []string{"CO-4"}, Line: 2,
		PayerControl: "ICN-1", Revision: 1}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, ch := range res.Fixes() {
		fmt.Printf("line %d %s: %q -> %q\n", ch.Line, ch.Field, ch.From, ch.To)
	}
	c := res.Claim
	fmt.Println(c.FrequencyCode, c.PayerClaimControlNumber, c.Lines[1].LineControlNumber)
	// Output:
	// line 2 modifiers: "" -> "59"
	// 7 ICN-1 LC-20552-2.R1
}
