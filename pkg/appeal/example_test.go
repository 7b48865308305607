package appeal_test

import (
	"fmt"
	"strings"

	"github.com/remitq/remitq/carc"
	"github.com/remitq/remitq/pkg/appeal"
	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/route"
	"github.com/remitq/remitq/pkg/rules"
)

// A Medicare Part B denial of a lumbar transforaminal ESI for missing
// authorization (WISeR), with the authorization on file: the packet is a
// redetermination to the MAC, due 120 days after the remittance.
func Example() {
	ps := rules.DefaultProfiles()
	prof := ps.Resolve("03102", "", "", day.Must("2026-07-01")) // Noridian JF, Arizona
	remit := day.New(2026, 7, 20)
	f := appeal.Facts{
		Practice: appeal.Practice{Name: "Desert Spine & Pain Associates", NPI: "1306849750", Phone: "520-555-0143"},
		Provider: appeal.Provider{Name: "Daniel Okafor, MD", NPI: "1467503385"},
		Payer:    appeal.Payer{Name: "Noridian JF Part B", ID: "03102"},
		Profile:  *prof,
		Patient:  appeal.Patient{Name: "Rosalind Q. Testpatient", DOB: "1951-03-14", MemberID: "1EG4TE5MK73"},
		Claim: appeal.Claim{PatientControlNumber: "DSP2607011", PayerClaimControlNumber: "22026201123450",
			Billed: money.MustParse("950"), RemitDate: remit, CheckOrEFT: "EFT884120"},
		Lines: []appeal.DeniedLine{{
			Number: 1, Date: day.New(2026, 7, 1), Procedure: "64483", Modifiers: []string{"LT"}, Units: 1,
			Diagnoses: []string{"M54.16"}, Billed: money.MustParse("950"),
			Adjustment: []route.Adjustment{{Group: "CO", Reason: "197", Amount: money.MustParse("950")}},
			Remarks:    []string{"N54"},
			Cause:      appeal.Cause{Category: carc.Authorization, Route: route.RouteAppeal},
			Evidence: appeal.Evidence{Auth: &appeal.Auth{Number: "WSR-0042117",
				From: day.New(2026, 6, 20), Through: day.New(2026, 8, 19), Codes: []string{"64483"}}},
		}},
	}
	p, err := appeal.Build(f, day.New(2026, 8, 3))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p)
	fmt.Println(p.Form != nil, p.Deadline.DaysLeft)
	for _, s := range strings.Split(p.Text(), "\n") {
		if strings.HasPrefix(s, "Prior authorization") {
			fmt.Println(s[:strings.Index(s, ". ")+1])
		}
	}

	// Once the MAC has decided, the next level is the QIC, counted from the decision.
	f.LevelsUsed, f.PriorDecisionDate = 1, day.New(2026, 10, 5)
	p, _ = appeal.Build(f, day.New(2026, 10, 12))
	fmt.Println(p.Level.Name, p.Deadline.Date)

	// A patient's identity never prints, not even in errors.
	f.Lines = nil
	_, err = appeal.Build(f, day.New(2026, 8, 3))
	fmt.Println(err, f.Patient)
	// Output:
	// appeal packet: redetermination to Medicare Administrative Contractor JF Noridian (redeterminations), claim DSP2607011, 1 line(s), due 2026-11-17
	// true 106
	// Prior authorization WSR-0042117 was issued before the service and is valid from 2026-06-20 through 2026-08-19 for 64483.
	// reconsideration (QIC) 2027-04-03
	// appeal: no denied line to appeal: Facts.Lines is empty [REDACTED]
}
