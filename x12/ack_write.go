package x12

import (
	"errors"
	"strconv"
)

// DefaultAckImplementation is the ST03 WriteAck writes when Ack.Implementation is empty.
const DefaultAckImplementation = "005010X231A1"

// WriteAck writes one 999 transaction set (ST…SE) from a: AK1, each AK2
// loop with its IK3/CTX/IK4/CTX and IK5, then AK9. Reading the output with
// AckReader gives back equal values (but for positions and envelope
// values). Values holding a delimiter are an error.
func WriteAck(w *Writer, a *Ack) error {
	if a == nil {
		return errors.New("x12: WriteAck: no acknowledgment")
	}
	impl := a.Implementation
	if impl == "" {
		impl = DefaultAckImplementation
	}
	e := &segEncoder{w: w}
	if err := w.BeginTransaction("999", a.Control, impl); err != nil {
		return err
	}
	e.seg("AK1", a.FunctionalID, a.GroupControl, a.GroupVersion)
	for _, s := range a.Sets {
		e.seg("AK2", s.SetID, s.Control, s.Implementation)
		for _, g := range s.Segments {
			e.seg("IK3", g.SegmentID, num(g.Position), g.Loop, g.Code)
			e.contexts(g.Context)
			for _, el := range g.Elements {
				e.seg("IK4", w.Composite(num(el.Position), num(el.Component), num(el.Repeat)), el.Reference, el.Code, el.BadValue)
				e.contexts(el.Context)
			}
		}
		e.seg("IK5", append([]string{s.Status}, s.SyntaxErrors...)...)
	}
	if len(a.GroupErrors) > 5 {
		return errors.New("x12: WriteAck: more than five AK9 error codes")
	}
	e.seg("AK9", append([]string{a.GroupStatus, strconv.Itoa(a.SetsIncluded), strconv.Itoa(a.SetsReceived),
		strconv.Itoa(a.SetsAccepted)}, a.GroupErrors...)...)
	if e.err != nil {
		return e.err
	}
	return w.EndTransaction()
}

// segEncoder writes segments, keeping the first error.
type segEncoder struct {
	w   *Writer
	err error
}

func (e *segEncoder) seg(id string, elems ...string) {
	if e.err == nil {
		e.err = e.w.Segment(id, elems...)
	}
}

func (e *segEncoder) contexts(cs []AckContext) {
	for _, c := range cs {
		e.seg("CTX", e.w.Composite(c.Name, c.Reference), c.SegmentID, num(c.Position), c.Loop, c.Element,
			c.ElementReference)
	}
}

// num formats a positive count, "" for zero.
func num(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}
