package x12

import (
	"errors"
	"io"
)

// StatusReader decodes 277CA transaction sets (005010X214) from a stream.
// Next returns, in file order, a *StatusReport when a transaction set's
// header (ST, BHT) is read, a *StatusEntity for each 2000A, 2000B and 2000C
// level once its loops are read, and a *StatusClaim for each 2000D claim
// with its 2220D service lines. Memory holds the open claim and the levels
// above it.
//
// It follows the reader contract (see Problems): a problem in the data never
// stops reading. Each problem is an *Error, listed by Errors and attached to
// the record it belongs to (Errors of the claim, level or report), so that
// the caller can quarantine that record: a value of the wrong form (a date,
// an amount), a required value missing (HL03, the claim's TRN02, STC01-1),
// a segment out of place (a claim HL whose parent is not a billing provider
// level, SVC outside a claim) or not part of the 277CA. Transaction sets
// other than 277 are skipped with an error. Next returns io.EOF at the end,
// or the I/O error that stopped the stream.
type StatusReader struct {
	txnBase
	pending []StatusRecord
	rep     *StatusReport
	skip    bool // inside a transaction set that is not a 277
	skipHL  bool // inside an HL level that is not understood

	levels map[string]*StatusEntity // HL01 → level, in the open set
	ent    *StatusEntity            // the open level (nil when a claim is open)
	claim  *StatusClaim
	line   *StatusLine
	trn    bool // the open claim has its TRN
}

var _ Problems = (*StatusReader)(nil)

// NewStatusReader returns a StatusReader reading from r.
func NewStatusReader(r io.Reader) *StatusReader {
	return &StatusReader{txnBase: txnBase{r: NewReader(r)}}
}

// Reader returns the underlying segment reader (for its delimiters).
func (d *StatusReader) Reader() *Reader { return d.r }

// Next returns the next record, or io.EOF at the end.
func (d *StatusReader) Next() (StatusRecord, error) {
	for len(d.pending) == 0 {
		if d.done {
			return nil, d.end()
		}
		d.step()
	}
	rec := d.pending[0]
	d.pending[0] = nil
	d.pending = d.pending[1:]
	return rec, nil
}

// problem attaches e to the open record.
func (d *StatusReader) problem(e *Error) {
	switch {
	case e == nil:
	case d.claim != nil:
		d.claim.Errors = append(d.claim.Errors, e)
	case d.ent != nil:
		d.ent.Errors = append(d.ent.Errors, e)
	case d.rep != nil:
		d.rep.Errors = append(d.rep.Errors, e)
	}
}

func (d *StatusReader) failAt(s *Segment, elem int, class error, detail string) {
	d.problem(d.fail(s, elem, class, detail))
}

func (d *StatusReader) step() {
	s, envErr, cut := d.segment()
	if s == nil {
		if d.rep != nil {
			d.problem(cut)
			d.endSet()
		}
		return
	}
	if d.skip && s.ID() != "SE" && s.ID() != "ST" {
		return
	}
	if envErr != nil && errors.Is(envErr, ErrSegmentID) {
		d.problem(envErr) // a segment without a readable identifier: skipped
		return
	}
	if envErr != nil && s.ID() != "ST" {
		d.problem(envErr)
	}
	f := fieldReader{seg: s, val: &d.val}
	switch s.ID() {
	case "ISA", "GS", "GE", "IEA":
		if d.rep != nil {
			d.failAt(s, 0, ErrEnvelope, "277CA transaction set not closed by SE")
			d.endSet()
		}
	case "ST":
		if d.rep != nil {
			d.failAt(s, 0, ErrEnvelope, "277CA transaction set not closed by SE")
			d.endSet()
		}
		d.skip = false
		if trimmed(s.Element(1)) != "277" {
			d.skip = true
			d.fail(s, 1, ErrUnexpected, "expected transaction set 277; transaction set skipped")
			return
		}
		d.rep = &StatusReport{Segment: s.Index, Offset: s.Offset, Control: d.val.trim(s.Element(2)),
			Implementation: d.val.trim(s.Element(3)), ISAControl: d.isaCtl, GSControl: d.gsCtl}
		if d.rep.Implementation == "" {
			d.rep.Implementation = d.gsVersion
		}
		d.levels, d.ent, d.claim, d.line, d.skipHL = map[string]*StatusEntity{}, nil, nil, nil, false
		d.problem(envErr)
		d.pending = append(d.pending, d.rep)
	case "SE":
		if d.skip {
			d.skip = false
			return
		}
		if d.rep != nil {
			d.endSet()
		}
	default:
		if d.rep == nil {
			d.fail(s, 0, ErrUnexpected, "segment outside a 277 transaction set")
			return
		}
		d.body(s, &f)
		for _, e := range f.errs {
			d.errs = append(d.errs, e)
			d.problem(e)
		}
	}
}

// endSet closes the open level or claim and the transaction set.
func (d *StatusReader) endSet() {
	d.closeLoop()
	d.rep, d.levels = nil, nil
}

// closeLoop queues the open level or claim.
func (d *StatusReader) closeLoop() {
	switch {
	case d.claim != nil:
		if !d.trn {
			e := &Error{Segment: d.claim.Segment, Offset: d.claim.Offset, ID: "HL", Err: ErrMissing,
				Detail: "claim level (2000D) without TRN02 patient control number"}
			d.errs = append(d.errs, e)
			d.claim.Errors = append(d.claim.Errors, e)
		}
		d.pending = append(d.pending, d.claim)
	case d.ent != nil:
		d.pending = append(d.pending, d.ent)
	}
	d.ent, d.claim, d.line = nil, nil, nil
}

// body handles a segment inside a 277 transaction set.
func (d *StatusReader) body(s *Segment, f *fieldReader) {
	if s.ID() == "HL" {
		d.hl(s, f)
		return
	}
	if s.ID() == "BHT" {
		if d.ent != nil || d.claim != nil || d.rep.Structure != "" {
			f.fail(0, ErrUnexpected, "BHT occurs once, before the first HL; ignored")
			return
		}
		r := d.rep
		r.Structure, r.Purpose, r.Reference = f.code(1), f.code(2), f.str(3)
		r.Date, r.Time, r.Type = f.date(4), f.str(5), f.code(6)
		return
	}
	if d.skipHL {
		return
	}
	switch {
	case d.claim != nil:
		d.claimSeg(s, f)
	case d.ent != nil:
		d.entitySeg(s, f)
	default:
		f.fail(0, ErrUnexpected, s.ID()+" before the first HL; ignored")
	}
}

// hl opens a level or a claim.
func (d *StatusReader) hl(s *Segment, f *fieldReader) {
	d.closeLoop()
	d.skipHL = false
	id, parent, level := f.req(1, "HL01 hierarchical ID number"), f.str(2), f.reqCode(3, "HL03 hierarchical level code")
	var up *StatusEntity
	if parent != "" {
		up = d.levels[parent]
		if up == nil {
			f.fail(2, ErrInvalid, "HL02 names no level of this transaction set")
		}
	}
	wantUp, known := statusParentLevel[level]
	switch {
	case !known:
		if level != "" {
			f.fail(3, ErrUnexpected, "HL03 level not used in the 277CA (20, 21, 19, PT); level skipped")
		}
		d.skipHL = true
		return
	case wantUp == "" && up != nil, wantUp != "" && (up == nil || up.Level != wantUp):
		f.fail(2, ErrUnexpected, "HL level "+level+" must be under a level "+orNone(wantUp))
	}
	if level == "PT" {
		d.trn = false
		d.claim = &StatusClaim{Segment: s.Index, Offset: s.Offset, Report: d.rep, Provider: up}
		return
	}
	d.ent = &StatusEntity{Segment: s.Index, Offset: s.Offset, Level: level, Parent: up, Report: d.rep}
	if id != "" {
		d.levels[id] = d.ent
	}
}

// statusParentLevel gives the HL03 level each 277CA level must stand under.
var statusParentLevel = map[string]string{"20": "", "21": "20", "19": "21", "PT": "19"}

// orNone names a parent level for an error message.
func orNone(s string) string {
	if s == "" {
		return "(none: it is the top level)"
	}
	return s
}

// entitySeg handles the segments of loops 2100A–C and 2200A–C.
func (d *StatusReader) entitySeg(s *Segment, f *fieldReader) {
	e := d.ent
	switch s.ID() {
	case "NM1":
		if e.Name.Entity != "" {
			f.fail(0, ErrUnexpected, "NM1 occurs once in a level; ignored")
			return
		}
		e.Name = d.name(f)
	case "TRN":
		e.TraceQ, e.Trace = f.code(1), f.req(2, "TRN02 trace number")
	case "DTP":
		dt := d.val.claimDTP(s, f)
		switch dt.Qualifier {
		case "050":
			e.ReceivedDate = dt.From
		case "009":
			e.ProcessDate = dt.From
		default:
			f.fail(1, ErrUnexpected, "DTP qualifier not used at this level (050, 009); ignored")
		}
	case "STC":
		e.Statuses = append(e.Statuses, d.stc(s, f))
	case "REF":
		e.Refs = append(e.Refs, Ref{Qualifier: f.code(1), Value: f.str(2)})
	case "QTY":
		e.Quantities = append(e.Quantities, Qty{Qualifier: f.code(1), Quantity: f.quantity(2)})
	case "AMT":
		e.Amounts = append(e.Amounts, Amount{Qualifier: f.code(1), Amount: f.amount(2, true)})
	case "SVC":
		f.fail(0, ErrUnexpected, "SVC outside a claim level (2000D); ignored")
	default:
		f.fail(0, ErrUnexpected, "segment not part of the 277CA; ignored")
	}
}

// claimSeg handles the segments of loops 2100D, 2200D and 2220D.
func (d *StatusReader) claimSeg(s *Segment, f *fieldReader) {
	c, l := d.claim, d.line
	switch s.ID() {
	case "NM1":
		if c.Patient.Entity != "" || l != nil {
			f.fail(0, ErrUnexpected, "NM1 occurs once in a claim level, before its status; ignored")
			return
		}
		c.Patient = d.name(f)
	case "TRN":
		if l != nil || d.trn {
			f.fail(0, ErrUnexpected, "TRN occurs once in a claim level, before its lines; ignored")
			return
		}
		f.code(1)
		d.trn = true
		c.PatientControlNumber = f.req(2, "TRN02 patient control number")
	case "STC":
		st := d.stc(s, f)
		if l != nil {
			l.Statuses = append(l.Statuses, st)
		} else {
			c.Statuses = append(c.Statuses, st)
		}
	case "REF":
		q, v := f.code(1), f.str(2)
		switch {
		case l != nil && q == "FJ":
			l.LineControl = v
		case l != nil:
			f.fail(1, ErrUnexpected, "REF qualifier not used in a service line (FJ); ignored")
		case q == "1K":
			c.PayerClaimNumber = v
		case q == "D9":
			c.ClearinghouseTrace = v
		case q == "BLT":
			c.BillType = v
		case q == "EA":
			c.MedicalRecord = v
		default:
			c.Refs = append(c.Refs, Ref{Qualifier: q, Value: v})
		}
	case "DTP":
		dt := d.val.claimDTP(s, f)
		if dt.Qualifier != "472" {
			f.fail(1, ErrUnexpected, "DTP qualifier not used in a claim level (472); ignored")
			return
		}
		if l != nil {
			l.ServiceFrom, l.ServiceTo = dt.From, dt.To
		} else {
			c.ServiceFrom, c.ServiceTo = dt.From, dt.To
		}
	case "SVC":
		d.line = &StatusLine{Segment: s.Index, Offset: s.Offset, Procedure: statusProcedure(s, f),
			Charge: f.amount(2, true), RevenueCode: f.code(4), Units: f.optQuantity(7)}
		c.Lines = append(c.Lines, d.line)
	default:
		f.fail(0, ErrUnexpected, s.ID()+" does not belong in a claim level (2000D); ignored")
	}
}

// name reads an NM1 segment.
func (d *StatusReader) name(f *fieldReader) Name {
	return Name{Entity: f.code(1), Type: f.code(2), Last: f.str(3), First: f.str(4), Middle: f.str(5),
		Suffix: f.str(7), IDQualifier: f.code(8), ID: f.str(9)}
}

// stc reads an STC segment.
func (d *StatusReader) stc(s *Segment, f *fieldReader) StatusInfo {
	st := StatusInfo{Date: f.date(2), Action: f.code(3), Charge: f.optAmount(4), FreeText: f.str(12)}
	for _, i := range []int{1, 10, 11} {
		if !s.Has(i) {
			continue
		}
		sc := StatusCode{Category: d.val.trim(s.Component(i, 1)), Code: d.val.trim(s.Component(i, 2)),
			Entity: d.val.trim(s.Component(i, 3))}
		if sc.Category == "" {
			f.fail(i, ErrMissing, "expected a claim status category code (component 1)")
		}
		st.Codes = append(st.Codes, sc)
	}
	if len(st.Codes) == 0 {
		f.fail(1, ErrMissing, "STC01 claim status composite")
	}
	return st
}

// statusProcedure reads the SVC01 composite.
func statusProcedure(s *Segment, f *fieldReader) Procedure {
	c := s.Components(1)
	p := Procedure{Qualifier: f.val.trim(part(c, 0)), Code: f.val.trim(part(c, 1))}
	for i := 2; i < 6 && i < len(c); i++ {
		if m := f.val.trim(c[i]); m != "" {
			p.Modifiers = append(p.Modifiers, m)
		}
	}
	p.Description = f.val.trim(part(c, 6))
	if p.Code == "" {
		f.fail(1, ErrMissing, "SVC01 procedure code")
	}
	return p
}
