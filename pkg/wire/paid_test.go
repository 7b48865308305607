package wire_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/remitq/remitq/pkg/match"
	"github.com/remitq/remitq/pkg/wire"
	v1 "github.com/remitq/remitq/proto/remitq/v1"
	"github.com/remitq/remitq/x12"
)

func TestPaidClaimEqualsFromX12(t *testing.T) {
	units, orig := x12.Quantity(1000), x12.Quantity(2000)
	c := &x12.ClaimPayment{PatientControl: "PM-1", Status: "1", Charge: 64000, Paid: 20000, PatientResp: 5000,
		FilingIndicator: "CI", PayerControl: "ICN1", Frequency: "1", StatementFrom: "2026-03-02", StatementTo: "2026-03-02",
		Names:       []x12.Name{{Entity: "QC", IDQualifier: "MI", ID: "M1"}, {Entity: "82", IDQualifier: "XX", ID: "1234567901"}},
		Adjustments: []x12.Adjustment{{Group: "OA", Reason: "23", Amount: 0}},
		Lines: []*x12.ServicePayment{{Procedure: x12.Procedure{Qualifier: "HC", Code: "J1040"}, Charge: 64000, Paid: 20000,
			Units: &units, OriginalUnits: &orig, Original: &x12.Procedure{Qualifier: "HC", Code: "J1040", Modifiers: []string{"JW"}},
			DateFrom: "2026-03-02", DateTo: "2026-03-02", Refs: []x12.Ref{{Qualifier: "6R", Value: "PM-1-4"}},
			Amounts: []x12.Amount{{Qualifier: "B6", Amount: 25000}}, Remarks: []x12.Remark{{Qualifier: "HE", Code: "N362"}},
			Adjustments: []x12.Adjustment{{Group: "CO", Reason: "45", Amount: 39000}, {Group: "PR", Reason: "2", Amount: 5000}}}}}
	fx := match.FromX12(c, "r")
	allowed, u, ou := int64(25000), int64(1000), int64(2000)
	pb := wire.PaidClaim(&v1.Claim{PatientControlNumber: "PM-1", StatusCode: "1", ChargeCents: 64000, PaidCents: 20000,
		PatientResponsibilityCents: 5000, ClaimFilingIndicator: "CI", PayerClaimControlNumber: "ICN1", FrequencyCode: "1",
		ServiceDateFrom: "2026-03-02", ServiceDateTo: "2026-03-02", RenderingProviderNpi: "1234567901",
		Patient:     &v1.Patient{MemberId: "M1"},
		Adjustments: []*v1.Adjustment{{GroupCode: "OA", ReasonCode: "23"}}},
		[]*v1.ServiceLine{{LineNumber: 1, Procedure: &v1.Procedure{Qualifier: "HC", Code: "J1040"},
			OriginalProcedure: &v1.Procedure{Qualifier: "HC", Code: "J1040", Modifiers: []string{"JW"}},
			ChargeCents:       64000, PaidCents: 20000, UnitsPaidMilli: &u, OriginalUnitsMilli: &ou, ServiceDateFrom: "2026-03-02",
			ServiceDateTo: "2026-03-02", LineControlNumber: "PM-1-4", AllowedCents: &allowed,
			RemarkCodes: []*v1.RemarkCode{{Qualifier: "HE", Code: "N362"}},
			Adjustments: []*v1.Adjustment{{GroupCode: "CO", ReasonCode: "45", AmountCents: 39000}, {GroupCode: "PR", ReasonCode: "2", AmountCents: 5000}}}}, "r")
	fx.PatientID = pb.PatientID // the proto carries one member id
	if !reflect.DeepEqual(fx, pb) {
		a, _ := json.Marshal(fx)
		b, _ := json.Marshal(pb)
		t.Errorf("match.FromX12 and wire.PaidClaim differ:\n%s\n%s", a, b)
	}
}

// TestPaidClaimTrailingSpaces: a CLP01 and a REF*6R sent with trailing
// spaces (seen in real 835s) give the published message the same trimmed
// match keys as the decoded 835 (issue 14).
func TestPaidClaimTrailingSpaces(t *testing.T) {
	c := &x12.ClaimPayment{PatientControl: "PM-1  ", Status: "1", Charge: 55000, Paid: 27500,
		Lines: []*x12.ServicePayment{{Procedure: x12.Procedure{Qualifier: "HC", Code: "64494"}, Charge: 55000, Paid: 27500,
			DateFrom: "2026-03-02", DateTo: "2026-03-02", Refs: []x12.Ref{{Qualifier: "6R", Value: "PM-1-2 "}},
			Adjustments: []x12.Adjustment{{Group: "CO", Reason: "45", Amount: 27500}}}}}
	pb := wire.PaidClaim(&v1.Claim{PatientControlNumber: "PM-1  ", StatusCode: "1", ChargeCents: 55000, PaidCents: 27500},
		[]*v1.ServiceLine{{LineNumber: 1, Procedure: &v1.Procedure{Qualifier: "HC", Code: "64494"}, ChargeCents: 55000,
			PaidCents: 27500, ServiceDateFrom: "2026-03-02", ServiceDateTo: "2026-03-02", LineControlNumber: "PM-1-2 ",
			Adjustments: []*v1.Adjustment{{GroupCode: "CO", ReasonCode: "45", AmountCents: 27500}}}}, "p")
	fx := match.FromX12(c, "p")
	if pb.PatientControl != "PM-1" || pb.PatientControl != fx.PatientControl || pb.Lines[0].LineControl != "PM-1-2" || pb.Lines[0].LineControl != fx.Lines[0].LineControl {
		t.Errorf("keys: message %q/%q, 835 %q/%q; want PM-1/PM-1-2", pb.PatientControl, pb.Lines[0].LineControl, fx.PatientControl, fx.Lines[0].LineControl)
	}
}
