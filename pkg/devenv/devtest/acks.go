package devtest

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/remitq/remitq/x12"
)

// Acknowledgment files for tests: real-shaped 999 (005010X231A1) and 277CA
// (005010X214) interchanges written with the project's x12 writer, the one
// home of the builders the ackstore and apisvc tests share. The names and
// IDs in them are synthetic.

// AckEnvelope wraps a transaction set in ISA/GS, sender CLEARINGHOUSE,
// receiver PAINBILLING, dated 2026-10-05 09:15 UTC, with interchange and
// group control number n; body writes the set(s) between GS and GE.
func AckEnvelope(t testing.TB, fn, version string, n int, body func(w *x12.Writer) error) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := x12.NewWriter(&buf, x12.DefaultDelimiters)
	date := time.Date(2026, 10, 5, 9, 15, 0, 0, time.UTC)
	if err := w.BeginInterchange(x12.Interchange{SenderID: "CLEARINGHOUSE", ReceiverID: "PAINBILLING", Date: date, Control: n}); err != nil {
		t.Fatal(err)
	}
	if err := w.BeginGroup(fn, "CLEARINGHOUSE", "PAINBILLING", date, n, version); err != nil {
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

// ClaimStatus is one claim of a 277CA: its CLM01, the STC01 category and
// status code, and the entity code (may be empty).
type ClaimStatus struct {
	PCN, Category, Code, Entity string
}

// accepted277 is whether a 277CA category accepts the claim (A1, A2): the
// claim then carries the payer's claim number and action WQ.
func accepted277(category string) bool { return category == "A1" || category == "A2" }

// Status277 writes a 277CA (interchange n) from the clearinghouse for the
// provider NPI 1000000004 of batch BHT-837-1, one claim per entry; an
// accepted claim (A1, A2) carries payer claim number PAYER-<CLM01>.
func Status277(t testing.TB, n int, claims ...ClaimStatus) []byte {
	t.Helper()
	rep := &x12.StatusReport{Control: "0001", Structure: "0085", Purpose: "08", Reference: fmt.Sprintf("277CA%04d", n),
		Date: "2026-10-05", Time: "0915", Type: "TH"}
	src := &x12.StatusEntity{Level: "20", Name: x12.Name{Entity: "AY", Type: "2", Last: "CLEARINGHOUSE", IDQualifier: "46", ID: "CH01"},
		TraceQ: "1", Trace: "BATCH-77", ReceivedDate: "2026-10-04", ProcessDate: "2026-10-05", Report: rep}
	rcv := &x12.StatusEntity{Level: "21", Parent: src, Name: x12.Name{Entity: "41", Type: "2", Last: "PAIN BILLING CO", IDQualifier: "46", ID: "SUB1"},
		TraceQ: "2", Trace: "BHT-837-1", Report: rep}
	prov := &x12.StatusEntity{Level: "19", Parent: rcv, Name: x12.Name{Entity: "85", Type: "2", Last: "SPINE ONE", IDQualifier: "XX", ID: "1000000004"},
		TraceQ: "1", Trace: "PROV-1", Report: rep}
	recs := []x12.StatusRecord{src, rcv, prov}
	for _, c := range claims {
		sc := &x12.StatusClaim{Report: rep, Provider: prov,
			Patient:              x12.Name{Entity: "QC", Type: "1", Last: "TESTPAT", First: "ONE", IDQualifier: "MI", ID: "MEM0001"},
			PatientControlNumber: c.PCN, ClearinghouseTrace: "CH-" + c.PCN, ServiceFrom: "2026-10-01", ServiceTo: "2026-10-01",
			Statuses: []x12.StatusInfo{{Codes: []x12.StatusCode{{Category: c.Category, Code: c.Code, Entity: c.Entity}}, Date: "2026-10-05", Action: "U"}}}
		if accepted277(c.Category) {
			sc.Statuses[0].Action = "WQ"
			sc.PayerClaimNumber = "PAYER-" + c.PCN
		}
		recs = append(recs, sc)
	}
	return AckEnvelope(t, "HN", x12.DefaultStatusImplementation, n, func(w *x12.Writer) error { return x12.WriteStatus(w, rep, recs) })
}

// Ack999Set is the 837 set a 999 acknowledges: the GS06 and ST02 control
// numbers it names (AK1, AK2), its IK5 status (A, E, R) and the CLM01 of
// each claim an IK3 segment error points at (its IK3 CTX).
type Ack999Set struct {
	GroupControl, SetControl, Status string
	PCNs                             []string
}

// Ack999 writes a 999 (interchange n) for one 837 group holding sets; a
// set with errors (status E or R) gets one NM1 segment error per CLM01.
// The group's AK9 status is R when every set is rejected, P when some
// are, E when any set was accepted with errors, else A.
func Ack999(t testing.TB, n int, sets ...Ack999Set) []byte {
	t.Helper()
	if len(sets) == 0 {
		t.Fatal("Ack999: no set")
	}
	a := &x12.Ack{Control: "0001", FunctionalID: "HC", GroupControl: sets[0].GroupControl, GroupVersion: x12.DefaultClaimImplementation,
		SetsIncluded: len(sets), SetsReceived: len(sets)}
	rejected, withErrors := 0, 0
	for _, s := range sets {
		set := &x12.AckSet{SetID: "837", Control: s.SetControl, Status: s.Status}
		if s.Status != "A" {
			set.SyntaxErrors = []string{"5"}
		}
		for i, p := range s.PCNs {
			set.Segments = append(set.Segments, &x12.AckSegmentError{SegmentID: "NM1", Position: 9 + i, Loop: "2010BA", Code: "8",
				Context:  []x12.AckContext{{Name: "CLM01", Reference: p}},
				Elements: []*x12.AckElementError{{Position: 9, Reference: "67", Code: "7"}}})
		}
		switch s.Status {
		case "R":
			rejected++
		case "E":
			withErrors++
		}
		a.Sets = append(a.Sets, set)
	}
	a.SetsAccepted = len(sets) - rejected
	switch {
	case rejected == len(sets):
		a.GroupStatus = "R"
	case rejected > 0:
		a.GroupStatus = "P"
	case withErrors > 0:
		a.GroupStatus = "E"
	default:
		a.GroupStatus = "A"
	}
	return AckEnvelope(t, "FA", "005010X231A1", n, func(w *x12.Writer) error { return x12.WriteAck(w, a) })
}

// Reject999 is Ack999 of one rejected set (GS06 101, ST02 0042) whose
// errors name pcns.
func Reject999(t testing.TB, n int, pcns ...string) []byte {
	t.Helper()
	return Ack999(t, n, Ack999Set{GroupControl: "101", SetControl: "0042", Status: "R", PCNs: pcns})
}
