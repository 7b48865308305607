package wire_test

import (
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/route"
	"github.com/remitq/remitq/pkg/wire"
	v1 "github.com/remitq/remitq/proto/remitq/v1"
)

func lineMatch() *v1.LineMatch {
	exp := int64(30000)
	units, orig := int64(1000), int64(2000)
	return &v1.LineMatch{
		Source: &v1.SourceRef{FileSha256: "ab", SegmentIndex: 41, PracticeId: 7},
		Line: &v1.ServiceLinePayment{
			Claim: &v1.Claim{PatientControlNumber: "P1-1", StatusCode: "1", ServiceDateFrom: "2026-02-01",
				Adjustments: []*v1.Adjustment{{GroupCode: "OA", ReasonCode: "23", AmountCents: 5}},
				RemarkCodes: []*v1.RemarkCode{{Qualifier: "MOA", Code: "MA130"}}},
			Payer:   &v1.Payer{Id: "N104", PayerIdentifier: "SYNMCR"},
			Payee:   &v1.Payee{Npi: "1000000001"},
			Payment: &v1.Payment{ProductionDate: "2026-03-20"},
			Line: &v1.ServiceLine{LineNumber: 2, Procedure: &v1.Procedure{Code: "64484", Modifiers: []string{"LT"}},
				ChargeCents: 130000, PaidCents: 11000, UnitsPaidMilli: &units, OriginalUnitsMilli: &orig,
				Adjustments: []*v1.Adjustment{{GroupCode: "CO", ReasonCode: "151", AmountCents: 65000, QuantityMilli: 1000}},
				RemarkCodes: []*v1.RemarkCode{{Qualifier: "HE", Code: "N362"}, {Qualifier: "RX", Code: "75"}}},
		},
		Method: v1.MatchMethod_MATCH_METHOD_PROCEDURE_DATE_UNITS, Flags: []string{"units_reduced", "split_claim", "crossover"},
		ExpectedAllowedCents: &exp, PatientResponsibilityCents: 4000, BilledLineId: 9002, SvcIndex: 2,
		Billed: &v1.BilledLine{ClaimId: 9, PatientControlNumber: "P1-1", LineNumber: 2, ProcedureCode: "64484",
			Modifiers: []string{"LT"}, UnitsMilli: 2000},
		Siblings: []*v1.SiblingLine{{SvcIndex: 1, ProcedureCode: "64483", ServiceDate: "2026-02-01"},
			{SvcIndex: 3, ProcedureCode: "77003", ServiceDate: "2026-02-08"}, {SvcIndex: 4, ProcedureCode: "J1040"}},
	}
}

func TestToLine(t *testing.T) {
	l, err := wire.RouteLine(lineMatch(), wire.RouteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"practice", l.PracticeID, "7"},
		{"payer", l.PayerID, "SYNMCR"},
		{"claim", l.ClaimID, "P1-1"},
		{"index", l.LineIndex, 2},
		{"service date from the claim", l.ServiceDate, day.New(2026, 2, 1)},
		{"remit date from DTM*405", l.RemitDate, day.New(2026, 3, 20)},
		{"units billed", l.UnitsBilled, int64(2000)},
		{"units paid", l.UnitsPaid, int64(1000)},
		{"paid", l.Paid, money.MustParse("110")},
		{"remarks without NCPDP codes", l.Remarks, []string{"N362"}},
		{"claim remarks", l.ClaimRemarks, []string{"MA130"}},
		{"adjustment quantity", l.Adjustments[0].Quantity, int64(1000)},
		{"siblings on the same date", l.Siblings, []string{"64483", "J1040"}},
		{"status", l.Match.Status, route.Matched},
		{"flags", l.Match.Flags, route.UnitsReduced | route.SplitClaim},
		{"expected payment", l.Match.Expected, money.MustParse("260")},
		{"billed line", [3]any{l.Match.BilledClaim, l.Match.BilledLine, l.Match.BilledLineID}, [3]any{"P1-1", 2, int64(9002)}},
		{"billed claim id from the billed line", l.Match.BilledClaimID, int64(9)},
		{"billed code only when changed", l.Match.BilledProcedure, ""},
	} {
		if !equal(c.got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func equal(a, b any) bool {
	if as, ok := a.([]string); ok {
		bs, _ := b.([]string)
		return slices.Equal(as, bs)
	}
	return a == b
}

func TestToLineProblems(t *testing.T) {
	for name, edit := range map[string]func(*v1.LineMatch){
		"bad service date": func(m *v1.LineMatch) { m.Line.Line.ServiceDateFrom = "2026-13-40" },
		"bad remit date":   func(m *v1.LineMatch) { m.Line.Payment.ProductionDate = "03/20/2026" },
		"no line":          func(m *v1.LineMatch) { m.Line.Line = nil },
	} {
		m := lineMatch()
		edit(m)
		if _, err := wire.RouteLine(m, wire.RouteOptions{}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestDecideClaimLevel(t *testing.T) {
	m := lineMatch()
	m.Line.Line, m.Line.ClaimLevelOnly, m.SvcIndex, m.ExpectedAllowedCents = nil, true, 0, nil
	m.Line.Claim.StatusCode, m.Line.Claim.ChargeCents = "4", 130000
	m.Line.Claim.Adjustments = []*v1.Adjustment{{GroupCode: "CO", ReasonCode: "16", AmountCents: 130000}}
	m.Method, m.Flags = v1.MatchMethod_MATCH_METHOD_CLAIM_ONLY, []string{"claim_level_only", "denied"}
	if !wire.ClaimLevel(m) {
		t.Fatal("not claim level")
	}
	d, err := wire.Decide(route.New(route.Config{}), m, wire.RouteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.LineIndex != 0 || d.Disposition != route.Denied || d.Category != "missing_claim_data" || d.AmountAtRisk != money.MustParse("1300") {
		t.Errorf("claim-level decision %+v", d)
	}
	unmatched := proto.Clone(m).(*v1.LineMatch)
	unmatched.Method = v1.MatchMethod_MATCH_METHOD_UNMATCHED
	if d, _ := wire.Decide(route.New(route.Config{}), unmatched, wire.RouteOptions{}); d.WorkItem != route.UnmatchedRemittance {
		t.Errorf("unmatched claim: work %q", d.WorkItem)
	}
}
