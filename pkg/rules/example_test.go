package rules_test

import (
	"fmt"
	"strings"

	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/rules"
)

// A pre-bill check: a lumbar RFA for a patient who had one at this practice
// in January and one at a practice of the same covered entity in June, and
// fluoroscopy billed with it. Then the router's question for the same line
// denied with CARC 119.
func Example() {
	keyer, _ := rules.NewKeyer([]byte("a secret of at least 16 bytes"))
	patient, _ := keyer.Key(rules.Person{MemberID: "M000001", BirthDate: "1960-02-03", LastName: "Doe", FirstName: "Jane"})

	line := func(practice, claim string, n int, code, date string) rules.Line {
		return rules.Line{Claim: claim, Number: n, Patient: patient, Practice: practice, TIN: "111111111",
			Payer: "PAYER1", Date: day.Must(date), Procedure: code, Units: 1000, POS: "11", Auth: "AUTH-9"}
	}
	history := rules.NewIndex(2)
	history.Add(line("1234567893", "H-1", 1, "64635", "2026-01-10"), line("1987654321", "B-7", 1, "64635", "2026-06-02"))
	rec := &rules.Records{History: history, Sharing: &rules.Sharing{SameTIN: true}}

	claim := &rules.Claim{ID: "PM-1", Lines: []rules.Line{
		line("1234567893", "PM-1", 1, "64635", "2026-07-01"),
		line("1234567893", "PM-1", 2, "77003", "2026-07-01"),
	}}
	for _, f := range rules.Default().Check(claim, rec) {
		fmt.Printf("line %d %s %s %s: %s [%s]\n", f.Line, f.Procedure, f.Severity, f.Rule, f.Message, f.Source)
	}

	f, _ := rules.Default().Explain(claim.Lines[0], "CO-119", rec)
	fmt.Println(f.Category+":", strings.SplitN(f.Message, ",", 2)[0])
	// Output:
	// line 1 64635 deny frequency_cap: third lumbar/sacral RFA session in 12 months, over the cap of 2 (2026-01-10, 2026-06-02 at another practice) [LCD L38801 (facet) [LCD-CHECKLIST]]
	// line 2 77003 deny imaging_bundled: 77003 billed with 64635, whose code includes imaging guidance: guidance is not billed separately [NCCI PTP 2024-07; seed 004; CPT descriptors [UNVERIFIED]]
	// frequency_limit: third lumbar/sacral RFA session in 12 months
}
