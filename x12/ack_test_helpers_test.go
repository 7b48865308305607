package x12

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"
)

// readAcks reads every 999 of data.
func readAcks(t testing.TB, data []byte) ([]*Ack, *AckReader) {
	t.Helper()
	d := NewAckReader(bytes.NewReader(data))
	var out []*Ack
	for {
		a, err := d.Next()
		if errors.Is(err, io.EOF) {
			return out, d
		}
		if err != nil {
			t.Fatalf("AckReader: %v", err)
		}
		out = append(out, a)
	}
}

// readStatuses reads every 277CA record of data.
func readStatuses(t testing.TB, data []byte) ([]StatusRecord, *StatusReader) {
	t.Helper()
	d := NewStatusReader(bytes.NewReader(data))
	var out []StatusRecord
	for {
		r, err := d.Next()
		if errors.Is(err, io.EOF) {
			return out, d
		}
		if err != nil {
			t.Fatalf("StatusReader: %v", err)
		}
		out = append(out, r)
	}
}

// envelope writes body inside an ISA/GS/IEA envelope of the functional
// identifier fn (FA for the 999, HN for the 277CA).
func envelope(t testing.TB, d Delimiters, fn, version string, body func(w *Writer) error) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf, d)
	date := time.Date(2026, 3, 2, 9, 15, 0, 0, time.UTC)
	if err := w.BeginInterchange(Interchange{SenderID: "CLEARINGHOUSE", ReceiverID: "PAINBILLING", Date: date, Control: 905}); err != nil {
		t.Fatal(err)
	}
	if err := w.BeginGroup(fn, "CLEARINGHOUSE", "PAINBILLING", date, 905, version); err != nil {
		t.Fatal(err)
	}
	if err := body(w); err != nil {
		t.Fatal(err)
	}
	if err := w.EndGroup(); err != nil {
		t.Fatal(err)
	}
	if err := w.EndInterchange(); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// normAck clears what a write/read round trip changes: positions,
// envelope values and errors.
func normAck(a *Ack) *Ack {
	n := *a
	n.Segment, n.Offset, n.ISAControl, n.GSControl, n.SenderID, n.ReceiverID, n.Errors = 0, 0, "", "", "", "", nil
	n.Sets = nil
	for _, s := range a.Sets {
		sc := *s
		sc.Segment, sc.Offset = 0, 0
		n.Sets = append(n.Sets, &sc)
	}
	return &n
}

// normStatus is a record without positions, envelope values, errors or the
// report pointer; levels become their level codes up to the top.
type normStatus struct {
	Kind    string
	Parents []string
	Entity  StatusEntity
	Claim   StatusClaim
	Report  StatusReport
}

func normStatuses(recs []StatusRecord) []normStatus {
	var out []normStatus
	chain := func(p *StatusEntity) []string {
		var l []string
		for ; p != nil; p = p.Parent {
			l = append(l, p.Level+":"+p.Trace)
		}
		return l
	}
	for _, r := range recs {
		switch v := r.(type) {
		case *StatusReport:
			c := *v
			c.Segment, c.Offset, c.ISAControl, c.GSControl, c.Errors = 0, 0, "", "", nil
			out = append(out, normStatus{Kind: "report", Report: c})
		case *StatusEntity:
			c := *v
			c.Segment, c.Offset, c.Parent, c.Report, c.Errors = 0, 0, nil, nil, nil
			out = append(out, normStatus{Kind: "entity", Parents: chain(v.Parent), Entity: c})
		case *StatusClaim:
			c := *v
			c.Segment, c.Offset, c.Provider, c.Report, c.Errors = 0, 0, nil, nil, nil
			c.Lines = nil
			for _, l := range v.Lines {
				lc := *l
				lc.Segment, lc.Offset = 0, 0
				c.Lines = append(c.Lines, &lc)
			}
			out = append(out, normStatus{Kind: "claim", Parents: chain(v.Provider), Claim: c})
		}
	}
	return out
}

// writeStatusRecords writes the records read from one 277CA transaction set.
func writeStatusRecords(t testing.TB, d Delimiters, recs []StatusRecord) []byte {
	t.Helper()
	rep, ok := recs[0].(*StatusReport)
	if !ok {
		t.Fatalf("first record %T, want *StatusReport", recs[0])
	}
	return envelope(t, d, "HN", rep.Implementation, func(w *Writer) error { return WriteStatus(w, rep, recs[1:]) })
}
