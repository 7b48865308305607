package x12

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Writer encodes X12 segments with any delimiters and keeps the envelope
// counts (SE01, GE01, IEA01) and control numbers right.
type Writer struct {
	// LineBreak writes "\n" after every segment terminator.
	LineBreak bool

	w   *bufio.Writer
	d   Delimiters
	err error

	isaCtl, gsCtl, stCtl string
	inISA, inGS, inST    bool
	groups, sets, segs   int
	buf                  []byte
}

// NewWriter returns a Writer that writes to w with delimiters d.
func NewWriter(w io.Writer, d Delimiters) *Writer {
	return &Writer{w: bufio.NewWriterSize(w, 64<<10), d: d}
}

// Delimiters returns the writer's delimiters.
func (w *Writer) Delimiters() Delimiters { return w.d }

// Composite joins components with the component separator, dropping
// trailing empty components.
func (w *Writer) Composite(parts ...string) string {
	n := len(parts)
	for n > 0 && parts[n-1] == "" {
		n--
	}
	return strings.Join(parts[:n], string([]byte{w.d.Component}))
}

// Repeat joins repetitions with the repetition separator.
func (w *Writer) Repeat(parts ...string) string {
	return strings.Join(parts, string([]byte{w.d.Repetition}))
}

var errDelimInValue = errors.New("x12: value contains a delimiter")

// Segment writes one segment; trailing empty elements are dropped. A value
// holding the element separator or segment terminator is an error.
func (w *Writer) Segment(id string, elems ...string) error {
	if w.err != nil {
		return w.err
	}
	n := len(elems)
	for n > 0 && elems[n-1] == "" {
		n--
	}
	b := append(w.buf[:0], id...)
	for _, e := range elems[:n] {
		if strings.IndexByte(e, w.d.Element) >= 0 || strings.IndexByte(e, w.d.Segment) >= 0 {
			w.err = fmt.Errorf("%w: %s element", errDelimInValue, id)
			return w.err
		}
		b = append(b, w.d.Element)
		b = append(b, e...)
	}
	b = append(b, w.d.Segment)
	if w.LineBreak {
		b = append(b, '\n')
	}
	w.buf = b
	if _, err := w.w.Write(b); err != nil {
		w.err = err
		return err
	}
	if w.inST {
		w.segs++
	}
	return nil
}

// Interchange holds the ISA header values a writer needs.
type Interchange struct {
	SenderQualifier, SenderID     string // ISA05, ISA06
	ReceiverQualifier, ReceiverID string // ISA07, ISA08
	Date                          time.Time
	Control                       int    // ISA13
	Version                       string // ISA12, default "00501"
	Usage                         string // ISA15 P or T, default P
}

// BeginInterchange writes a fixed-width ISA segment.
func (w *Writer) BeginInterchange(h Interchange) error {
	if h.Version == "" {
		h.Version = "00501"
	}
	if h.Usage == "" {
		h.Usage = "P"
	}
	if h.Date.IsZero() {
		h.Date = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	rep := string([]byte{w.d.Repetition})
	if w.d.Repetition == 0 {
		rep = "U"
	}
	w.isaCtl = fmt.Sprintf("%09d", h.Control)
	w.inISA, w.groups = true, 0
	q := func(s string) string {
		if s == "" {
			return "ZZ"
		}
		return s
	}
	return w.Segment("ISA", "00", pad("", 10), "00", pad("", 10),
		q(h.SenderQualifier), pad(h.SenderID, 15), q(h.ReceiverQualifier), pad(h.ReceiverID, 15),
		h.Date.Format("060102"), h.Date.Format("1504"), rep, h.Version, w.isaCtl, "0", h.Usage,
		string([]byte{w.d.Component}))
}

// EndInterchange writes the IEA with the group count.
func (w *Writer) EndInterchange() error {
	w.inISA = false
	return w.Segment("IEA", strconv.Itoa(w.groups), w.isaCtl)
}

// BeginGroup writes a GS segment: functional identifier (HP for 835, HC for
// 837), sender, receiver, date, control number and version (GS08).
func (w *Writer) BeginGroup(functional, sender, receiver string, date time.Time, control int, version string) error {
	w.gsCtl = strconv.Itoa(control)
	w.inGS, w.sets = true, 0
	w.groups++
	return w.Segment("GS", functional, sender, receiver, date.Format("20060102"), date.Format("1504"), w.gsCtl, "X", version)
}

// EndGroup writes the GE with the transaction set count.
func (w *Writer) EndGroup() error {
	w.inGS = false
	return w.Segment("GE", strconv.Itoa(w.sets), w.gsCtl)
}

// BeginTransaction writes ST (ST03 = implementation reference when given)
// and starts counting segments.
func (w *Writer) BeginTransaction(code, control, implementation string) error {
	w.stCtl = control
	w.inST, w.segs = true, 0
	w.sets++
	return w.Segment("ST", code, control, implementation)
}

// EndTransaction writes SE with the segment count.
func (w *Writer) EndTransaction() error {
	n := w.segs + 1
	w.inST = false
	return w.Segment("SE", strconv.Itoa(n), w.stCtl)
}

// Flush writes buffered data to the underlying writer.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	return w.w.Flush()
}

func pad(s string, n int) string {
	if len(s) >= n {
		return s[:n]
	}
	return s + strings.Repeat(" ", n-len(s))
}
