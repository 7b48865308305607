package wire

import (
	"encoding/hex"

	"github.com/remitq/remitq/pkg/bus"
	v1 "github.com/remitq/remitq/proto/remitq/v1"
	"github.com/remitq/remitq/x12"
)

// FileRef identifies a stored file for the messages built from it.
type FileRef struct {
	ID     int64
	SHA256 [32]byte
}

// RemitMessages builds the JetStream messages for one claim: the
// ClaimPayment holding the whole claim with its lines, and, when lines, one
// ServiceLinePayment per service line (or one claim-level-only message when
// the CLP has no SVC) for subscribers that want lines alone. practiceID is 0
// for an unknown payee.
func RemitMessages(f FileRef, practiceID int64, c *x12.ClaimPayment, lines bool) ([]bus.Message, error) {
	rem := c.Remittance
	sha := hex.EncodeToString(f.SHA256[:])
	src := func(seg int) *v1.SourceRef {
		return &v1.SourceRef{FileId: f.ID, FileSha256: sha, SegmentIndex: int32(seg),
			TransactionControlNumber: rem.Control, PracticeId: practiceID, Version: rem.Implementation}
	}
	claim := claimProto(c)
	payer, payee, payment := payerProto(&rem.Payer), payeeProto(&rem.Payee), paymentProto(rem)
	n := 1
	if lines {
		n += max(len(c.Lines), 1)
	}
	out := make([]bus.Message, 0, n)
	if lines && len(c.Lines) == 0 {
		m, err := bus.NewLineMessage(&v1.ServiceLinePayment{Source: src(c.Segment), Claim: claim,
			Payer: payer, Payee: payee, Payment: payment, ClaimLevelOnly: true})
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	// Every line message of the claim repeats the claim, payer, payee and
	// payment: they are encoded once, and each line's own fields (source and
	// line) are encoded and joined to them. Protobuf's wire format allows
	// fields in any order, so the result decodes to the whole message.
	var shared []byte
	if lines && len(c.Lines) > 0 {
		var err error
		if shared, err = (&v1.ServiceLinePayment{Claim: claim, Payer: payer, Payee: payee, Payment: payment}).MarshalVT(); err != nil {
			return nil, err
		}
	}
	cl := make([]*v1.ClaimLine, len(c.Lines))
	for i, l := range c.Lines {
		line := lineProto(l)
		cl[i] = &v1.ClaimLine{SegmentIndex: int32(l.Segment), Line: line}
		if !lines {
			continue
		}
		s := src(l.Segment)
		id, err := bus.LineMsgID(s)
		if err != nil {
			return nil, err
		}
		own, err := (&v1.ServiceLinePayment{Source: s, Line: line}).MarshalVT()
		if err != nil {
			return nil, err
		}
		out = append(out, bus.RawMessage(bus.LineSubject(practiceID), id, LineType, append(own, shared...)))
	}
	m, err := bus.NewClaimMessage(&v1.ClaimPayment{Source: src(c.Segment), Claim: claim, Payer: payer,
		Payee: payee, Payment: payment, LineCount: int32(len(c.Lines)), Lines: cl})
	if err != nil {
		return nil, err
	}
	return append(out, m), nil
}

// PLBMessages builds one ProviderAdjustment message per PLB pair of rem.
func PLBMessages(f FileRef, practiceID int64, rem *x12.Remittance) ([]bus.Message, error) {
	sha := hex.EncodeToString(f.SHA256[:])
	out := make([]bus.Message, 0, len(rem.Adjustments))
	for _, a := range rem.Adjustments {
		m, err := bus.NewPLBMessage(&v1.ProviderAdjustment{
			Source: &v1.SourceRef{FileId: f.ID, FileSha256: sha, SegmentIndex: int32(a.Segment),
				TransactionControlNumber: rem.Control, PracticeId: practiceID, Version: rem.Implementation},
			ProviderId: a.ProviderID, FiscalPeriodDate: string(a.FiscalPeriod), ReasonCode: a.Reason,
			Reference: a.Reference, AmountCents: a.Amount.Cents(), Position: int32(a.Position),
			Payer: payerProto(&rem.Payer), Payee: payeeProto(&rem.Payee), Payment: paymentProto(rem)})
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

func claimProto(c *x12.ClaimPayment) *v1.Claim {
	p := &v1.Claim{
		PatientControlNumber: c.PatientControl, StatusCode: c.Status,
		ChargeCents: c.Charge.Cents(), PaidCents: c.Paid.Cents(), PatientResponsibilityCents: c.PatientResp.Cents(),
		ClaimFilingIndicator: c.FilingIndicator, PayerClaimControlNumber: c.PayerControl,
		FacilityCode: c.FacilityType, FrequencyCode: c.Frequency,
		Adjustments:     adjustmentsProto(c.Adjustments),
		ServiceDateFrom: string(c.StatementFrom), ServiceDateTo: string(c.StatementTo),
		ReceivedDate: string(c.ReceivedDate), ClpSegmentIndex: int32(c.Segment),
		References: refsProto(c.Refs), Amounts: amountsProto(c.Amounts),
	}
	if c.Outpatient != nil {
		for _, r := range c.Outpatient.Remarks {
			p.RemarkCodes = append(p.RemarkCodes, &v1.RemarkCode{Qualifier: "MOA", Code: r})
		}
	}
	if c.Inpatient != nil {
		for _, r := range c.Inpatient.Remarks {
			p.RemarkCodes = append(p.RemarkCodes, &v1.RemarkCode{Qualifier: "MIA", Code: r})
		}
	}
	p.RenderingProviderNpi = c.RenderingNPI()
	pat := &v1.Patient{}
	if n := c.Name("QC"); n != nil {
		pat.PatientLastName, pat.PatientFirstName = n.Last, n.First
	}
	_, pat.MemberId = c.PatientIdentity()
	p.Patient = pat
	for _, n := range c.Names {
		if n.Entity == "PR" || n.Entity == "TT" {
			p.CorrectedPayers = append(p.CorrectedPayers, &v1.CorrectedPayer{EntityCode: n.Entity, Name: n.Last, IdQualifier: n.IDQualifier, Id: n.ID})
		}
	}
	return p
}

func lineProto(l *x12.ServicePayment) *v1.ServiceLine {
	p := &v1.ServiceLine{
		LineNumber: int32(l.Number), Procedure: procedureProto(&l.Procedure),
		ChargeCents: l.Charge.Cents(), PaidCents: l.Paid.Cents(), RevenueCode: l.RevenueCode,
		ServiceDateFrom: string(l.DateFrom), ServiceDateTo: string(l.DateTo),
		LineControlNumber: l.LineControl(), References: refsProto(l.Refs), Amounts: amountsProto(l.Amounts),
		Adjustments: adjustmentsProto(l.Adjustments),
	}
	if l.Original != nil {
		p.OriginalProcedure = procedureProto(l.Original)
	}
	if l.Units != nil {
		v := int64(*l.Units)
		p.UnitsPaidMilli = &v
	}
	if l.OriginalUnits != nil {
		v := int64(*l.OriginalUnits)
		p.OriginalUnitsMilli = &v
	}
	if a, ok := l.Allowed(); ok {
		v := a.Cents()
		p.AllowedCents = &v
	}
	for _, r := range l.Remarks {
		p.RemarkCodes = append(p.RemarkCodes, &v1.RemarkCode{Qualifier: r.Qualifier, Code: r.Code})
	}
	return p
}

func procedureProto(p *x12.Procedure) *v1.Procedure {
	return &v1.Procedure{Qualifier: p.Qualifier, Code: p.Code, Modifiers: p.Modifiers}
}

func adjustmentsProto(adj []x12.Adjustment) []*v1.Adjustment {
	if len(adj) == 0 {
		return nil
	}
	out := make([]*v1.Adjustment, len(adj))
	for i, a := range adj {
		out[i] = &v1.Adjustment{GroupCode: a.Group, ReasonCode: a.Reason, AmountCents: a.Amount.Cents()}
		if a.Quantity != nil {
			out[i].QuantityMilli = int64(*a.Quantity)
		}
	}
	return out
}

func refsProto(refs []x12.Ref) []*v1.Reference {
	if len(refs) == 0 {
		return nil
	}
	out := make([]*v1.Reference, len(refs))
	for i, r := range refs {
		out[i] = &v1.Reference{Qualifier: r.Qualifier, Value: r.Value}
	}
	return out
}

func amountsProto(am []x12.Amount) []*v1.Amount {
	if len(am) == 0 {
		return nil
	}
	out := make([]*v1.Amount, len(am))
	for i, a := range am {
		out[i] = &v1.Amount{Qualifier: a.Qualifier, AmountCents: a.Amount.Cents()}
	}
	return out
}

func payerProto(p *x12.Party) *v1.Payer {
	return &v1.Payer{Name: p.Name, Id: p.ID, IdQualifier: p.IDQualifier, PayerIdentifier: p.PayerID()}
}

func payeeProto(p *x12.Party) *v1.Payee {
	return &v1.Payee{Name: p.Name, Npi: p.NPI(), Tin: p.TIN()}
}

func paymentProto(rem *x12.Remittance) *v1.Payment {
	return &v1.Payment{AmountCents: rem.Payment.Amount.Cents(), CreditDebit: rem.Payment.CreditDebit,
		Method: rem.Payment.Method, TraceNumber: rem.Trace.Number, TraceOriginator: rem.Trace.Originator,
		PaymentDate: string(rem.Payment.Date), ProductionDate: string(rem.ProductionDate), HandlingCode: rem.Payment.Handling}
}
