package wire

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/route"
	v1 "github.com/remitq/remitq/proto/remitq/v1"
)

// RouteOptions shape the conversion of a LineMatch to the router's input.
type RouteOptions struct {
	// AsOf is "today" for the urgency of the appeal deadline; the zero Date
	// uses the remit date (offline runs, reproducible output).
	AsOf day.Day
}

// ErrNoLine reports a LineMatch without the paid line it is about.
var ErrNoLine = errors.New("wire: LineMatch without a paid line")

// ClaimLevel reports whether m stands for a whole claim paid at claim level
// only (no SVC loop): it is decided with route.Router.DecideClaim.
func ClaimLevel(m *v1.LineMatch) bool {
	p := m.GetLine()
	return p.GetClaimLevelOnly() || p.GetLine() == nil
}

// PracticeKey returns the practice key of m: the remitq practice id in
// decimal when the payee resolved to one, else the payee NPI, else its TIN.
func PracticeKey(m *v1.LineMatch) string {
	if id := m.GetSource().GetPracticeId(); id > 0 {
		return strconv.FormatInt(id, 10)
	}
	if id := m.GetLine().GetSource().GetPracticeId(); id > 0 {
		return strconv.FormatInt(id, 10)
	}
	p := m.GetLine().GetPayee()
	if p.GetNpi() != "" {
		return p.GetNpi()
	}
	return p.GetTin()
}

// PayerKey returns the payer key of m: the code the ingest stores payers by
// (REF*2U, else N1*PR N104; x12.Party.PayerID).
func PayerKey(m *v1.LineMatch) string {
	p := m.GetLine().GetPayer()
	if p.GetPayerIdentifier() != "" {
		return p.GetPayerIdentifier()
	}
	return p.GetId()
}

// RemitDate returns the date the appeal clock starts from: the payment date
// (BPR16), else the production date (DTM*405).
func RemitDate(m *v1.LineMatch) (day.Day, error) {
	pay := m.GetLine().GetPayment()
	s := pay.GetPaymentDate()
	if s == "" {
		s = pay.GetProductionDate()
	}
	return day.Parse(s)
}

// Decide routes m: route.Router.DecideClaim for a claim-level-only CLP,
// route.Router.Decide otherwise.
func Decide(r *route.Router, m *v1.LineMatch, o RouteOptions) (route.Decision, error) {
	if ClaimLevel(m) {
		c, err := RouteClaim(m, o)
		if err != nil {
			return route.Decision{}, err
		}
		return r.DecideClaim(c), nil
	}
	l, err := RouteLine(m, o)
	if err != nil {
		return route.Decision{}, err
	}
	return r.Decide(l), nil
}

// RouteLine converts a LineMatch for a service line to the router's input.
// Amounts are cents in both; dates must be YYYY-MM-DD. The service date is
// the line's DTM*472/150, else the claim's statement date.
func RouteLine(m *v1.LineMatch, o RouteOptions) (*route.Line, error) {
	p := m.GetLine()
	sl := p.GetLine()
	if sl == nil {
		return nil, ErrNoLine
	}
	c := p.GetClaim()
	l := &route.Line{
		PracticeID: PracticeKey(m), PayerID: PayerKey(m), ClaimID: c.GetPatientControlNumber(),
		LineIndex: int(sl.GetLineNumber()),
		Procedure: sl.GetProcedure().GetCode(), Modifiers: sl.GetProcedure().GetModifiers(),
		Charge: money.Amount(sl.GetChargeCents()), Paid: money.Amount(sl.GetPaidCents()),
		Adjustments:      routeAdjustments(sl.GetAdjustments()),
		Remarks:          routeRemarks(sl.GetRemarkCodes()),
		ClaimAdjustments: routeAdjustments(c.GetAdjustments()),
		ClaimRemarks:     routeRemarks(c.GetRemarkCodes()),
		ClaimStatus:      c.GetStatusCode(),
		AsOf:             o.AsOf,
	}
	if i := m.GetSvcIndex(); i > 0 {
		l.LineIndex = int(i)
	}
	if sl.AllowedCents != nil {
		l.Allowed, l.HasAllowed = money.Amount(sl.GetAllowedCents()), true
	}
	if sl.UnitsPaidMilli != nil {
		l.UnitsPaid = sl.GetUnitsPaidMilli()
	}
	if sl.OriginalUnitsMilli != nil {
		l.UnitsBilled = sl.GetOriginalUnitsMilli()
	} else {
		l.UnitsBilled = l.UnitsPaid
	}
	var err error
	ds := sl.GetServiceDateFrom()
	if ds == "" {
		ds = c.GetServiceDateFrom()
	}
	if l.ServiceDate, err = day.Parse(ds); err != nil {
		return nil, fmt.Errorf("routeline: service date: %w", err)
	}
	if l.RemitDate, err = RemitDate(m); err != nil {
		return nil, fmt.Errorf("routeline: remit date: %w", err)
	}
	l.Match = routeMatch(m)
	for _, s := range m.GetSiblings() {
		if s.GetSvcIndex() == int32(l.LineIndex) {
			continue
		}
		if s.GetServiceDate() != "" && ds != "" && s.GetServiceDate() != ds {
			continue
		}
		l.Siblings = append(l.Siblings, s.GetProcedureCode())
	}
	return l, nil
}

// RouteClaim converts a LineMatch for a claim-level-only CLP to the router's
// claim input.
func RouteClaim(m *v1.LineMatch, o RouteOptions) (*route.Claim, error) {
	c := m.GetLine().GetClaim()
	if c == nil {
		return nil, ErrNoLine
	}
	out := &route.Claim{
		PracticeID: PracticeKey(m), PayerID: PayerKey(m), ClaimID: c.GetPatientControlNumber(), Status: c.GetStatusCode(),
		Charge: money.Amount(c.GetChargeCents()), Paid: money.Amount(c.GetPaidCents()),
		Adjustments: routeAdjustments(c.GetAdjustments()), Remarks: routeRemarks(c.GetRemarkCodes()),
		AsOf: o.AsOf, Match: routeMatch(m),
	}
	var err error
	ds := c.GetServiceDateFrom()
	if ds == "" {
		ds = m.GetBilled().GetServiceDate()
	}
	if out.ServiceDate, err = day.Parse(ds); err != nil {
		return nil, fmt.Errorf("routeline: service date: %w", err)
	}
	if out.RemitDate, err = RemitDate(m); err != nil {
		return nil, fmt.Errorf("routeline: remit date: %w", err)
	}
	return out, nil
}

// routeMatch reads the matcher's facts. The expected payment is the expected
// allowed amount less the patient's share.
func routeMatch(m *v1.LineMatch) route.Match {
	var mt route.Match
	switch m.GetMethod() {
	case v1.MatchMethod_MATCH_METHOD_UNSPECIFIED:
		mt.Status = route.NotChecked
	case v1.MatchMethod_MATCH_METHOD_UNMATCHED:
		mt.Status = route.Unmatched
	default:
		mt.Status = route.Matched
	}
	mt.Flags, _ = route.ParseFlags(m.GetFlags())
	if m.ExpectedAllowedCents != nil {
		mt.Expected = money.Amount(m.GetExpectedAllowedCents() - m.GetPatientResponsibilityCents())
		mt.HasExpected = true
	}
	if b := m.GetBilled(); b != nil {
		mt.BilledClaim, mt.BilledLine = b.GetPatientControlNumber(), int(b.GetLineNumber())
		mt.BilledUnits = b.GetUnitsMilli()
		if ClaimLevel(m) || b.GetLineNumber() > 0 {
			mt.BilledCharge = money.Amount(b.GetChargeCents())
		}
		if mt.Flags.Has(route.ProcedureChanged) || mt.Flags.Has(route.ModifierDropped) {
			mt.BilledProcedure, mt.BilledModifiers = b.GetProcedureCode(), b.GetModifiers()
		}
	}
	mt.BilledClaimID, mt.BilledLineID = m.GetBilledClaimId(), m.GetBilledLineId()
	if mt.BilledClaimID == 0 {
		mt.BilledClaimID = m.GetBilled().GetClaimId()
	}
	if mt.BilledLineID == 0 {
		mt.BilledLineID = m.GetBilled().GetLineId()
	}
	return mt
}

func routeAdjustments(in []*v1.Adjustment) []route.Adjustment {
	if len(in) == 0 {
		return nil
	}
	out := make([]route.Adjustment, len(in))
	for i, a := range in {
		out[i] = route.Adjustment{Group: a.GetGroupCode(), Reason: a.GetReasonCode(),
			Amount: money.Amount(a.GetAmountCents()), Quantity: a.GetQuantityMilli()}
	}
	return out
}

// routeRemarks keeps the RARCs (HE, MOA, MIA); NCPDP reject codes (RX) are not
// remark codes the router reads.
func routeRemarks(in []*v1.RemarkCode) []string {
	if len(in) == 0 {
		return nil
	}
	out := make([]string, 0, len(in))
	for _, r := range in {
		if r.GetQualifier() != "RX" && r.GetCode() != "" {
			out = append(out, r.GetCode())
		}
	}
	return out
}
