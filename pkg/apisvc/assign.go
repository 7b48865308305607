package apisvc

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/work"
)

// MaxAssign bounds the items one assignment request moves.
const MaxAssign = 50000

// assignBody assigns items by id or by a filter (the query parameters of
// GET /v1/work-items, as an object of strings).
type assignBody struct {
	// AssigneeID is the biller (or supervisor); null returns the items to
	// their queue.
	AssigneeID *int64            `json:"assignee_id"`
	IDs        []int64           `json:"ids,omitempty"`
	Filter     map[string]string `json:"filter,omitempty"`
	// Limit takes the first Limit items of the filter by priority.
	Limit int `json:"limit,omitempty"`
}

// assignee reads the target user; it must be active and work items.
func (c *call) assignee(id *int64) (*auth.Identity, error) {
	if id == nil {
		return nil, nil
	}
	u, err := auth.UserByID(c.r.Context(), c.s.db, *id)
	if errors.Is(err, auth.ErrNotFound) {
		return nil, badRequest("assignee %d does not exist", *id)
	}
	if err != nil {
		return nil, err
	}
	if u.Disabled || (u.Role != auth.Biller && u.Role != auth.Supervisor) {
		return nil, badRequest("the assignee must be an active biller or supervisor")
	}
	ident := u.Identity("")
	// The assignee must share a practice with the caller: a supervisor
	// cannot reach users of other clients.
	if !c.id.All() {
		shared := false
		for _, s := range ident.Scopes {
			shared = shared || c.seesAnyOf(s.PracticeID)
		}
		if !shared {
			return nil, badRequest("assignee %d does not exist", *id)
		}
	}
	return ident, nil
}

// assign moves the items matching where (already holding the caller's
// scope) to the assignee, within the assignee's scope too. It returns the
// ids moved.
func (c *call) assign(tx queryer, who *auth.Identity, where []string, args auth.Args, limit int) ([]int64, map[int64]int, error) {
	where = append(where, openItems)
	if who != nil {
		where = append(where, who.Where("w.practice_id", "w.provider_npi", &args))
	}
	var target, status, assignedAt string
	if who != nil {
		target = args.Add(who.UserID) + "::bigint"
		status = `CASE WHEN w.status IN ('new', 'assigned', 'in_progress') THEN 'assigned' ELSE w.status END`
		assignedAt = "now()"
	} else {
		target = "NULL::bigint"
		status = `CASE WHEN w.status IN ('assigned', 'in_progress') THEN 'new' ELSE w.status END`
		assignedAt = "NULL"
	}
	actor := args.Add(c.id.Actor())
	q := `WITH old AS (SELECT w.id, w.status FROM work_items w WHERE ` + strings.Join(where, " AND ") +
		` AND w.assignee_id IS DISTINCT FROM ` + target + ` ORDER BY -w.priority, w.id LIMIT ` + strconv.Itoa(limit) + ` FOR UPDATE),
	upd AS (UPDATE work_items w SET assignee_id = ` + target + `, assigned_at = ` + assignedAt + `, touched_at = NULL,
		status = ` + status + `, version = w.version + 1, updated_at = now()
		FROM old WHERE w.id = old.id RETURNING w.id, w.practice_id, old.status AS from_status, w.status AS to_status),
	ev AS (INSERT INTO work_item_events (work_item_id, actor, action, from_status, to_status, detail)
		SELECT id, ` + actor + `, CASE WHEN ` + target + ` IS NULL THEN 'unassigned' ELSE 'assigned' END, from_status, to_status,
		jsonb_build_object('assignee_id', ` + target + `) FROM upd)
	SELECT id, practice_id FROM upd ORDER BY id`
	rows, err := tx.QueryxContext(c.r.Context(), q, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var ids []int64
	perPractice := map[int64]int{}
	for rows.Next() {
		var id, pid int64
		if err := rows.Scan(&id, &pid); err != nil {
			return nil, nil, err
		}
		ids = append(ids, id)
		perPractice[pid]++
	}
	return ids, perPractice, rows.Err()
}

// POST /v1/work-items/assign
func (c *call) postAssign() error {
	var b assignBody
	if err := c.decode(&b); err != nil {
		return err
	}
	if (len(b.IDs) == 0) == (b.Filter == nil) {
		return badRequest("give either ids or filter")
	}
	if len(b.IDs) > MaxAssign || b.Limit < 0 || b.Limit > MaxAssign {
		return badRequest("at most %d items per request", MaxAssign)
	}
	who, err := c.assignee(b.AssigneeID)
	if err != nil {
		return err
	}
	var args auth.Args
	where := []string{c.id.Where("w.practice_id", "w.provider_npi", &args)}
	limit := MaxAssign
	if len(b.IDs) > 0 {
		where = append(where, "w.id = ANY("+args.Add(pq.Array(b.IDs))+"::bigint[])")
	} else {
		q := url.Values{}
		for k, v := range b.Filter {
			q.Set(k, v)
		}
		var allowed []string
		for _, k := range itemFilterKeys {
			if k != "open" && k != "status" {
				allowed = append(allowed, k)
			}
		}
		if err := checkKeys(q, "filter key", allowed); err != nil {
			return err
		}
		more, err := itemFilters(q, &args, day.Of(c.s.opts.Now().UTC()))
		if err != nil {
			return err
		}
		where = append(where, more...)
		if b.Limit > 0 {
			limit = b.Limit
		}
	}
	ctx := c.r.Context()
	// Items the caller may move but the assignee may not work (another
	// practice, another provider): counted, so the answer says why they
	// stayed instead of a bare "assigned": 0.
	outside := 0
	var ids []int64
	if err := c.inTx(func(tx *sqlx.Tx) error {
		if who != nil {
			oargs := append(auth.Args(nil), args...)
			ow := append(append([]string(nil), where...), openItems, "NOT ("+who.Where("w.practice_id", "w.provider_npi", &oargs)+")")
			if err := tx.GetContext(ctx, &outside, `SELECT count(*) FROM (SELECT 1 FROM work_items w WHERE `+strings.Join(ow, " AND ")+
				` LIMIT `+strconv.Itoa(limit)+`) x`, oargs...); err != nil {
				return err
			}
		}
		var perPractice map[int64]int
		var err error
		ids, perPractice, err = c.assign(tx, who, where, args, limit)
		if err != nil {
			return err
		}
		if len(ids) == 0 && outside > 0 {
			return errf(http.StatusUnprocessableEntity, "assignee_out_of_scope",
				"assignee %d does not work the practice or provider of the %d matching item(s): none was assigned", *b.AssigneeID, outside)
		}
		if err := c.auditAssign(tx, b.AssigneeID, ids, perPractice); err != nil {
			return err
		}
		return nil
	}); err != nil {
		return err
	}
	if ids == nil {
		ids = []int64{}
	}
	out := map[string]any{"assigned": len(ids), "ids": ids}
	if outside > 0 {
		out["skipped"] = outside
		out["reason"] = "the assignee does not work the practice or provider of the skipped items"
	}
	return c.json(http.StatusOK, out)
}

func (c *call) auditAssign(tx execer, assignee *int64, ids []int64, perPractice map[int64]int) error {
	var entries []auditEntry
	for pid, n := range perPractice {
		var eid int64
		if len(ids) == 1 {
			eid = ids[0]
		}
		entries = append(entries, c.entry("work_item.assign", "work_item", eid, pid, map[string]any{"assignee_id": assignee, "count": n}))
	}
	if len(entries) == 0 {
		entries = append(entries, c.entry("work_item.assign", "work_item", 0, 0, map[string]any{"assignee_id": assignee, "count": 0}))
	}
	return c.auditTx(tx, entries...)
}

// PUT /v1/work-items/{id}/assignee {"assignee_id": 7 | null, "version": 3}
// (or If-Match): one item, with optimistic concurrency.
func (c *call) putAssignee() error {
	id, err := c.pathID("id")
	if err != nil {
		return err
	}
	var b struct {
		AssigneeID *int64 `json:"assignee_id"`
		Version    *int   `json:"version,omitempty"`
	}
	if err := c.decode(&b); err != nil {
		return err
	}
	want, staleStatus, err := c.expectedVersion(b.Version)
	if err != nil {
		return err
	}
	var out *WorkItem
	if err := c.inTx(func(tx *sqlx.Tx) error {
		it, err := c.lockVersion(tx, id, want, staleStatus)
		if err != nil {
			return err
		}
		who, err := c.assignee(b.AssigneeID)
		if err != nil {
			return err
		}
		if !work.Open(it.Status) {
			return errf(http.StatusConflict, "closed", "the item is %s; reopen it first", it.Status)
		}
		if who != nil && !who.Sees(it.PracticeID, it.ProviderNPI) {
			return badRequest("the item is outside the assignee's scope")
		}
		var args auth.Args
		ids, per, err := c.assign(tx, who, []string{"w.id = " + args.Add(id)}, args, 1)
		if err != nil {
			return err
		}
		if err := c.auditAssign(tx, b.AssigneeID, ids, per); err != nil {
			return err
		}
		out, err = c.loadItem(id, false, tx)
		return err
	}); err != nil {
		return err
	}
	c.w.Header().Set("ETag", etag(out.Version))
	return c.json(http.StatusOK, out)
}
