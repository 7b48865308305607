package x12

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors wrapped by *Error. Test for them with errors.Is.
var (
	// ErrNoHeader: the data does not start with an ISA segment or, for
	// envelope-less files, an ST segment.
	ErrNoHeader = errors.New("data does not start with an ISA or ST segment")
	// ErrDelimiters: the delimiters cannot be determined or are ambiguous.
	ErrDelimiters = errors.New("ambiguous or invalid delimiters")
	// ErrSegmentTooLong: no segment terminator within Reader.MaxSegmentSize bytes.
	ErrSegmentTooLong = errors.New("segment too long")
	// ErrTruncated: the data ends inside a segment or an open envelope.
	ErrTruncated = errors.New("data ends early")
	// ErrSegmentID: a segment identifier that is not 2 or 3 upper-case letters or digits.
	ErrSegmentID = errors.New("invalid segment identifier")
	// ErrCount: a trailer's count (SE01, GE01, IEA01) disagrees with what was read.
	ErrCount = errors.New("count mismatch")
	// ErrControlNumber: a trailer's control number differs from its header's.
	ErrControlNumber = errors.New("control number mismatch")
	// ErrEnvelope: an envelope segment out of place (ST inside an open ST, SE without ST, ...).
	ErrEnvelope = errors.New("envelope segment out of place")
	// ErrMissing: a required element or segment is absent.
	ErrMissing = errors.New("required value missing")
	// ErrInvalid: an element's value has the wrong form (amount, date, code).
	ErrInvalid = errors.New("invalid value")
	// ErrUnexpected: a segment that does not belong where it stands.
	ErrUnexpected = errors.New("unexpected segment")
	// ErrDuplicate marks a warning: an interchange (sender and ISA13), group
	// (GS06) or transaction set (ST02) seen before in the same file, which is
	// skipped rather than processed twice.
	ErrDuplicate = errors.New("duplicate")
	// ErrUnbalanced marks a file-level warning: a remittance whose BPR02 is
	// not the claim payments less the provider adjustments.
	ErrUnbalanced = errors.New("unbalanced remittance")
	// ErrTolerated marks a warning: a deviation from the standard that was
	// read anyway because its meaning is unambiguous.
	ErrTolerated = errors.New("tolerated")
)

// Error describes a problem at a position in an X12 stream. It never carries
// element values, which may be protected health information.
type Error struct {
	// Segment is the 1-based number of the segment in the stream (0: none).
	Segment int `json:"segment"`
	// Offset is the byte offset of the segment's first byte in the stream.
	Offset int64 `json:"offset"`
	// ID is the segment identifier ("CLP"), empty when unknown.
	ID string `json:"id"`
	// Element is the 1-based element position (0: the segment as a whole).
	Element int `json:"element,omitempty"`
	// Component is the 1-based component position inside Element (0: none).
	Component int `json:"component,omitempty"`
	// Err is the class of problem, one of the sentinel errors.
	Err error `json:"-"`
	// Detail says what was expected, in words a person can act on.
	Detail string `json:"detail,omitempty"`
}

// Error formats the problem with its position, e.g.
// "segment 12 (CLP) at byte 345, CLP04: invalid value: expected a decimal amount".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("x12: ")
	if e.Segment > 0 {
		b.WriteString("segment ")
		b.WriteString(strconv.Itoa(e.Segment))
		if e.ID != "" {
			b.WriteString(" (")
			b.WriteString(e.ID)
			b.WriteString(")")
		}
		b.WriteString(" at byte ")
		b.WriteString(strconv.FormatInt(e.Offset, 10))
		if e.Element > 0 {
			b.WriteString(", ")
			b.WriteString(e.ID)
			if e.Element < 10 {
				b.WriteByte('0')
			}
			b.WriteString(strconv.Itoa(e.Element))
			if e.Component > 0 {
				b.WriteByte('-')
				b.WriteString(strconv.Itoa(e.Component))
			}
		}
		b.WriteString(": ")
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	if e.Detail != "" {
		if e.Err != nil {
			b.WriteString(": ")
		}
		b.WriteString(e.Detail)
	}
	return b.String()
}

// Unwrap returns the sentinel class of the error.
func (e *Error) Unwrap() error { return e.Err }

// Message is Error without the "x12: " prefix and position, for reports that
// show the position in their own fields.
func (e *Error) Message() string {
	var b strings.Builder
	if e.Element > 0 {
		b.WriteString(e.ID)
		if e.Element < 10 {
			b.WriteByte('0')
		}
		b.WriteString(strconv.Itoa(e.Element))
		if e.Component > 0 {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(e.Component))
		}
		b.WriteString(": ")
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	if e.Detail != "" {
		if e.Err != nil {
			b.WriteString(": ")
		}
		b.WriteString(e.Detail)
	}
	return b.String()
}

// errAt builds an *Error positioned at segment s.
func errAt(s *Segment, elem int, class error, detail string) *Error {
	return &Error{Segment: s.Index, Offset: s.Offset, ID: s.ID(), Element: elem, Err: class, Detail: detail}
}
