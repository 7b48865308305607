package x12

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// generatedAcks is one 999 of each group verdict: A (all accepted), E
// (accepted with errors), P (one set rejected with IK3/CTX/IK4/CTX), R.
func generatedAcks() []*Ack {
	return []*Ack{
		{Control: "0001", FunctionalID: "HC", GroupControl: "101", GroupVersion: DefaultClaimImplementation,
			Sets:        []*AckSet{{SetID: "837", Control: "0001", Implementation: DefaultClaimImplementation, Status: "A"}},
			GroupStatus: "A", SetsIncluded: 1, SetsReceived: 1, SetsAccepted: 1},
		{Control: "0002", FunctionalID: "HC", GroupControl: "102", GroupVersion: DefaultClaimImplementation,
			Sets: []*AckSet{{SetID: "837", Control: "0001", Status: "E", Segments: []*AckSegmentError{{
				SegmentID: "DTP", Position: 31, Loop: "2400", Code: "8",
				Context:  []AckContext{{Name: "CLM01", Reference: "PCN-E-1"}},
				Elements: []*AckElementError{{Position: 3, Reference: "1251", Code: "8", BadValue: "20261399"}}}}}},
			GroupStatus: "E", SetsIncluded: 1, SetsReceived: 1, SetsAccepted: 1},
		{Control: "0003", FunctionalID: "HC", GroupControl: "103", GroupVersion: DefaultClaimImplementation,
			Sets: []*AckSet{
				{SetID: "837", Control: "0001", Status: "A"},
				{SetID: "837", Control: "0002", Status: "R", SyntaxErrors: []string{"5"}, Segments: []*AckSegmentError{
					{SegmentID: "NM1", Position: 9, Loop: "2010AA", Code: "8",
						Context: []AckContext{{Name: "CLM01", Reference: "PCN-R-1"}},
						Elements: []*AckElementError{{Position: 9, Reference: "67", Code: "7", BadValue: "123",
							Context: []AckContext{{Name: "SITUATIONAL TRIGGER", SegmentID: "NM1", Position: 9, Loop: "2010AA",
								Element: "8", ElementReference: "66"}}}}},
					{SegmentID: "SV1", Position: 40, Loop: "2400", Code: "8",
						Context:  []AckContext{{Name: "CLM01", Reference: "PCN-R-2"}},
						Elements: []*AckElementError{{Position: 1, Component: 2, Reference: "234", Code: "7", BadValue: "6448"}}},
				}},
			},
			GroupStatus: "P", SetsIncluded: 2, SetsReceived: 2, SetsAccepted: 1},
		{Control: "0004", FunctionalID: "HC", GroupControl: "104", GroupVersion: DefaultClaimImplementation,
			Sets: []*AckSet{{SetID: "837", Control: "0001", Status: "R", SyntaxErrors: []string{"5", "I6"},
				Segments: []*AckSegmentError{{SegmentID: "HI", Position: 25, Loop: "2300", Code: "3"}}}},
			GroupStatus: "R", SetsIncluded: 1, SetsReceived: 1, SetsAccepted: 0, GroupErrors: []string{"5"}},
	}
}

// TestWriteAck writes every kind of 999, reads it back equal, lists the
// rejected claims and has the independent checkers read the file.
func TestWriteAck(t *testing.T) {
	for _, d := range []Delimiters{DefaultDelimiters, {Element: '|', Component: '>', Repetition: '^', Segment: '\n'}} {
		t.Run(string(d.Element), func(t *testing.T) {
			acks := generatedAcks()
			out := envelope(t, d, "FA", DefaultAckImplementation, func(w *Writer) error {
				for _, a := range acks {
					if err := WriteAck(w, a); err != nil {
						return err
					}
				}
				return nil
			})
			back, r := readAcks(t, out)
			if len(r.Errors()) != 0 || len(back) != len(acks) {
				t.Fatalf("read back %d, errors %v\n%s", len(back), r.Errors(), out)
			}
			for i, a := range acks {
				t.Run(a.GroupStatus, func(t *testing.T) {
					g := normAck(back[i])
					g.Implementation = ""
					if w := normAck(a); !reflect.DeepEqual(g, w) {
						t.Errorf("differs:\n got %+v\nwant %+v", g, w)
					}
				})
			}
			rej := back[2].Rejections()
			if len(rej) != 2 || rej[0].PatientControlNumber != "PCN-R-1" || rej[1].PatientControlNumber != "PCN-R-2" ||
				rej[0].SetControl != "0002" || rej[0].GroupControl != "103" ||
				!reflect.DeepEqual(rej[0].Statuses, []string{"5", "8", "7", "8", "7"}) {
				t.Errorf("P rejections %+v", rej)
			}
			if rej := back[3].Rejections(); len(rej) != 1 || rej[0].PatientControlNumber != "" || rej[0].Category != "R" {
				t.Errorf("R rejections %+v", rej)
			}
			if len(back[0].Rejections())+len(back[1].Rejections()) != 0 {
				t.Error("accepted sets listed as rejections")
			}
			if d == DefaultDelimiters {
				path := filepath.Join(t.TempDir(), "generated.999")
				if err := os.WriteFile(path, out, 0o600); err != nil {
					t.Fatal(err)
				}
				checkX12check(t, path, "999")
				checkNodeX12(t, path)
			}
		})
	}
}
