package x12

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// DefaultClaimImplementation is the ST03 WriteClaims writes.
const DefaultClaimImplementation = "005010X222A1"

// WriteClaims writes one 837P transaction set (ST…SE) holding claims: the
// BHT, submitter and receiver from batch, then the HL hierarchy (consecutive
// claims with the same billing provider share one 2000A loop, and with the
// same subscriber, payer and patient one 2000B/2000C loop) and every segment
// the Claim types model, in the order of the implementation guide. ST03 is
// batch.Implementation when it is a 005010X222 version, else
// DefaultClaimImplementation: the output is 5010 whatever the input was.
//
// Reading the output with ClaimReader gives back equal values (but for
// positions, and Implementation as said). Values holding a delimiter are an
// error; the transaction set is then incomplete.
func WriteClaims(w *Writer, batch *ClaimBatch, claims []*Claim) error {
	if batch == nil {
		return errors.New("x12: WriteClaims: no batch header")
	}
	if len(claims) == 0 {
		return errors.New("x12: WriteClaims: no claims")
	}
	for i, c := range claims {
		switch {
		case c == nil:
			return fmt.Errorf("x12: WriteClaims: claim %d is nil", i+1)
		case c.BillingProvider == nil:
			return fmt.Errorf("x12: WriteClaims: claim %d has no billing provider", i+1)
		case c.Subscriber == nil:
			return fmt.Errorf("x12: WriteClaims: claim %d has no subscriber", i+1)
		}
	}
	impl := batch.Implementation
	if !strings.HasPrefix(impl, "005010X222") {
		impl = DefaultClaimImplementation
	}
	if err := w.BeginTransaction("837", batch.Control, impl); err != nil {
		return err
	}
	e := &claimEncoder{w: w}
	e.seg("BHT", "0019", batch.Purpose, batch.Reference, dateX12(batch.Date), batch.Time, batch.ClaimType)
	if batch.Submitter != (Name{}) || len(batch.SubmitterContacts) > 0 {
		e.name("41", batch.Submitter)
		for _, c := range batch.SubmitterContacts {
			e.contact(c)
		}
	}
	if batch.Receiver != (Name{}) {
		e.name("40", batch.Receiver)
	}

	var (
		bill          *BillingProvider
		sub           *Subscriber
		payer         *Payer
		pat           *Patient
		inBill, inPat bool
		billHL, subHL int
		inSub         bool
	)
	for i, c := range claims {
		if !inBill || !claimSame(c.BillingProvider, bill) {
			billHL = e.hl("", "20", "1")
			e.billing(c.BillingProvider)
			bill, inBill, inSub, inPat = c.BillingProvider, true, false, false
		}
		if !inSub || !claimSame(c.Subscriber, sub) || !claimSame(c.Payer, payer) || inPat && c.Patient == nil {
			child := "0"
			if claimPatientAhead(claims[i:]) {
				child = "1"
			}
			subHL = e.hl(strconv.Itoa(billHL), "22", child)
			e.subscriber(c.Subscriber, c.Payer)
			sub, payer, inSub, inPat = c.Subscriber, c.Payer, true, false
		}
		if c.Patient != nil && (!inPat || !claimSame(c.Patient, pat)) {
			e.hl(strconv.Itoa(subHL), "23", "0")
			e.patient(c.Patient)
			pat, inPat = c.Patient, true
		}
		e.claim(c)
		if e.err != nil {
			return e.err
		}
	}
	if e.err != nil {
		return e.err
	}
	return w.EndTransaction()
}

// claimSame reports whether two loops are the same: one value, or equal ones.
func claimSame[T any](a, b *T) bool { return a == b || reflect.DeepEqual(a, b) }

// claimPatientAhead reports whether the subscriber loop that starts with
// claims[0] will hold a patient loop.
func claimPatientAhead(claims []*Claim) bool {
	c0 := claims[0]
	for _, c := range claims {
		if !claimSame(c.BillingProvider, c0.BillingProvider) || !claimSame(c.Subscriber, c0.Subscriber) ||
			!claimSame(c.Payer, c0.Payer) {
			return false
		}
		if c.Patient != nil {
			return true
		}
	}
	return false
}

// claimEncoder writes the segments of an 837P, keeping the first error.
type claimEncoder struct {
	w   *Writer
	err error
	hls int
}

func (e *claimEncoder) seg(id string, elems ...string) {
	if e.err == nil {
		e.err = e.w.Segment(id, elems...)
	}
}

// comp joins components, dropping trailing empty ones and refusing a
// component that holds the separator. (It does not use Writer.Composite,
// which writes a separator above 0x7F as two UTF-8 bytes.)
func (e *claimEncoder) comp(parts ...string) string {
	sep := e.w.d.Component
	n := len(parts)
	for n > 0 && parts[n-1] == "" {
		n--
	}
	var b []byte
	for i, p := range parts[:n] {
		if strings.IndexByte(p, sep) >= 0 && e.err == nil {
			e.err = fmt.Errorf("%w: component", errDelimInValue)
		}
		if i > 0 {
			b = append(b, sep)
		}
		b = append(b, p...)
	}
	return string(b)
}

func (e *claimEncoder) fail(msg string) {
	if e.err == nil {
		e.err = errors.New("x12: WriteClaims: " + msg)
	}
}

func (e *claimEncoder) hl(parent, level, child string) int {
	e.hls++
	e.seg("HL", strconv.Itoa(e.hls), parent, level, child)
	return e.hls
}

func (e *claimEncoder) name(entity string, n Name) {
	e.seg("NM1", entity, n.Type, n.Last, n.First, n.Middle, "", n.Suffix, n.IDQualifier, n.ID)
}

func (e *claimEncoder) contact(c Contact) {
	el := []string{c.Function, c.Name}
	for i, n := range c.Numbers {
		if i == 3 {
			e.fail("more than three communication numbers in a PER")
			break
		}
		el = append(el, n.Qualifier, n.Value)
	}
	e.seg("PER", el...)
}

func (e *claimEncoder) address(a *Address) {
	if a == nil {
		return
	}
	switch len(a.Lines) {
	case 0:
	case 1:
		e.seg("N3", a.Lines[0])
	case 2:
		e.seg("N3", a.Lines[0], a.Lines[1])
	default:
		e.fail("more than two address lines")
	}
	e.seg("N4", a.City, a.State, a.PostalCode, a.Country)
}

func (e *claimEncoder) refs(refs []Ref) {
	for _, r := range refs {
		e.seg("REF", r.Qualifier, r.Value)
	}
}

func (e *claimEncoder) ref(q, v string) {
	if v != "" {
		e.seg("REF", q, v)
	}
}

func (e *claimEncoder) date(q string, from, to Date) {
	if to == "" || to == from {
		e.seg("DTP", q, "D8", dateX12(from))
		return
	}
	e.seg("DTP", q, "RD8", dateX12(from)+"-"+dateX12(to))
}

func (e *claimEncoder) dates(list []ClaimDate) {
	for _, d := range list {
		e.date(d.Qualifier, d.From, d.To)
	}
}

// namedDate writes a date held only in a named field.
func (e *claimEncoder) namedDate(list []ClaimDate, q string, d Date) {
	if d != "" && !claimHasDate(list, q) {
		e.date(q, d, d)
	}
}

func claimHasDate(list []ClaimDate, q string) bool {
	for _, x := range list {
		if x.Qualifier == q {
			return true
		}
	}
	return false
}

// provider writes a provider loop: NM1, PRV (when prv is set), N3/N4, REF, PER.
func (e *claimEncoder) provider(p *Provider, entity, prv string) {
	n := p.Name
	if n.Entity != "" {
		entity = n.Entity
	}
	if entity == "" {
		e.fail("provider without an entity identifier code (NM101)")
		return
	}
	if n.IDQualifier == "" && n.ID == "" && p.NPI != "" {
		n.IDQualifier, n.ID = "XX", p.NPI
	}
	e.name(entity, n)
	if prv != "" && p.Taxonomy != "" {
		e.seg("PRV", prv, "PXC", p.Taxonomy)
	}
	e.address(p.Address)
	e.ref("EI", p.TIN)
	e.ref("SY", p.SSN)
	e.refs(p.Refs)
	for _, c := range p.Contacts {
		e.contact(c)
	}
}

// claimPRVCode is the PRV01 provider code for a provider loop of entity ent.
func claimPRVCode(ent string) string {
	if ent == "DN" || ent == "P3" {
		return "RF"
	}
	return "PE"
}

func (e *claimEncoder) billing(b *BillingProvider) {
	if b.Taxonomy != "" {
		e.seg("PRV", "BI", "PXC", b.Taxonomy)
	}
	e.provider(&b.Provider, "85", "")
	if b.PayTo != nil {
		e.provider(b.PayTo, "87", "")
	}
	if b.PayToPlan != nil {
		e.provider(b.PayToPlan, "PE", "")
	}
}

func (e *claimEncoder) coverage(c Coverage) {
	e.seg("SBR", c.Responsibility, c.Relationship, c.GroupNumber, c.GroupName, c.InsuranceType, "", "", "",
		c.FilingIndicator)
}

func (e *claimEncoder) insured(in *Insured) {
	e.seg("NM1", "IL", in.EntityType, in.LastName, in.FirstName, in.MiddleName, "", in.Suffix,
		in.MemberIDQualifier, in.MemberID)
	e.address(in.Address)
	if in.BirthDate != "" || in.Gender != "" {
		e.seg("DMG", "D8", dateX12(in.BirthDate), in.Gender)
	}
	e.refs(in.Refs)
}

func (e *claimEncoder) payer(p *Payer, adjudicated Date) {
	e.seg("NM1", "PR", "2", p.Name, "", "", "", "", p.IDQualifier, p.PayerID)
	e.address(p.Address)
	if adjudicated != "" {
		e.date("573", adjudicated, adjudicated)
	}
	e.refs(p.Refs)
}

func (e *claimEncoder) subscriber(s *Subscriber, p *Payer) {
	e.coverage(s.Coverage)
	e.insured(&s.Insured)
	if p != nil {
		e.payer(p, "")
	}
}

func (e *claimEncoder) patient(p *Patient) {
	e.seg("PAT", p.Relationship)
	e.seg("NM1", "QC", "1", p.LastName, p.FirstName, p.MiddleName, "", p.Suffix)
	e.address(p.Address)
	if p.BirthDate != "" || p.Gender != "" {
		e.seg("DMG", "D8", dateX12(p.BirthDate), p.Gender)
	}
	e.refs(p.Refs)
}

func (e *claimEncoder) adjustments(adj []Adjustment) {
	for i := 0; i < len(adj); {
		g := adj[i].Group
		el := []string{g}
		for n := 0; n < 6 && i < len(adj) && adj[i].Group == g; n, i = n+1, i+1 {
			q := ""
			if adj[i].Quantity != nil {
				q = adj[i].Quantity.String()
			}
			el = append(el, adj[i].Reason, adj[i].Amount.X12(), q)
		}
		e.seg("CAS", el...)
	}
}

// procedure formats a composite medical procedure identifier.
func (e *claimEncoder) procedure(p Procedure) string {
	if len(p.Modifiers) > 4 {
		e.fail("more than four procedure modifiers")
		return ""
	}
	parts := make([]string, 0, 7)
	parts = append(parts, p.Qualifier, p.Code)
	parts = append(parts, p.Modifiers...)
	if p.Description != "" {
		for len(parts) < 6 {
			parts = append(parts, "")
		}
		parts = append(parts, p.Description)
	}
	return e.comp(parts...)
}

func (e *claimEncoder) claim(c *Claim) {
	if len(c.RelatedCauses) > 3 {
		e.fail("more than three related causes")
		return
	}
	causes := make([]string, 0, 5)
	causes = append(causes, c.RelatedCauses...)
	if c.AccidentState != "" || c.AccidentCountry != "" {
		for len(causes) < 3 {
			causes = append(causes, "")
		}
		causes = append(causes, c.AccidentState, c.AccidentCountry)
	}
	e.seg("CLM", c.PatientControlNumber, c.TotalCharge.X12(), "", "",
		e.comp(c.PlaceOfService, c.FacilityCodeQualifier, c.FrequencyCode),
		c.ProviderSignature, c.Assignment, c.BenefitsAssignment, c.ReleaseOfInformation,
		c.PatientSignatureSource, e.comp(causes...), c.SpecialProgram,
		"", "", "", "", "", "", "", c.DelayReason)
	e.namedDate(c.Dates, "431", c.OnsetDate)
	e.namedDate(c.Dates, "454", c.InitialTreatmentDate)
	e.namedDate(c.Dates, "304", c.LastSeenDate)
	e.namedDate(c.Dates, "439", c.AccidentDate)
	e.namedDate(c.Dates, "435", c.AdmissionDate)
	e.namedDate(c.Dates, "096", c.DischargeDate)
	e.dates(c.Dates)
	if c.PatientPaid != nil {
		e.seg("AMT", "F5", c.PatientPaid.X12())
	}
	e.ref("9F", c.Referral)
	e.ref("G1", c.PriorAuthorization)
	e.ref("F8", c.PayerClaimControlNumber)
	e.ref("D9", c.ClearinghouseClaimID)
	e.refs(c.Refs)
	for _, n := range c.Notes {
		e.seg("NTE", n.Code, n.Text)
	}
	e.diagnoses(c.Diagnoses)

	if c.Referring != nil {
		e.provider(c.Referring, "DN", "RF")
	}
	for _, p := range c.OtherProviders {
		if claimReferringEntity(p.Entity) {
			e.provider(p, "", "RF")
		}
	}
	if c.Rendering != nil {
		e.provider(c.Rendering, "82", "PE")
	}
	if c.ServiceFacility != nil {
		e.provider(c.ServiceFacility, "77", "PE")
	}
	for _, p := range c.OtherProviders {
		if !claimReferringEntity(p.Entity) {
			e.provider(p, "", claimPRVCode(p.Entity))
		}
	}
	for _, o := range c.OtherSubscribers {
		e.otherSubscriber(o)
	}
	for i, l := range c.Lines {
		e.line(i, l)
	}
}

// diagnoses writes HI segments of up to 12 composites, starting a new one
// when the kind of code list changes (diagnoses, anesthesia procedures,
// condition codes).
func (e *claimEncoder) diagnoses(dx []Diagnosis) {
	var el []string
	kind := ""
	for _, d := range dx {
		if d.Qualifier == "" || d.Code == "" {
			e.fail("diagnosis without qualifier or code")
			return
		}
		k := claimDiagnosisKind(d.Qualifier)
		if len(el) == 12 || len(el) > 0 && k != kind {
			e.seg("HI", el...)
			el = el[:0]
		}
		kind = k
		el = append(el, e.comp(d.Qualifier, d.Code))
	}
	if len(el) > 0 {
		e.seg("HI", el...)
	}
}

func claimDiagnosisKind(q string) string {
	switch q {
	case "ABK", "ABF", "BK", "BF":
		return "diagnosis"
	case "BP", "BO":
		return "anesthesia"
	}
	return q
}

func (e *claimEncoder) otherSubscriber(o *OtherSubscriber) {
	e.coverage(o.Coverage)
	e.adjustments(o.Adjustments)
	if o.PayerPaid != nil {
		e.seg("AMT", "D", o.PayerPaid.X12())
	}
	if o.NonCovered != nil {
		e.seg("AMT", "A8", o.NonCovered.X12())
	}
	if o.RemainingPatientLiability != nil {
		e.seg("AMT", "EAF", o.RemainingPatientLiability.X12())
	}
	if o.BenefitsAssignment != "" || o.PatientSignatureSource != "" || o.ReleaseOfInformation != "" {
		e.seg("OI", "", "", o.BenefitsAssignment, o.PatientSignatureSource, "", o.ReleaseOfInformation)
	}
	if m := o.Outpatient; m != nil {
		if len(m.Remarks) > 5 {
			e.fail("more than five MOA remark codes")
			return
		}
		el := make([]string, 9)
		el[0], el[1] = optDec(m.ReimbursementRate), optAmt(m.HCPCSPayable)
		copy(el[2:7], m.Remarks)
		el[7], el[8] = optAmt(m.ESRDPayment), optAmt(m.NonpayableProfessional)
		e.seg("MOA", el...)
	}
	if o.Insured != nil {
		e.insured(o.Insured)
	}
	if o.Payer != nil {
		e.payer(o.Payer, o.AdjudicationDate)
	} else if o.AdjudicationDate != "" {
		e.payer(&Payer{}, o.AdjudicationDate)
	}
	for _, p := range o.Providers {
		e.provider(p, "", claimPRVCode(p.Entity))
	}
}

func (e *claimEncoder) line(i int, l *ServiceLine) {
	n := l.Number
	if n <= 0 {
		n = i + 1
	}
	e.seg("LX", strconv.Itoa(n))
	units := ""
	if l.Units != 0 || l.UnitBasis != "" {
		units = l.Units.String()
	}
	ptrs := make([]string, len(l.DiagnosisPointers))
	for j, p := range l.DiagnosisPointers {
		ptrs[j] = strconv.Itoa(p)
	}
	e.seg("SV1", e.procedure(l.Procedure), l.Charge.X12(), l.UnitBasis, units, l.PlaceOfService, "",
		e.comp(ptrs...), "", l.Emergency, "", l.EPSDT, l.FamilyPlanning)
	if l.ServiceFrom != "" && !claimHasDate(l.Dates, "472") {
		e.date("472", l.ServiceFrom, l.ServiceTo)
	}
	e.dates(l.Dates)
	e.ref("G1", l.PriorAuthorization)
	e.ref("6R", l.LineControlNumber)
	e.refs(l.Refs)
	for _, a := range l.Amounts {
		e.seg("AMT", a.Qualifier, a.Amount.X12())
	}
	for _, nt := range l.Notes {
		e.seg("NTE", nt.Code, nt.Text)
	}
	if d := l.Drug; d != nil {
		e.seg("LIN", "", d.Qualifier, d.Code)
		if d.Quantity != 0 || d.Unit != "" {
			q := ""
			if d.Quantity != 0 {
				q = d.Quantity.String()
			}
			e.seg("CTP", "", "", "", q, d.Unit)
		}
		e.refs(d.Refs)
	}
	if l.Rendering != nil {
		e.provider(l.Rendering, "82", "PE")
	}
	for _, p := range l.OtherProviders {
		e.provider(p, "", claimPRVCode(p.Entity))
	}
	for _, a := range l.Adjudications {
		units := ""
		if a.PaidUnits != 0 {
			units = a.PaidUnits.String()
		}
		e.seg("SVD", a.PayerID, a.Paid.X12(), e.procedure(a.Procedure), "", units, a.BundledLine)
		e.adjustments(a.Adjustments)
		if a.AdjudicationDate != "" {
			e.date("573", a.AdjudicationDate, a.AdjudicationDate)
		}
		if a.RemainingPatientLiability != nil {
			e.seg("AMT", "EAF", a.RemainingPatientLiability.X12())
		}
	}
}
