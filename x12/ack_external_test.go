package x12

import (
	"errors"
	"path/filepath"
	"reflect"
	"testing"
)

// TestExternalAcks reads the public 999 files of testdata/external/999 and
// checks the values read by hand from each.
func TestExternalAcks(t *testing.T) {
	dir := filepath.Join(externalCorpus, "999")
	t.Run("stupidedi-x231a1", func(t *testing.T) {
		acks, d := readAcks(t, readFile(t, filepath.Join(dir, "stupidedi-x231a1-response-to-3-837s.999")))
		if len(d.Errors()) != 0 || len(acks) != 1 {
			t.Fatalf("%d acks, errors %v", len(acks), d.Errors())
		}
		a := acks[0]
		if a.Control != "2870001" || a.Implementation != "005010X231A1" || a.ISAControl != "000010216" || a.GSControl != "20213" ||
			a.FunctionalID != "HC" || a.GroupControl != "17456" || a.GroupVersion != "005010X222A2" {
			t.Errorf("header %+v", a)
		}
		if a.GroupStatus != "P" || a.SetsIncluded != 3 || a.SetsReceived != 3 || a.SetsAccepted != 1 || len(a.Sets) != 3 {
			t.Fatalf("AK9 %s %d/%d/%d, %d sets", a.GroupStatus, a.SetsIncluded, a.SetsReceived, a.SetsAccepted, len(a.Sets))
		}
		s1, s2, s3 := a.Sets[0], a.Sets[1], a.Sets[2]
		if s1.Control != "0001" || s1.Status != "A" || !s1.Accepted() || len(s1.Segments) != 0 {
			t.Errorf("set 1 %+v", s1)
		}
		want2 := []*AckSegmentError{{SegmentID: "CLM", Position: 22, Code: "8",
			Context:  []AckContext{{Name: "CLM01", Reference: "123456789"}},
			Elements: []*AckElementError{{Position: 2, Reference: "782", Code: "1"}}}}
		if s2.Control != "0002" || s2.Status != "R" || !reflect.DeepEqual(s2.SyntaxErrors, []string{"5"}) ||
			!reflect.DeepEqual(s2.Segments, want2) {
			t.Errorf("set 2 %+v %+v", s2, s2.Segments)
		}
		want3 := []AckContext{{Name: "SITUATIONAL TRIGGER", SegmentID: "CLM", Position: 43, Element: "5:3"},
			{Name: "CLM01", Reference: "987654321"}}
		if s3.Control != "0003" || s3.Status != "R" || len(s3.Segments) != 1 || s3.Segments[0].SegmentID != "REF" ||
			s3.Segments[0].Position != 57 || s3.Segments[0].Code != "3" || !reflect.DeepEqual(s3.Segments[0].Context, want3) {
			t.Errorf("set 3 %+v", s3.Segments[0])
		}
		rej := a.Rejections()
		if len(rej) != 2 || rej[0].SetControl != "0002" || rej[0].PatientControlNumber != "123456789" ||
			!reflect.DeepEqual(rej[0].Statuses, []string{"5", "8", "1"}) || rej[0].GroupControl != "17456" ||
			rej[1].SetControl != "0003" || rej[1].PatientControlNumber != "987654321" || rej[1].Category != "R" {
			t.Errorf("rejections %+v", rej)
		}
	})
	t.Run("imsweb-accepted", func(t *testing.T) {
		acks, d := readAcks(t, readFile(t, filepath.Join(dir, "imsweb-999-accepted.999")))
		// IEA02 000000001 is not ISA13 000000286: the one problem of the file.
		if errs := d.Errors(); len(errs) != 1 || !errors.Is(errs[0], ErrControlNumber) || errs[0].ID != "IEA" {
			t.Errorf("errors %v, want the IEA02 control number mismatch", errs)
		}
		if len(acks) != 1 || acks[0].GroupControl != "17456" || acks[0].GroupVersion != "005010X223A2" ||
			len(acks[0].Sets) != 1 || acks[0].Sets[0].Control != "0001" || !acks[0].Sets[0].Accepted() ||
			acks[0].GroupStatus != "A" || len(acks[0].Rejections()) != 0 {
			t.Errorf("acks %+v", acks)
		}
	})
	t.Run("imsweb-rejected", func(t *testing.T) {
		acks, d := readAcks(t, readFile(t, filepath.Join(dir, "imsweb-999-rejected.999")))
		if len(d.Errors()) != 0 || len(acks) != 1 {
			t.Fatalf("%d acks, errors %v", len(acks), d.Errors())
		}
		a := acks[0]
		if d.Reader().Delimiters().Component != '|' || a.Control != "95832987" || a.GroupControl != "28" || a.GroupStatus != "R" ||
			a.SetsIncluded != 1 || a.SetsReceived != 1 || a.SetsAccepted != 0 {
			t.Errorf("ack %+v", a)
		}
		s := a.Sets[0]
		if s.Control != "0028" || s.Implementation != "" || s.Status != "R" || len(s.Segments) != 1 ||
			s.Segments[0].SegmentID != "NM" || s.Segments[0].Position != 17 || s.Segments[0].Code != "1" {
			t.Errorf("set %+v %+v", s, s.Segments)
		}
		rej := a.Rejections()
		if len(rej) != 1 || rej[0].SetControl != "0028" || rej[0].PatientControlNumber != "" ||
			!reflect.DeepEqual(rej[0].Statuses, []string{"5", "1"}) {
			t.Errorf("rejections %+v", rej)
		}
	})
	for _, path := range testdataFiles(t, filepath.Join(dir, "*.999")) {
		t.Run("round-trip/"+filepath.Base(path), func(t *testing.T) {
			acks, _ := readAcks(t, readFile(t, path))
			out := envelope(t, DefaultDelimiters, "FA", DefaultAckImplementation, func(w *Writer) error {
				for _, a := range acks {
					if err := WriteAck(w, a); err != nil {
						return err
					}
				}
				return nil
			})
			back, d := readAcks(t, out)
			if len(d.Errors()) != 0 || len(back) != len(acks) {
				t.Fatalf("read back: %d acks, errors %v\n%s", len(back), d.Errors(), out)
			}
			for i := range acks {
				if g, w := normAck(back[i]), normAck(acks[i]); !reflect.DeepEqual(g, w) {
					t.Errorf("ack %d differs:\n got %+v\nwant %+v", i, g, w)
				}
			}
		})
	}
}

// TestExternalStatuses reads the public 277CA files of
// testdata/external/277ca and checks the values read by hand from each.
func TestExternalStatuses(t *testing.T) {
	dir := filepath.Join(externalCorpus, "277ca")
	t.Run("imsweb-accepted", func(t *testing.T) {
		recs, d := readStatuses(t, readFile(t, filepath.Join(dir, "imsweb-277CA-accepted.277")))
		// DTP*472*D8*10010101 (year 1001) is the file's one problem: reported
		// on the claim, the date left empty, the claim kept.
		errs := d.Errors()
		if len(recs) != 5 || len(errs) != 1 || errs[0].ID != "DTP" || errs[0].Segment != 24 || errs[0].Element != 3 ||
			!errors.Is(errs[0], ErrInvalid) {
			t.Fatalf("%d records, errors %v", len(recs), errs)
		}
		rep := recs[0].(*StatusReport)
		if rep.Control != "000014420" || rep.Implementation != "005010X214" || rep.Structure != "0085" || rep.Purpose != "08" ||
			rep.Reference != "000000674" || rep.Date != "2011-03-11" || rep.Time != "100831" || rep.Type != "TH" {
			t.Errorf("report %+v", rep)
		}
		src, rcv, prov := recs[1].(*StatusEntity), recs[2].(*StatusEntity), recs[3].(*StatusEntity)
		if src.Level != "20" || src.Name.Entity != "PR" || src.Name.Last != "NYSDOH" || src.Name.ID != "141797357" ||
			src.Trace != "000014420" || src.ReceivedDate != "2011-03-11" || src.ProcessDate != "2011-03-11" {
			t.Errorf("2000A %+v", src)
		}
		if rcv.Level != "21" || rcv.Parent != src || rcv.Name.Entity != "41" || rcv.Name.ID != "ETIN" || rcv.Trace != "000000674" ||
			len(rcv.Statuses) != 1 || !reflect.DeepEqual(rcv.Statuses[0].Codes, []StatusCode{{Category: "A1", Code: "20"}}) ||
			rcv.Statuses[0].Action != "WQ" || rcv.Statuses[0].Charge.X12() != "125" || rcv.Rejected() ||
			!reflect.DeepEqual(rcv.Quantities, []Qty{{Qualifier: "90", Quantity: 1000}}) || rcv.Amounts[0].Amount.X12() != "125" {
			t.Errorf("2000B %+v", rcv)
		}
		if prov.Level != "19" || prov.Parent != rcv || prov.Name.IDQualifier != "XX" || prov.Name.ID != "1234567890" ||
			prov.Trace != "1107000000000135FF" {
			t.Errorf("2000C %+v", prov)
		}
		c := recs[4].(*StatusClaim)
		if c.Provider != prov || c.PatientControlNumber != "5781" || c.PayerClaimNumber != "1107000000014420" ||
			c.ServiceFrom != "" || len(c.Errors) != 1 || c.Errors[0] != errs[0] || len(c.Statuses) != 1 || c.Statuses[0].Codes[0] != (StatusCode{Category: "A2", Code: "20"}) ||
			c.Rejected() {
			t.Errorf("2000D %+v", c)
		}
		if _, ok := c.Rejection(); ok {
			t.Error("an accepted claim has a rejection")
		}
	})
	t.Run("imsweb-rejected", func(t *testing.T) {
		recs, d := readStatuses(t, readFile(t, filepath.Join(dir, "imsweb-277CA-rejected.277")))
		if len(d.Errors()) != 0 || len(recs) != 5 {
			t.Fatalf("%d records, errors %v", len(recs), d.Errors())
		}
		c := recs[4].(*StatusClaim)
		if c.PatientControlNumber != "3920394930203" || c.BillType != "731" || c.ServiceFrom != "2009-03-11" ||
			c.Statuses[0].Codes[0] != (StatusCode{Category: "A7", Code: "562", Entity: "85"}) || c.Statuses[0].Charge.X12() != "199.14" {
			t.Errorf("2000D %+v", c)
		}
		r, ok := c.Rejection()
		want := ClaimRejection{Source: "277CA", Segment: c.Segment, Offset: c.Offset, BatchReference: "11200001",
			PatientControlNumber: "3920394930203", PayerClaimNumber: "1107000000001120", Category: "A7",
			Statuses: []string{"562"}, Entity: "85"}
		if !ok || !reflect.DeepEqual(r, want) {
			t.Errorf("rejection %+v, want %+v", r, want)
		}
	})
	for _, path := range testdataFiles(t, filepath.Join(dir, "*.277")) {
		t.Run("round-trip/"+filepath.Base(path), func(t *testing.T) {
			recs, _ := readStatuses(t, readFile(t, path))
			out := writeStatusRecords(t, DefaultDelimiters, recs)
			back, d := readStatuses(t, out)
			if len(d.Errors()) != 0 {
				t.Fatalf("read back: errors %v\n%s", d.Errors(), out)
			}
			if g, w := normStatuses(back), normStatuses(recs); !reflect.DeepEqual(g, w) {
				t.Errorf("differs:\n got %+v\nwant %+v", g, w)
			}
		})
	}
}
