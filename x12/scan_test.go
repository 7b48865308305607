package x12

import (
	"bytes"
	"math/rand"
	"slices"
	"testing"
)

// TestScanSegment compares the word-at-a-time scan with a byte loop on
// random bytes rich in delimiters, at every length and starting offset.
func TestScanSegment(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	alphabet := []byte("**~~:^\r\nAB0 \x00\xff\x2a\x7e\xaa\xfe")
	for n := 0; n < 600; n++ {
		b := make([]byte, rng.Intn(70))
		for i := range b {
			b[i] = alphabet[rng.Intn(len(alphabet))]
		}
		for _, d := range []Delimiters{DefaultDelimiters, {Element: '|', Segment: '\n'}, {Element: 0x1d, Segment: 0x1c}, {Element: '*', Segment: 0xfe}} {
			for off := 0; off <= min(len(b), 9); off++ {
				base := rng.Intn(100)
				got, i, found := scanSegment(b[off:], base, []int32{-1}, d.Element, d.Segment)
				want, j, wantFound := []int32{-1}, len(b)-off, false
				for k, c := range b[off:] {
					if c == d.Segment {
						j, wantFound = k, true
						break
					}
					if c == d.Element {
						want = append(want, int32(base+k))
					}
				}
				if i != j || found != wantFound || !slices.Equal(got, want) {
					t.Fatalf("scanSegment(%q, %d, %q %q) = %v %d %v, want %v %d %v", b[off:], base, d.Element, d.Segment, got, i, found, want, j, wantFound)
				}
			}
		}
	}
}

// TestKnownIDs: every known identifier is found in idTable, by both paths,
// with its envelope kind; other identifiers are not.
func TestKnownIDs(t *testing.T) {
	env := map[string]uint8{"ISA": envISA, "IEA": envIEA, "GS": envGS, "GE": envGE, "ST": envST, "SE": envSE}
	for _, id := range knownIDs {
		for _, raw := range []string{id, id + "*", id + "*1*2"} {
			e := knownIDShort([]byte(id))
			if e == nil || e.id != id || e.env != env[id] {
				t.Errorf("knownIDShort(%q) = %+v", id, e)
			}
			if got, kind := internID([]byte(id)); got != id || kind != env[id] {
				t.Errorf("internID(%q) = %q, %d", id, got, kind)
			}
			segs := tokenize(bytes.NewReader([]byte("ST*835*1~"+raw+"~SE*3*1~")), 0)
			if len(segs.Segs) != 3 || segs.Segs[1].ID != id {
				t.Errorf("%q read as %+v", raw, segs.Segs)
			}
		}
		if allocs := testing.AllocsPerRun(10, func() { internID([]byte(id)) }); allocs != 0 {
			t.Errorf("internID(%q) allocates", id)
		}
	}
	for _, id := range []string{"ZZ", "ZZZ", "IS", "ISB", "S", "STX", "st", "isa", "N9", "XYZ"} {
		if e := knownIDShort([]byte(id)); e != nil {
			t.Errorf("knownIDShort(%q) = %+v, want nil", id, e)
		}
		if got, kind := internID([]byte(id)); got != id || kind != envOther {
			t.Errorf("internID(%q) = %q, %d", id, got, kind)
		}
	}
}
