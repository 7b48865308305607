package x12

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// generated999 and generated277 are the files of TestWriteAck and
// TestWriteStatus, edited by the tests below.
func generated999(t *testing.T) string {
	return string(envelope(t, DefaultDelimiters, "FA", DefaultAckImplementation, func(w *Writer) error {
		for _, a := range generatedAcks() {
			if err := WriteAck(w, a); err != nil {
				return err
			}
		}
		return nil
	}))
}

func generated277(t *testing.T) string {
	rep, recs := generatedStatus()
	return string(writeStatusRecords(t, DefaultDelimiters, append([]StatusRecord{rep}, recs...)))
}

// edit replaces the first old in s, failing when it is absent, and fixes the SE counts.
func edit(t *testing.T, s, old, repl string) []byte {
	t.Helper()
	if !strings.Contains(s, old) {
		t.Fatalf("the file lacks %q", old)
	}
	return fixSE(t, []byte(strings.Replace(s, old, repl, 1)))
}

// checkContract checks what every reader promises of its errors: a class,
// the identifier, number and offset of a segment of data, and no values.
func checkContract(t *testing.T, data []byte, errs []*Error, phi ...string) {
	t.Helper()
	idx := segmentIndex837(data)
	for _, e := range errs {
		if e.Err == nil {
			t.Errorf("error without a class: %v", e)
		}
		if e.Segment > 0 && !errors.Is(e, ErrTruncated) {
			s := idx[e.Segment]
			if s == nil || s.ID() != e.ID || s.Offset != e.Offset {
				t.Errorf("error %v does not point at its segment (found %+v)", e, s)
			}
		}
		for _, v := range phi {
			if strings.Contains(e.Error(), v) {
				t.Errorf("error %q shows the value %q", e.Error(), v)
			}
		}
	}
}

// TestAckReaderBadInput: each broken 999 gives the expected positioned
// error, attached to its Ack, which is still returned (to be quarantined).
func TestAckReaderBadInput(t *testing.T) {
	good := generated999(t)
	for _, tc := range []struct {
		name, old, repl string
		id              string
		class           error
		ack             int // index of the Ack the error belongs to
	}{
		{"bad IK302", "IK3*NM1*9*", "IK3*NM1*X9*", "IK3", ErrInvalid, 2},
		{"no IK501", "IK5*E~", "IK5~", "IK5", ErrMissing, 1},
		{"no AK202", "AK2*837*0002~", "AK2*837~", "AK2", ErrMissing, 2},
		{"IK4 before IK3", "AK2*837*0001*005010X222A1~", "AK2*837*0001*005010X222A1~IK4*1**7~", "IK4", ErrUnexpected, 0},
		{"CTX outside IK3", "AK2*837*0001~IK5*A~", "AK2*837*0001~CTX*CLM01:PCN-SECRET~IK5*A~", "CTX", ErrUnexpected, 2},
		{"bad AK904", "AK9*P*2*2*1~", "AK9*P*2*2*one~", "AK9", ErrInvalid, 2},
		{"segment after AK9", "AK9*A*1*1*1~", "AK9*A*1*1*1~AK2*837*9~", "AK2", ErrUnexpected, 0},
		{"not a 999 segment", "AK9*R*", "CLP*PCN-SECRET*1~AK9*R*", "CLP", ErrUnexpected, 3},
		{"missing AK9", "AK9*E*1*1*1~", "", "ST", ErrMissing, 1},
		{"missing IK5", "IK5*R*5*I6~", "", "AK9", ErrMissing, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := edit(t, good, tc.old, tc.repl)
			acks, d := readAcks(t, data)
			errs := d.Errors()
			if len(acks) != 4 {
				t.Fatalf("%d acks, want 4 (errors %v)", len(acks), errs)
			}
			if len(errs) != 1 || errs[0].ID != tc.id || !errors.Is(errs[0], tc.class) {
				t.Fatalf("errors %v, want one %v at %s", errs, tc.class, tc.id)
			}
			if a := acks[tc.ack]; len(a.Errors) != 1 || a.Errors[0] != errs[0] {
				t.Errorf("error not attached to ack %d: %v", tc.ack, a.Errors)
			}
			checkContract(t, data, errs, "PCN-SECRET", "one", "X9")
		})
	}
	t.Run("other transaction set", func(t *testing.T) {
		data := edit(t, good, "ST*999*0002*", "ST*997*0002*")
		acks, d := readAcks(t, data)
		if len(acks) != 3 || len(d.Errors()) != 1 || d.Errors()[0].ID != "ST" {
			t.Errorf("%d acks, errors %v", len(acks), d.Errors())
		}
	})
	t.Run("truncated", func(t *testing.T) {
		data := []byte(good[:strings.Index(good, "AK9*P")])
		acks, d := readAcks(t, data)
		if len(acks) != 3 || len(acks[2].Errors) == 0 || !errors.Is(acks[2].Errors[0], ErrTruncated) {
			t.Errorf("%d acks, errors %v", len(acks), d.Errors())
		}
	})
}

// TestStatusReaderBadInput: each broken 277CA gives the expected
// positioned error, attached to the record it belongs to, which is still
// returned (to be quarantined).
func TestStatusReaderBadInput(t *testing.T) {
	good := generated277(t)
	for _, tc := range []struct {
		name, old, repl string
		id              string
		class           error
		pcn             string // the claim the error belongs to; "" for a level
	}{
		{"bad STC date", "STC*A7:562:85*20260302", "STC*A7:562:85*20261302", "STC", ErrInvalid, "PCN-A7"},
		{"STC without category", "STC*A6:21:IL*", "STC*:21:IL*", "STC", ErrMissing, "PCN-A6"},
		{"claim without TRN02", "TRN*2*PCN-A4~", "TRN*2~", "TRN", ErrMissing, ""},
		{"bad line charge", "SVC*HC:20552*300~", "SVC*HC:20552*3O0~", "SVC", ErrInvalid, "PCN-LINE"},
		{"REF in a line", "REF*FJ*PCN-LINE-L2~", "REF*FJ*PCN-LINE-L2~REF*1K*X~", "REF", ErrUnexpected, "PCN-LINE"},
		{"bad DTP", "DTP*472*RD8*20260220-20260221~", "DTP*472*RD8*20260221-20260220~", "DTP", ErrInvalid, "PCN-LINE"},
		{"unknown HL level", "HL*3*2*19*1~", "HL*3*2*19*1~HL*99*3*XX~NM1*QC*1*SECRETNAME~", "HL", ErrUnexpected, ""},
		{"claim under a receiver", "HL*4*3*PT~", "HL*4*2*PT~", "HL", ErrUnexpected, "PCN-A1"},
		{"not a 277CA segment", "TRN*2*PCN-A8~", "TRN*2*PCN-A8~CLP*SECRET~", "CLP", ErrUnexpected, "PCN-A8"},
		{"QTY in a claim", "TRN*2*PCN-A3~", "TRN*2*PCN-A3~QTY*90*1~", "QTY", ErrUnexpected, "PCN-A3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := edit(t, good, tc.old, tc.repl)
			recs, d := readStatuses(t, data)
			errs := d.Errors()
			if len(errs) != 1 || errs[0].ID != tc.id || !errors.Is(errs[0], tc.class) {
				t.Fatalf("errors %v, want one %v at %s", errs, tc.class, tc.id)
			}
			claims := 0
			for _, r := range recs {
				if c, ok := r.(*StatusClaim); ok {
					claims++
					if tc.pcn != "" && c.PatientControlNumber == tc.pcn && (len(c.Errors) != 1 || c.Errors[0] != errs[0]) {
						t.Errorf("error not attached to claim %s: %v", tc.pcn, c.Errors)
					}
				}
			}
			if claims != 9 {
				t.Errorf("%d claims returned, want all 9", claims)
			}
			checkContract(t, data, errs, "SECRETNAME", "SECRET", "3O0", "20261302")
		})
	}
}

// TestReaderContract: the four transaction readers list their problems the
// same way, through Problems.
func TestReaderContract(t *testing.T) {
	bad835 := readFile(t, "testdata/broken/bad-amount-cas03.835")
	bad837 := bytes.Replace(readFile(t, "testdata/837/pain-management.837"), []byte("CLM*PM-1001*1850"), []byte("CLM*PM-1001*18S0"), 1)
	for _, tc := range []struct {
		name string
		data []byte
		run  func([]byte) Problems
	}{
		{"835", bad835, func(b []byte) Problems {
			d := NewRemitReader(bytes.NewReader(b))
			for {
				if _, err := d.Next(); err != nil {
					return d
				}
			}
		}},
		{"837", bad837, func(b []byte) Problems {
			d := NewClaimReader(bytes.NewReader(b))
			for {
				if _, err := d.Next(); errors.Is(err, io.EOF) {
					return d
				}
			}
		}},
		{"999", edit(t, generated999(t), "IK3*NM1*9*", "IK3*NM1*X9*"), func(b []byte) Problems {
			_, d := readAcks(t, b)
			return d
		}},
		{"277CA", edit(t, generated277(t), "STC*A7:562:85*20260302", "STC*A7:562:85*20261302"), func(b []byte) Problems {
			_, d := readStatuses(t, b)
			return d
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.run(tc.data)
			if len(p.Errors()) == 0 {
				t.Fatal("no error listed")
			}
			checkContract(t, tc.data, p.Errors())
			for _, e := range p.Errors() {
				if e.Segment == 0 || e.ID == "" {
					t.Errorf("error %v without a segment", e)
				}
			}
		})
	}
}

// TestClaimReaderErrorsList: ClaimReader.Errors lists exactly the *Error
// values Next returned, in the same order.
func TestClaimReaderErrorsList(t *testing.T) {
	data := bytes.Replace(readFile(t, "testdata/837/pain-management.837"), []byte("SV1*HC:77003*250*"), []byte("SV1*HC:77003*25O*"), 1)
	d := NewClaimReader(bytes.NewReader(data))
	var fromNext []*Error
	for {
		_, err := d.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var xe *Error
		if errors.As(err, &xe) {
			fromNext = append(fromNext, xe)
		}
	}
	if len(fromNext) == 0 || !slicesEqualErr(fromNext, d.Errors()) {
		t.Errorf("Next returned %v, Errors lists %v", fromNext, d.Errors())
	}
}

func slicesEqualErr(a, b []*Error) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
