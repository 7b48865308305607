package e2e_test

import (
	"context"
	"crypto/sha256"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/remitq/remitq/pkg/e2e"
	"github.com/remitq/remitq/pkg/synth"
)

// TestWorkItemsDigest runs the pipeline over BenchmarkPipeline's truth set
// (seed 5; ITEMS_DIGEST_LINES billed lines, default 7,500) and logs a digest
// of its work items — key, kind, category, status, amounts, deadline, the
// paid rows they name, and their events' actions — so that two commits can
// be compared on the same files; ITEMS_DIGEST_OUT writes the rows, sorted,
// to a file for a diff.
func TestWorkItemsDigest(t *testing.T) {
	truth, err := synth.GenerateTruth(synth.TruthOptions{Seed: 5, Lines: envInt("ITEMS_DIGEST_LINES", 7500), Practices: 3})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	e := start(t, truth, 1)
	if _, err := e.loader.Remits(ctx, truth); err != nil {
		t.Fatal(err)
	}
	if err := e2e.WaitIdle(ctx, e.deps.DB, e.deps.JS, 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	var rows []string
	if err := e.deps.DB.Select(&rows, `SELECT concat_ws('|', w.dedupe_key, w.kind, w.category, w.status, w.billed_amount,
			w.paid_amount, w.amount_at_risk, w.recovered_amount, coalesce(w.appeal_deadline::text, ''),
			coalesce(w.service_line_id::text, '-'), coalesce(w.claim_payment_id::text, '-'), w.routed_key, w.version,
			(SELECT string_agg(ev.action, ',' ORDER BY ev.id) FROM work_item_events ev WHERE ev.work_item_id = w.id))
		FROM work_items w ORDER BY w.dedupe_key`); err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatal("no work items")
	}
	all := strings.Join(rows, "\n") + "\n"
	if p := os.Getenv("ITEMS_DIGEST_OUT"); p != "" {
		if err := os.WriteFile(p, []byte(all), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d paid lines, %d work items, sha256 %x", len(truth.Lines), len(rows), sha256.Sum256([]byte(all)))
}
