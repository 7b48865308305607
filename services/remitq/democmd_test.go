package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/lib/pq"

	"github.com/remitq/remitq/pkg/devenv"
)

// TestDemoLoad runs `remitq demo --once` on a small data set and reads its
// work items back: the data is dated relative to today, so the open items'
// appeal deadlines spread around today (some past, some due within two
// weeks, most not yet past), not all months ago; and no unmatched-remittance
// item stays open once the late claims matched its paid line.
func TestDemoLoad(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	t.Setenv("NATS_URL", "")
	t.Setenv("REMITQ_DATA", "")
	dir, err := os.MkdirTemp("", "rq-demo-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil { // reachable by postgres when run as root
		t.Fatal(err)
	}
	if err := runDemo(t.Context(), []string{"--once", "--lines", "600", "--data", dir}); err != nil {
		t.Fatalf("demo: %v", err)
	}
	env, err := devenv.Start(t.Context(), devenv.Options{Dir: filepath.Join(dir, "demo"), KeepDir: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Close() })
	db, err := sql.Open("postgres", env.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var total, past, soon, later int
	var minDays, maxDays sql.NullInt64
	if err := db.QueryRowContext(t.Context(), `SELECT count(*),
			count(*) FILTER (WHERE appeal_deadline < current_date),
			count(*) FILTER (WHERE appeal_deadline >= current_date AND appeal_deadline < current_date + 14),
			count(*) FILTER (WHERE appeal_deadline >= current_date + 14),
			min(appeal_deadline - current_date), max(appeal_deadline - current_date)
		FROM work_items WHERE status NOT IN ('resolved', 'written_off') AND appeal_deadline IS NOT NULL`).
		Scan(&total, &past, &soon, &later, &minDays, &maxDays); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d open items with a deadline: %d past, %d due within 14 days, %d later (days from today %d..%d)",
		total, past, soon, later, minDays.Int64, maxDays.Int64)
	if total < 20 {
		t.Fatalf("%d open items with a deadline, want at least 20", total)
	}
	if past == 0 || soon == 0 {
		t.Errorf("deadlines not spread around today: %d past, %d due within 14 days", past, soon)
	}
	if 2*past >= total {
		t.Errorf("%d of %d open items are past their deadline, want fewer than half", past, total)
	}
	if minDays.Int64 < -120 || maxDays.Int64 < 0 {
		t.Errorf("deadlines from %d to %d days from today", minDays.Int64, maxDays.Int64)
	}
	// No open unmatched-remittance item whose paid line is matched by now
	// (the late claims arrived and the matcher re-matched them).
	var unmatched, stale int
	if err := db.QueryRowContext(t.Context(), `SELECT count(*), count(*) FILTER (WHERE lm.billed_line_id IS NOT NULL OR
			(lm.svc_index = 0 AND lm.billed_claim_id IS NOT NULL))
		FROM work_items w JOIN service_line_payments s ON s.id = w.service_line_id
		LEFT JOIN line_matches lm ON lm.file_id = s.file_id AND lm.segment_index = s.segment_index
		WHERE w.kind = 'unmatched_remittance'`).Scan(&unmatched, &stale); err != nil {
		t.Fatal(err)
	}
	var open int
	if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM work_items w
		JOIN service_line_payments s ON s.id = w.service_line_id
		JOIN line_matches lm ON lm.file_id = s.file_id AND lm.segment_index = s.segment_index AND lm.billed_line_id IS NOT NULL
		WHERE w.kind = 'unmatched_remittance' AND w.status NOT IN ('resolved', 'written_off')`).Scan(&open); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d unmatched-remittance items, %d of them matched later, %d of those still open", unmatched, stale, open)
	if stale == 0 {
		t.Errorf("no unmatched-remittance item was matched later: the demo's late claims settle none")
	}
	if open > 0 {
		t.Errorf("%d open unmatched-remittance items whose paid line is matched by now", open)
	}
	// Today's demo: the remits are dated within the last few months.
	var lastRemit time.Time
	if err := db.QueryRowContext(t.Context(), `SELECT max(payment_date) FROM remittance_transactions`).Scan(&lastRemit); err != nil {
		t.Fatal(err)
	}
	if age := time.Since(lastRemit); age < 0 || age > 120*24*time.Hour {
		t.Errorf("last remit %s, %s ago", lastRemit.Format(time.DateOnly), age)
	}
}
