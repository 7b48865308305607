package apisvc

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/remitq/remitq/carc"
	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/work"
)

// WorkItem is a work item as the API shows it. It holds no PHI: the
// patient control number is the practice's own claim id.
type WorkItem struct {
	ID                   int64          `db:"id" json:"id"`
	PracticeID           int64          `db:"practice_id" json:"practice_id"`
	ProviderNPI          string         `db:"provider_npi" json:"provider_npi"`
	PayerID              *int64         `db:"payer_id" json:"payer_id"`
	QueueID              *int64         `db:"queue_id" json:"queue_id"`
	Kind                 string         `db:"kind" json:"kind"`
	Disposition          string         `db:"disposition" json:"disposition"`
	Category             string         `db:"category" json:"category"`
	ClaimPaymentID       *int64         `db:"claim_payment_id" json:"claim_payment_id"`
	ServiceLineID        *int64         `db:"service_line_id" json:"service_line_id"`
	BilledClaimID        *int64         `db:"billed_claim_id" json:"billed_claim_id"`
	BilledLineID         *int64         `db:"billed_line_id" json:"billed_line_id"`
	PatientControlNumber string         `db:"patient_control_number" json:"patient_control_number"`
	PayerClaimControl    string         `db:"payer_claim_control" json:"payer_claim_control"`
	ProcedureCode        string         `db:"procedure_code" json:"procedure_code"`
	Modifiers            pq.StringArray `db:"modifiers" json:"modifiers"`
	ServiceDate          day.Day        `db:"service_date" json:"service_date"`
	CARC                 pq.StringArray `db:"carc" json:"carc"`
	RARC                 pq.StringArray `db:"rarc" json:"rarc"`
	Text                 string         `db:"text" json:"text"`
	Action               string         `db:"action" json:"action"`
	BilledAmount         money.Amount   `db:"billed_amount" json:"billed_amount"`
	PaidAmount           money.Amount   `db:"paid_amount" json:"paid_amount"`
	AmountAtRisk         money.Amount   `db:"amount_at_risk" json:"amount_at_risk"`
	RecoveredAmount      money.Amount   `db:"recovered_amount" json:"recovered_amount"`
	RemitDate            day.Day        `db:"remit_date" json:"remit_date"`
	AppealDeadline       day.Day        `db:"appeal_deadline" json:"appeal_deadline"`
	Overdue              bool           `db:"-" json:"overdue"`  // deadline before today, still to meet (work.DeadlineOpen)
	DueSoon              bool           `db:"-" json:"due_soon"` // deadline still to meet, today or within appeal_warning_days
	Priority             int            `db:"priority" json:"priority"`
	Status               string         `db:"status" json:"status"`
	AssigneeID           *int64         `db:"assignee_id" json:"assignee_id"`
	AssignedAt           *time.Time     `db:"assigned_at" json:"assigned_at"`
	TouchedAt            *time.Time     `db:"touched_at" json:"touched_at"`
	PendedUntil          day.Day        `db:"pended_until" json:"pended_until"`
	AppealedOn           day.Day        `db:"appealed_on" json:"appealed_on"`
	// Resolution is free text about the patient (a write-off's reason):
	// PHI like a note. Lists never show it; an item's own answers show it
	// to a caller with work.phi only (withoutFreeText).
	Resolution          string        `db:"resolution" json:"resolution"`
	ResolutionOutcome   string        `db:"resolution_outcome" json:"resolution_outcome"`     // paid_in_full, partial, upheld ('' not recorded)
	ResolutionRecovered *money.Amount `db:"resolution_recovered" json:"resolution_recovered"` // recorded when resolved
	EscalatedAt         *time.Time    `db:"escalated_at" json:"escalated_at"`
	ResolvedAt          *time.Time    `db:"resolved_at" json:"resolved_at"`
	Version             int           `db:"version" json:"version"`
	CreatedAt           time.Time     `db:"created_at" json:"created_at"`
	UpdatedAt           time.Time     `db:"updated_at" json:"updated_at"`
}

const itemCols = `w.id, w.practice_id, w.provider_npi, w.payer_id, w.queue_id, w.kind, w.disposition, w.category,
	w.claim_payment_id, w.service_line_id, w.billed_claim_id, w.billed_line_id, w.patient_control_number,
	w.payer_claim_control, w.procedure_code, w.modifiers, w.service_date, w.carc, w.rarc, w.text, w.action,
	w.billed_amount, w.paid_amount, w.amount_at_risk, w.recovered_amount, w.remit_date, w.appeal_deadline,
	w.priority, w.status, w.assignee_id, w.assigned_at, w.touched_at, w.pended_until, w.appealed_on, w.resolution,
	w.resolution_outcome, w.resolution_recovered, w.escalated_at, w.resolved_at, w.version, w.created_at, w.updated_at`

// openItems is pkg/work's open rule on the item row w (the predicate of the
// partial work-item indexes).
var openItems = work.OpenSQL("w")

// deadlineOpen is pkg/work's rule that the appeal deadline of the item row
// w is still to meet: open, neither appealed nor resubmitted.
var deadlineOpen = work.DeadlineOpenSQL("w")

// warningDays reads the work settings' appeal_warning_days.
func (s *Service) warningDays(ctx context.Context, db queryer) (int, error) {
	var n int
	if err := db.GetContext(ctx, &n, `SELECT appeal_warning_days FROM work_settings WHERE id`); err != nil {
		return 0, fmt.Errorf("api: read appeal_warning_days: %w", err)
	}
	return n, nil
}

// flagDeadlines sets the items' overdue and due_soon as of today.
func (c *call) flagDeadlines(db queryer, items ...*WorkItem) error {
	if len(items) == 0 {
		return nil
	}
	warn, err := c.s.warningDays(c.r.Context(), db)
	if err != nil {
		return err
	}
	today := day.Of(c.s.opts.Now().UTC()).Time()
	for _, it := range items {
		it.Overdue, it.DueSoon = false, false
		if it.AppealDeadline.IsZero() || !work.DeadlineOpen(it.Status) {
			continue
		}
		d := it.AppealDeadline.Time()
		it.Overdue = d.Before(today)
		it.DueSoon = !it.Overdue && !d.After(today.AddDate(0, 0, warn))
	}
	return nil
}

// statuses of work items (pkg/work).
var statuses = work.Statuses

// deadlineSort is the appeal_deadline sort of work items: items without a
// deadline last (work_items_deadline_open_order_idx is on it).
const deadlineSort = "coalesce(w.appeal_deadline, 'infinity'::date)"

var itemSorts = []sortKey{
	{name: "priority", expr: "-w.priority", typ: "integer"},
	{name: "amount_at_risk", expr: "w.amount_at_risk", typ: "numeric"},
	{name: "appeal_deadline", expr: deadlineSort, typ: "date"},
	{name: "created_at", expr: "w.created_at", typ: "timestamptz"},
	{name: "updated_at", expr: "w.updated_at", typ: "timestamptz"},
}

// itemFilterKeys are the filters of work-item lists (itemFilters).
var itemFilterKeys = []string{"practice_id", "queue_id", "payer_id", "assignee_id", "provider_npi", "kind", "category",
	"procedure_code", "patient_control_number", "status", "open", "unassigned", "escalated", "min_amount", "deadline_before", "deadline"}

// pageKeys are the paging parameters of every list.
var pageKeys = []string{"cursor", "sort", "limit"}

// checkKeys refuses a parameter (or filter key) that is not allowed,
// listing the allowed ones: a misspelt filter must never widen a list or a
// bulk change to everything in scope.
func checkKeys(q url.Values, what string, allowed ...[]string) error {
	var all []string
	for _, a := range allowed {
		all = append(all, a...)
	}
	var bad []string
	for k := range q {
		if !contains(all, k) {
			bad = append(bad, strconv.Quote(k))
		}
	}
	if len(bad) > 0 {
		slices.Sort(bad)
		return badRequest("unknown %s %s; allowed: %s", what, strings.Join(bad, ", "), strings.Join(all, ", "))
	}
	return nil
}

// itemFilters turns the query string into predicates on work_items w;
// today is the day overdue and due_soon are judged on.
func itemFilters(q url.Values, args *auth.Args, today day.Day) ([]string, error) {
	var where []string
	if v := q.Get("kind"); v != "" && !work.ValidKind(v) {
		return nil, badRequest("kind must be %s", work.KindsText())
	}
	if v := q.Get("category"); v != "" && !carc.Category(v).Valid() {
		return nil, badRequest("category must be a root-cause category key (authorization, eligibility_coverage, ...)")
	}
	if v := q.Get("provider_npi"); v != "" && !npiShape(v) {
		return nil, badRequest("provider_npi must be 10 digits")
	}
	for _, f := range []struct{ param, col string }{{"practice_id", "w.practice_id"}, {"queue_id", "w.queue_id"},
		{"payer_id", "w.payer_id"}, {"assignee_id", "w.assignee_id"}} {
		if v := q.Get(f.param); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				return nil, badRequest("%s must be a positive integer", f.param)
			}
			where = append(where, f.col+" = "+args.Add(n))
		}
	}
	for _, f := range []struct{ param, col string }{{"provider_npi", "w.provider_npi"}, {"kind", "w.kind"},
		{"category", "w.category"}, {"procedure_code", "w.procedure_code"}, {"patient_control_number", "w.patient_control_number"}} {
		if v := q.Get(f.param); v != "" {
			where = append(where, f.col+" = "+args.Add(v))
		}
	}
	if v := q.Get("status"); v != "" {
		list := strings.Split(v, ",")
		for _, s := range list {
			if !contains(statuses, s) {
				return nil, badRequest("status must be among %s", strings.Join(statuses, ", "))
			}
		}
		where = append(where, "w.status = ANY("+args.Add(pq.Array(list))+"::text[])")
	} else if q.Get("open") != "false" {
		where = append(where, openItems)
	}
	for _, f := range []struct{ param, yes, no string }{
		{"unassigned", "w.assignee_id IS NULL", "w.assignee_id IS NOT NULL"},
		{"escalated", "w.escalated_at IS NOT NULL", "w.escalated_at IS NULL"}} {
		switch q.Get(f.param) {
		case "":
		case "true":
			where = append(where, f.yes)
		case "false":
			where = append(where, f.no)
		default:
			return nil, badRequest("%s must be true or false", f.param)
		}
	}
	if v := q.Get("min_amount"); v != "" {
		a, err := money.Parse(v)
		if err != nil {
			return nil, badRequest("min_amount must be an amount such as 100.00")
		}
		where = append(where, "w.amount_at_risk >= "+args.Add(a))
	}
	if v := q.Get("deadline_before"); v != "" {
		d, err := parseDate(v)
		if err != nil {
			return nil, badRequest("deadline_before must be a date YYYY-MM-DD")
		}
		where = append(where, "w.appeal_deadline < "+args.Add(d.Format(time.DateOnly))+"::date")
	}
	switch v := q.Get("deadline"); v {
	case "":
	case "overdue":
		where = append(where, deadlineOpen, "w.appeal_deadline < "+args.Add(today.Time().Format(time.DateOnly))+"::date")
	case "due_soon":
		// On the list's sort expression (a deadline never met reads as
		// infinity, outside any range that ends): the practice's open-order
		// index (0027) then reads the range in order and stops at the page,
		// where a range on appeal_deadline itself fetched every item due soon
		// to sort them (230 ms over 1,000,000 open items, BENCHMARKS).
		t := args.Add(today.Time().Format(time.DateOnly))
		where = append(where, deadlineOpen, deadlineSort+" >= "+t+"::date",
			deadlineSort+" <= "+t+"::date + (SELECT appeal_warning_days FROM work_settings WHERE id)")
	default:
		return nil, badRequest("deadline must be overdue or due_soon")
	}
	return where, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

type itemRow struct {
	K string `db:"k"`
	WorkItem
}

// listItems answers a page of work items matching where (plus the query
// string's filters and the caller's scope).
func (c *call) listItems(where []string, args auth.Args) error {
	return c.listItemsThen(where, args, nil)
}

// listItemsThen is listItems; ifEmpty, when set, runs before an empty page
// is answered and may answer an error instead.
func (c *call) listItemsThen(where []string, args auth.Args, ifEmpty func() error) error {
	q := c.r.URL.Query()
	p, err := newPager(q, itemSorts...)
	if err != nil {
		return err
	}
	more, err := itemFilters(q, &args, day.Of(c.s.opts.Now().UTC()))
	if err != nil {
		return err
	}
	where = append(where, more...)
	where = append(where, c.id.Where("w.practice_id", "w.provider_npi", &args))
	if k := p.where("w.id", &args); k != "" {
		where = append(where, k)
	}
	query := "SELECT " + p.keyCol() + " AS k, " + itemCols + " FROM work_items w WHERE " + strings.Join(where, " AND ") + p.orderLimit("w.id")
	var rows []itemRow
	if err := c.s.db.SelectContext(c.r.Context(), &rows, query, args...); err != nil {
		return err
	}
	if len(rows) == 0 && ifEmpty != nil {
		if err := ifEmpty(); err != nil {
			return err
		}
	}
	n, next := p.next(len(rows), func(i int) (string, int64) { return rows[i].K, rows[i].ID })
	out := Page[WorkItem]{Items: make([]WorkItem, n), NextCursor: next}
	flag := make([]*WorkItem, n)
	for i := range n {
		out.Items[i] = rows[i].WorkItem
		out.Items[i].Resolution = "" // PHI: on the item's PHI route only
		flag[i] = &out.Items[i]
	}
	if err := c.flagDeadlines(c.s.db, flag...); err != nil {
		return err
	}
	if err := c.auditList("work_item.list", "work_item", func(i int) int64 { return rows[i].PracticeID },
		func(i int) int64 { return rows[i].ID }, n, nil); err != nil {
		return err
	}
	return c.json(http.StatusOK, out)
}

// GET /v1/work-items
func (c *call) getWorkItems() error { return c.listItems(nil, nil) }

func npiShape(s string) bool {
	if len(s) != 10 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// GET /v1/my/work-items: the caller's open items by priority; snoozed items
// only with ?include_pended=true.
func (c *call) getMyWork() error {
	var args auth.Args
	where := []string{"w.assignee_id = " + args.Add(c.id.UserID), openItems}
	if c.r.URL.Query().Get("include_pended") != "true" {
		where = append(where, "w.status <> 'pended'")
	}
	q := c.r.URL.Query()
	if q.Get("assignee_id") != "" || q.Get("status") != "" || q.Get("open") != "" {
		return badRequest("my work takes no assignee_id, status or open filter")
	}
	return c.listItems(where, args)
}

// GET /v1/queues/{id}/work-items: a queue's open items by priority.
func (c *call) getQueueItems() error {
	qid, err := c.pathID("id")
	if err != nil {
		return err
	}
	if c.r.URL.Query().Get("queue_id") != "" {
		return badRequest("the queue is in the path")
	}
	var args auth.Args
	// The items are filtered by scope; a queue out of scope (or missing)
	// answers 404 rather than an empty page, checked only when the page is
	// empty (one round trip less for the common case).
	return c.listItemsThen([]string{"w.queue_id = " + args.Add(qid)}, args, func() error {
		_, err := c.queuePractice(qid)
		return err
	})
}

// queuePractice returns a queue's practice when the caller sees any part of
// it, else errNotFound.
func (c *call) queuePractice(qid int64) (int64, error) {
	var pid int64
	err := c.s.db.QueryRowxContext(c.r.Context(), `SELECT practice_id FROM queues WHERE id = $1`, qid).Scan(&pid)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !c.seesAnyOf(pid)) {
		return 0, errNotFound
	}
	return pid, err
}

// seesAnyOf reports whether the caller sees the practice or one of its
// providers.
func (c *call) seesAnyOf(practiceID int64) bool {
	if c.id.All() {
		return true
	}
	for _, s := range c.id.Scopes {
		if s.PracticeID == practiceID {
			return true
		}
	}
	return false
}

// loadItem reads one work item in the caller's scope (FOR UPDATE when
// lock, inside a transaction); errNotFound otherwise.
// lockVersion loads the item id in the caller's scope, locked for the
// transaction, and refuses it as stale (with staleStatus, from
// expectedVersion) unless it is at version want.
func (c *call) lockVersion(tx queryer, id int64, want, staleStatus int) (*WorkItem, error) {
	it, err := c.loadItem(id, true, tx)
	if err != nil {
		return nil, err
	}
	if it.Version != want {
		return nil, staleError(staleStatus)
	}
	return it, nil
}

// mayWork refuses a biller's change to an item assigned to someone else.
func (c *call) mayWork(it *WorkItem) error {
	if c.id.Role == auth.Biller && it.AssigneeID != nil && *it.AssigneeID != c.id.UserID {
		return errf(http.StatusForbidden, "forbidden", "the item is assigned to someone else")
	}
	return nil
}

func (c *call) loadItem(id int64, lock bool, tx queryer) (*WorkItem, error) {
	var args auth.Args
	query := "SELECT " + itemCols + " FROM work_items w WHERE w.id = " + args.Add(id) + " AND " +
		c.id.Where("w.practice_id", "w.provider_npi", &args)
	if lock {
		query += " FOR UPDATE"
	}
	var it WorkItem
	err := tx.GetContext(c.r.Context(), &it, query, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, err
	}
	if err := c.flagDeadlines(tx, &it); err != nil {
		return nil, err
	}
	return &it, nil
}

func etag(version int) string { return `"` + strconv.Itoa(version) + `"` }

// withoutFreeText blanks the item's free text about the patient
// (resolution) for a caller without work.phi: the answers of writes, on
// routes that are not PHI reads.
func (c *call) withoutFreeText(it *WorkItem) *WorkItem {
	if it != nil && !c.id.Can(auth.WorkPHI) {
		it.Resolution = ""
	}
	return it
}

// GET /v1/work-items/{id}: the item with its claim view (PHI, audited).
func (c *call) getWorkItem() error {
	id, err := c.pathID("id")
	if err != nil {
		return err
	}
	it, err := c.loadItem(id, false, c.s.db)
	if err != nil {
		return err
	}
	out := struct {
		*WorkItem
		Claim *ClaimView `json:"claim"`
		// History is the patient's prior procedures in the same spinal
		// region (12 months, in the caller's scope).
		History *History `json:"history"`
		// BilledClaim is the claim as billed, each line beside the paid
		// lines that settle it: what a claim-level denial (no SVC) is
		// read against.
		BilledClaim *BilledClaimView `json:"billed_claim"`
		// Evidence, for frequency and authorization items: the prior
		// procedures of the region and the auths on file, as the rules
		// history and the sharing policy give them (evidence.go).
		Evidence  *Evidence `json:"evidence,omitempty"`
		ItemRoute           // appealable, route (appealable.go)
	}{WorkItem: it, ItemRoute: itemRoute(it)}
	if it.ClaimPaymentID != nil {
		if out.Claim, err = c.s.claimView(c.r.Context(), *it.ClaimPaymentID, nil); err != nil && !errors.Is(err, errNotFound) {
			return err
		}
	}
	if out.Claim != nil {
		out.Claim.markFocus(it.ServiceLineID)
	}
	if out.History, err = c.s.priorProcedures(c.r.Context(), c.id, it); err != nil {
		return err
	}
	if it.BilledClaimID != nil {
		if out.BilledClaim, err = c.s.billedClaimView(c.r.Context(), *it.BilledClaimID, c.id); err != nil && !errors.Is(err, errNotFound) {
			return err
		}
		if out.BilledClaim != nil {
			out.BilledClaim.markFocus(it.BilledLineID)
		}
	}
	if it.Category == string(carc.FrequencyLimit) || it.Category == string(carc.Authorization) {
		if out.Evidence, err = c.s.evidence(c.r.Context(), it); err != nil {
			return err
		}
	}
	if err := c.audit(c.entry("work_item.view", "work_item", it.ID, it.PracticeID, nil)); err != nil {
		return err
	}
	c.w.Header().Set("ETag", etag(it.Version))
	return c.json(http.StatusOK, out)
}

// expectedVersion reads If-Match ("3", W/ not accepted) or the body's
// version; 428 when neither is given.
func (c *call) expectedVersion(body *int) (int, int, error) {
	if im := strings.TrimSpace(c.r.Header.Get("If-Match")); im != "" {
		v, err := strconv.Atoi(strings.Trim(im, `"`))
		if err != nil {
			return 0, 0, errf(http.StatusPreconditionFailed, "precondition_failed", `If-Match must be the item's ETag, such as "3"`)
		}
		return v, http.StatusPreconditionFailed, nil
	}
	if body != nil {
		return *body, http.StatusConflict, nil
	}
	return 0, 0, errf(http.StatusPreconditionRequired, "precondition_required",
		"send the version you read, as If-Match: \"<version>\" or \"version\" in the body, so no one's change is overwritten")
}

func staleError(status int) error {
	return errf(status, "version_conflict", "the item was changed by someone else since you read it; read it again")
}

// patchBody is a status move.
type patchBody struct {
	Status      string   `json:"status"`
	AppealedOn  *day.Day `json:"appealed_on,omitempty"`
	Resolution  *string  `json:"resolution,omitempty"`
	PendedUntil *day.Day `json:"pended_until,omitempty"`
	Version     *int     `json:"version,omitempty"`
	// OverrideReason records an appeal dated after the appeal deadline
	// (refused without it); audited.
	OverrideReason *string `json:"override_reason,omitempty"`
	// Outcome and AmountRecovered go with status resolved: what the work
	// recovered (paid_in_full, partial, upheld), for the appeal recovery
	// KPI.
	Outcome         *string       `json:"outcome,omitempty"`
	AmountRecovered *money.Amount `json:"amount_recovered,omitempty"`
}

// outcomes are the resolution outcomes (0020).
var outcomes = []string{"paid_in_full", "partial", "upheld"}

// checkOutcome validates a resolution's outcome and amount recovered.
func checkOutcome(outcome *string, amount *money.Amount) error {
	if outcome == nil {
		if amount != nil {
			return badRequest("amount_recovered goes with an outcome (paid_in_full, partial, upheld)")
		}
		return nil
	}
	if !contains(outcomes, *outcome) {
		return badRequest("outcome must be one of %s", strings.Join(outcomes, ", "))
	}
	switch {
	case amount != nil && *amount < 0:
		return badRequest("amount_recovered must not be negative")
	case *outcome == "upheld" && amount != nil && *amount != 0:
		return badRequest("an upheld denial recovered nothing: amount_recovered must be 0 or left out")
	case *outcome != "upheld" && (amount == nil || *amount <= 0):
		return badRequest("outcome %s needs amount_recovered, the amount the payer paid on it", *outcome)
	}
	return nil
}

// recoveryBound is the most a resolution or its appeals can have
// recovered on the item: what was at risk before anything was recovered
// (at risk + recovered), else (none known) its billed amount; 0 when
// nothing is known, and then no amount is taken.
func recoveryBound(it *WorkItem) money.Amount {
	if b := it.AmountAtRisk + it.RecoveredAmount; b > 0 {
		return b
	}
	return it.BilledAmount
}

// checkRecovered refuses an amount recovered (with earlier, what the
// item's other won appeal levels recorded) over recoveryBound: a typo
// (6000.00 for 60.00) that would count in the appeal recovery KPI.
func checkRecovered(it *WorkItem, amount, earlier money.Amount) error {
	bound := recoveryBound(it)
	switch {
	case amount <= 0:
		return nil
	case bound <= 0:
		return errf(http.StatusUnprocessableEntity, "recovered_over_billed",
			"amount_recovered %s: nothing was at risk or billed on this item, so nothing can be recovered on it", amount)
	case amount+earlier > bound:
		msg := fmt.Sprintf("amount_recovered %s is more than could be recovered on this item (%s at risk before any recovery, "+
			"or billed when that is unknown)", amount, bound)
		if earlier > 0 {
			msg += fmt.Sprintf("; its other won appeal levels recorded %s", earlier)
		}
		return errf(http.StatusUnprocessableEntity, "recovered_over_billed", "%s", msg)
	}
	return nil
}

// maxOverrideReason is the longest override_reason, in characters.
const maxOverrideReason = 500

// moveTargets are the statuses a person may move an item to.
var moveTargets = []string{"in_progress", "pended", "appealed", "resubmitted", "written_off", "resolved"}

// PATCH /v1/work-items/{id}: move status, snooze, appeal, write off,
// resolve; optimistic concurrency by version.
func (c *call) patchWorkItem() error {
	id, err := c.pathID("id")
	if err != nil {
		return err
	}
	var b patchBody
	if err := c.decode(&b); err != nil {
		return err
	}
	want, staleStatus, err := c.expectedVersion(b.Version)
	if err != nil {
		return err
	}
	today := day.Of(c.s.opts.Now())
	if !contains(moveTargets, b.Status) {
		return badRequest("status must be one of %s", strings.Join(moveTargets, ", "))
	}
	switch b.Status {
	case "pended":
		if b.PendedUntil == nil || b.PendedUntil.IsZero() || !b.PendedUntil.Time().After(today.Time()) {
			return badRequest("snoozing (pended) needs pended_until, a date after today")
		}
	case "appealed":
		if b.AppealedOn == nil || b.AppealedOn.IsZero() || b.AppealedOn.Time().After(today.Time()) {
			return badRequest("appealed needs appealed_on, the date the appeal was sent (not in the future)")
		}
	case "written_off":
		if b.Resolution == nil || strings.TrimSpace(*b.Resolution) == "" {
			return badRequest("written_off needs a resolution: the reason for writing it off")
		}
	}
	if (b.Outcome != nil || b.AmountRecovered != nil) && b.Status != "resolved" {
		return badRequest("outcome and amount_recovered go with status resolved")
	}
	if err := checkOutcome(b.Outcome, b.AmountRecovered); err != nil {
		return err
	}
	if b.PendedUntil != nil && b.Status != "pended" {
		return badRequest("pended_until goes with status pended")
	}
	if b.AppealedOn != nil && b.Status != "appealed" {
		return badRequest("appealed_on goes with status appealed")
	}
	if b.Resolution != nil && utf8.RuneCountInString(*b.Resolution) > 2000 {
		return badRequest("resolution may hold at most 2000 characters")
	}
	var override string
	if b.OverrideReason != nil {
		if b.Status != "appealed" {
			return badRequest("override_reason goes with status appealed (an appeal dated after its deadline)")
		}
		override = strings.TrimSpace(*b.OverrideReason)
		if override == "" || utf8.RuneCountInString(override) > maxOverrideReason {
			return badRequest("override_reason must be 1 to %d characters: why the appeal is filed after its deadline", maxOverrideReason)
		}
	}
	ctx := c.r.Context()
	var out WorkItem
	if err := c.inTx(func(tx *sqlx.Tx) error {
		it, err := c.lockVersion(tx, id, want, staleStatus)
		if err != nil {
			return err
		}
		if err := c.mayWork(it); err != nil {
			return err
		}
		if !work.Open(it.Status) && !c.id.Can(auth.WorkAssign) {
			return errf(http.StatusForbidden, "forbidden", "only a supervisor reopens a resolved or written-off item")
		}
		// An appeal dated after the appeal deadline is refused unless the body
		// says why (override_reason).
		late := b.Status == "appealed" && !it.AppealDeadline.IsZero() && b.AppealedOn.Time().After(it.AppealDeadline.Time())
		if late && override == "" {
			days := int(b.AppealedOn.Time().Sub(it.AppealDeadline.Time()).Hours() / 24)
			return errf(http.StatusConflict, "deadline_passed",
				"the appeal deadline was %s; an appeal dated %s is %d days late: send override_reason (why it is filed anyway) to record it",
				it.AppealDeadline.Time().Format(time.DateOnly), b.AppealedOn.Time().Format(time.DateOnly), days)
		}
		if b.Status == "written_off" && it.Status != "written_off" {
			if err := c.writeOffByPatch(tx, it); err != nil {
				return err
			}
		}
		var outcome, recovered any
		if b.Outcome != nil {
			outcome = *b.Outcome
			a := money.Amount(0)
			if b.AmountRecovered != nil {
				a = *b.AmountRecovered
			}
			if err := checkRecovered(it, a, 0); err != nil {
				return err
			}
			recovered = a
		}
		var claim any // a biller who moves an unassigned item takes it
		if c.id.Role == auth.Biller {
			claim = c.id.UserID
		}
		var pended, appealed any
		if b.PendedUntil != nil {
			pended = *b.PendedUntil
		}
		if b.AppealedOn != nil {
			appealed = *b.AppealedOn
		}
		var resolution any
		if b.Resolution != nil {
			resolution = strings.TrimSpace(*b.Resolution)
		}
		if err := tx.GetContext(ctx, &out, `UPDATE work_items w SET status = $2,
			appealed_on = coalesce($3::date, appealed_on), resolution = coalesce($4, resolution), pended_until = $5::date,
			resolved_at = CASE WHEN $2 IN `+work.ClosedList()+` THEN now() END,
			assignee_id = coalesce(assignee_id, $6::bigint),
			assigned_at = CASE WHEN assignee_id IS NULL AND $6::bigint IS NOT NULL THEN now() ELSE assigned_at END,
			resolution_outcome = CASE WHEN $2 = 'resolved' THEN coalesce($7, '') ELSE resolution_outcome END,
			resolution_recovered = CASE WHEN $2 = 'resolved' THEN $8::numeric ELSE resolution_recovered END,
			touched_at = now(), version = version + 1, updated_at = now()
			WHERE id = $1 RETURNING `+itemCols, id, b.Status, appealed, resolution, pended, claim, outcome, recovered); err != nil {
			return err
		}
		var amount any
		if b.Status == "written_off" {
			amount = it.AmountAtRisk
		}
		detail := map[string]any{}
		if b.PendedUntil != nil {
			detail["pended_until"] = b.PendedUntil
		}
		if b.AppealedOn != nil {
			detail["appealed_on"] = b.AppealedOn
		}
		if b.Outcome != nil {
			detail["outcome"], detail["amount_recovered"] = outcome, recovered
			amount = recovered
		}
		auditDetail := map[string]any{"from": it.Status, "to": out.Status, "version": out.Version}
		if b.Outcome != nil {
			auditDetail["outcome"], auditDetail["amount_recovered"] = outcome, recovered
		}
		if late {
			for _, d := range []map[string]any{detail, auditDetail} {
				d["late_appeal"] = true
				d["appeal_deadline"] = it.AppealDeadline
				d["override_reason"] = override
			}
			auditDetail["appealed_on"] = b.AppealedOn
		}
		if err := c.event(tx, id, "status", it.Status, out.Status, amount, detail); err != nil {
			return err
		}
		if err := c.auditTx(tx, c.entry("work_item.update", "work_item", id, it.PracticeID, auditDetail)); err != nil {
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
	return c.json(http.StatusOK, c.withoutFreeText(&out))
}

// event appends a work_item_events row.
func (c *call) event(tx execer, itemID int64, action, from, to string, amount any, detail map[string]any) error {
	d := "{}"
	if len(detail) > 0 {
		b, err := jsonMarshal(detail)
		if err != nil {
			return err
		}
		d = string(b)
	}
	_, err := tx.ExecContext(c.r.Context(), `INSERT INTO work_item_events (work_item_id, actor, action, from_status, to_status, amount, detail)
		VALUES ($1, $2, $3, nullif($4, ''), nullif($5, ''), $6, $7)`, itemID, c.id.Actor(), action, from, to, amount, d)
	return err
}
