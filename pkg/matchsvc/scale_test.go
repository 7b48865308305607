package matchsvc

import (
	"testing"
	"time"

	"github.com/remitq/remitq/pkg/synth"
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
