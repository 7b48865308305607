package workstore

import (
	"context"
	"fmt"
	"time"

	"github.com/remitq/remitq/pkg/work"
)

// SweepTimes say which items a sweep changes (the caller computes them
// from the work settings and the business days).
type SweepTimes struct {
	// Now is the sweep's time, recorded on every change.
	Now time.Time
	// ReleaseBefore: assigned items untouched since before it return to
	// their queue (ReleaseDays business days, recorded on the event).
	ReleaseBefore time.Time
	ReleaseDays   int
	// SLABefore: open items created before it are escalated (SLADays
	// business days, recorded on the event).
	SLABefore time.Time
	SLADays   int
	// DeadlineBy: items with an appeal deadline to meet on or before it are
	// escalated.
	DeadlineBy time.Time
}

// SweepCounts count what a sweep changed.
type SweepCounts struct {
	Released, Escalated, Woken int
}

// Sweep wakes snoozed items whose date has come, returns to their queue
// the assigned items untouched since ReleaseBefore, and escalates open
// items past the SLA or near their appeal deadline (work.DeadlineOpen);
// each change is a work-item event by "system".
func (s *Store) Sweep(ctx context.Context, t SweepTimes) (SweepCounts, error) {
	var res SweepCounts
	today := t.Now.UTC().Format(time.DateOnly)
	steps := []struct {
		n   *int
		sql string
		arg []any
	}{
		{&res.Woken, `WITH upd AS (UPDATE work_items SET status = CASE WHEN assignee_id IS NULL THEN 'new' ELSE 'assigned' END,
			pended_until = NULL, touched_at = CASE WHEN assignee_id IS NULL THEN touched_at ELSE $2::timestamptz END,
			version = version + 1, updated_at = $2::timestamptz
			WHERE status = 'pended' AND pended_until <= $1::date RETURNING id, status)
			INSERT INTO work_item_events (work_item_id, at, actor, action, from_status, to_status)
			SELECT id, $2::timestamptz, 'system', 'woken', 'pended', status FROM upd`, []any{today, t.Now}},
		{&res.Released, `WITH upd AS (UPDATE work_items SET status = 'new', assignee_id = NULL, assigned_at = NULL,
			version = version + 1, updated_at = $2::timestamptz
			WHERE status = 'assigned' AND coalesce(touched_at, assigned_at) < $1::timestamptz RETURNING id)
			INSERT INTO work_item_events (work_item_id, at, actor, action, from_status, to_status, detail)
			SELECT id, $2::timestamptz, 'system', 'released', 'assigned', 'new', jsonb_build_object('business_days', $3::int) FROM upd`,
			[]any{t.ReleaseBefore, t.Now, t.ReleaseDays}},
		{&res.Escalated, `WITH upd AS (UPDATE work_items SET escalated_at = $2::timestamptz, updated_at = $2::timestamptz
			WHERE escalated_at IS NULL AND ` + work.OpenSQL("") + ` AND created_at < $1::timestamptz RETURNING id)
			INSERT INTO work_item_events (work_item_id, at, actor, action, detail)
			SELECT id, $2::timestamptz, 'system', 'escalated', jsonb_build_object('reason', 'sla', 'business_days', $3::int) FROM upd`,
			[]any{t.SLABefore, t.Now, t.SLADays}},
		{&res.Escalated, `WITH upd AS (UPDATE work_items SET escalated_at = $2::timestamptz, updated_at = $2::timestamptz
			WHERE escalated_at IS NULL AND ` + work.DeadlineOpenSQL("") + `
			AND appeal_deadline <= $1::date RETURNING id)
			INSERT INTO work_item_events (work_item_id, at, actor, action, detail)
			SELECT id, $2::timestamptz, 'system', 'escalated', jsonb_build_object('reason', 'appeal_deadline') FROM upd`,
			[]any{t.DeadlineBy.UTC().Format(time.DateOnly), t.Now}},
	}
	for _, step := range steps {
		r, err := s.DB.ExecContext(ctx, step.sql, step.arg...)
		if err != nil {
			return res, fmt.Errorf("workstore: sweep: %w", err)
		}
		n, _ := r.RowsAffected()
		*step.n += int(n)
	}
	return res, nil
}
