package apisvc

import (
	"database/sql"
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/work"
)

// Appeals submitted on a work item (issue 17, migration 0020
// work_item_appeals): one row per level with the date sent, the amount
// appealed and, once the payer decides, the outcome and the amount
// recovered. Recording the first appeal moves the item to appealed (as
// PATCH status appealed does, with the same deadline check).

// Appeal is one appeal submitted on a work item.
type Appeal struct {
	ID              int64        `db:"id" json:"id"`
	WorkItemID      int64        `db:"work_item_id" json:"work_item_id"`
	PracticeID      int64        `db:"practice_id" json:"practice_id"`
	Level           int          `db:"level" json:"level"`
	LevelName       string       `db:"level_name" json:"level_name"`
	SubmittedOn     day.Day      `db:"submitted_on" json:"submitted_on"`
	Reference       string       `db:"reference" json:"reference"`
	AmountAppealed  money.Amount `db:"amount_appealed" json:"amount_appealed"`
	Outcome         string       `db:"outcome" json:"outcome"`
	DecidedOn       day.Day      `db:"decided_on" json:"decided_on"`
	AmountRecovered money.Amount `db:"amount_recovered" json:"amount_recovered"`
	CreatedBy       int64        `db:"created_by" json:"created_by"`
	CreatedAt       time.Time    `db:"created_at" json:"created_at"`
	DecidedBy       *int64       `db:"decided_by" json:"decided_by"`
	UpdatedAt       time.Time    `db:"updated_at" json:"updated_at"`
}

const appealCols = `a.id, a.work_item_id, a.practice_id, a.level, a.level_name, a.submitted_on, a.reference, a.amount_appealed,
	a.outcome, a.decided_on, a.amount_recovered, a.created_by, a.created_at, a.decided_by, a.updated_at`

var appealOutcomes = []string{"paid_in_full", "partial", "upheld", "withdrawn"}

// GET /v1/work-items/{id}/appeals
func (c *call) getAppeals() error {
	id, err := c.pathID("id")
	if err != nil {
		return err
	}
	it, err := c.loadItem(id, false, c.s.db)
	if err != nil {
		return err
	}
	var out []Appeal
	if err := c.s.db.SelectContext(c.r.Context(), &out, `SELECT `+appealCols+` FROM work_item_appeals a WHERE a.work_item_id = $1
		ORDER BY a.level`, it.ID); err != nil {
		return err
	}
	if out == nil {
		out = []Appeal{}
	}
	return c.json(http.StatusOK, map[string]any{"appeals": out})
}

type appealBody struct {
	Level          int           `json:"level"`
	LevelName      string        `json:"level_name"`
	SubmittedOn    *day.Day      `json:"submitted_on"`
	Reference      string        `json:"reference"`
	AmountAppealed *money.Amount `json:"amount_appealed"`
	OverrideReason *string       `json:"override_reason,omitempty"`
}

func cleanText(s string, max int, name string) (string, error) {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > max || strings.ContainsRune(s, 0) {
		return "", badRequest("%s may hold at most %d characters", name, max)
	}
	return s, nil
}

// POST /v1/work-items/{id}/appeals: {"level": 1, "level_name",
// "submitted_on": "2026-11-10", "reference", "amount_appealed": "200.00"
// (default: the amount at risk), "override_reason" (an appeal sent after
// the deadline)}.
func (c *call) postAppeal() error {
	id, err := c.pathID("id")
	if err != nil {
		return err
	}
	var b appealBody
	if err := c.decode(&b); err != nil {
		return err
	}
	today := day.Of(c.s.opts.Now())
	if b.Level < 1 || b.Level > 9 {
		return badRequest("level must be 1 to 9 (1: the payer profile's first appeal level)")
	}
	if b.SubmittedOn == nil || b.SubmittedOn.IsZero() || b.SubmittedOn.Time().After(today.Time()) {
		return badRequest("submitted_on must be the date the appeal was sent (not in the future)")
	}
	if b.AmountAppealed != nil && *b.AmountAppealed < 0 {
		return badRequest("amount_appealed must not be negative")
	}
	if b.LevelName, err = cleanText(b.LevelName, 100, "level_name"); err != nil {
		return err
	}
	if b.Reference, err = cleanText(b.Reference, 100, "reference"); err != nil {
		return err
	}
	override := ""
	if b.OverrideReason != nil {
		if override, err = cleanText(*b.OverrideReason, maxOverrideReason, "override_reason"); err != nil || override == "" {
			return badRequest("override_reason must be 1 to %d characters", maxOverrideReason)
		}
	}
	ctx := c.r.Context()
	var a Appeal
	var out WorkItem
	if err := c.inTx(func(tx *sqlx.Tx) error {
		it, err := c.loadItem(id, true, tx)
		if err != nil {
			return err
		}
		if err := c.mayWork(it); err != nil {
			return err
		}
		if !work.Open(it.Status) {
			return errf(http.StatusConflict, "item_closed", "the item is %s; reopen it to appeal", it.Status)
		}
		late := b.Level == 1 && !it.AppealDeadline.IsZero() && b.SubmittedOn.Time().After(it.AppealDeadline.Time())
		if late && override == "" {
			return errf(http.StatusConflict, "deadline_passed", "the appeal deadline was %s: send override_reason (why it is filed anyway) to record it",
				it.AppealDeadline.Time().Format(time.DateOnly))
		}
		amount := it.AmountAtRisk
		if b.AmountAppealed != nil {
			amount = *b.AmountAppealed
		}
		err = tx.GetContext(ctx, &a, `INSERT INTO work_item_appeals AS a (work_item_id, practice_id, level, level_name, submitted_on, reference,
			amount_appealed, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING `+appealCols,
			it.ID, it.PracticeID, b.Level, b.LevelName, *b.SubmittedOn, b.Reference, amount, c.id.UserID)
		if err != nil {
			var pe *pq.Error
			if errors.As(err, &pe) && pe.Code == "23505" {
				return errf(http.StatusConflict, "appeal_exists", "an appeal of level %d is already recorded on this item", b.Level)
			}
			return err
		}
		var claim any
		if c.id.Role == auth.Biller {
			claim = c.id.UserID
		}
		if err := tx.GetContext(ctx, &out, `UPDATE work_items w SET status = 'appealed',
			appealed_on = CASE WHEN status = 'appealed' THEN appealed_on ELSE $2::date END, pended_until = NULL,
			assignee_id = coalesce(assignee_id, $3::bigint),
			assigned_at = CASE WHEN assignee_id IS NULL AND $3::bigint IS NOT NULL THEN now() ELSE assigned_at END,
			touched_at = now(), version = version + 1, updated_at = now()
			WHERE id = $1 RETURNING `+itemCols, it.ID, *b.SubmittedOn, claim); err != nil {
			return err
		}
		detail := map[string]any{"appeal_id": a.ID, "level": a.Level, "submitted_on": a.SubmittedOn, "amount_appealed": a.AmountAppealed}
		if late {
			detail["late_appeal"], detail["override_reason"] = true, override
		}
		if err := c.event(tx, it.ID, "appeal", it.Status, out.Status, nil, detail); err != nil {
			return err
		}
		ad := map[string]any{"from": it.Status, "to": out.Status, "version": out.Version}
		for k, v := range detail {
			ad[k] = v
		}
		if err := c.auditTx(tx, c.entry("work_item.appeal", "work_item", it.ID, it.PracticeID, ad)); err != nil {
			return err
		}
		if err := c.flagDeadlines(tx, &out); err != nil {
			return err
		}
		return nil
	}); err != nil {
		return err
	}
	c.w.Header().Set("ETag", etag(out.Version))
	return c.json(http.StatusCreated, map[string]any{"appeal": a, "work_item": out})
}

// PATCH /v1/work-items/{id}/appeals/{appeal}: the payer's decision,
// {"outcome": "partial", "decided_on": "2026-12-01", "amount_recovered":
// "120.00"}. Recovery is money the payer paid on the appeal: required for
// paid_in_full and partial, zero for upheld and withdrawn.
func (c *call) patchAppeal() error {
	id, err := c.pathID("id")
	if err != nil {
		return err
	}
	aid, err := c.pathID("appeal")
	if err != nil {
		return err
	}
	var b struct {
		Outcome         string        `json:"outcome"`
		DecidedOn       *day.Day      `json:"decided_on"`
		AmountRecovered *money.Amount `json:"amount_recovered"`
	}
	if err := c.decode(&b); err != nil {
		return err
	}
	today := day.Of(c.s.opts.Now())
	if !contains(appealOutcomes, b.Outcome) {
		return badRequest("outcome must be one of %s", strings.Join(appealOutcomes, ", "))
	}
	if b.DecidedOn == nil || b.DecidedOn.IsZero() || b.DecidedOn.Time().After(today.Time()) {
		return badRequest("decided_on must be the date of the payer's decision (not in the future)")
	}
	recovered := money.Amount(0)
	if b.AmountRecovered != nil {
		recovered = *b.AmountRecovered
	}
	switch {
	case recovered < 0:
		return badRequest("amount_recovered must not be negative")
	case (b.Outcome == "paid_in_full" || b.Outcome == "partial") && recovered <= 0:
		return badRequest("outcome %s needs amount_recovered above zero", b.Outcome)
	case (b.Outcome == "upheld" || b.Outcome == "withdrawn") && recovered != 0:
		return badRequest("outcome %s recovered nothing: amount_recovered must be 0 or left out", b.Outcome)
	}
	ctx := c.r.Context()
	var a Appeal
	if err := c.inTx(func(tx *sqlx.Tx) error {
		it, err := c.loadItem(id, true, tx)
		if err != nil {
			return err
		}
		if err := c.mayWork(it); err != nil {
			return err
		}
		err = tx.GetContext(ctx, &a, `SELECT `+appealCols+` FROM work_item_appeals a WHERE a.id = $1 AND a.work_item_id = $2 FOR UPDATE`, aid, it.ID)
		if errors.Is(err, sql.ErrNoRows) {
			return errNotFound
		}
		if err != nil {
			return err
		}
		if b.DecidedOn.Time().Before(a.SubmittedOn.Time()) {
			return badRequest("decided_on is before the appeal was submitted (%s)", a.SubmittedOn.Time().Format(time.DateOnly))
		}
		// The KPI adds up the recoveries of the won levels: their sum is
		// bounded, not each alone.
		var earlier money.Amount
		if err := tx.GetContext(ctx, &earlier, `SELECT coalesce(sum(amount_recovered), 0) FROM work_item_appeals
			WHERE work_item_id = $1 AND id <> $2 AND outcome IN ('paid_in_full', 'partial')`, it.ID, aid); err != nil {
			return err
		}
		if err := checkRecovered(it, recovered, earlier); err != nil {
			return err
		}
		from := a.Outcome
		if err := tx.GetContext(ctx, &a, `UPDATE work_item_appeals a SET outcome = $2, decided_on = $3, amount_recovered = $4,
			decided_by = $5, updated_at = now() WHERE a.id = $1 RETURNING `+appealCols, aid, b.Outcome, *b.DecidedOn, recovered, c.id.UserID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE work_items SET touched_at = now(), version = version + 1, updated_at = now() WHERE id = $1`, it.ID); err != nil {
			return err
		}
		detail := map[string]any{"appeal_id": a.ID, "level": a.Level, "from": from, "outcome": a.Outcome, "decided_on": a.DecidedOn,
			"amount_recovered": a.AmountRecovered}
		if err := c.event(tx, it.ID, "appeal_decided", "", "", a.AmountRecovered, detail); err != nil {
			return err
		}
		if err := c.auditTx(tx, c.entry("work_item.appeal_decided", "work_item", it.ID, it.PracticeID, detail)); err != nil {
			return err
		}
		return nil
	}); err != nil {
		return err
	}
	return c.json(http.StatusOK, a)
}
