package wire

import (
	"github.com/remitq/remitq/pkg/match"
	"github.com/remitq/remitq/pkg/money"
	v1 "github.com/remitq/remitq/proto/remitq/v1"
	"github.com/remitq/remitq/x12"
)

// PaidClaim converts the claim and service lines the ingest service
// publishes (remitq.v1.Claim and its ServiceLines, in file order). ref
// identifies the paid claim (see match.PaidClaim.Ref).
func PaidClaim(c *v1.Claim, lines []*v1.ServiceLine, ref string) *match.PaidClaim {
	pc := &match.PaidClaim{
		Ref: ref, PatientControl: x12.MatchKey(c.GetPatientControlNumber()), Status: c.GetStatusCode(),
		Charge: money.Amount(c.GetChargeCents()), Paid: money.Amount(c.GetPaidCents()),
		PatientResp: money.Amount(c.GetPatientResponsibilityCents()), FilingIndicator: c.GetClaimFilingIndicator(),
		PayerControl: c.GetPayerClaimControlNumber(), Frequency: c.GetFrequencyCode(),
		MemberID: c.GetPatient().GetMemberId(), PatientID: c.GetPatient().GetMemberId(),
		RenderingNPI: c.GetRenderingProviderNpi(), StatementFrom: x12.Date(c.GetServiceDateFrom()),
		StatementTo: x12.Date(c.GetServiceDateTo()), Adjustments: paidAdjustments(c.GetAdjustments()),
	}
	for _, p := range c.GetCorrectedPayers() {
		if p.GetEntityCode() == "TT" {
			pc.Crossover = p.GetName()
		}
	}
	for _, r := range c.GetRemarkCodes() {
		pc.Remarks = append(pc.Remarks, r.GetCode())
	}
	for i, s := range lines {
		l := &match.PaidLine{Index: i + 1, Procedure: s.GetProcedure().GetCode(), Modifiers: s.GetProcedure().GetModifiers(),
			Charge: money.Amount(s.GetChargeCents()), Paid: money.Amount(s.GetPaidCents()),
			DateFrom: x12.Date(s.GetServiceDateFrom()), DateTo: x12.Date(s.GetServiceDateTo()),
			LineControl: x12.MatchKey(s.GetLineControlNumber()), Adjustments: paidAdjustments(s.GetAdjustments())}
		if n := int(s.GetLineNumber()); n > 0 {
			l.Index = n
		}
		if o := s.GetOriginalProcedure(); o != nil {
			l.HasOriginal, l.OriginalProcedure, l.OriginalModifiers = true, o.GetCode(), o.GetModifiers()
		}
		if s.UnitsPaidMilli != nil {
			l.Units = x12.Quantity(*s.UnitsPaidMilli)
		}
		if s.OriginalUnitsMilli != nil {
			l.OriginalUnits = x12.Quantity(*s.OriginalUnitsMilli)
		}
		if s.AllowedCents != nil {
			l.Allowed, l.HasAllowed = money.Amount(*s.AllowedCents), true
		}
		for _, r := range s.GetRemarkCodes() {
			if r.GetQualifier() == "HE" {
				l.Remarks = append(l.Remarks, r.GetCode())
			}
		}
		pc.Lines = append(pc.Lines, l)
	}
	return pc
}

func paidAdjustments(in []*v1.Adjustment) []match.Adjustment {
	if len(in) == 0 {
		return nil
	}
	out := make([]match.Adjustment, len(in))
	for i, a := range in {
		out[i] = match.Adjustment{Group: a.GetGroupCode(), Reason: a.GetReasonCode(), Amount: money.Amount(a.GetAmountCents()),
			Quantity: x12.Quantity(a.GetQuantityMilli())}
	}
	return out
}
