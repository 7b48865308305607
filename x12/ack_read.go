package x12

import (
	"errors"
	"io"
)

// AckReader decodes 999 transaction sets from a stream. Next returns one
// *Ack per transaction set, complete with its AK2 loops, when the SE closes
// it (or the data ends inside it); memory holds one transaction set.
//
// It follows the reader contract (see Problems): a problem in the data never
// stops reading. Each problem is an *Error, listed by Errors and attached to
// the Ack it belongs to, so that the caller can quarantine that Ack:
// a value of the wrong form (a count, a position), a required value missing
// (AK202, IK501, AK901), a segment out of place (IK4 before any IK3, a
// segment after AK9) or not part of the 999. Transaction sets other than
// 999 are skipped with an error. Next returns io.EOF at the end, or the I/O
// error that stopped the stream.
type AckReader struct {
	txnBase
	ack    *Ack
	set    *AckSet
	seg    *AckSegmentError
	elem   *AckElementError
	closed bool // AK9 read
	skip   bool // inside a transaction set that is not a 999
	out    *Ack // the record ready for Next
}

var _ Problems = (*AckReader)(nil)

// NewAckReader returns an AckReader reading from r.
func NewAckReader(r io.Reader) *AckReader {
	return &AckReader{txnBase: txnBase{r: NewReader(r)}}
}

// Reader returns the underlying segment reader (for its delimiters).
func (d *AckReader) Reader() *Reader { return d.r }

// Next returns the next acknowledgment, or io.EOF at the end.
func (d *AckReader) Next() (*Ack, error) {
	for d.out == nil {
		if d.done {
			return nil, d.end()
		}
		d.step()
	}
	a := d.out
	d.out = nil
	return a, nil
}

// problem records a problem and attaches it to the open Ack.
func (d *AckReader) problem(e *Error) {
	if e != nil && d.ack != nil {
		d.ack.Errors = append(d.ack.Errors, e)
	}
}

func (d *AckReader) failAt(s *Segment, elem int, class error, detail string) {
	d.problem(d.fail(s, elem, class, detail))
}

func (d *AckReader) step() {
	s, envErr, cut := d.segment()
	if s == nil {
		if d.ack != nil {
			d.problem(cut)
			if cut == nil {
				e := &Error{Segment: d.ack.Segment, Offset: d.ack.Offset, ID: "ST", Err: ErrTruncated,
					Detail: "999 transaction set not closed by SE"}
				d.errs = append(d.errs, e)
				d.problem(e)
			}
			d.finish()
		}
		return
	}
	if envErr != nil && d.ack != nil {
		d.problem(envErr)
	}
	if envErr != nil && errors.Is(envErr, ErrSegmentID) {
		d.problem(envErr) // a segment without a readable identifier: skipped
		return
	}
	if d.skip && s.ID() != "SE" && s.ID() != "ST" {
		return
	}
	f := fieldReader{seg: s, val: &d.val}
	switch s.ID() {
	case "ISA", "GS", "GE", "IEA":
		if d.ack != nil {
			d.failAt(s, 0, ErrEnvelope, "999 transaction set not closed by SE")
			d.finish()
		}
	case "ST":
		if d.ack != nil {
			d.failAt(s, 0, ErrEnvelope, "999 transaction set not closed by SE")
			d.finish()
		}
		d.skip = false
		if trimmed(s.Element(1)) != "999" {
			d.skip = true
			d.fail(s, 1, ErrUnexpected, "expected transaction set 999; transaction set skipped")
			return
		}
		d.ack = &Ack{Segment: s.Index, Offset: s.Offset, Control: d.val.trim(s.Element(2)),
			Implementation: d.val.trim(s.Element(3)), ISAControl: d.isaCtl, GSControl: d.gsCtl,
			SenderID: d.sender, ReceiverID: d.receiver}
		if d.ack.Implementation == "" {
			d.ack.Implementation = d.gsVersion
		}
		d.set, d.seg, d.elem, d.closed = nil, nil, nil, false
		if envErr != nil {
			d.problem(envErr)
		}
	case "SE":
		if d.skip {
			d.skip = false
			return
		}
		if d.ack != nil {
			d.finish()
		}
	default:
		if d.ack == nil {
			d.fail(s, 0, ErrUnexpected, "segment outside a 999 transaction set")
			return
		}
		d.body(s, &f)
		for _, e := range f.errs {
			d.errs = append(d.errs, e)
			d.problem(e)
		}
	}
}

// finish closes the open Ack and hands it to Next.
func (d *AckReader) finish() {
	a := d.ack
	if a.FunctionalID == "" {
		e := &Error{Segment: a.Segment, Offset: a.Offset, ID: "ST", Err: ErrMissing,
			Detail: "999 has no AK1 functional group response header"}
		d.errs = append(d.errs, e)
		a.Errors = append(a.Errors, e)
	}
	if !d.closed {
		e := &Error{Segment: a.Segment, Offset: a.Offset, ID: "ST", Err: ErrMissing,
			Detail: "999 has no AK9 functional group response trailer"}
		d.errs = append(d.errs, e)
		a.Errors = append(a.Errors, e)
	}
	d.ack, d.set, d.seg, d.elem, d.out = nil, nil, nil, nil, a
}

// body handles a segment inside a 999 transaction set.
func (d *AckReader) body(s *Segment, f *fieldReader) {
	a := d.ack
	if d.closed {
		f.fail(0, ErrUnexpected, s.ID()+" after AK9; ignored")
		return
	}
	switch s.ID() {
	case "AK1":
		if a.FunctionalID != "" || len(a.Sets) > 0 {
			f.fail(0, ErrUnexpected, "AK1 occurs once, first in the transaction set; ignored")
			return
		}
		a.FunctionalID = f.reqCode(1, "AK101 functional identifier code")
		a.GroupControl = f.req(2, "AK102 group control number")
		a.GroupVersion = f.str(3)
	case "AK2":
		if d.set != nil {
			f.fail(0, ErrMissing, "the AK2 loop before this one is not closed by IK5")
		}
		d.set = &AckSet{Segment: s.Index, Offset: s.Offset, SetID: f.reqCode(1, "AK201 transaction set identifier code"),
			Control: f.req(2, "AK202 transaction set control number"), Implementation: f.str(3)}
		a.Sets = append(a.Sets, d.set)
		d.seg, d.elem = nil, nil
	case "IK3":
		if d.set == nil {
			f.fail(0, ErrUnexpected, "IK3 before any AK2; ignored")
			return
		}
		g := &AckSegmentError{SegmentID: f.req(1, "IK301 segment ID code"), Position: f.count(2, true),
			Loop: f.str(3), Code: f.code(4)}
		d.set.Segments = append(d.set.Segments, g)
		d.seg, d.elem = g, nil
	case "IK4":
		if d.seg == nil {
			f.fail(0, ErrUnexpected, "IK4 before any IK3; ignored")
			return
		}
		e := &AckElementError{Reference: f.str(2), Code: f.reqCode(3, "IK403 implementation data element syntax error code"),
			BadValue: f.str(4)}
		pos := s.Components(1)
		e.Position = f.countOf(1, part(pos, 0), true)
		e.Component = f.countOf(1, part(pos, 1), false)
		e.Repeat = f.countOf(1, part(pos, 2), false)
		d.seg.Elements = append(d.seg.Elements, e)
		d.elem = e
	case "CTX":
		c := AckContext{Name: d.val.trim(s.Component(1, 1)), Reference: d.val.trim(s.Component(1, 2)),
			SegmentID: f.str(2), Position: f.count(3, false), Loop: f.str(4), Element: f.str(5),
			ElementReference: d.val.trim(s.Component(6, 1))}
		switch {
		case d.elem != nil:
			d.elem.Context = append(d.elem.Context, c)
		case d.seg != nil:
			d.seg.Context = append(d.seg.Context, c)
		default:
			f.fail(0, ErrUnexpected, "CTX outside an IK3 or IK4 loop; ignored")
		}
	case "IK5":
		if d.set == nil {
			f.fail(0, ErrUnexpected, "IK5 before any AK2; ignored")
			return
		}
		d.set.Status = f.reqCode(1, "IK501 transaction set acknowledgment code")
		for i := 2; i <= 6; i++ {
			if s.Has(i) {
				d.set.SyntaxErrors = append(d.set.SyntaxErrors, f.code(i))
			}
		}
		d.set, d.seg, d.elem = nil, nil, nil
	case "AK9":
		a.GroupStatus = f.reqCode(1, "AK901 functional group acknowledge code")
		a.SetsIncluded, a.SetsReceived, a.SetsAccepted = f.count(2, true), f.count(3, true), f.count(4, true)
		for i := 5; i <= 9; i++ {
			if s.Has(i) {
				a.GroupErrors = append(a.GroupErrors, f.code(i))
			}
		}
		d.closed = true
		if d.set != nil {
			f.fail(0, ErrMissing, "AK2 loop not closed by IK5")
		}
	default:
		f.fail(0, ErrUnexpected, "segment not part of the 999; ignored")
	}
}

// part returns parts[i], or nil.
func part(parts [][]byte, i int) []byte {
	if i < len(parts) {
		return parts[i]
	}
	return nil
}

// count reads element i as a non-negative whole number.
func (f *fieldReader) count(i int, required bool) int {
	return f.countOf(i, f.seg.Element(i), required)
}

// countOf reads v, a value of element i, as a non-negative whole number.
func (f *fieldReader) countOf(i int, v []byte, required bool) int {
	if len(v) == 0 {
		if required {
			f.fail(i, ErrMissing, "expected a number")
		}
		return 0
	}
	n, ok := atoi(v)
	if !ok {
		f.fail(i, ErrInvalid, "expected a whole number")
	}
	return n
}
