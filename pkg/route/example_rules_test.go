package route_test

import (
	"fmt"

	"github.com/remitq/remitq/pkg/route"
	"github.com/remitq/remitq/pkg/rules"
)

func ExampleRulesSharpener() {
	lines, history := fixture() // the patient's billed lines, keyed by patient
	r := route.New(route.Config{Sharpener: &route.RulesSharpener{Lines: lines,
		Records: rules.Records{History: history, Sharing: &rules.Sharing{SameTIN: true}}}})
	d := r.Decide(denial("64635", "119", "N640"))
	fmt.Println(d.Category, d.Rule)
	fmt.Println(d.Text)
	// Output:
	// frequency_limit rules/frequency_cap
	// Denied: third lumbar/sacral RFA session in 12 months, over the cap of 2 (2026-01-10, 2026-06-02 at another practice) (CARC 119, RARC N640) for 64635 on 2026-07-01 — count the patient's sessions in the period across practices; appeal only if one was miscounted or was another region, otherwise bill the patient with a signed waiver; act by 2026-10-18.
}
