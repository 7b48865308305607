package x12

import "bytes"

// Segment is one X12 segment as read: its identifier and elements are views
// into the Reader's buffer and stay valid only until the next call to Next.
// Copy what you keep (Clone, or string conversions).
type Segment struct {
	// Index is the 1-based number of the segment in the stream.
	Index int
	// Offset is the byte offset of the segment's first byte in the stream.
	Offset int64

	raw   []byte  // the segment without its terminator
	ends  []int32 // ends[i] is the end of element i in raw (0 = the identifier)
	id    string
	delim Delimiters
}

// ID returns the segment identifier, e.g. "CLP".
func (s *Segment) ID() string { return s.id }

// Raw returns the segment's bytes without the terminator.
func (s *Segment) Raw() []byte { return s.raw }

// Len returns the number of elements after the identifier (the position of
// the last element present).
func (s *Segment) Len() int { return len(s.ends) - 1 }

// Delimiters returns the delimiters in force when the segment was read.
func (s *Segment) Delimiters() Delimiters { return s.delim }

// Element returns element i (1-based, X12 numbering: CLP01 is Element(1));
// Element(0) is the identifier. A missing element is nil.
func (s *Segment) Element(i int) []byte {
	if i < 0 || i >= len(s.ends) {
		return nil
	}
	start := 0
	if i > 0 {
		start = int(s.ends[i-1]) + 1
	}
	return s.raw[start:s.ends[i]]
}

// String returns element i as a string ("" when absent).
func (s *Segment) String(i int) string { return string(s.Element(i)) }

// Has reports whether element i is present and not empty.
func (s *Segment) Has(i int) bool { return len(s.Element(i)) > 0 }

// Component returns component j (1-based) of element i, split on the
// component separator; nil when absent. A simple element is its own first
// component.
func (s *Segment) Component(i, j int) []byte {
	return nthField(s.Element(i), s.delim.Component, j)
}

// Components splits element i on the component separator.
func (s *Segment) Components(i int) [][]byte {
	e := s.Element(i)
	if e == nil {
		return nil
	}
	return bytes.Split(e, []byte{s.delim.Component})
}

// Repeats splits element i on the repetition separator (5010); when there
// is none the element is returned whole.
func (s *Segment) Repeats(i int) [][]byte {
	e := s.Element(i)
	if e == nil {
		return nil
	}
	if s.delim.Repetition == 0 {
		return [][]byte{e}
	}
	return bytes.Split(e, []byte{s.delim.Repetition})
}

// Clone returns a copy of the segment that does not share the Reader's buffer.
func (s *Segment) Clone() *Segment {
	c := *s
	c.raw = bytes.Clone(s.raw)
	c.ends = append([]int32(nil), s.ends...)
	return &c
}

// nthField returns field j (1-based) of b split on sep, or nil.
func nthField(b []byte, sep byte, j int) []byte {
	if b == nil || j < 1 {
		return nil
	}
	for k := 1; ; k++ {
		i := bytes.IndexByte(b, sep)
		if k == j {
			if i < 0 {
				return b
			}
			return b[:i]
		}
		if i < 0 {
			return nil
		}
		b = b[i+1:]
	}
}

// split fills s.ends from s.raw on the element separator.
func (s *Segment) split() {
	s.ends = s.ends[:0]
	raw := s.raw
	el := s.delim.Element
	p := 0
	for {
		i := bytes.IndexByte(raw[p:], el)
		if i < 0 {
			s.ends = append(s.ends, int32(len(raw)))
			return
		}
		s.ends = append(s.ends, int32(p+i))
		p += i + 1
	}
}

// segmentIDs interns the identifiers of the segments remitq reads, so that
// reading them does not allocate.
var segmentIDs = func() map[string]string {
	m := map[string]string{}
	for _, id := range []string{
		"ISA", "IEA", "GS", "GE", "ST", "SE", "TA1",
		// 835
		"BPR", "TRN", "CUR", "REF", "DTM", "N1", "N2", "N3", "N4", "PER", "RDM", "LX", "TS3", "TS2",
		"CLP", "CAS", "NM1", "MIA", "MOA", "AMT", "QTY", "SVC", "LQ", "PLB",
		// 837P
		"BHT", "HL", "PRV", "SBR", "PAT", "DMG", "CLM", "DTP", "PWK", "CN1", "AMT", "K3", "NTE", "CR1",
		"CR2", "CRC", "HI", "HCP", "SV1", "SV5", "MEA", "PS1", "LIN", "CTP", "SVD", "OI", "MOA", "LQ",
		"FRM", "CR3", "SV2", "CL1",
	} {
		m[id] = id
	}
	return m
}()

// internID returns b as a string without allocating for known identifiers.
func internID(b []byte) string {
	if id, ok := segmentIDs[string(b)]; ok {
		return id
	}
	return string(b)
}
