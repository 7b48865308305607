package matchsvc

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/remitq/remitq/pkg/bus"
	"github.com/remitq/remitq/pkg/synth"
	v1 "github.com/remitq/remitq/proto/remitq/v1"
)

// TestTwoMatchersShareTheWork runs two matcher "processes" (each its own
// database pool and NATS connection, two batch loops each, small batches)
// on one durable consumer. Batches of later files are often committed
// before the batches holding the payments they reverse, correct, duplicate
// or recoup: the answers must still be those of matching in file order,
// and every line must be matched exactly once.
func TestTwoMatchersShareTheWork(t *testing.T) {
	w := newWorld(t, synth.TruthOptions{Seed: 11, Lines: 2500, Practices: 2})
	w.loadClaims(false)
	w.loadFees()
	w.loadClaims(true) // no remit before its claim here: only the ordering of remits is at stake
	w.lateOnTime = true
	w.ingest()
	o := Options{MaxBatch: 40, Workers: 2, MaxWait: 20 * time.Millisecond}
	a, _ := w.start(o)
	b, _ := w.start(o)
	w.settle(90 * time.Second)

	p := w.positions()
	got := w.dbAnswers(p)
	w.requireRight("two matchers", got)
	w.checkPLBs(p)
	na, nb := a.matched.Load(), b.matched.Load()
	if int(na+nb) != len(w.tr.Lines) || na == 0 || nb == 0 {
		t.Errorf("matched %d + %d lines, want %d in all, shared by both", na, nb, len(w.tr.Lines))
	}
	var rematched int
	if err := w.db.Get(&rematched, `SELECT count(*) FROM match_claims WHERE revision > 0`); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d lines: %d by one matcher, %d by the other; %d claims matched again when an earlier payment came late",
		len(w.tr.Lines), na, nb, rematched)
}

// TestAnyOrderNetsLikeFileOrder hands a matcher every REMIT claim and PLB
// message of a truth set in reverse order (the last file's last claim
// first), in batches: reversals, corrections, duplicate remits and PLB
// recoupments all arrive before the payments they refer to. Recorded
// claims are matched again as their earlier payments arrive, and the end
// state must be the truth, as if the files had been matched in order.
func TestAnyOrderNetsLikeFileOrder(t *testing.T) {
	w := newWorld(t, synth.TruthOptions{Seed: 3, Lines: 2000, Practices: 2})
	w.loadClaims(false)
	w.loadClaims(true)
	w.lateOnTime = true
	w.loadFees()
	w.ingest()
	ctx := t.Context()
	st, err := w.deps.JS.Stream(ctx, bus.StreamRemit)
	if err != nil {
		t.Fatal(err)
	}
	oc, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: bus.MatcherSubjects})
	if err != nil {
		t.Fatal(err)
	}
	var raws []rawMsg
	for {
		b, err := oc.Fetch(1000, jetstream.FetchMaxWait(500*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for m := range b.Messages() {
			n++
			raws = append(raws, rawMsg{typ: m.Headers().Get(bus.HeaderType), subject: m.Subject(), data: m.Data()})
		}
		if n == 0 {
			break
		}
	}
	slices.Reverse(raws)
	s, err := New(w.connect(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(raws); i += 150 {
		batch := raws[i:min(i+150, len(raws))]
		decs, used := decodeMsgs(batch)
		var errs []error
		for _, d := range decs {
			errs = append(errs, d.err)
		}
		if len(used) == 0 || errors.Join(errs...) != nil {
			t.Fatalf("decode: %d used, %v", len(used), errors.Join(errs...))
		}
		if err := s.process(ctx, batch, decs, used); err != nil {
			t.Fatal(err)
		}
	}
	for {
		n, err := s.RelayOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	p := w.positions()
	w.requireRight("reverse order", w.dbAnswers(p))
	w.checkPLBs(p)
	var rematched int
	if err := w.db.Get(&rematched, `SELECT count(*) FROM match_claims WHERE revision > 0`); err != nil {
		t.Fatal(err)
	}
	if rematched == 0 {
		t.Error("no claim was matched again, yet every earlier payment came late")
	}
	t.Logf("%d messages in reverse order; %d claims matched again", len(raws), rematched)
	// What the router sees last agrees too.
	queued := map[lineKey]bool{}
	for k, a := range w.dbAnswers(p) {
		queued[k] = a.queued
	}
	msgs, _ := w.msgAnswers(p, queued)
	w.requireRight("reverse order, LineMatch messages", msgs)
}

// TestBadMessageDoesNotHoldBackItsBatch puts a claim that PostgreSQL
// refuses (a CLP01 holding a NUL byte) in a batch of good ones: the good
// ones are recorded, only the bad one fails (to be redelivered, then
// dead-lettered).
func TestBadMessageDoesNotHoldBackItsBatch(t *testing.T) {
	w := newWorld(t, synth.TruthOptions{Seed: 5, Lines: 60, Practices: 1})
	w.loadClaims(false)
	w.ingest()
	ctx := t.Context()
	st, err := w.deps.JS.Stream(ctx, bus.StreamRemit)
	if err != nil {
		t.Fatal(err)
	}
	oc, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{"remit.v1.claim.>"}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := oc.Fetch(5, jetstream.FetchMaxWait(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var raws []rawMsg
	for m := range b.Messages() {
		raws = append(raws, rawMsg{typ: m.Headers().Get(bus.HeaderType), subject: m.Subject(), data: m.Data()})
	}
	if len(raws) != 5 {
		t.Fatalf("%d claim messages", len(raws))
	}
	var cp v1.ClaimPayment
	if err := proto.Unmarshal(raws[2].data, &cp); err != nil {
		t.Fatal(err)
	}
	cp.Claim.PatientControlNumber = "BAD\x00"
	bad, err := proto.Marshal(&cp)
	if err != nil {
		t.Fatal(err)
	}
	raws[2].data = bad
	s, err := New(w.connect(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	errs := s.handleRaw(ctx, raws)
	for i, e := range errs {
		if (e != nil) != (i == 2) {
			t.Errorf("message %d: %v", i, e)
		}
	}
	if n := w.count(`SELECT count(*) FROM match_claims`); n != 4 {
		t.Errorf("%d claims recorded, want the 4 good ones", n)
	}
}
