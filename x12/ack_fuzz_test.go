package x12

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"
)

// Fuzz targets of the 999 and 277CA readers. Run each for a while:
//
//	go test -run='^$' -fuzz=FuzzAckReader -fuzztime=2m ./x12/
//	go test -run='^$' -fuzz=FuzzStatusReader -fuzztime=2m ./x12/
//
// go test runs them over their seeds: the public files and the generated ones.

// checkFuzzErrors checks the reader contract on any input: every problem
// is an *Error naming a segment that starts inside the data, and every
// problem a record carries is one the reader lists.
func checkFuzzErrors(t *testing.T, data []byte, listed []*Error, attached []*Error) {
	t.Helper()
	all := map[*Error]bool{}
	for _, e := range listed {
		all[e] = true
		if e.Err == nil {
			t.Fatalf("error without a class: %v", e)
		}
		if errors.Is(e, ErrTruncated) { // the end of the data: the segment reader's position there
			if e.Offset < 0 || e.Offset > int64(len(data)) {
				t.Fatalf("error %v points past the data (%d bytes)", e, len(data))
			}
			continue
		}
		if e.Segment > 0 && (e.ID == "" && !errors.Is(e, ErrSegmentID) || e.Offset < 0 || e.Offset >= int64(len(data))) {
			t.Fatalf("error %v does not point into the data (%d bytes)", e, len(data))
		}
	}
	for _, e := range attached {
		if !all[e] {
			t.Fatalf("record error %v not listed by Errors", e)
		}
	}
}

func FuzzAckReader(f *testing.F) {
	for _, path := range testdataFiles(f, filepath.Join(externalCorpus, "999", "*.999")) {
		f.Add(readFile(f, path))
	}
	f.Add(envelope(f, DefaultDelimiters, "FA", DefaultAckImplementation, func(w *Writer) error {
		for _, a := range generatedAcks() {
			if err := WriteAck(w, a); err != nil {
				return err
			}
		}
		return nil
	}))
	f.Add([]byte("ST*999*1~AK2*837*1~IK4*1*2*3~AK9*A~SE*4*1~"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzInput {
			return
		}
		d := NewAckReader(bytes.NewReader(data))
		var attached []*Error
		for calls := 0; ; calls++ {
			if calls > len(data)+2 {
				t.Fatalf("Next called %d times on %d bytes without ending", calls, len(data))
			}
			a, err := d.Next()
			if err != nil {
				break
			}
			attached = append(attached, a.Errors...)
			a.Rejections()
		}
		checkFuzzErrors(t, data, d.Errors(), attached)
	})
}

func FuzzStatusReader(f *testing.F) {
	for _, path := range testdataFiles(f, filepath.Join(externalCorpus, "277ca", "*.277")) {
		f.Add(readFile(f, path))
	}
	rep, recs := generatedStatus()
	f.Add(writeStatusRecords(f, DefaultDelimiters, append([]StatusRecord{rep}, recs...)))
	f.Add([]byte("ST*277*1~HL*1*9*PT~SVC*HC~STC*:1~HL*2**20~NM1~SE*6*1~"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzInput {
			return
		}
		d := NewStatusReader(bytes.NewReader(data))
		var attached []*Error
		for calls := 0; ; calls++ {
			if calls > 2*len(data)+4 {
				t.Fatalf("Next called %d times on %d bytes without ending", calls, len(data))
			}
			r, err := d.Next()
			if err != nil {
				break
			}
			switch v := r.(type) {
			case *StatusReport:
				attached = append(attached, v.Errors...)
			case *StatusEntity:
				attached = append(attached, v.Errors...)
				v.Rejected()
			case *StatusClaim:
				attached = append(attached, v.Errors...)
				v.Rejection()
			}
		}
		checkFuzzErrors(t, data, d.Errors(), attached)
	})
}
