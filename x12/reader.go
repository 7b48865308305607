package x12

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/bits"
	"strconv"
	"strings"
)

const (
	defaultBufSize        = 64 << 10
	defaultMaxSegmentSize = 1 << 20
)

// Reader reads segments from an X12 stream. It takes the delimiters from the
// ISA segment (or, for files holding only ST…SE, from the ST segment), streams
// segments without holding more than one buffer of the input, tracks each
// segment's number and byte offset, and checks the ISA/GS/ST envelopes as they
// pass: control numbers and the counts in SE01, GE01 and IEA01.
//
// Next returns envelope problems as a non-nil *Error together with a valid
// segment, as encoding/csv returns ErrFieldCount with its record: the caller
// may report the problem and go on. Errors returned with a nil segment are
// final (io.EOF at the normal end).
type Reader struct {
	// MaxSegmentSize bounds the length of one segment (default 1 MiB).
	MaxSegmentSize int

	src   io.Reader
	buf   []byte
	pos   int   // next unread byte in buf
	end   int   // end of valid data in buf
	base  int64 // stream offset of buf[0]
	eof   bool
	err   error // final error
	ready bool

	d        Delimiters
	envelope bool
	index    int
	seg      Segment
	warnings []*Error
	warned   map[string]bool

	env envState
}

// envState tracks the open envelopes.
type envState struct {
	inISA, inGS, inST bool
	isaCtl, gsCtl     string
	stCtl             string
	gsCount           int // GS inside the open ISA
	stCount           int // ST inside the open GS
	segCount          int // segments inside the open ST, ST and SE included
	stSeg             int // segment number of the open ST
	stOff             int64
}

// NewReader returns a Reader reading from r.
func NewReader(r io.Reader) *Reader {
	return &Reader{src: r, MaxSegmentSize: defaultMaxSegmentSize, warned: map[string]bool{}}
}

// Delimiters returns the delimiters read from the stream (valid after the
// first successful Next).
func (r *Reader) Delimiters() Delimiters { return r.d }

// Enveloped reports whether the stream has an ISA envelope (false for files
// that hold only ST…SE).
func (r *Reader) Enveloped() bool { return r.envelope }

// Warnings returns the deviations from the standard that were tolerated so
// far, each with its position. Each kind is reported once.
func (r *Reader) Warnings() []*Error { return r.warnings }

// Control returns the control numbers of the open interchange (ISA13),
// functional group (GS06) and transaction set (ST02).
func (r *Reader) Control() (isa, gs, st string) { return r.env.isaCtl, r.env.gsCtl, r.env.stCtl }

// Offset returns the stream offset just past the last segment read.
func (r *Reader) Offset() int64 { return r.base + int64(r.pos) }

// warn records a tolerated deviation, each kind once. It is kept out of
// line: Next calls it on rare paths only.
//
//go:noinline
func (r *Reader) warn(seg int, off int64, id, msg string) {
	if r.warned[msg] {
		return
	}
	r.warned[msg] = true
	r.warnings = append(r.warnings, &Error{Segment: seg, Offset: off, ID: id, Err: ErrTolerated, Detail: msg})
}

// fill reads more input into buf, keeping buf[pos:end]. It returns false
// at the end of input or on error (r.err set for errors).
func (r *Reader) fill() bool {
	if r.eof {
		return false
	}
	if r.buf == nil {
		r.buf = make([]byte, defaultBufSize)
	}
	if r.pos > 0 {
		n := copy(r.buf, r.buf[r.pos:r.end])
		r.base += int64(r.pos)
		r.end, r.pos = n, 0
	}
	if r.end == len(r.buf) {
		max := r.MaxSegmentSize + 1
		if len(r.buf) >= max {
			return false
		}
		nb := make([]byte, min(2*len(r.buf), max))
		copy(nb, r.buf[:r.end])
		r.buf = nb
	}
	for {
		n, err := r.src.Read(r.buf[r.end:])
		r.end += n
		if err == io.EOF {
			r.eof = true
			return n > 0
		}
		if err != nil {
			r.err = err
			r.eof = true
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
}

// start skips a byte-order mark and leading white space and detects the
// delimiters.
func (r *Reader) start() error {
	// Fill the whole first buffer (or read to the end): what the detection
	// sees must not depend on how the source splits its reads.
	for (r.buf == nil || r.end < len(r.buf)) && r.fill() {
	}
	if r.err != nil {
		return r.err
	}
	if bytes.HasPrefix(r.buf[r.pos:r.end], []byte("\xEF\xBB\xBF")) {
		r.pos += 3
		r.warn(0, 0, "", "UTF-8 byte-order mark before ISA")
	}
	for r.pos < r.end && isSpace(r.buf[r.pos]) {
		r.pos++
	}
	if r.pos == r.end {
		return &Error{Err: ErrNoHeader, Detail: "empty input"}
	}
	if rest := r.buf[r.pos:r.end]; !bytes.HasPrefix(rest, []byte("ISA")) && !bytes.HasPrefix(rest, []byte("ST")) {
		if j := findISA(rest); j > 0 {
			r.pos += j
			r.warn(0, r.base+int64(r.pos), "", "text before the ISA (a mailbox banner?) skipped")
		}
	}
	if wrappedISA(r.buf[r.pos:r.end]) {
		r.unwrap()
	}
	// The ISA may be long when it is not fixed-width: make sure it is all in.
	if end := bytes.IndexByte(r.buf[r.pos:r.end], '\n'); end < 0 {
		for r.end-r.pos < 4096 && r.fill() {
		}
	}
	det, err := detectDelimiters(r.buf[r.pos:r.end])
	if err != nil {
		e := &Error{Offset: r.base + int64(r.pos), Err: ErrNoHeader}
		// An ISA (or ST) whose delimiters cannot be read is not a missing
		// header. (Not ErrTruncated even for a cut ISA: that class is for a
		// stream that ends inside an envelope and is followed by io.EOF.)
		if det.envelope || errors.Is(err, ErrDelimiters) {
			e.Segment, e.ID, e.Err = 1, "ST", ErrDelimiters
			if det.envelope {
				e.ID = "ISA"
			}
			e.Detail = err.Error()
			for _, class := range []error{ErrDelimiters, ErrTruncated} {
				e.Detail = strings.TrimPrefix(e.Detail, class.Error()+": ")
			}
		}
		return e
	}
	r.d, r.envelope = det.d, det.envelope
	for _, w := range det.warnings {
		r.warn(1, r.base+int64(r.pos), "", w)
	}
	r.seg.delim = r.d
	r.ready = true
	return nil
}

// Next returns the next segment. The segment and its element slices are
// valid until the following call. At the end it returns (nil, io.EOF); a
// stream that ends inside an envelope first returns (nil, *Error) wrapping
// ErrTruncated, then io.EOF.
func (r *Reader) Next() (*Segment, error) {
	if !r.ready {
		if r.err != nil {
			return nil, r.err
		}
		if err := r.start(); err != nil {
			r.err = err
			return nil, err
		}
	}
	term, el := r.d.Segment, r.d.Element
	s := &r.seg
	for {
		// Skip line breaks and indentation between segments.
		for {
			for r.pos < r.end {
				c := r.buf[r.pos]
				if c > ' ' {
					break
				}
				if c == '\r' || c == '\n' {
					if c == term {
						break
					}
					r.pos++
					continue
				}
				if c == ' ' || c == '\t' {
					r.warn(r.index+1, r.base+int64(r.pos), "", "segments indented with spaces or tabs")
					r.pos++
					continue
				}
				if c == 0 || c == 0x1a {
					r.warn(r.index+1, r.base+int64(r.pos), "", "Ctrl-Z or NUL padding skipped")
					r.pos++
					continue
				}
				break
			}
			if r.pos < r.end || !r.fill() {
				break
			}
		}
		if r.pos >= r.end {
			if r.err != nil && !errors.Is(r.err, io.EOF) {
				return nil, r.err
			}
			return nil, r.finish()
		}
		// One pass over the segment's bytes finds the element separators and
		// the terminator. n counts the bytes of the segment scanned so far;
		// fill may move the segment to the start of the buffer.
		ends := s.ends[:0]
		n, found := 0, false
		for {
			var i int
			ends, i, found = scanSegment(r.buf[r.pos+n:r.end], n, ends, el, term)
			n += i
			if found {
				break
			}
			if !r.fill() {
				break
			}
		}
		s.ends = ends
		if !found || n > r.MaxSegmentSize {
			var err error
			if n, err = r.unterminated(found, n); err != nil {
				return nil, err
			}
		}
		raw := r.buf[r.pos : r.pos+n]
		off := r.base + int64(r.pos)
		r.pos += n + 1
		if r.pos > r.end {
			r.pos = r.end
		}
		if k := len(raw); k > 0 && (raw[k-1] == '\r' || raw[k-1] == '\n') {
			for k > 0 && (raw[k-1] == '\r' || raw[k-1] == '\n') {
				k--
			}
			raw = raw[:k]
			for len(ends) > 0 && int(ends[len(ends)-1]) >= k {
				ends = ends[:len(ends)-1]
			}
		}
		if len(raw) == 0 {
			continue
		}
		ends = append(ends, int32(len(raw)))
		r.index++
		s.Index, s.Offset, s.raw, s.ends = r.index, off, raw, ends
		// A known identifier is found in one probe of idTable; anything else
		// (spaces, bad or unknown identifiers) takes the slow path.
		idb := raw[:ends[0]]
		var env uint8
		var e *idEntry
		if n := len(idb); len(raw) >= 4 && (n == 2 || n == 3) { // knownID, inlined
			k := binary.LittleEndian.Uint32(raw)&(1<<(8*n)-1) | uint32(n)<<24
			if e = &idTable[k*idMul>>24]; e.key != k {
				e = nil
			}
		} else {
			e = knownIDShort(idb)
		}
		if e != nil {
			s.id, env, s.rule = e.id, e.env, &e.rule
		} else {
			s.rule = nil
			var err error
			if env, err = r.otherID(s, idb); err != nil {
				return s, err
			}
		}
		if env == envOther { // the common case: no envelope to track
			if r.env.inST {
				r.env.segCount++
				return s, nil
			}
			return s, errAt(s, 0, ErrEnvelope, "segment outside an ST…SE transaction set")
		}
		return s, r.track(s)
	}
}

// findISA returns the offset of an ISA segment at the start of a line of
// b, after other text, or -1.
func findISA(b []byte) int {
	for i := 0; ; {
		k := bytes.Index(b[i:], []byte("ISA"))
		if k < 0 {
			return -1
		}
		j := i + k
		if j > 0 && (b[j-1] == '\n' || b[j-1] == '\r') && j+3 < len(b) && !isAlnum(b[j+3]) && !isSpace(b[j+3]) {
			return j
		}
		i = j + 3
	}
}

// wrappedISA reports an ISA cut by a line break before its 16th element
// separator: a file hard-wrapped at a fixed width. No valid ISA has a line
// break there, whatever its segment terminator.
func wrappedISA(b []byte) bool {
	if len(b) < 4 || string(b[:3]) != "ISA" || isAlnum(b[3]) || isSpace(b[3]) {
		return false
	}
	nl := bytes.IndexAny(b, "\r\n")
	return nl > 0 && bytes.Count(b[:nl], b[3:4]) < 16 && nl+1 < len(b)
}

// unwrap drops every line break from the stream, for files hard-wrapped at
// a fixed width, whose line breaks are not segment terminators. Offsets are
// then those of the unwrapped stream.
func (r *Reader) unwrap() {
	r.warn(1, r.base+int64(r.pos), "", "file wrapped at a fixed width: line breaks removed (offsets count without them)")
	n := r.pos
	for _, c := range r.buf[r.pos:r.end] {
		if c != '\r' && c != '\n' {
			r.buf[n] = c
			n++
		}
	}
	r.end = n
	r.src = lineDropper{r.src}
	// Refill what was dropped, so that detection sees a whole ISA.
	for r.end < len(r.buf) && r.fill() {
	}
}

// lineDropper reads from r without CR and LF bytes.
type lineDropper struct{ r io.Reader }

func (l lineDropper) Read(p []byte) (int, error) {
	for {
		n, err := l.r.Read(p)
		k := 0
		for _, c := range p[:n] {
			if c != '\r' && c != '\n' {
				p[k] = c
				k++
			}
		}
		if k > 0 || err != nil {
			return k, err
		}
	}
}

// unterminated handles a segment whose terminator was not found (found
// false: the data ends) or lies more than MaxSegmentSize bytes ahead, n bytes
// from the segment's start. It returns the segment's length, or a final
// error.
func (r *Reader) unterminated(found bool, n int) (int, error) {
	if !found {
		if r.err != nil {
			return 0, r.err
		}
		if r.end-r.pos > r.MaxSegmentSize {
			r.err = &Error{Segment: r.index + 1, Offset: r.base + int64(r.pos), Err: ErrSegmentTooLong,
				Detail: "no segment terminator within " + strconv.Itoa(r.MaxSegmentSize) + " bytes"}
			return 0, r.err
		}
		// Last segment without a terminator.
		n = r.end - r.pos
		r.warn(r.index+1, r.base+int64(r.pos), "", "last segment has no segment terminator")
	}
	if n > r.MaxSegmentSize { // a terminator found within the buffer may still be too far
		r.err = &Error{Segment: r.index + 1, Offset: r.base + int64(r.pos), Err: ErrSegmentTooLong,
			Detail: "no segment terminator within " + strconv.Itoa(r.MaxSegmentSize) + " bytes"}
		return 0, r.err
	}
	return n, nil
}

// otherID sets the identifier of s, whose bytes idb are not a known
// identifier as they stand, and returns its envelope kind: it tolerates
// spaces around it, and returns ErrSegmentID for anything but 2 or 3
// letters or digits.
func (r *Reader) otherID(s *Segment, idb []byte) (uint8, error) {
	if n := len(idb); n > 0 && (idb[n-1] == ' ' || idb[0] == ' ') {
		idb = bytes.TrimSpace(idb)
		r.warn(s.Index, s.Offset, "", "spaces around a segment identifier")
	}
	if len(idb) < 2 || len(idb) > 3 || !isAlnum(idb[0]) || !isAlnum(idb[1]) || len(idb) == 3 && !isAlnum(idb[2]) {
		s.id = ""
		if r.env.inST { // SE01 counts it all the same
			r.env.segCount++
		}
		return envOther, &Error{Segment: s.Index, Offset: s.Offset, Err: ErrSegmentID,
			Detail: "expected 2 or 3 letters or digits before the element separator"}
	}
	var env uint8
	s.id, env = internID(idb)
	return env, nil
}

// finish checks for envelopes left open at the end of the stream.
func (r *Reader) finish() error {
	e := &r.env
	var missing string
	switch {
	case e.inST:
		missing = "SE"
	case e.inGS:
		missing = "GE"
	case e.inISA:
		missing = "IEA"
	default:
		r.err = io.EOF
		return io.EOF
	}
	e.inST, e.inGS, e.inISA = false, false, false
	// Positioned where the missing trailer would start: segment N+1 at the end.
	err := &Error{Segment: r.index + 1, Offset: r.Offset(), Err: ErrTruncated, Detail: "missing " + missing + " at the end of the data"}
	r.err = io.EOF
	return err
}

// track follows the envelope structure and checks trailers.
func (r *Reader) track(s *Segment) error {
	e := &r.env
	if e.inST {
		e.segCount++
	}
	switch s.id {
	case "ISA":
		var err *Error
		if e.inISA {
			err = errAt(s, 0, ErrEnvelope, "ISA before the IEA of the previous interchange")
		}
		*e = envState{inISA: true, isaCtl: trimmed(s.Element(13))}
		// A later interchange may declare other delimiters. detectDelimiters
		// needs the terminator after ISA16, which s.raw does not hold.
		if det, derr := detectDelimiters(append(s.raw[:len(s.raw):len(s.raw)], r.d.Segment)); derr == nil && det.d != r.d && det.d.Element == r.d.Element && det.d.Segment == r.d.Segment {
			r.d.Component, r.d.Repetition = det.d.Component, det.d.Repetition
			r.seg.delim = r.d
		}
		return nilIfNone(err)
	case "GS":
		var err *Error
		if e.inGS {
			err = errAt(s, 0, ErrEnvelope, "GS before the GE of the previous group")
		} else if !e.inISA && r.envelope {
			err = errAt(s, 0, ErrEnvelope, "GS outside an ISA interchange")
		}
		e.inGS, e.gsCtl, e.stCount = true, trimmed(s.Element(6)), 0
		e.gsCount++
		return nilIfNone(err)
	case "ST":
		var err *Error
		if e.inST {
			err = errAt(s, 0, ErrEnvelope, "ST before the SE of the previous transaction set")
		}
		e.inST, e.stCtl, e.segCount, e.stSeg, e.stOff = true, trimmed(s.Element(2)), 1, s.Index, s.Offset
		e.stCount++
		return nilIfNone(err)
	case "SE":
		if !e.inST {
			return errAt(s, 0, ErrEnvelope, "SE without ST")
		}
		e.inST = false
		if n, ok := atoi(s.Element(1)); !ok || n != e.segCount {
			return errAt(s, 1, ErrCount, "SE01 must be the number of segments from ST to SE ("+strconv.Itoa(e.segCount)+")")
		}
		if !sameControl(trimmed(s.Element(2)), e.stCtl) {
			return errAt(s, 2, ErrControlNumber, "SE02 must equal ST02")
		}
	case "GE":
		if !e.inGS {
			return errAt(s, 0, ErrEnvelope, "GE without GS")
		}
		e.inGS = false
		if n, ok := atoi(s.Element(1)); !ok || n != e.stCount {
			return errAt(s, 1, ErrCount, "GE01 must be the number of transaction sets in the group ("+strconv.Itoa(e.stCount)+")")
		}
		if !sameControl(trimmed(s.Element(2)), e.gsCtl) {
			return errAt(s, 2, ErrControlNumber, "GE02 must equal GS06")
		}
	case "IEA":
		if !e.inISA {
			return errAt(s, 0, ErrEnvelope, "IEA without ISA")
		}
		e.inISA = false
		if n, ok := atoi(s.Element(1)); !ok || n != e.gsCount {
			return errAt(s, 1, ErrCount, "IEA01 must be the number of functional groups ("+strconv.Itoa(e.gsCount)+")")
		}
		if !sameControl(trimmed(s.Element(2)), e.isaCtl) {
			return errAt(s, 2, ErrControlNumber, "IEA02 must equal ISA13")
		}
	default:
		if !e.inST {
			return errAt(s, 0, ErrEnvelope, "segment outside an ST…SE transaction set")
		}
	}
	return nil
}

func nilIfNone(e *Error) error {
	if e == nil {
		return nil
	}
	return e
}

// trimmed returns b without surrounding spaces, as a string.
func trimmed(b []byte) string { return string(bytes.TrimSpace(b)) }

// atoi parses an unsigned decimal integer, allowing surrounding spaces.
func atoi(b []byte) (int, bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// sameControl compares control numbers, numerically when both are numeric
// (they are N0 elements: "000000001" and "1" are the same number).
func sameControl(a, b string) bool {
	if a == b {
		return true
	}
	x, ok1 := atoi([]byte(a))
	y, ok2 := atoi([]byte(b))
	return ok1 && ok2 && x == y
}

const swarOnes = 0x0101010101010101

// scanSegment scans b, the bytes of a segment from its byte base on, for
// element separators, which it appends to ends (as offsets in the segment),
// up to the segment terminator. It returns the terminator's index in b and
// true, or len(b) and false when b holds none.
func scanSegment(b []byte, base int, ends []int32, el, term byte) ([]int32, int, bool) {
	elMask, termMask := uint64(el)*swarOnes, uint64(term)*swarOnes
	// Eight bytes at a time: a word's separators and terminator are the
	// zero bytes of the word xor the delimiter.
	i := 0
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		seps, terms := zeroBytes(w^elMask), zeroBytes(w^termMask)
		if terms != 0 {
			t := bits.TrailingZeros64(terms)
			for seps &= 1<<t - 1; seps != 0; seps &= seps - 1 {
				ends = append(ends, int32(base+i+bits.TrailingZeros64(seps)>>3))
			}
			return ends, i + t>>3, true
		}
		for ; seps != 0; seps &= seps - 1 {
			ends = append(ends, int32(base+i+bits.TrailingZeros64(seps)>>3))
		}
	}
	for ; i < len(b); i++ {
		if c := b[i]; c == el {
			ends = append(ends, int32(base+i))
		} else if c == term {
			return ends, i, true
		}
	}
	return ends, i, false
}

// zeroBytes returns x with the high bit set in exactly the bytes of x that
// are zero, and every other bit clear.
func zeroBytes(x uint64) uint64 {
	const low7 = 0x7f7f7f7f7f7f7f7f
	return ^((x&low7 + low7) | x | low7)
}
