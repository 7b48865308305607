package apisvc

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/submissionstore"
	"github.com/remitq/remitq/pkg/workstore"
)

// BusinessDaysBefore returns t moved back n business days (Monday to
// Friday, skipping holidays), keeping its clock time: an item assigned
// before that instant has been untouched for n business days at t.
func BusinessDaysBefore(t time.Time, n int, holiday func(time.Time) bool) time.Time {
	for n > 0 {
		t = t.AddDate(0, 0, -1)
		if isBusinessDay(t, holiday) {
			n--
		}
	}
	return t
}

func isBusinessDay(t time.Time, holiday func(time.Time) bool) bool {
	if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	return holiday == nil || !holiday(t)
}

// Settings are the work settings (work_settings, business_holidays).
type Settings struct {
	AutoReleaseBusinessDays int       `db:"auto_release_business_days" json:"auto_release_business_days"`
	SLABusinessDays         int       `db:"sla_business_days" json:"sla_business_days"`
	AppealWarningDays       int       `db:"appeal_warning_days" json:"appeal_warning_days"`
	Holidays                []day.Day `db:"-" json:"holidays"`
}

func (s *Service) settings(ctx context.Context, db queryer) (*Settings, error) {
	var st Settings
	if err := db.GetContext(ctx, &st, `SELECT auto_release_business_days, sla_business_days, appeal_warning_days
		FROM work_settings WHERE id`); err != nil {
		return nil, fmt.Errorf("api: read work settings: %w", err)
	}
	st.Holidays = []day.Day{}
	if err := db.SelectContext(ctx, &st.Holidays, `SELECT day FROM business_holidays ORDER BY day`); err != nil {
		return nil, fmt.Errorf("api: read holidays: %w", err)
	}
	return &st, nil
}

// SweepResult counts what a sweep changed.
type SweepResult struct {
	Released  int `json:"released"`  // assigned items returned to their queue
	Escalated int `json:"escalated"` // items escalated to the supervisors
	Woken     int `json:"woken"`     // snoozed items whose date came
	// The secondary-claims sweep (submissionstore.SweepSecondary) of every
	// practice: claims decided, crossed over, bill-secondary items opened.
	SecondaryChecked     int `json:"secondary_checked"`
	SecondaryCrossedOver int `json:"secondary_crossed_over"`
	SecondaryOpened      int `json:"secondary_opened"`
}

// Sweep returns to their queue the items assigned and untouched for the
// configured business days, escalates open items past the SLA or near
// their appeal deadline, and wakes snoozed items whose date has come (each
// change is a work-item event by "system", workstore.Sweep); then it takes
// the secondary-claims sweep of each practice (the matched 835s the
// router has seen since: each billed claim is decided once, so running it
// every time is idempotent) and the snapshots the queue summary and the
// team read.
func (s *Service) Sweep(ctx context.Context) (SweepResult, error) {
	st, err := s.settings(ctx, s.db)
	if err != nil {
		return SweepResult{}, err
	}
	hol := map[string]bool{}
	for _, d := range st.Holidays {
		hol[d.String()] = true
	}
	isHoliday := func(t time.Time) bool { return hol[t.Format(time.DateOnly)] }
	now := s.opts.Now()
	n, err := workstore.New(s.db).Sweep(ctx, workstore.SweepTimes{Now: now,
		ReleaseBefore: BusinessDaysBefore(now, st.AutoReleaseBusinessDays, isHoliday), ReleaseDays: st.AutoReleaseBusinessDays,
		SLABefore: BusinessDaysBefore(now, st.SLABusinessDays, isHoliday), SLADays: st.SLABusinessDays,
		DeadlineBy: now.UTC().AddDate(0, 0, st.AppealWarningDays)})
	res := SweepResult{Released: n.Released, Escalated: n.Escalated, Woken: n.Woken}
	if err != nil {
		return res, fmt.Errorf("api: %w", err)
	}
	if err := s.sweepSecondary(ctx, &res); err != nil {
		return res, fmt.Errorf("api: sweep: %w", err)
	}
	if err := s.refreshQueueStats(ctx); err != nil {
		return res, fmt.Errorf("api: sweep: queue stats: %w", err)
	}
	return res, nil
}

// sweepSecondary runs the secondary-claims sweep practice by practice (one
// practice's failure stops the sweep; the next sweep takes it up again).
func (s *Service) sweepSecondary(ctx context.Context, res *SweepResult) error {
	var practices []int64
	if err := s.db.SelectContext(ctx, &practices, `SELECT id FROM practices ORDER BY id`); err != nil {
		return fmt.Errorf("practices: %w", err)
	}
	for _, p := range practices {
		r, err := submissionstore.SweepSecondary(ctx, s.db, p)
		if r != nil {
			res.SecondaryChecked += r.Checked
			res.SecondaryCrossedOver += r.CrossedOver
			res.SecondaryOpened += r.Opened
		}
		if err != nil {
			return fmt.Errorf("secondary claims of practice %d: %w", p, err)
		}
	}
	return nil
}

// GET /v1/settings/work
func (c *call) getSettings() error {
	st, err := c.s.settings(c.r.Context(), c.s.db)
	if err != nil {
		return err
	}
	return c.json(http.StatusOK, st)
}

// PUT /v1/settings/work (admins)
func (c *call) putSettings() error {
	var b Settings
	if err := c.decode(&b); err != nil {
		return err
	}
	if b.AutoReleaseBusinessDays < 1 || b.SLABusinessDays < 1 || b.AppealWarningDays < 0 ||
		b.AutoReleaseBusinessDays > 60 || b.SLABusinessDays > 365 || b.AppealWarningDays > 365 {
		return badRequest("auto_release_business_days 1..60, sla_business_days 1..365 and appeal_warning_days 0..365 are required")
	}
	ctx := c.r.Context()
	if err := c.inTx(func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE work_settings SET auto_release_business_days = $1, sla_business_days = $2,
			appeal_warning_days = $3, updated_at = now() WHERE id`, b.AutoReleaseBusinessDays, b.SLABusinessDays, b.AppealWarningDays); err != nil {
			return err
		}
		days := make([]string, 0, len(b.Holidays))
		for _, d := range b.Holidays {
			if !d.IsZero() {
				days = append(days, d.String())
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM business_holidays WHERE NOT (day = ANY($1::date[]))`, pq.Array(days)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO business_holidays (day) SELECT unnest($1::date[]) ON CONFLICT DO NOTHING`, pq.Array(days)); err != nil {
			return err
		}
		if err := c.auditTx(tx, c.entry("settings.update", "work_settings", 0, 0, map[string]any{
			"auto_release_business_days": b.AutoReleaseBusinessDays, "sla_business_days": b.SLABusinessDays,
			"appeal_warning_days": b.AppealWarningDays, "holidays": len(days)})); err != nil {
			return err
		}
		return nil
	}); err != nil {
		return err
	}
	st, err := c.s.settings(ctx, c.s.db)
	if err != nil {
		return err
	}
	return c.json(http.StatusOK, st)
}
