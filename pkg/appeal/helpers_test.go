package appeal_test

import (
	"testing"

	"github.com/remitq/remitq/carc"
	"github.com/remitq/remitq/pkg/appeal"
	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/route"
	"github.com/remitq/remitq/pkg/rules"
)

// Dates of the fixtures: service, remittance and the letter's day.
var (
	dos   = day.New(2026, 7, 1)
	remit = day.New(2026, 7, 20)
	today = day.New(2026, 8, 3)
)

// Patient identity of the fixtures: tests assert it is on the letter and
// nowhere else.
const (
	patientName = "Rosalind Q. Testpatient"
	patientDOB  = "1951-03-14"
	memberID    = "1EG4TE5MK73"
)

// profile loads a shipped profile the way the router does: Medicare by its
// MAC contract number (03102, Noridian JF), the others by id.
func profile(t testing.TB, plan string) rules.Profile {
	t.Helper()
	ps := rules.DefaultProfiles()
	d := day.Must("2026-07-01")
	var p *rules.Profile
	if plan == rules.PlanMedicare {
		p = ps.Resolve("03102", "", "", d)
	} else {
		p = ps.Get(plan, d)
	}
	if p == nil {
		t.Fatalf("no shipped profile for %s", plan)
	}
	return *p
}

var payers = map[string]appeal.Payer{
	rules.PlanMedicare:          {Name: "Noridian JF Part B", ID: "03102"},
	rules.PlanMedicareAdvantage: {Name: "Sunrise Medicare Advantage HMO", ID: "SMA01"},
	rules.PlanMedicaid:          {Name: "Arizona AHCCCS", ID: "AZM01"},
	rules.PlanCommercial:        {Name: "Copperstate Health Plan", ID: "CHP77"},
}

// facts is a claim of Desert Spine & Pain with the given denied lines.
func facts(t testing.TB, plan string, lines ...appeal.DeniedLine) appeal.Facts {
	var billed, paid money.Amount
	for _, l := range lines {
		billed += l.Billed
		paid += l.Paid
	}
	return appeal.Facts{
		Practice: appeal.Practice{Name: "Desert Spine & Pain Associates", NPI: "1306849750",
			Address: []string{"4410 N Campbell Ave, Suite 200", "Tucson, AZ 85718"}, Phone: "520-555-0143", Fax: "520-555-0144",
			Contact: "Marisol Vega, billing"},
		Provider: appeal.Provider{Name: "Daniel Okafor, MD", NPI: "1467503385"},
		Payer:    payers[plan],
		Profile:  profile(t, plan),
		Patient:  appeal.Patient{Name: patientName, DOB: patientDOB, MemberID: memberID},
		Claim: appeal.Claim{PatientControlNumber: "DSP2607011", PayerClaimControlNumber: "22026201123450",
			From: dos, Through: dos, Billed: billed + money.MustParse("180"), Paid: paid + money.MustParse("112.40"),
			RemitDate: remit, CheckOrEFT: "EFT884120"},
		Lines: lines,
	}
}

func adj(group, code, amount string) route.Adjustment {
	return route.Adjustment{Group: group, Reason: code, Amount: money.MustParse(amount)}
}

func appealCause(c carc.Category, reason string) appeal.Cause {
	return appeal.Cause{Category: c, Reason: reason, Route: route.RouteAppeal, Appealable: true}
}

func line(n int, code string, mods []string, billed string, c appeal.Cause, ev appeal.Evidence, adjs ...route.Adjustment) appeal.DeniedLine {
	return appeal.DeniedLine{Number: n, Date: dos, Procedure: code, Modifiers: mods, Units: 1, Diagnoses: []string{"M47.816", "M54.50"},
		Billed: money.MustParse(billed), Allowed: 0, Paid: 0, Adjustment: adjs, Cause: c, Evidence: ev}
}
