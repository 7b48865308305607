package matchsvc

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/remitq/remitq/pkg/billed"
	"github.com/remitq/remitq/pkg/bus"
	"github.com/remitq/remitq/pkg/matchstore"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/synth"
	"github.com/remitq/remitq/pkg/wire"
	v1 "github.com/remitq/remitq/proto/remitq/v1"
)

// TestTruthSetEndToEnd runs a generated truth set through the pipeline:
// billed claims and the fee schedule loaded, the 835s ingested and
// published, one matcher component matching them into PostgreSQL and onto
// MATCHED, then the late billed claims loaded (remits that came before
// their claims). Every line in the database and in the LineMatch messages
// must agree with the truth. Then every REMIT message is delivered again:
// nothing changes.
func TestTruthSetEndToEnd(t *testing.T) {
	w := newWorld(t, synth.TruthOptions{Seed: 7, Lines: 3000, Practices: 2})
	w.loadClaims(false)
	w.loadFees()
	w.ingest()
	s, stop := w.start(Options{MaxBatch: 300})
	w.settle(60 * time.Second)

	// Before the late claims: their remits wait, unmatched, in the queue.
	late := 0
	for _, tl := range w.tr.Lines {
		if tl.Scenario == synth.ScenarioLate {
			late++
		}
	}
	if late == 0 {
		t.Fatal("no remit-before-claim lines generated")
	}
	if n := w.count(`SELECT count(*) FROM line_matches l JOIN match_pending p ON p.file_id = l.file_id
		AND p.segment_index = l.claim_segment WHERE l.billed_claim_id IS NULL`); n < late {
		t.Errorf("%d unmatched lines wait in the queue before the late claims, want at least %d", n, late)
	}

	res := w.loadClaims(true)
	if res.Retries == 0 {
		t.Error("loading the late claims marked no waiting claim for a retry")
	}
	w.settle(60 * time.Second)

	p := w.positions()
	got := w.dbAnswers(p)
	w.requireRight("database", got)
	w.checkPLBs(p)
	queued := map[lineKey]bool{}
	for k, a := range got {
		queued[k] = a.queued
	}
	msgs, n := w.msgAnswers(p, queued)
	w.requireRight("LineMatch messages", msgs)
	for k, a := range got {
		if m := msgs[k]; m.Revision != a.Revision || m.Method != a.Method || m.NetPaid != a.NetPaid || m.BilledClaim != a.BilledClaim {
			t.Errorf("%v: message %+v, database %+v", k, m, a)
			break
		}
	}
	t.Logf("%d truth lines, %d line matches, %d lines in ClaimMatches messages, %d PLB, %d late lines, %d waiting claims",
		len(w.tr.Lines), len(got), n, len(w.tr.PLBs), late, w.count(`SELECT count(*) FROM match_pending`))
	if n < len(got) {
		t.Errorf("%d lines in ClaimMatches messages for %d lines", n, len(got))
	}
	if c := s.matched.Load(); int(c) != len(w.tr.Lines) {
		t.Errorf("%d lines matched the first time, want %d (each once)", c, len(w.tr.Lines))
	}

	// Redelivery: the consumer starts over; every message comes again.
	stop()
	before := w.snapshot()
	ctx := context.Background()
	if err := w.deps.JS.DeleteConsumer(ctx, bus.StreamRemit, bus.ConsumerMatcher); err != nil {
		t.Fatal(err)
	}
	if err := bus.Setup(ctx, w.deps.JS, testBus()); err != nil {
		t.Fatal(err)
	}
	s2, _ := w.start(Options{MaxBatch: 300})
	w.settle(60 * time.Second)
	if after := w.snapshot(); after != before {
		t.Errorf("redelivery changed the database:\nbefore %s\nafter  %s", before, after)
	}
	if c := s2.matched.Load(); c != 0 {
		t.Errorf("redelivery matched %d lines again", c)
	}
	if _, n2 := w.msgAnswers(p, queued); n2 != n {
		t.Errorf("MATCHED holds %d lines after the redelivery, %d before", n2, n)
	}
}

// snapshot digests the matcher's tables.
func (w *world) snapshot() string {
	w.t.Helper()
	var s string
	if err := w.db.Get(&s, `SELECT md5(string_agg(x, '|' ORDER BY x)) FROM (
		SELECT l::text AS x FROM (SELECT file_id, segment_index, billed_claim_id, billed_line_id, method, confidence, flags,
			net_paid, nets_against_file, nets_against_segment, revision, review FROM line_matches) l
		UNION ALL SELECT m::text FROM (SELECT file_id, segment_index, billed_claim_id, method, flags, revision FROM match_claims) m
		UNION ALL SELECT p::text FROM (SELECT file_id, segment_index, unmatched, queued_at FROM match_pending) p
		UNION ALL SELECT b::text FROM (SELECT file_id, segment_index, position, method, billed_claim_id FROM plb_links) b) t`); err != nil {
		w.t.Fatal(err)
	}
	return s
}

// TestLineMatchEncoding checks that the LineMatch built from shared parts
// decodes to the same message as one marshalled whole.
func TestLineMatchEncoding(t *testing.T) {
	cp := &v1.ClaimPayment{
		Source: &v1.SourceRef{FileId: 3, FileSha256: "ab", SegmentIndex: 20, PracticeId: 4, TransactionControlNumber: "0001"},
		Claim:  &v1.Claim{PatientControlNumber: "P-1", StatusCode: "1", PaidCents: 900, Patient: &v1.Patient{MemberId: "M"}},
		Payer:  &v1.Payer{PayerIdentifier: "PAY"}, Payee: &v1.Payee{Npi: "1234567893"}, Payment: &v1.Payment{AmountCents: 900},
		Lines: []*v1.ClaimLine{{SegmentIndex: 22, Line: &v1.ServiceLine{LineNumber: 1, PaidCents: 500}},
			{SegmentIndex: 25, Line: &v1.ServiceLine{LineNumber: 2, PaidCents: 400}}},
	}
	exp := money.Amount(700)
	lines := []matchstore.LineRow{
		{Pos: matchstore.Pos{File: 3, Seg: 22}, SvcIndex: 1, Procedure: "64483", Paid: 500, Method: "line_control", Confidence: 1, BilledClaimID: 7,
			BilledLineID: 70, Allowed: 600, PatientResp: 100, Expected: &exp, NetPaid: 500, Flags: []string{"underpaid"}},
		{Pos: matchstore.Pos{File: 3, Seg: 25}, SvcIndex: 2, Procedure: "J1040", Paid: 400, Method: "unmatched", Review: true, Revision: 2,
			Nets: matchstore.Pos{File: 1, Seg: 9}, NetPaid: 0},
	}
	claims := map[int64]*billed.Claim{7: {ID: 7, PatientControl: "P-1", Lines: []billed.Line{{ID: 70, Number: 1, Procedure: "64483", Charge: 1450}}}}
	only, _, err := claimMatches(nil, nil, cp, lines, claims, map[int64]string{1: "cd"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(only) != 1 || only[0].ID != "ab:20:claimmatch:r0.2" || only[0].Subject != "match.v1.claim.4" ||
		only[0].Header.Get(bus.HeaderType) != "remitq.v1.ClaimMatches" {
		t.Fatalf("without lines: %+v", only)
	}
	all, _, err := claimMatches(nil, nil, cp, lines, claims, map[int64]string{1: "cd"}, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 || !bytes.Equal(all[0].Data, only[0].Data) {
		t.Fatalf("with lines: %+v", all)
	}
	msgs := all[1:]
	if msgs[0].ID != "ab:22:match" || msgs[1].ID != "ab:25:match:r2" || msgs[1].Subject != "match.v1.line.4" {
		t.Fatalf("line messages: %+v", msgs)
	}
	// The claim's body is a ClaimMatches of the two line messages.
	var whole v1.ClaimMatches
	if err := proto.Unmarshal(all[0].Data, &whole); err != nil {
		t.Fatal(err)
	}
	parts, err := wire.ClaimLines(all[0].Data)
	if err != nil || len(whole.GetLines()) != 2 || len(parts) != 2 || !bytes.Equal(parts[0], msgs[0].Data) || !bytes.Equal(parts[1], msgs[1].Data) {
		t.Fatalf("claim body: %d lines, split %d (%v)", len(whole.GetLines()), len(parts), err)
	}
	var a, b v1.LineMatch
	if err := proto.Unmarshal(msgs[0].Data, &a); err != nil {
		t.Fatal(err)
	}
	if err := proto.Unmarshal(msgs[1].Data, &b); err != nil {
		t.Fatal(err)
	}
	want := &v1.ServiceLinePayment{Source: a.GetSource(), Claim: cp.GetClaim(), Payer: cp.GetPayer(), Payee: cp.GetPayee(),
		Payment: cp.GetPayment(), Line: cp.GetLines()[0].GetLine()}
	if !proto.Equal(a.GetLine(), want) || a.GetBilled().GetProcedureCode() != "64483" || a.GetExpectedAllowedCents() != 700 ||
		len(a.GetSiblings()) != 1 || a.GetSiblings()[0].GetSvcIndex() != 2 || a.GetMethod() != v1.MatchMethod_MATCH_METHOD_LINE_CONTROL_NUMBER {
		t.Errorf("first LineMatch: %v", &a)
	}
	if b.GetNetsAgainst().GetFileSha256() != "cd" || b.GetNetsAgainst().GetSegmentIndex() != 9 || !b.GetNeedsReview() ||
		b.GetRevision() != 2 || b.GetLine().GetLine().GetLineNumber() != 2 || b.GetLine().GetClaim().GetPatientControlNumber() != "P-1" {
		t.Errorf("second LineMatch: %v", &b)
	}
}

// TestLineMessagesOnlyWhenTaken checks the matcher's line policy: with only
// the router consuming MATCHED it publishes one ClaimMatches per paid claim
// and no LineMatch line messages; with a consumer of one practice's line
// subject, that practice's lines are published too, one per line its
// claims carry, and no other practice's.
func TestLineMessagesOnlyWhenTaken(t *testing.T) {
	for _, tc := range []struct {
		name  string
		taken bool
	}{{"nobody takes lines", false}, {"one practice's lines taken", true}} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, synth.TruthOptions{Seed: 11, Lines: 600, Practices: 2})
			ctx := context.Background()
			var practice int64
			if err := w.db.Get(&practice, `SELECT min(id) FROM practices`); err != nil {
				t.Fatal(err)
			}
			if tc.taken {
				if _, err := w.deps.JS.CreateOrUpdateConsumer(ctx, bus.StreamMatched, jetstream.ConsumerConfig{Durable: "audit-lines",
					FilterSubject: bus.MatchLineSubject(practice), AckPolicy: jetstream.AckExplicitPolicy}); err != nil {
					t.Fatal(err)
				}
			}
			w.loadClaims(false)
			w.loadClaims(true)
			w.loadFees()
			w.ingest()
			_, stop := w.start(Options{MaxBatch: 200})
			w.settle(60 * time.Second)
			stop()

			p := w.positions()
			_, carried := w.msgAnswers(p, nil)
			var want int
			if err := w.db.Get(&want, `SELECT count(*) FROM line_matches WHERE practice_id = $1`, practice); err != nil {
				t.Fatal(err)
			}
			s, err := w.deps.JS.Stream(ctx, bus.StreamMatched)
			if err != nil {
				t.Fatal(err)
			}
			info, err := s.Info(ctx, jetstream.WithSubjectFilter(bus.SubjectsMatched))
			if err != nil {
				t.Fatal(err)
			}
			var claims, lines, ours uint64
			for subj, n := range info.State.Subjects {
				switch {
				case strings.HasPrefix(subj, "match.v1.claim."):
					claims += n
				case strings.HasPrefix(subj, "match.v1.line."):
					lines += n
					if subj == bus.MatchLineSubject(practice) {
						ours += n
					}
				}
			}
			if claims == 0 || carried == 0 {
				t.Fatalf("%d claim messages carrying %d lines", claims, carried)
			}
			switch {
			case !tc.taken && lines != 0:
				t.Errorf("nobody takes lines, yet %d line messages", lines)
			case tc.taken && (ours < uint64(want) || lines != ours):
				t.Errorf("%d line messages, %d of practice %d (which has %d lines)", lines, ours, practice, want)
			}
			t.Logf("%d claim messages carrying %d lines; %d line messages", claims, carried, lines)
		})
	}
}
