package x12

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"testing"
)

// Fuzz targets. Run each for a while:
//
//	go test -run='^$' -fuzz=FuzzReader -fuzztime=2m ./x12/
//	go test -run='^$' -fuzz=FuzzRemitReader -fuzztime=2m ./x12/
//
// Crashers found are kept in testdata/fuzz/<Target>/ and run with go test.

// maxFuzzInput bounds the inputs the targets read: large inputs make the
// fuzzer slow (minimizing a 400 KiB input takes minutes) and find nothing a
// small one would not. The whole corpus files are read by the corpus tests.
const maxFuzzInput = 64 << 10

// addSeeds adds every corpus (the external one too) and testdata file as a seed, the large ones cut
// to their first 16 KiB.
func addSeeds(f *testing.F) {
	for _, pattern := range []string{filepath.Join(committedCorpus, "835", "*.835"), "testdata/835/*.835", "testdata/broken/*.835",
		filepath.Join(externalCorpus, "835", "*.835")} {
		for _, path := range testdataFiles(f, pattern) {
			data := readFile(f, path)
			f.Add(data[:min(len(data), 16<<10)])
		}
	}
	for _, in := range roundTripEdges {
		f.Add([]byte(in))
	}
	f.Add([]byte(""))
}

// FuzzReader: the tokenizer never panics and always ends; segment numbers
// count up by one, offsets strictly increase, each segment's bytes are in
// the input at its offset, and its elements are its bytes split on the
// element separator.
func FuzzReader(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzInput {
			return
		}
		r := NewReader(bytes.NewReader(data))
		r.MaxSegmentSize = 4096
		last := int64(-1)
		index, truncated := 0, 0
		for calls := 0; ; calls++ {
			if calls > len(data)+2 {
				t.Fatalf("Next called %d times on %d bytes without ending", calls, len(data))
			}
			s, err := r.Next()
			if s == nil {
				if err == nil {
					t.Fatal("nil segment without error")
				}
				if errors.Is(err, ErrTruncated) {
					if truncated++; truncated > 1 {
						t.Fatalf("ErrTruncated twice: %v", err)
					}
					continue
				}
				if err != io.EOF && !errors.As(err, new(*Error)) {
					t.Fatalf("final error %v is not an *Error", err)
				}
				return
			}
			index++
			if s.Index != index {
				t.Fatalf("segment number %d, want %d", s.Index, index)
			}
			if s.Offset <= last {
				t.Fatalf("segment %d: offset %d after %d", s.Index, s.Offset, last)
			}
			last = s.Offset
			raw := s.Raw()
			if s.Offset < 0 || s.Offset+int64(len(raw)) > int64(len(data)) || !bytes.Equal(data[s.Offset:s.Offset+int64(len(raw))], raw) {
				t.Fatalf("segment %d: raw %q is not in the input at %d", s.Index, raw, s.Offset)
			}
			parts := bytes.Split(raw, []byte{s.Delimiters().Element})
			if len(parts) != s.Len()+1 {
				t.Fatalf("segment %d: %d elements, want %d", s.Index, s.Len()+1, len(parts))
			}
			for i := 0; i <= s.Len(); i++ {
				if !bytes.Equal(s.Element(i), parts[i]) {
					t.Fatalf("segment %d: element %d is %q, want %q", s.Index, i, s.Element(i), parts[i])
				}
				s.Components(i)
				s.Repeats(i)
			}
			var xe *Error
			if err != nil && (!errors.As(err, &xe) || xe.Segment != s.Index) {
				t.Fatalf("error %v returned with segment %d", err, s.Index)
			}
		}
	})
}

// FuzzRemitReader: decoding never panics, Summarize works, and any input
// that reads without errors writes with WriteRemittance and reads back to
// equal values.
func FuzzRemitReader(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzInput {
			return
		}
		if _, err := Summarize("fuzz", bytes.NewReader(data)); err != nil && !errors.As(err, new(*Error)) {
			t.Fatalf("Summarize: %v", err)
		}
		rf, err := ReadRemittances(bytes.NewReader(data))
		if rf == nil {
			t.Fatalf("ReadRemittances returned no file (%v)", err)
		}
		if err != nil || len(rf.Errors) > 0 {
			return
		}
		r := NewReader(bytes.NewReader(data))
		r.Next()
		d := writableDelimiters(r.Delimiters())
		if err := roundTrip(data, d); err != nil {
			if errors.Is(err, errDelimInValue) {
				return // a value holds one of the writer's delimiters
			}
			t.Fatal(err)
		}
	})
}

// writableDelimiters returns d when a writer can use it, else the defaults:
// white space may end segments but not separate elements or components.
func writableDelimiters(d Delimiters) Delimiters {
	for _, c := range []byte{d.Element, d.Component, d.Repetition} {
		if c == '\r' || c == '\n' || c == '\t' || c == ' ' {
			return DefaultDelimiters
		}
	}
	if d.Segment == '\t' || d.Validate() != nil {
		return DefaultDelimiters
	}
	return d
}
