package wire

import (
	"github.com/remitq/remitq/pkg/billed"
	"github.com/remitq/remitq/pkg/match"
	v1 "github.com/remitq/remitq/proto/remitq/v1"
)

var methods = map[match.Method]v1.MatchMethod{
	match.LineControl:       v1.MatchMethod_MATCH_METHOD_LINE_CONTROL_NUMBER,
	match.ClaimAndProcedure: v1.MatchMethod_MATCH_METHOD_PROCEDURE_DATE_UNITS,
	match.ClaimOnly:         v1.MatchMethod_MATCH_METHOD_CLAIM_ONLY,
	match.Unmatched:         v1.MatchMethod_MATCH_METHOD_UNMATCHED,
	match.Manual:            v1.MatchMethod_MATCH_METHOD_MANUAL,
	match.Fuzzy:             v1.MatchMethod_MATCH_METHOD_FUZZY,
	match.Reversal:          v1.MatchMethod_MATCH_METHOD_REVERSAL,
}

// MatchMethod is the LineMatch enum of a pkg/match method
// (MATCH_METHOD_UNSPECIFIED for a method it does not know).
func MatchMethod(m match.Method) v1.MatchMethod { return methods[m] }

// MethodOf is the pkg/match method of a LineMatch enum value ("" for
// UNSPECIFIED or a value it does not know).
func MethodOf(v v1.MatchMethod) match.Method {
	for m, e := range methods {
		if e == v {
			return m
		}
	}
	return ""
}

// LineMatch is the LineMatch of the matcher's answer r for the paid line
// from src: method (unmatched when r's is unknown), confidence, review,
// flags, amounts, SVC index and the billed claim and line ids. The caller
// adds what it knows beyond the answer: the paid line, the billed line's
// details (BilledLine), the payment it nets against, siblings, revision.
func LineMatch(src *v1.SourceRef, r *match.LineResult) *v1.LineMatch {
	m := &v1.LineMatch{
		Source: src, Method: MatchMethod(r.Method), Confidence: r.Confidence, NeedsReview: r.Review,
		AllowedCents: r.Allowed.Cents(), PatientResponsibilityCents: r.PatientResp.Cents(),
		NetPaidCents: r.NetPaid.Cents(), SvcIndex: int32(r.Index),
	}
	if m.Method == v1.MatchMethod_MATCH_METHOD_UNSPECIFIED {
		m.Method = v1.MatchMethod_MATCH_METHOD_UNMATCHED
	}
	if len(r.Flags) > 0 {
		m.Flags = make([]string, len(r.Flags))
		for i, f := range r.Flags {
			m.Flags[i] = string(f)
		}
	}
	if r.Expected != nil {
		v := r.Expected.Cents()
		m.ExpectedAllowedCents = &v
	}
	if b := r.Billed; b != nil {
		m.BilledClaimId, m.BilledLineId = b.ClaimID, b.LineID
	}
	return m
}

// BilledLine is the billed claim c as a LineMatch carries it, with its
// line l when the match names one (nil: the claim only, with the claim's
// total charge and first service date). A line's prior authorization and
// place of service override the claim's.
func BilledLine(c *billed.Claim, l *billed.Line) *v1.BilledLine {
	b := &v1.BilledLine{ClaimId: c.ID, PatientControlNumber: c.PatientControl, RenderingNpi: c.RenderingNPI,
		PlaceOfService: c.PlaceOfService, PriorAuthorization: c.PriorAuth,
		ChargeCents: c.TotalCharge.Cents(), ServiceDate: string(c.ServiceDateFrom())}
	if l == nil {
		return b
	}
	b.LineId, b.LineNumber, b.ProcedureCode, b.Modifiers = l.ID, int32(l.Number), l.Procedure, l.Modifiers
	b.UnitsMilli, b.ChargeCents, b.ServiceDate = int64(l.UnitsOrOne()), l.Charge.Cents(), string(l.ServiceFrom)
	if l.PriorAuth != "" {
		b.PriorAuthorization = l.PriorAuth
	}
	if l.PlaceOfService != "" {
		b.PlaceOfService = l.PlaceOfService
	}
	return b
}
