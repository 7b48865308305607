package x12

import (
	"errors"
	"io"
)

// txnBase is what AckReader and StatusReader share: the segment reader, the
// envelope values and the problems found (see Problems).
type txnBase struct {
	r        *Reader
	val      values
	errs     []*Error
	warnings []*Error
	done     bool
	fatal    error // the I/O error Next returns once the records are out

	isaCtl, gsCtl, gsVersion, sender, receiver string
}

// Errors returns every problem found so far, in file order.
func (b *txnBase) Errors() []*Error { return b.errs }

// Warnings returns the tolerated deviations found so far: the segment
// reader's and the decoder's.
func (b *txnBase) Warnings() []*Error {
	return append(append([]*Error(nil), b.r.Warnings()...), b.warnings...)
}

// segment reads the next segment. It returns nil at the end of the data,
// having recorded why when that is not a clean end: a stream cut inside a
// segment or envelope (truncated, which the caller reports on its open
// record), or an I/O error (kept for Next). envErr is a problem the segment
// reader found with a segment it still returns (envelope counts, control
// numbers), for the caller to attach to its open record.
func (b *txnBase) segment() (s *Segment, envErr, truncated *Error) {
	s, err := b.r.Next()
	var xe *Error
	if s == nil {
		b.done = true
		switch {
		case err == io.EOF:
		case errors.As(err, &xe):
			b.errs = append(b.errs, xe)
			if errors.Is(err, ErrTruncated) {
				return nil, nil, xe
			}
			if !errors.Is(err, ErrNoHeader) {
				b.fatal = err
			}
		default:
			b.fatal = err
		}
		return nil, nil, nil
	}
	if err != nil && errors.As(err, &xe) {
		b.errs = append(b.errs, xe)
		envErr = xe
	}
	switch s.ID() {
	case "ISA":
		b.isaCtl, b.sender, b.receiver = trimmed(s.Element(13)), trimmed(s.Element(6)), trimmed(s.Element(8))
	case "GS":
		b.gsCtl, b.gsVersion = trimmed(s.Element(6)), trimmed(s.Element(8))
	}
	return s, envErr, nil
}

// fail records a problem at segment s.
func (b *txnBase) fail(s *Segment, elem int, class error, detail string) *Error {
	e := errAt(s, elem, class, detail)
	b.errs = append(b.errs, e)
	return e
}

// end returns what Next returns when no record is left.
func (b *txnBase) end() error {
	if b.fatal != nil {
		return b.fatal
	}
	return io.EOF
}
