package x12

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// generatedStatus is a 277CA with the four levels and one claim for each
// status category: A1, A2 (accepted), A3, A4, A6, A7, A8 (rejected), and a
// claim rejected at one of its lines (2220D).
func generatedStatus() (*StatusReport, []StatusRecord) {
	rep := &StatusReport{Control: "0001", Implementation: DefaultStatusImplementation, Structure: "0085", Purpose: "08",
		Reference: "277CA0001", Date: "2026-03-02", Time: "0915", Type: "TH"}
	src := &StatusEntity{Level: "20", Name: Name{Entity: "AY", Type: "2", Last: "CLEARINGHOUSE", IDQualifier: "46", ID: "CH01"},
		TraceQ: "1", Trace: "BATCH-77", ReceivedDate: "2026-03-01", ProcessDate: "2026-03-02", Report: rep}
	rcv := &StatusEntity{Level: "21", Parent: src, Name: Name{Entity: "41", Type: "2", Last: "PAIN BILLING CO", IDQualifier: "46", ID: "SUB1"},
		TraceQ: "2", Trace: "CL1", Report: rep,
		Statuses:   []StatusInfo{{Codes: []StatusCode{{Category: "A1", Code: "19", Entity: "PR"}}, Date: "2026-03-02", Action: "WQ", Charge: amtp837("9000")}},
		Quantities: []Qty{{Qualifier: "90", Quantity: 2000}, {Qualifier: "AA", Quantity: 5000}},
		Amounts:    []Amount{{Qualifier: "YU", Amount: amt837("3000")}, {Qualifier: "YY", Amount: amt837("6000")}}}
	prov := &StatusEntity{Level: "19", Parent: rcv, Name: Name{Entity: "85", Type: "2", Last: "SPINE AND PAIN CENTER", IDQualifier: "XX", ID: "1234567893"},
		TraceQ: "1", Trace: "PROV-TRACE-1", Report: rep, Refs: []Ref{{Qualifier: "TJ", Value: "861234567"}},
		Statuses: []StatusInfo{{Codes: []StatusCode{{Category: "A1", Code: "20"}}, Date: "2026-03-02", Action: "WQ", Charge: amtp837("9000")}}}
	claim := func(pcn, cat, code, entity string) *StatusClaim {
		c := &StatusClaim{Report: rep, Provider: prov,
			Patient:              Name{Entity: "QC", Type: "1", Last: "TESTPAT", First: "ONE", IDQualifier: "MI", ID: "MEM0001"},
			PatientControlNumber: pcn, ClearinghouseTrace: "CH-" + pcn, ServiceFrom: "2026-02-20", ServiceTo: "2026-02-20",
			Statuses: []StatusInfo{{Codes: []StatusCode{{Category: cat, Code: code, Entity: entity}}, Date: "2026-03-02",
				Action: "U", Charge: amtp837("1500")}}}
		if cat == "A1" || cat == "A2" {
			c.Statuses[0].Action = "WQ"
			c.PayerClaimNumber = "PAYER-" + pcn
		}
		return c
	}
	recs := []StatusRecord{src, rcv, prov,
		claim("PCN-A1", "A1", "19", "PR"),
		claim("PCN-A2", "A2", "20", ""),
		claim("PCN-A3", "A3", "116", ""),
		claim("PCN-A4", "A4", "35", ""),
		claim("PCN-A6", "A6", "21", "IL"),
		claim("PCN-A7", "A7", "562", "85"),
		claim("PCN-A8", "A8", "500", "82"),
	}
	// A claim whose STC carries three composites (STC01, STC10, STC11).
	multi := claim("PCN-A7-3", "A7", "21", "")
	multi.Statuses[0].Codes = append(multi.Statuses[0].Codes, StatusCode{Category: "A7", Code: "164", Entity: "IL"},
		StatusCode{Category: "A7", Code: "158", Entity: "QC"})
	multi.Statuses[0].FreeText = "SEE CODES"
	// A claim accepted but for one of its lines.
	lines := claim("PCN-LINE", "A2", "20", "")
	lines.ServiceTo = "2026-02-21"
	lines.Lines = []*StatusLine{
		{Procedure: Procedure{Qualifier: "HC", Code: "64483", Modifiers: []string{"RT"}}, Charge: amt837("1200"),
			Units: qtyp(1000), LineControl: "PCN-LINE-L1", ServiceFrom: "2026-02-20", ServiceTo: "2026-02-20",
			Statuses: []StatusInfo{{Codes: []StatusCode{{Category: "A2", Code: "20"}}, Date: "2026-03-02", Action: "WQ", Charge: amtp837("1200")}}},
		{Procedure: Procedure{Qualifier: "HC", Code: "20552"}, Charge: amt837("300"), LineControl: "PCN-LINE-L2",
			ServiceFrom: "2026-02-21", ServiceTo: "2026-02-21",
			Statuses: []StatusInfo{{Codes: []StatusCode{{Category: "A7", Code: "454"}}, Date: "2026-03-02", Action: "U", Charge: amtp837("300")}}},
	}
	return rep, append(recs, multi, lines)
}

func qtyp(q Quantity) *Quantity { return &q }

// TestWriteStatus writes a 277CA with every status category, reads it back
// equal, lists its rejections and has the independent checkers read it.
func TestWriteStatus(t *testing.T) {
	for _, d := range []Delimiters{DefaultDelimiters, {Element: '|', Component: '>', Repetition: '^', Segment: '\n'}} {
		t.Run(string(d.Element), func(t *testing.T) {
			rep, recs := generatedStatus()
			all := append([]StatusRecord{rep}, recs...)
			out := writeStatusRecords(t, d, all)
			back, r := readStatuses(t, out)
			if len(r.Errors()) != 0 {
				t.Fatalf("read back: errors %v\n%s", r.Errors(), out)
			}
			g, w := normStatuses(back), normStatuses(all)
			if len(g) != len(w) {
				t.Fatalf("%d records read back, want %d", len(g), len(w))
			}
			for i := range w {
				if !reflect.DeepEqual(g[i], w[i]) {
					t.Errorf("record %d differs:\n got %+v\nwant %+v", i, g[i], w[i])
				}
			}
			want := map[string]ClaimRejection{
				"PCN-A3":   {Category: "A3", Statuses: []string{"116"}},
				"PCN-A4":   {Category: "A4", Statuses: []string{"35"}},
				"PCN-A6":   {Category: "A6", Statuses: []string{"21"}, Entity: "IL"},
				"PCN-A7":   {Category: "A7", Statuses: []string{"562"}, Entity: "85"},
				"PCN-A8":   {Category: "A8", Statuses: []string{"500"}, Entity: "82"},
				"PCN-A7-3": {Category: "A7", Statuses: []string{"21", "164", "158"}},
				"PCN-LINE": {Category: "A7", Statuses: []string{"454"}, Lines: []string{"PCN-LINE-L2"}},
			}
			for _, rec := range back {
				c, ok := rec.(*StatusClaim)
				if !ok {
					continue
				}
				t.Run(c.PatientControlNumber, func(t *testing.T) {
					got, rejected := c.Rejection()
					wr, wantRejected := want[c.PatientControlNumber]
					if rejected != wantRejected {
						t.Fatalf("rejected %v, want %v", rejected, wantRejected)
					}
					if !rejected {
						return
					}
					wr.Source, wr.Segment, wr.Offset, wr.BatchReference = "277CA", c.Segment, c.Offset, "CL1"
					wr.PatientControlNumber, wr.ClearinghouseTrace = c.PatientControlNumber, "CH-"+c.PatientControlNumber
					wr.PayerClaimNumber = c.PayerClaimNumber // set on the claims accepted at claim level
					if !reflect.DeepEqual(got, wr) {
						t.Errorf("rejection %+v, want %+v", got, wr)
					}
				})
			}
			if d == DefaultDelimiters {
				path := filepath.Join(t.TempDir(), "generated.277")
				if err := os.WriteFile(path, out, 0o600); err != nil {
					t.Fatal(err)
				}
				checkX12check(t, path, "277")
				checkNodeX12(t, path)
			}
		})
	}
}

// TestWriteStatusRejectsBadInput checks the writer's own errors.
func TestWriteStatusRejectsBadInput(t *testing.T) {
	rep, recs := generatedStatus()
	w := NewWriter(&discard{}, DefaultDelimiters)
	if err := WriteStatus(w, nil, recs); err == nil {
		t.Error("no report: no error")
	}
	if err := WriteStatus(w, rep, recs[1:]); err == nil {
		t.Error("a level before its parent: no error")
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
