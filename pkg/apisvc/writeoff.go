package apisvc

import (
	"database/sql"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/work"
)

// Write-offs (issue 17, migration 0020). A biller writes off part or all
// of an item's open balance with a reason from the admin-edited list
// (write_off_reasons). A write-off above the threshold — the lower of the
// reason's requires_approval_over and the practice's approval_over
// (write_off_settings), whichever are set — waits as
// pending_approval until a supervisor of the item's practice, other than
// the one who asked, approves or rejects it. When approved write-offs reach
// the open balance the item becomes written_off. Every write is scoped by
// the item's practice and audited with the amounts (no PHI).

// WriteOffReason is a reason a balance may be written off.
type WriteOffReason struct {
	Code                 string        `db:"code" json:"code"`
	Label                string        `db:"label" json:"label"`
	RequiresApprovalOver *money.Amount `db:"requires_approval_over" json:"requires_approval_over"`
	Active               bool          `db:"active" json:"active"`
	UpdatedAt            time.Time     `db:"updated_at" json:"updated_at"`
	UpdatedBy            string        `db:"updated_by" json:"updated_by"`
}

// WriteOff is one write-off asked for on a work item.
type WriteOff struct {
	ID           int64         `db:"id" json:"id"`
	WorkItemID   int64         `db:"work_item_id" json:"work_item_id"`
	PracticeID   int64         `db:"practice_id" json:"practice_id"`
	ReasonCode   string        `db:"reason_code" json:"reason_code"`
	Amount       money.Amount  `db:"amount" json:"amount"`
	Note         string        `db:"note" json:"note"`
	Status       string        `db:"status" json:"status"`
	Threshold    *money.Amount `db:"threshold" json:"threshold"`
	RequestedBy  int64         `db:"requested_by" json:"requested_by"`
	RequestedAt  time.Time     `db:"requested_at" json:"requested_at"`
	DecidedBy    *int64        `db:"decided_by" json:"decided_by"`
	DecidedAt    *time.Time    `db:"decided_at" json:"decided_at"`
	DecisionNote string        `db:"decision_note" json:"decision_note"`
}

const writeOffCols = `o.id, o.work_item_id, o.practice_id, o.reason_code, o.amount, o.note, o.status, o.threshold,
	o.requested_by, o.requested_at, o.decided_by, o.decided_at, o.decision_note`

func validReasonCode(s string) bool {
	if len(s) < 2 || len(s) > 40 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !(b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '_') {
			return false
		}
	}
	return true
}

// GET /v1/write-off-reasons: the list (inactive ones with ?all=true).
func (c *call) getWriteOffReasons() error {
	all := c.r.URL.Query().Get("all") == "true"
	var out []WriteOffReason
	if err := c.s.db.SelectContext(c.r.Context(), &out, `SELECT code, label, requires_approval_over, active, updated_at, updated_by
		FROM write_off_reasons WHERE active OR $1 ORDER BY code`, all); err != nil {
		return err
	}
	if out == nil {
		out = []WriteOffReason{}
	}
	return c.json(http.StatusOK, map[string]any{"reasons": out})
}

type reasonBody struct {
	Code                 *string       `json:"code,omitempty"`
	Label                *string       `json:"label,omitempty"`
	RequiresApprovalOver *money.Amount `json:"requires_approval_over,omitempty"`
	// NoApprovalThreshold clears requires_approval_over (only the practice's
	// threshold applies).
	NoApprovalThreshold bool  `json:"no_approval_threshold,omitempty"`
	Active              *bool `json:"active,omitempty"`
}

func (b *reasonBody) check() error {
	if b.Label != nil {
		l := strings.TrimSpace(*b.Label)
		if l == "" || utf8.RuneCountInString(l) > 200 || strings.ContainsRune(l, 0) {
			return badRequest("label must be 1 to 200 characters")
		}
		b.Label = &l
	}
	if b.RequiresApprovalOver != nil && *b.RequiresApprovalOver < 0 {
		return badRequest("requires_approval_over must not be negative")
	}
	if b.RequiresApprovalOver != nil && b.NoApprovalThreshold {
		return badRequest("give requires_approval_over or no_approval_threshold, not both")
	}
	return nil
}

// POST /v1/write-off-reasons (admin): {"code", "label", "requires_approval_over"}.
func (c *call) postWriteOffReason() error {
	var b reasonBody
	if err := c.decode(&b); err != nil {
		return err
	}
	if err := b.check(); err != nil {
		return err
	}
	if b.Code == nil || !validReasonCode(*b.Code) {
		return badRequest("code must be 2 to 40 characters of a-z, 0-9 and _, starting with a letter")
	}
	if b.Label == nil {
		return badRequest("label is required")
	}
	active := b.Active == nil || *b.Active
	ctx := c.r.Context()
	var out WriteOffReason
	if err := c.inTx(func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &out, `INSERT INTO write_off_reasons (code, label, requires_approval_over, active, updated_by)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (code) DO NOTHING
			RETURNING code, label, requires_approval_over, active, updated_at, updated_by`, *b.Code, *b.Label, b.RequiresApprovalOver, active, c.id.Actor())
		if errors.Is(err, sql.ErrNoRows) {
			return errf(http.StatusConflict, "exists", "a reason with that code exists; edit it with PATCH")
		}
		if err != nil {
			return err
		}
		if err := c.auditTx(tx, c.entry("write_off_reason.add", "write_off_reason", 0, 0, map[string]any{"code": out.Code,
			"requires_approval_over": out.RequiresApprovalOver, "active": out.Active})); err != nil {
			return err
		}
		return nil
	}); err != nil {
		return err
	}
	return c.json(http.StatusCreated, out)
}

// PATCH /v1/write-off-reasons/{code} (admin): label, threshold, active.
func (c *call) patchWriteOffReason() error {
	code := c.r.PathValue("code")
	if !validReasonCode(code) {
		return errNotFound
	}
	var b reasonBody
	if err := c.decode(&b); err != nil {
		return err
	}
	if b.Code != nil {
		return badRequest("the code is in the path and cannot change")
	}
	if err := b.check(); err != nil {
		return err
	}
	ctx := c.r.Context()
	var out WriteOffReason
	if err := c.inTx(func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &out, `UPDATE write_off_reasons SET label = coalesce($2, label),
			requires_approval_over = CASE WHEN $4 THEN NULL ELSE coalesce($3, requires_approval_over) END,
			active = coalesce($5, active), updated_at = now(), updated_by = $6
			WHERE code = $1 RETURNING code, label, requires_approval_over, active, updated_at, updated_by`,
			code, b.Label, b.RequiresApprovalOver, b.NoApprovalThreshold, b.Active, c.id.Actor())
		if errors.Is(err, sql.ErrNoRows) {
			return errNotFound
		}
		if err != nil {
			return err
		}
		if err := c.auditTx(tx, c.entry("write_off_reason.edit", "write_off_reason", 0, 0, map[string]any{"code": out.Code,
			"requires_approval_over": out.RequiresApprovalOver, "active": out.Active})); err != nil {
			return err
		}
		return nil
	}); err != nil {
		return err
	}
	return c.json(http.StatusOK, out)
}

// WriteOffSettings is a practice's write-off threshold; ApprovalOver nil:
// the practice set none, and only the reasons' thresholds apply.
type WriteOffSettings struct {
	PracticeID   int64         `json:"practice_id"`
	ApprovalOver *money.Amount `json:"approval_over"`
}

// practiceThreshold is the practice's approval_over (nil: none set).
func (c *call) practiceThreshold(db queryer, practice int64) (WriteOffSettings, error) {
	out := WriteOffSettings{PracticeID: practice}
	var a money.Amount
	err := db.GetContext(c.r.Context(), &a, `SELECT approval_over FROM write_off_settings WHERE practice_id = $1`, practice)
	if errors.Is(err, sql.ErrNoRows) {
		return out, nil
	}
	if err != nil {
		return out, err
	}
	out.ApprovalOver = &a
	return out, nil
}

// GET /v1/practices/{practice}/write-off-settings
func (c *call) getWriteOffSettings() error {
	p, err := c.practicePathID()
	if err != nil {
		return err
	}
	out, err := c.practiceThreshold(c.s.db, p)
	if err != nil {
		return err
	}
	return c.json(http.StatusOK, out)
}

// PUT /v1/practices/{practice}/write-off-settings (admin): {"approval_over": "250.00"}.
func (c *call) putWriteOffSettings() error {
	p, err := c.practicePathID()
	if err != nil {
		return err
	}
	var b struct {
		ApprovalOver *money.Amount `json:"approval_over"`
	}
	if err := c.decode(&b); err != nil {
		return err
	}
	if b.ApprovalOver == nil || *b.ApprovalOver < 0 {
		return badRequest(`send {"approval_over": "250.00"}, an amount not below zero`)
	}
	ctx := c.r.Context()
	if err := c.inTx(func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO write_off_settings (practice_id, approval_over, updated_by) VALUES ($1, $2, $3)
			ON CONFLICT (practice_id) DO UPDATE SET approval_over = EXCLUDED.approval_over, updated_by = EXCLUDED.updated_by, updated_at = now()`,
			p, *b.ApprovalOver, c.id.Actor()); err != nil {
			return err
		}
		if err := c.auditTx(tx, c.entry("write_off_settings.update", "practice", p, p, map[string]any{"approval_over": *b.ApprovalOver})); err != nil {
			return err
		}
		return nil
	}); err != nil {
		return err
	}
	return c.json(http.StatusOK, WriteOffSettings{PracticeID: p, ApprovalOver: b.ApprovalOver})
}

// practicePathID reads {practice}: a practice the caller sees whole.
func (c *call) practicePathID() (int64, error) {
	p, err := c.pathID("practice")
	if err != nil {
		return 0, err
	}
	if !c.id.SeesPractice(p) {
		return 0, errNotFound
	}
	var one int
	if err := c.s.db.GetContext(c.r.Context(), &one, `SELECT 1 FROM practices WHERE id = $1`, p); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return 0, errNotFound
		}
		return 0, err
	}
	return p, nil
}

// openBalance is what of the item may still be written off: its amount at
// risk less the write-offs approved or waiting.
func (c *call) openBalance(db queryer, it *WorkItem) (money.Amount, error) {
	var taken money.Amount
	if err := db.GetContext(c.r.Context(), &taken, `SELECT coalesce(sum(amount), 0) FROM write_offs
		WHERE work_item_id = $1 AND status IN ('approved', 'pending_approval')`, it.ID); err != nil {
		return 0, err
	}
	return it.AmountAtRisk - taken, nil
}

type writeOffBody struct {
	ReasonCode string        `json:"reason_code"`
	Amount     *money.Amount `json:"amount"`
	Note       string        `json:"note"`
	Version    *int          `json:"version,omitempty"`
}

// POST /v1/work-items/{id}/write-offs: {"reason_code", "amount", "note",
// "version"} (or If-Match). 201 with the write-off (approved, or
// pending_approval above the threshold) and the item.
func (c *call) postWriteOff() error {
	id, err := c.pathID("id")
	if err != nil {
		return err
	}
	var b writeOffBody
	if err := c.decode(&b); err != nil {
		return err
	}
	want, staleStatus, err := c.expectedVersion(b.Version)
	if err != nil {
		return err
	}
	if b.Amount == nil || *b.Amount <= 0 {
		return badRequest("amount must be an amount above zero, such as \"25.00\"")
	}
	note := strings.TrimSpace(b.Note)
	if utf8.RuneCountInString(note) > 2000 || strings.ContainsRune(note, 0) {
		return badRequest("note may hold at most 2000 characters")
	}
	if !validReasonCode(b.ReasonCode) {
		return errf(http.StatusUnprocessableEntity, "unknown_reason", "reason_code must be one of GET /v1/write-off-reasons")
	}
	ctx := c.r.Context()
	var wo WriteOff
	var out *WorkItem
	if err := c.inTx(func(tx *sqlx.Tx) error {
		it, err := c.lockVersion(tx, id, want, staleStatus)
		if err != nil {
			return err
		}
		if !work.Open(it.Status) {
			return errf(http.StatusConflict, "item_closed", "the item is %s; reopen it before writing anything off", it.Status)
		}
		if err := c.mayWork(it); err != nil {
			return err
		}
		var reason WriteOffReason
		err = tx.GetContext(ctx, &reason, `SELECT code, label, requires_approval_over, active, updated_at, updated_by
			FROM write_off_reasons WHERE code = $1`, b.ReasonCode)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && !reason.Active) {
			return errf(http.StatusUnprocessableEntity, "unknown_reason", "reason_code must be one of GET /v1/write-off-reasons")
		}
		if err != nil {
			return err
		}
		balance, err := c.openBalance(tx, it)
		if err != nil {
			return err
		}
		if *b.Amount > balance {
			return errf(http.StatusUnprocessableEntity, "over_balance", "the amount %s is more than the open balance %s of the item", b.Amount, balance)
		}
		set, err := c.practiceThreshold(tx, it.PracticeID)
		if err != nil {
			return err
		}
		threshold := set.ApprovalOver
		if r := reason.RequiresApprovalOver; r != nil && (threshold == nil || *r < *threshold) {
			threshold = r
		}
		status := "approved"
		if threshold != nil && *b.Amount > *threshold {
			status = "pending_approval"
		}
		err = tx.GetContext(ctx, &wo, `INSERT INTO write_offs AS o (work_item_id, practice_id, reason_code, amount, note, status, threshold, requested_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING `+writeOffCols,
			it.ID, it.PracticeID, reason.Code, *b.Amount, note, status, threshold, c.id.UserID)
		if err != nil {
			var pe *pq.Error
			if errors.As(err, &pe) && pe.Code == "23505" {
				return errf(http.StatusConflict, "pending_exists", "a write-off of this item already waits for approval")
			}
			return err
		}
		out, err = c.afterWriteOff(tx, it, &wo, "write_off.request")
		return err
	}); err != nil {
		return err
	}
	c.w.Header().Set("ETag", etag(out.Version))
	return c.json(http.StatusCreated, map[string]any{"write_off": wo, "work_item": out})
}

// afterWriteOff records the event and audit of a write-off change and,
// when the approved write-offs reach the amount at risk, moves the item to
// written_off. It bumps the item's version either way.
func (c *call) afterWriteOff(tx queryer, it *WorkItem, wo *WriteOff, action string) (*WorkItem, error) {
	ctx := c.r.Context()
	var approved money.Amount
	if err := tx.GetContext(ctx, &approved, `SELECT coalesce(sum(amount), 0) FROM write_offs WHERE work_item_id = $1 AND status = 'approved'`,
		it.ID); err != nil {
		return nil, err
	}
	to := it.Status
	if approved >= it.AmountAtRisk && work.Open(it.Status) {
		to = "written_off"
	}
	var claim any
	if c.id.Role == auth.Biller {
		claim = c.id.UserID
	}
	var out WorkItem
	if err := tx.GetContext(ctx, &out, `UPDATE work_items w SET status = $2,
		resolution = CASE WHEN $2 = 'written_off' AND status <> 'written_off' THEN $3 ELSE resolution END,
		resolved_at = CASE WHEN $2 = 'written_off' AND status <> 'written_off' THEN now() ELSE resolved_at END,
		pended_until = CASE WHEN $2 = 'written_off' THEN NULL ELSE pended_until END,
		assignee_id = coalesce(assignee_id, $4::bigint),
		assigned_at = CASE WHEN assignee_id IS NULL AND $4::bigint IS NOT NULL THEN now() ELSE assigned_at END,
		touched_at = now(), version = version + 1, updated_at = now()
		WHERE id = $1 RETURNING `+itemCols, it.ID, to, "written off: "+wo.ReasonCode, claim); err != nil {
		return nil, err
	}
	detail := map[string]any{"write_off_id": wo.ID, "reason_code": wo.ReasonCode, "amount": wo.Amount, "status": wo.Status,
		"threshold": wo.Threshold}
	var amount any
	if wo.Status == "approved" {
		amount = wo.Amount
	}
	ex, ok := tx.(execer)
	if !ok {
		return nil, errors.New("api: write-off outside a transaction")
	}
	if err := c.event(ex, it.ID, "write_off", it.Status, out.Status, amount, detail); err != nil {
		return nil, err
	}
	ad := map[string]any{"from": it.Status, "to": out.Status, "version": out.Version}
	for k, v := range detail {
		ad[k] = v
	}
	if err := c.auditTx(ex, c.entry(action, "work_item", it.ID, it.PracticeID, ad)); err != nil {
		return nil, err
	}
	if err := c.flagDeadlines(tx, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GET /v1/write-offs?practice_id=&status=&work_item_id=: write-offs in the
// caller's scope, newest first (supervisors' approval queue: status=pending_approval).
func (c *call) getWriteOffs() error {
	q := c.r.URL.Query()
	var args auth.Args
	where := []string{c.id.Where("w.practice_id", "w.provider_npi", &args)}
	if v := q.Get("practice_id"); v != "" {
		n, err := parseID(v, "practice_id")
		if err != nil {
			return err
		}
		where = append(where, "o.practice_id = "+args.Add(n))
	}
	if v := q.Get("work_item_id"); v != "" {
		n, err := parseID(v, "work_item_id")
		if err != nil {
			return err
		}
		where = append(where, "o.work_item_id = "+args.Add(n))
	}
	if v := q.Get("status"); v != "" {
		if !contains([]string{"pending_approval", "approved", "rejected"}, v) {
			return badRequest("status must be pending_approval, approved or rejected")
		}
		where = append(where, "o.status = "+args.Add(v))
	}
	var out []WriteOff
	if err := c.s.db.SelectContext(c.r.Context(), &out, `SELECT `+writeOffCols+` FROM write_offs o JOIN work_items w ON w.id = o.work_item_id
		WHERE `+strings.Join(where, " AND ")+` ORDER BY o.requested_at DESC, o.id DESC LIMIT 500`, args...); err != nil {
		return err
	}
	if out == nil {
		out = []WriteOff{}
	}
	return c.json(http.StatusOK, map[string]any{"write_offs": out})
}

// POST /v1/write-offs/{id}/approve and /reject: {"note"}. A supervisor (or
// admin) of the item's practice decides a pending write-off; never the one
// who asked for it.
func (c *call) postWriteOffApprove() error { return c.decideWriteOff("approved") }
func (c *call) postWriteOffReject() error  { return c.decideWriteOff("rejected") }

func (c *call) decideWriteOff(to string) error {
	id, err := c.pathID("id")
	if err != nil {
		return err
	}
	var b struct {
		Note string `json:"note"`
	}
	if c.r.ContentLength != 0 {
		if err := c.decode(&b); err != nil {
			return err
		}
	}
	note := strings.TrimSpace(b.Note)
	if utf8.RuneCountInString(note) > 2000 || strings.ContainsRune(note, 0) {
		return badRequest("note may hold at most 2000 characters")
	}
	if to == "rejected" && note == "" {
		return badRequest("a rejection needs a note: why the balance should still be worked")
	}
	ctx := c.r.Context()
	var wo WriteOff
	var out *WorkItem
	if err := c.inTx(func(tx *sqlx.Tx) error {
		var item int64
		err := tx.GetContext(ctx, &item, `SELECT work_item_id FROM write_offs WHERE id = $1`, id)
		if errors.Is(err, sql.ErrNoRows) {
			return errNotFound
		}
		if err != nil {
			return err
		}
		it, err := c.loadItem(item, true, tx) // scoped: another practice's write-off is 404
		if err != nil {
			return err
		}
		if !c.id.SeesPractice(it.PracticeID) {
			return errNotFound
		}
		if err := tx.GetContext(ctx, &wo, `SELECT `+writeOffCols+` FROM write_offs o WHERE o.id = $1 FOR UPDATE`, id); err != nil {
			return err
		}
		if wo.RequestedBy == c.id.UserID {
			return errf(http.StatusForbidden, "own_write_off", "a write-off is approved or rejected by someone other than the one who asked for it")
		}
		if wo.Status != "pending_approval" {
			return errf(http.StatusConflict, "not_pending", "the write-off is %s, not pending_approval", wo.Status)
		}
		if to == "approved" {
			// The balance may have changed since it was asked for.
			balance, err := c.openBalance(tx, it)
			if err != nil {
				return err
			}
			if balance < 0 {
				return errf(http.StatusConflict, "over_balance", "the open balance of the item is now below the write-off; reject it")
			}
			if !work.Open(it.Status) && it.Status != "written_off" {
				return errf(http.StatusConflict, "item_closed", "the item is %s; reject the write-off", it.Status)
			}
		}
		if err := tx.GetContext(ctx, &wo, `UPDATE write_offs o SET status = $2, decided_by = $3, decided_at = now(), decision_note = $4
			WHERE o.id = $1 RETURNING `+writeOffCols, id, to, c.id.UserID, note); err != nil {
			return err
		}
		out, err = c.afterWriteOff(tx, it, &wo, "write_off."+strings.TrimSuffix(to, "d"))
		return err
	}); err != nil {
		return err
	}
	return c.json(http.StatusOK, map[string]any{"write_off": wo, "work_item": out})
}

// writeOffByPatch is the check PATCH /v1/work-items/{id} makes before a
// move to written_off: someone without the supervisor's permission writes
// off the whole balance that way only up to the practice's threshold, when
// the practice set one (the reason-coded route, which also applies the
// reasons' thresholds, handles the rest); the move is recorded as an
// approved write-off of reason "other".
func (c *call) writeOffByPatch(tx queryer, it *WorkItem) error {
	balance, err := c.openBalance(tx, it)
	if err != nil {
		return err
	}
	if balance <= 0 {
		return nil
	}
	set, err := c.practiceThreshold(tx, it.PracticeID)
	if err != nil {
		return err
	}
	if set.ApprovalOver != nil && balance > *set.ApprovalOver && !c.id.Can(auth.WorkAssign) {
		return errf(http.StatusConflict, "approval_required",
			"writing off %s needs a supervisor's approval: POST /v1/work-items/%s/write-offs with a reason_code", balance, strconv.FormatInt(it.ID, 10))
	}
	ex, ok := tx.(execer)
	if !ok {
		return errors.New("api: write-off outside a transaction")
	}
	_, err = ex.ExecContext(c.r.Context(), `INSERT INTO write_offs (work_item_id, practice_id, reason_code, amount, note, status, threshold, requested_by)
		VALUES ($1, $2, 'other', $3, 'status moved to written_off', 'approved', $4, $5)`, it.ID, it.PracticeID, balance, set.ApprovalOver, c.id.UserID)
	return err
}
