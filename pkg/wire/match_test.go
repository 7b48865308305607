package wire_test

import (
	"fmt"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/remitq/remitq/pkg/billed"
	"github.com/remitq/remitq/pkg/match"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/wire"
	v1 "github.com/remitq/remitq/proto/remitq/v1"
)

// The LineMatch method of each pkg/match method.
func ExampleMatchMethod() {
	for _, m := range []match.Method{match.LineControl, match.ClaimAndProcedure, match.Reversal, match.Manual} {
		fmt.Println(m, wire.MatchMethod(m))
	}
	// Output:
	// line_control MATCH_METHOD_LINE_CONTROL_NUMBER
	// claim_and_procedure MATCH_METHOD_PROCEDURE_DATE_UNITS
	// reversal MATCH_METHOD_REVERSAL
	// manual MATCH_METHOD_MANUAL
}

// Every pkg/match method has its own enum value, and MethodOf reads it back.
func TestMatchMethodRoundTrip(t *testing.T) {
	seen := map[v1.MatchMethod]match.Method{}
	for _, m := range []match.Method{match.LineControl, match.ClaimAndProcedure, match.Fuzzy, match.Reversal,
		match.ClaimOnly, match.Unmatched, match.Manual} {
		t.Run(string(m), func(t *testing.T) {
			v := wire.MatchMethod(m)
			if v == v1.MatchMethod_MATCH_METHOD_UNSPECIFIED {
				t.Fatalf("%s has no enum value", m)
			}
			if o, dup := seen[v]; dup {
				t.Fatalf("%s and %s share %s", m, o, v)
			}
			seen[v] = m
			if back := wire.MethodOf(v); back != m {
				t.Fatalf("MethodOf(%s) = %q, want %q", v, back, m)
			}
		})
	}
	if got := wire.MatchMethod("no_such_method"); got != v1.MatchMethod_MATCH_METHOD_UNSPECIFIED {
		t.Fatalf("unknown method = %s", got)
	}
}

func TestLineMatch(t *testing.T) {
	src := &v1.SourceRef{FileId: 7, FileSha256: "ab", SegmentIndex: 12, PracticeId: 3}
	exp := money.Amount(15000)
	r := &match.LineResult{Index: 2, Method: match.ClaimAndProcedure, Confidence: 0.9, Review: true,
		Flags: []match.Flag{"units_changed", "modifier_dropped"}, Allowed: 12000, PatientResp: 2000, Expected: &exp,
		NetPaid: 10000, Billed: &match.Billed{ClaimID: 41, LineID: 410, LineNumber: 2}}
	want := &v1.LineMatch{Source: src, Method: v1.MatchMethod_MATCH_METHOD_PROCEDURE_DATE_UNITS, Confidence: 0.9,
		NeedsReview: true, Flags: []string{"units_changed", "modifier_dropped"}, AllowedCents: 12000,
		PatientResponsibilityCents: 2000, ExpectedAllowedCents: proto.Int64(15000), NetPaidCents: 10000, SvcIndex: 2,
		BilledClaimId: 41, BilledLineId: 410}
	if got := wire.LineMatch(src, r); !proto.Equal(got, want) {
		t.Fatalf("LineMatch = %v\nwant %v", got, want)
	}
	// No billed line, no known method: unmatched, without ids or flags.
	got := wire.LineMatch(src, &match.LineResult{Index: 1})
	if got.GetMethod() != v1.MatchMethod_MATCH_METHOD_UNMATCHED || got.GetBilledClaimId() != 0 || got.Flags != nil ||
		got.ExpectedAllowedCents != nil {
		t.Fatalf("unmatched LineMatch = %v", got)
	}
}

func TestBilledLine(t *testing.T) {
	c := &billed.Claim{ID: 41, PatientControl: "PCN-1", RenderingNPI: "1234567893", PlaceOfService: "11",
		PriorAuth: "PA-CLAIM", TotalCharge: 90000,
		Lines: []billed.Line{
			{ID: 410, Number: 1, Procedure: "64483", Modifiers: []string{"RT"}, Units: 2000, Charge: 60000,
				ServiceFrom: "20260301", PlaceOfService: "22"},
			{ID: 411, Number: 2, Procedure: "77003", Charge: 30000, ServiceFrom: "20260302", PriorAuth: "PA-LINE"},
		}}
	for _, tt := range []struct {
		name string
		line *billed.Line
		want *v1.BilledLine
	}{
		{"claim only", nil, &v1.BilledLine{ClaimId: 41, PatientControlNumber: "PCN-1", RenderingNpi: "1234567893",
			PlaceOfService: "11", PriorAuthorization: "PA-CLAIM", ChargeCents: 90000, ServiceDate: "20260301"}},
		{"line overrides place of service", &c.Lines[0], &v1.BilledLine{ClaimId: 41, PatientControlNumber: "PCN-1",
			RenderingNpi: "1234567893", PlaceOfService: "22", PriorAuthorization: "PA-CLAIM", ChargeCents: 60000,
			ServiceDate: "20260301", LineId: 410, LineNumber: 1, ProcedureCode: "64483", Modifiers: []string{"RT"},
			UnitsMilli: 2000}},
		{"line overrides prior auth", &c.Lines[1], &v1.BilledLine{ClaimId: 41, PatientControlNumber: "PCN-1",
			RenderingNpi: "1234567893", PlaceOfService: "11", PriorAuthorization: "PA-LINE", ChargeCents: 30000,
			ServiceDate: "20260302", LineId: 411, LineNumber: 2, ProcedureCode: "77003", UnitsMilli: 1000}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := wire.BilledLine(c, tt.line); !proto.Equal(got, tt.want) {
				t.Fatalf("BilledLine = %v\nwant %v", got, tt.want)
			}
		})
	}
}
