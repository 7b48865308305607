package x12

// The 835 segment dispatch, one function per loop: the header (BPR, TRN,
// CUR, REF, DTM*405), 1000A/B (payer and payee), 2000 (LX header number),
// 2100 (claim payment), 2110 (service payment) and the PLB summary. The
// segments several loops share (REF, DTM, PER, CAS, AMT, QTY) go to the
// loop that is open.

// segment handles a segment inside an 835 transaction set.
func (d *RemitReader) segment(s *Segment, f *fieldReader) {
	if d.where == inIgnored {
		switch s.ID() {
		case "N3", "N4", "REF", "PER", "RDM", "DTM", "N2":
			f.fail(0, ErrUnexpected, s.ID()+" of a loop out of place; ignored")
			return
		}
		d.where = inHeader
	}
	switch s.ID() {
	case "BPR", "TRN", "CUR":
		d.loopHeader(s, f)
	case "N1", "N3", "N4", "RDM", "N2":
		d.loop1000(s, f)
	case "LX", "TS3", "TS2":
		d.loop2000(s, f)
	case "CLP", "NM1", "MIA", "MOA":
		d.loop2100(s, f)
	case "SVC", "LQ":
		d.loop2110(s, f)
	case "PLB":
		d.loopPLB(s, f)
	case "REF", "DTM", "PER", "CAS", "AMT", "QTY":
		switch d.where {
		case inParty:
			d.loop1000(s, f)
		case inClaim:
			d.loop2100(s, f)
		case inLine:
			d.loop2110(s, f)
		default: // inHeader, inPLB
			d.loopHeader(s, f)
		}
	default:
		f.fail(0, ErrUnexpected, "segment not part of the 835; ignored")
	}
}

// loopHeader handles the header segments (BPR, TRN, CUR, REF, DTM*405) and
// the shared segments met outside any party, claim or line loop.
func (d *RemitReader) loopHeader(s *Segment, f *fieldReader) {
	rem := d.rem
	switch s.ID() {
	case "BPR":
		if d.bprSeg != 0 || d.area > areaHeader {
			f.fail(0, ErrUnexpected, "BPR occurs once, at the start of the transaction set; ignored")
			return
		}
		p := &rem.Payment
		p.Handling = f.req(1, "BPR01 transaction handling code")
		p.Amount = f.amount(2, true)
		if p.Amount < 0 {
			f.fail(2, ErrInvalid, "BPR02 cannot be negative: a negative net is carried as a PLB forward balance")
		}
		p.CreditDebit, p.Method, p.Format = s.String(3), s.String(4), s.String(5)
		p.SenderDFI, p.SenderAcct, p.OriginatorID = s.String(7), s.String(9), s.String(10)
		p.ReceiverDFI, p.ReceiverAcct = s.String(13), s.String(15)
		p.Date = f.date(16)
		d.bprSeg, d.bprOff = s.Index, s.Offset
	case "TRN":
		if d.sawTRN || d.area > areaHeader {
			f.fail(0, ErrUnexpected, "TRN occurs once, in the header; ignored")
			return
		}
		d.sawTRN = true
		rem.Trace = Trace{Type: s.String(1), Number: f.req(2, "TRN02 check or EFT trace number"),
			Originator: s.String(3), Reference: s.String(4)}
	case "CUR":
		if d.sawCUR || d.area > areaHeader {
			f.fail(0, ErrUnexpected, "CUR occurs once, in the header; ignored")
			return
		}
		d.sawCUR = true
		rem.Currency = s.String(2)
	case "REF":
		ref := Ref{Qualifier: f.code(1), Value: f.str(2)}
		if d.where == inPLB {
			return
		}
		if d.area > areaHeader {
			f.fail(0, ErrUnexpected, "REF outside the header, a party, claim or service line loop; ignored")
			return
		}
		rem.Refs = append(rem.Refs, ref)
	case "DTM":
		date := f.date(2)
		if d.where == inPLB {
			return
		}
		d.productionDate(s, f, date)
	case "PER":
		f.fail(0, ErrUnexpected, "PER outside a payer or claim loop; ignored")
	case "CAS":
		d.claimCAS(s, f)
	case "AMT":
		f.code(1)
		f.amount(2, true)
		f.fail(0, ErrUnexpected, "AMT outside a claim or service line")
	case "QTY":
		f.code(1)
		f.quantity(2)
		f.fail(0, ErrUnexpected, "QTY outside a claim or service line")
	}
}

// productionDate handles a DTM in the header or a party loop: only one
// DTM*405 (production date) belongs there.
func (d *RemitReader) productionDate(s *Segment, f *fieldReader, date Date) {
	if string(s.Element(1)) != "405" || d.sawDTM405 || d.area > areaHeader {
		f.fail(0, ErrUnexpected, "DTM outside a claim or service line other than one DTM*405 in the header; ignored")
		return
	}
	d.sawDTM405 = true
	d.rem.ProductionDate = date
}

// loop1000 handles loops 1000A (payer, N1*PR) and 1000B (payee, N1*PE).
func (d *RemitReader) loop1000(s *Segment, f *fieldReader) {
	rem := d.rem
	switch s.ID() {
	case "N1":
		var p *Party
		entity := string(s.Element(1))
		if d.area > area1000 || entity == "PR" && d.payerSeen || entity == "PE" && d.payeeSeen {
			f.fail(0, ErrUnexpected, "N1 out of place: loops 1000A (payer) and 1000B (payee) occur once each, "+
				"before the claims; the loop is ignored")
			d.where, d.party = inIgnored, nil
			return
		}
		d.area, d.partyN3, d.partyN4 = area1000, false, false
		switch entity {
		case "PR":
			p, d.payerSeen = &rem.Payer, true
		case "PE":
			p, d.payeeSeen = &rem.Payee, true
		default:
			d.warnings = append(d.warnings, errAt(s, 1, ErrTolerated, "N1 entity other than PR or PE ignored"))
			d.where, d.party = inParty, &Party{}
			return
		}
		*p = Party{Entity: s.String(1), Name: s.String(2), IDQualifier: s.String(3), ID: s.String(4)}
		d.where, d.party = inParty, p
	case "N3":
		if d.where != inParty || d.partyN3 {
			f.fail(0, ErrUnexpected, "N3 occurs once, in a payer or payee loop; ignored")
			return
		}
		d.partyN3 = true
		d.party.Address.Lines = append(d.party.Address.Lines, s.String(1))
		if s.Has(2) {
			d.party.Address.Lines = append(d.party.Address.Lines, s.String(2))
		}
	case "N4":
		if d.where != inParty || d.partyN4 {
			f.fail(0, ErrUnexpected, "N4 occurs once, in a payer or payee loop; ignored")
			return
		}
		d.partyN4 = true
		a := &d.party.Address
		a.City, a.State, a.PostalCode, a.Country = s.String(1), s.String(2), s.String(3), s.String(4)
	case "RDM", "N2":
		// Remittance delivery method and additional names: nothing remitq uses.
		if d.where != inParty {
			f.fail(0, ErrUnexpected, s.ID()+" outside a payer or payee loop; ignored")
		}
	case "REF":
		d.party.Refs = append(d.party.Refs, Ref{Qualifier: f.code(1), Value: f.str(2)})
	case "DTM":
		d.productionDate(s, f, f.date(2))
	case "PER":
		d.party.Contacts = append(d.party.Contacts, contactOf(s))
	default: // CAS, AMT, QTY: as outside any loop
		d.loopHeader(s, f)
	}
}

// contactOf reads a PER segment.
func contactOf(s *Segment) Contact {
	c := Contact{Function: s.String(1), Name: s.String(2)}
	for i := 3; i+1 <= 8 && s.Has(i); i += 2 {
		c.Numbers = append(c.Numbers, Ref{Qualifier: s.String(i), Value: s.String(i + 1)})
	}
	return c
}

// loop2000 handles the header number loop (LX, TS3, TS2).
func (d *RemitReader) loop2000(s *Segment, f *fieldReader) {
	switch s.ID() {
	case "LX":
		if d.area == areaSummary {
			f.fail(0, ErrUnexpected, "LX after the provider adjustments (PLB)")
		}
		d.area = areaDetail
		d.emitHeader()
		d.flushClaim()
		d.header = &HeaderNumber{Number: s.String(1)}
		d.where = inHeader
	case "TS3", "TS2":
		if d.header == nil || d.claim != nil || s.ID() == "TS3" && d.header.TS3 != nil || s.ID() == "TS2" && d.header.TS2 != nil {
			f.fail(0, ErrUnexpected, s.ID()+" occurs once, in an LX header loop before its claims; ignored")
			return
		}
		vals := make([]string, s.Len())
		for i := range vals {
			vals[i] = s.String(i + 1)
		}
		if s.ID() == "TS3" {
			d.header.TS3 = vals
		} else {
			d.header.TS2 = vals
		}
	}
}

// loop2100 handles the claim payment loop (CLP, CAS, NM1, MIA, MOA, REF,
// DTM, PER, AMT, QTY).
func (d *RemitReader) loop2100(s *Segment, f *fieldReader) {
	switch s.ID() {
	case "CLP":
		d.clp(s, f)
	case "NM1":
		if d.claim == nil || d.where != inClaim {
			f.fail(0, ErrUnexpected, "NM1 outside a claim (loop 2100)")
			return
		}
		if string(s.Element(1)) == "QC" {
			if d.claimQC {
				f.fail(0, ErrUnexpected, "NM1*QC occurs once in a claim; ignored")
				return
			}
			d.claimQC = true
		}
		d.claim.Names = d.names.add(d.claim.Names, Name{Entity: f.code(1), Type: f.code(2),
			Last: f.str(3), First: f.str(4), Middle: f.str(5), Suffix: f.code(7),
			IDQualifier: f.code(8), ID: f.str(9)})
	case "MIA":
		if d.claim == nil || d.where != inClaim || d.claim.Inpatient != nil {
			f.fail(0, ErrUnexpected, "MIA occurs once in a claim, before its service lines; ignored")
			return
		}
		m := &Inpatient{CoveredDays: f.quantity(1), PPSOperatingOutlier: f.optAmount(2),
			LifetimePsychDays: f.optQuantity(3), DRGAmount: f.optAmount(4)}
		for _, i := range []int{5, 20, 21, 22, 23} {
			if s.Has(i) {
				m.Remarks = append(m.Remarks, s.String(i))
			}
		}
		for i := 1; i <= s.Len(); i++ {
			m.Elements = append(m.Elements, s.String(i))
		}
		d.claim.Inpatient = m
	case "MOA":
		if d.claim == nil || d.where != inClaim || d.claim.Outpatient != nil {
			f.fail(0, ErrUnexpected, "MOA occurs once in a claim, before its service lines; ignored")
			return
		}
		m := &Outpatient{ReimbursementRate: f.optDecimal(1), HCPCSPayable: f.optAmount(2),
			ESRDPayment: f.optAmount(8), NonpayableProfessional: f.optAmount(9)}
		for i := 3; i <= 7; i++ {
			if s.Has(i) {
				m.Remarks = append(m.Remarks, s.String(i))
			}
		}
		d.claim.Outpatient = m
	case "REF":
		d.claim.Refs = d.refs.add(d.claim.Refs, Ref{Qualifier: f.code(1), Value: f.str(2)})
	case "DTM":
		date := f.date(2)
		switch string(s.Element(1)) {
		case "232":
			d.claim.StatementFrom = date
		case "233":
			d.claim.StatementTo = date
		case "036":
			d.claim.CoverageExpiration = date
		case "050":
			d.claim.ReceivedDate = date
		}
	case "PER":
		d.claim.Contacts = append(d.claim.Contacts, contactOf(s))
	case "CAS":
		d.claimCAS(s, f)
	case "AMT":
		d.claim.Amounts = d.amounts.add(d.claim.Amounts, Amount{Qualifier: f.code(1), Amount: f.amount(2, true)})
	case "QTY":
		d.claim.Quantities = d.qtys.add(d.claim.Quantities, Qty{Qualifier: f.code(1), Quantity: f.quantity(2)})
	}
}

// claimCAS adds a claim-level CAS to the open claim.
func (d *RemitReader) claimCAS(s *Segment, f *fieldReader) {
	if d.claim == nil {
		f.fail(0, ErrUnexpected, "CAS before any CLP")
		return
	}
	d.claim.Adjustments = d.cas(s, f, d.claim.Adjustments)
}

// clp opens a claim payment loop.
func (d *RemitReader) clp(s *Segment, f *fieldReader) {
	if d.area == areaSummary {
		f.fail(0, ErrUnexpected, "CLP after the provider adjustments (PLB)")
	}
	d.area = areaDetail
	d.emitHeader()
	d.flushClaim()
	d.claimQC = false
	c := d.claims.zero()
	c.Segment, c.Offset, c.Header, c.Remittance = s.Index, s.Offset, d.header, d.rem
	d.claim, d.where = c, inClaim
	cf := fieldReader{seg: s, val: &d.val}
	c.PatientControl = cf.req(1, "CLP01 patient control number")
	c.Status = cf.reqCode(2, "CLP02 claim status code")
	c.Charge = cf.amount(3, true)
	c.Paid = cf.amount(4, true)
	c.PatientResp = cf.amount(5, false)
	c.FilingIndicator, c.PayerControl = cf.code(6), cf.str(7)
	c.FacilityType, c.Frequency = cf.code(8), cf.code(9)
	c.DRG = cf.code(11)
	c.DRGWeight = cf.optDecimal(12)
	c.DischargeFraction = cf.optDecimal(13)
	c.Errors = append(c.Errors, cf.errs...)
	d.errs = append(d.errs, cf.errs...)
	f.exact = append(f.exact, cf.exact...)
}

// loop2110 handles the service payment loop (SVC, CAS, LQ, REF, DTM, PER,
// AMT, QTY).
func (d *RemitReader) loop2110(s *Segment, f *fieldReader) {
	switch s.ID() {
	case "SVC":
		d.svc(s, f)
	case "LQ":
		if d.where != inLine {
			f.fail(0, ErrUnexpected, "LQ outside a service line (loop 2110)")
			return
		}
		d.line.Remarks = d.remarks.add(d.line.Remarks, Remark{Qualifier: f.code(1), Code: f.code(2)})
	case "REF":
		d.line.Refs = d.refs.add(d.line.Refs, Ref{Qualifier: f.code(1), Value: f.str(2)})
	case "DTM":
		date := f.date(2)
		switch string(s.Element(1)) {
		case "472":
			d.line.DateFrom, d.line.DateTo = date, date
		case "150":
			d.line.DateFrom = date
		case "151":
			d.line.DateTo = date
		}
	case "PER":
		d.claim.Contacts = append(d.claim.Contacts, contactOf(s))
	case "CAS":
		d.line.Adjustments = d.cas(s, f, d.line.Adjustments)
	case "AMT":
		d.line.Amounts = d.amounts.add(d.line.Amounts, Amount{Qualifier: f.code(1), Amount: f.amount(2, true)})
	case "QTY":
		d.line.Quantities = d.qtys.add(d.line.Quantities, Qty{Qualifier: f.code(1), Quantity: f.quantity(2)})
	}
}

// svc opens a service payment loop.
func (d *RemitReader) svc(s *Segment, f *fieldReader) {
	if d.claim == nil {
		f.fail(0, ErrUnexpected, "SVC before any CLP")
		return
	}
	l := d.lines.zero()
	l.Segment, l.Offset, l.Number = s.Index, s.Offset, len(d.claim.Lines)+1
	l.Procedure = d.procedure(s, 1, f, true)
	if !s.Has(2) && !s.Has(3) {
		d.warnings = append(d.warnings, errAt(s, 2, ErrTolerated, "SVC02 and SVC03 empty; read as zero"))
	}
	l.Charge = f.amount(2, false)
	l.Paid = f.amount(3, false)
	l.RevenueCode = f.code(4)
	l.Units = f.optQuantity(5)
	if s.Has(6) {
		p := d.procedure(s, 6, f, false)
		l.Original = &p
	}
	l.OriginalUnits = f.optQuantity(7)
	d.claim.Lines = d.linePtrs.add(d.claim.Lines, l)
	d.line, d.where = l, inLine
}

// loopPLB handles the provider adjustments of the summary (PLB).
func (d *RemitReader) loopPLB(s *Segment, f *fieldReader) {
	d.emitHeader()
	d.flushClaim()
	d.where, d.area = inPLB, areaSummary
	provider := f.req(1, "PLB01 provider identifier")
	period := f.date(2)
	for k := 0; k < 6; k++ {
		ri, ai := 3+2*k, 4+2*k
		if !s.Has(ri) && !s.Has(ai) {
			continue
		}
		reason, ref := d.composite2(s, ri)
		d.rem.Adjustments = append(d.rem.Adjustments, ProviderAdjustment{Segment: s.Index, Offset: s.Offset,
			Position: k + 1, ProviderID: provider, FiscalPeriod: period, Reason: reason, Reference: ref,
			Amount: f.amount(ai, true)})
	}
}
