package x12

import (
	"errors"
	"fmt"
	"strings"

	"github.com/remitq/remitq/pkg/money"
)

// DefaultRemitImplementation is the ST03 WriteRemittance writes when the
// Remittance does not name its implementation guide.
const DefaultRemitImplementation = "005010X221A1"

// WriteRemittance writes rem and its claims as one 835 transaction set (ST…SE)
// inside the interchange and group the caller has opened on w. When claims is
// nil, rem.Claims is written.
//
// Every value the decoder models is written, in the order of the 835
// implementation guide: BPR, TRN, CUR, REF, DTM*405, the payer (N1*PR, N3,
// N4, REF, PER) and payee (N1*PE, N3, N4, REF, PER) loops, then the claims
// grouped by their header number (LX, TS3, TS2), each claim as CLP, CAS, NM1,
// MIA, MOA, REF, DTM, PER, AMT, QTY and its service lines as SVC, DTM, CAS,
// REF, AMT, QTY, LQ; and last the provider adjustments (PLB). Reading the
// output with RemitReader gives the same values back, positions aside.
//
// Adjustments keep their segments: adjustments that share a non-zero Segment
// and have increasing Positions (1–6) are written as one CAS (or PLB) with each
// at its Position, so a read → write → read keeps Position and which
// adjustments shared a segment. Adjustments without a Segment are packed in
// order, up to six of one group (one provider and period for PLB) per segment.
//
// Inpatient.Elements, when set, is written as MIA verbatim; otherwise MIA is
// built from the typed fields. Elements the decoder does not keep are written
// empty or, where the guide requires a value, with the usual code: BPR06 and
// BPR12 "01" (ABA routing number), BPR08 and BPR14 "DA", CUR01 "PR".
//
// A value that holds the writer's element separator or segment terminator,
// or a component of a composite (SVC01, SVC06, PLB03) that holds the
// component separator, cannot be written: WriteRemittance then returns an
// error naming the segment and element, and the writer keeps that error.
func WriteRemittance(w *Writer, rem *Remittance, claims []*ClaimPayment) error {
	if rem == nil {
		return errors.New("x12: WriteRemittance: nil Remittance")
	}
	if claims == nil {
		claims = rem.Claims
	}
	e := &remitEncoder{w: w, c: w.Delimiters().Component}
	impl := rem.Implementation
	if impl == "" {
		impl = DefaultRemitImplementation
	}
	if err := w.BeginTransaction("835", rem.Control, impl); err != nil {
		return err
	}
	e.ex = rem.ExactAmounts
	e.header(rem)
	var header *HeaderNumber
	for i, c := range claims {
		if c == nil {
			continue
		}
		if c.Header != header {
			if c.Header == nil {
				e.fail(fmt.Errorf("x12: WriteRemittance: claim %d has no header number (LX) but follows claims that have one", i+1))
				break
			}
			header = c.Header
			e.seg("LX", header.Number)
			if header.TS3 != nil {
				e.seg("TS3", header.TS3...)
			}
			if header.TS2 != nil {
				e.seg("TS2", header.TS2...)
			}
		}
		e.claim(c)
	}
	e.ex = rem.ExactAmounts
	e.plb(rem.Adjustments)
	if e.err != nil {
		return e.err
	}
	return w.EndTransaction()
}

// remitEncoder writes the segments of one 835 and keeps the first error.
type remitEncoder struct {
	w   *Writer
	c   byte // component separator
	err error
	ex  []ExactAmount // the exact amounts of what is being written
}

// amt writes amount a of element elem of the segment read as number seg:
// exactly, when the record kept it in ex.
func (e *remitEncoder) amt(seg, elem int, a money.Amount) string {
	for _, x := range e.ex {
		if x.Segment == seg && x.Element == elem && seg != 0 {
			return x.Value.String()
		}
	}
	return a.X12()
}

func (e *remitEncoder) fail(err error) {
	if e.err == nil {
		e.err = err
	}
}

func (e *remitEncoder) seg(id string, elems ...string) {
	if e.err != nil {
		return
	}
	for _, v := range elems {
		// Line breaks are layout between segments: a reader drops them at
		// the end of a segment, so a value holding one would not read back.
		if strings.ContainsAny(v, "\r\n") {
			e.fail(fmt.Errorf("%w: %s element holds a line break", errDelimInValue, id))
			return
		}
	}
	e.fail(e.w.Segment(id, elems...))
}

func (e *remitEncoder) header(rem *Remittance) {
	p := &rem.Payment
	bpr := p.Amount.X12()
	for _, x := range rem.ExactAmounts {
		if x.ID == "BPR" && x.Element == 2 {
			bpr = x.Value.String()
		}
	}
	e.seg("BPR", p.Handling, bpr, p.CreditDebit, p.Method, p.Format,
		ifSet(p.SenderDFI, "01"), p.SenderDFI, ifSet(p.SenderAcct, "DA"), p.SenderAcct, p.OriginatorID, "",
		ifSet(p.ReceiverDFI, "01"), p.ReceiverDFI, ifSet(p.ReceiverAcct, "DA"), p.ReceiverAcct, dateX12(p.Date))
	if t := rem.Trace; t != (Trace{}) {
		e.seg("TRN", t.Type, t.Number, t.Originator, t.Reference)
	}
	if rem.Currency != "" {
		e.seg("CUR", "PR", rem.Currency)
	}
	e.refs(rem.Refs)
	if rem.ProductionDate != "" {
		e.seg("DTM", "405", dateX12(rem.ProductionDate))
	}
	e.party(&rem.Payer, "PR")
	e.party(&rem.Payee, "PE")
}

func (e *remitEncoder) party(p *Party, entity string) {
	a := p.Address
	if p.Entity == "" && p.Name == "" && p.IDQualifier == "" && p.ID == "" && len(a.Lines) == 0 &&
		a.City == "" && a.State == "" && a.PostalCode == "" && a.Country == "" &&
		len(p.Refs) == 0 && len(p.Contacts) == 0 {
		return
	}
	e.seg("N1", entity, p.Name, p.IDQualifier, p.ID)
	lines := p.Address.Lines
	for i := 0; i < len(lines); {
		// Two lines share an N3 unless the second is empty: the decoder
		// keeps an empty N302 only when it is present, which a written
		// segment's trailing empty element is not.
		if i+1 < len(lines) && lines[i+1] != "" {
			e.seg("N3", lines[i], lines[i+1])
			i += 2
			continue
		}
		e.seg("N3", lines[i])
		i++
	}
	if a.City != "" || a.State != "" || a.PostalCode != "" || a.Country != "" {
		e.seg("N4", a.City, a.State, a.PostalCode, a.Country)
	}
	e.refs(p.Refs)
	e.contacts(p.Contacts)
}

func (e *remitEncoder) refs(refs []Ref) {
	for _, r := range refs {
		e.seg("REF", r.Qualifier, r.Value)
	}
}

func (e *remitEncoder) contacts(cs []Contact) {
	for _, c := range cs {
		if len(c.Numbers) > 3 {
			e.fail(errors.New("x12: PER holds at most three communication numbers"))
			return
		}
		el := []string{c.Function, c.Name}
		for _, n := range c.Numbers {
			el = append(el, n.Qualifier, n.Value)
		}
		e.seg("PER", el...)
	}
}

func (e *remitEncoder) amounts(as []Amount) {
	for _, a := range as {
		e.seg("AMT", a.Qualifier, a.Amount.X12())
	}
}

func (e *remitEncoder) quantities(qs []Qty) {
	for _, q := range qs {
		e.seg("QTY", q.Qualifier, q.Quantity.String())
	}
}

func (e *remitEncoder) claim(c *ClaimPayment) {
	e.ex = c.ExactAmounts
	patientResp := ""
	if c.PatientResp != 0 || len(e.ex) > 0 {
		if patientResp = e.amt(c.Segment, 5, c.PatientResp); patientResp == "0" {
			patientResp = ""
		}
	}
	e.seg("CLP", c.PatientControl, c.Status, e.amt(c.Segment, 3, c.Charge), e.amt(c.Segment, 4, c.Paid), patientResp,
		c.FilingIndicator, c.PayerControl, c.FacilityType, c.Frequency, "", c.DRG,
		optDec(c.DRGWeight), optDec(c.DischargeFraction))
	e.cas(c.Adjustments)
	for _, n := range c.Names {
		e.seg("NM1", n.Entity, n.Type, n.Last, n.First, n.Middle, "", n.Suffix, n.IDQualifier, n.ID)
	}
	if m := c.Inpatient; m != nil {
		e.mia(m)
	}
	if m := c.Outpatient; m != nil {
		if len(m.Remarks) > 5 {
			e.fail(errors.New("x12: MOA holds at most five remark codes"))
			return
		}
		el := make([]string, 9)
		el[0], el[1] = optDec(m.ReimbursementRate), optAmt(m.HCPCSPayable)
		copy(el[2:7], m.Remarks)
		el[7], el[8] = optAmt(m.ESRDPayment), optAmt(m.NonpayableProfessional)
		e.seg("MOA", el...)
	}
	e.refs(c.Refs)
	for _, d := range []struct {
		q string
		d Date
	}{{"232", c.StatementFrom}, {"233", c.StatementTo}, {"036", c.CoverageExpiration}, {"050", c.ReceivedDate}} {
		if d.d != "" {
			e.seg("DTM", d.q, dateX12(d.d))
		}
	}
	e.contacts(c.Contacts)
	e.amounts(c.Amounts)
	e.quantities(c.Quantities)
	for _, l := range c.Lines {
		if l != nil {
			e.line(l)
		}
	}
}

func (e *remitEncoder) mia(m *Inpatient) {
	if len(m.Elements) > 0 {
		e.seg("MIA", m.Elements...)
		return
	}
	if len(m.Remarks) > 5 {
		e.fail(errors.New("x12: MIA holds at most five remark codes"))
		return
	}
	if m.CoveredDays == 0 && m.PPSOperatingOutlier == nil && m.LifetimePsychDays == nil && m.DRGAmount == nil && len(m.Remarks) == 0 {
		e.seg("MIA") // read back as it was: no elements
		return
	}
	el := make([]string, 23)
	el[0], el[1], el[2], el[3] = m.CoveredDays.String(), optAmt(m.PPSOperatingOutlier),
		optQty(m.LifetimePsychDays), optAmt(m.DRGAmount)
	for i, r := range m.Remarks {
		if i == 0 {
			el[4] = r // MIA05
		} else {
			el[18+i] = r // MIA20..MIA23
		}
	}
	e.seg("MIA", el...)
}

func (e *remitEncoder) line(l *ServicePayment) {
	proc, ok := e.procedure("SVC01", &l.Procedure, false)
	if !ok {
		return
	}
	orig := ""
	if l.Original != nil {
		if orig, ok = e.procedure("SVC06", l.Original, true); !ok {
			return
		}
	}
	e.seg("SVC", proc, e.amt(l.Segment, 2, l.Charge), e.amt(l.Segment, 3, l.Paid), l.RevenueCode, optQty(l.Units), orig, optQty(l.OriginalUnits))
	switch {
	case l.DateFrom != "" && l.DateFrom == l.DateTo:
		e.seg("DTM", "472", dateX12(l.DateFrom))
	default:
		if l.DateFrom != "" {
			e.seg("DTM", "150", dateX12(l.DateFrom))
		}
		if l.DateTo != "" {
			e.seg("DTM", "151", dateX12(l.DateTo))
		}
	}
	e.cas(l.Adjustments)
	e.refs(l.Refs)
	e.amounts(l.Amounts)
	e.quantities(l.Quantities)
	for _, r := range l.Remarks {
		e.seg("LQ", r.Qualifier, r.Code)
	}
}

// procedure encodes a composite medical procedure identifier. present says
// the element must read back as present even when every component is empty.
func (e *remitEncoder) procedure(name string, p *Procedure, present bool) (string, bool) {
	if len(p.Modifiers) > 4 {
		e.fail(fmt.Errorf("x12: %s holds at most four procedure modifiers", name))
		return "", false
	}
	parts := make([]string, 7)
	parts[0], parts[1], parts[6] = p.Qualifier, p.Code, p.Description
	copy(parts[2:6], p.Modifiers)
	return e.composite(name, present, parts...)
}

// composite joins components with the component separator, dropping trailing
// empty ones, so that the decoder reads the same components back: a
// component holding the separator is an error; a lone component that the
// decoder would take for a composite written with another separator (see
// RemitReader.compSep) gets a trailing separator; an all-empty composite that
// must stay present is written as the bare separator.
func (e *remitEncoder) composite(name string, present bool, parts ...string) (string, bool) {
	for _, p := range parts {
		if strings.IndexByte(p, e.c) >= 0 {
			e.fail(fmt.Errorf("%w: %s component", errDelimInValue, name))
			return "", false
		}
	}
	n := len(parts)
	for n > 0 && parts[n-1] == "" {
		n--
	}
	s := strings.Join(parts[:n], string([]byte{e.c}))
	switch {
	case s == "" && present:
		return string([]byte{e.c}), true
	case n == 1 && len(s) >= 4 && isAlnum(s[0]) && isAlnum(s[1]) && !isAlnum(s[2]) &&
		s[2] != ' ' && s[2] != '-' && s[2] != '.':
		return s + string([]byte{e.c}), true
	}
	return s, true
}

// cas writes adjustments as CAS segments; see WriteRemittance.
func (e *remitEncoder) cas(adj []Adjustment) {
	for i := 0; i < len(adj); {
		j := i + 1
		keep := adj[i].Segment != 0 && adj[i].Position >= 1 && adj[i].Position <= 6
		if keep {
			for j < len(adj) && adj[j].Segment == adj[i].Segment && adj[j].Group == adj[i].Group &&
				adj[j].Position > adj[j-1].Position && adj[j].Position <= 6 {
				j++
			}
		} else {
			for j < len(adj) && j-i < 6 && adj[j].Segment == 0 && adj[j].Group == adj[i].Group {
				j++
			}
		}
		el := make([]string, 19)
		el[0] = adj[i].Group
		for k, a := range adj[i:j] {
			slot := k
			if keep {
				slot = a.Position - 1
			}
			el[1+3*slot], el[2+3*slot], el[3+3*slot] = a.Reason, e.amt(a.Segment, 3*a.Position, a.Amount), optQty(a.Quantity)
			if a.QuantityExact != "" {
				el[3+3*slot] = string(a.QuantityExact)
			}
		}
		e.seg("CAS", el...)
		i = j
	}
}

// plb writes provider adjustments as PLB segments; see WriteRemittance.
func (e *remitEncoder) plb(adj []ProviderAdjustment) {
	same := func(a, b *ProviderAdjustment) bool {
		return a.ProviderID == b.ProviderID && a.FiscalPeriod == b.FiscalPeriod
	}
	for i := 0; i < len(adj); {
		j := i + 1
		keep := adj[i].Segment != 0 && adj[i].Position >= 1 && adj[i].Position <= 6
		if keep {
			for j < len(adj) && adj[j].Segment == adj[i].Segment && same(&adj[j], &adj[i]) &&
				adj[j].Position > adj[j-1].Position && adj[j].Position <= 6 {
				j++
			}
		} else {
			for j < len(adj) && j-i < 6 && adj[j].Segment == 0 && same(&adj[j], &adj[i]) {
				j++
			}
		}
		el := make([]string, 14)
		el[0], el[1] = adj[i].ProviderID, dateX12(adj[i].FiscalPeriod)
		for k, a := range adj[i:j] {
			slot := k
			if keep {
				slot = a.Position - 1
			}
			reason, ok := e.composite("PLB03", false, a.Reason, a.Reference)
			if !ok {
				return
			}
			el[2+2*slot], el[3+2*slot] = reason, e.amt(a.Segment, 2+2*a.Position, a.Amount)
		}
		e.seg("PLB", el...)
		i = j
	}
}

func ifSet(v, code string) string {
	if v == "" {
		return ""
	}
	return code
}

func optQty(q *Quantity) string {
	if q == nil {
		return ""
	}
	return q.String()
}

func optDec(d *Decimal) string {
	if d == nil {
		return ""
	}
	return string(*d)
}

func optAmt(a *money.Amount) string {
	if a == nil {
		return ""
	}
	return a.X12()
}
