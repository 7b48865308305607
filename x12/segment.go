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
	rule  *segRule // the element rules of a known identifier, else nil
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

// Envelope segment kinds, which Reader.track handles; every other segment
// is envOther.
const (
	envOther uint8 = iota
	envISA
	envIEA
	envGS
	envGE
	envST
	envSE
)

// knownIDs are the identifiers of the segments remitq reads: reading them
// does not allocate.
var knownIDs = []string{
	"ISA", "IEA", "GS", "GE", "ST", "SE", "TA1",
	// 835
	"BPR", "TRN", "CUR", "REF", "DTM", "N1", "N2", "N3", "N4", "PER", "RDM", "LX", "TS3", "TS2",
	"CLP", "CAS", "NM1", "MIA", "MOA", "AMT", "QTY", "SVC", "LQ", "PLB",
	// 837P
	"BHT", "HL", "PRV", "SBR", "PAT", "DMG", "CLM", "DTP", "PWK", "CN1", "K3", "NTE", "CR1",
	"CR2", "CRC", "HI", "HCP", "SV1", "SV5", "MEA", "PS1", "LIN", "CTP", "SVD", "OI",
	"FRM", "CR3", "SV2", "CL1",
}

// idEntry is one slot of idTable.
type idEntry struct {
	key  uint32
	env  uint8
	id   string
	rule segRule
}

// idTable is a perfect hash of knownIDs on their bytes packed into an
// integer (idKey): slot idKey*idMul>>24 holds each known identifier.
var idTable [256]idEntry

// idMul makes idTable collision-free for knownIDs; init panics when it does
// not (after adding an identifier, search another odd multiplier).
const idMul = 0x9e377b67

func init() {
	envs := map[string]uint8{"ISA": envISA, "IEA": envIEA, "GS": envGS, "GE": envGE, "ST": envST, "SE": envSE}
	for _, id := range knownIDs {
		k, _ := idKey([]byte(id))
		e := &idTable[k*idMul>>24]
		if e.id != "" && e.id != id {
			panic("x12: segment identifiers " + e.id + " and " + id + " collide in idTable")
		}
		*e = idEntry{key: k, env: envs[id], id: id, rule: ruleFor(id)}
	}
}

// idKey packs an identifier of 2 or 3 bytes, with its length, into an
// integer: its bytes little-endian, the length in the top byte.
func idKey(b []byte) (uint32, bool) {
	switch len(b) {
	case 2:
		return 2<<24 | uint32(b[1])<<8 | uint32(b[0]), true
	case 3:
		return 3<<24 | uint32(b[2])<<16 | uint32(b[1])<<8 | uint32(b[0]), true
	}
	return 0, false
}

// knownIDShort returns the idTable entry of the identifier b, or nil when it
// is not a known one. (Reader.Next has a faster path for the usual case.)
func knownIDShort(b []byte) *idEntry {
	if k, ok := idKey(b); ok {
		if e := &idTable[k*idMul>>24]; e.key == k {
			return e
		}
	}
	return nil
}

// internID returns b as a string, without allocating for known identifiers,
// and its envelope kind.
func internID(b []byte) (string, uint8) {
	if e := knownIDShort(b); e != nil {
		return e.id, e.env
	}
	return string(b), envOther
}
