package apisvc

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/work"
	"github.com/remitq/remitq/pkg/workstore"
)

// Member is a biller's (or supervisor's) work as a supervisor sees it:
// only items in the supervisor's scope count.
type Member struct {
	UserID       int64        `json:"user_id"`
	Email        string       `json:"email"`
	Name         string       `json:"name"`
	Role         string       `json:"role"`
	Open         int          `json:"open"`
	Escalated    int          `json:"escalated"`
	AmountAtRisk money.Amount `json:"amount_at_risk"`
	Aging        Aging        `json:"aging"`
	// AsOf is when open, escalated, amount_at_risk and aging were counted:
	// the sweep's snapshot, or now with ?fresh=true.
	AsOf time.Time `json:"as_of"`
	// Over the period: items resolved or written off, per day on average
	// (calendar days), and the dollars recovered on the items resolved.
	Resolved       int          `json:"resolved"`
	WrittenOff     int          `json:"written_off"`
	ResolvedPerDay float64      `json:"resolved_per_day"`
	Recovered      money.Amount `json:"recovered"`
	Daily          []Day        `json:"daily"`
}

// Day is one day of a member's throughput.
type Day struct {
	Day       day.Day      `json:"day"`
	Resolved  int          `json:"resolved"`
	Recovered money.Amount `json:"recovered"`
}

var memberSorts = []sortKey{{name: "id", expr: "u.id", typ: "bigint"}}

// GET /v1/team?days=30&practice_id=&fresh=: each biller's open work,
// throughput and aging. The open work is the sweep's snapshot (as_of)
// unless fresh=true; the throughput is always counted live (closed items,
// an index range per person).
func (c *call) getTeam() error {
	q := c.r.URL.Query()
	p, err := newPager(q, memberSorts...)
	if err != nil {
		return err
	}
	days := 30
	if v := q.Get("days"); v != "" {
		if days, err = strconv.Atoi(v); err != nil || days < 1 || days > 366 {
			return badRequest("days must be 1..366")
		}
	}
	var args auth.Args
	where := []string{"u.role IN ('biller', 'supervisor')", "NOT u.disabled"}
	if !c.id.All() {
		where = append(where, "EXISTS (SELECT 1 FROM user_scopes s WHERE s.user_id = u.id AND "+c.anyPracticeWhere("s.practice_id", &args)+")")
	}
	var practice int64
	if v := q.Get("practice_id"); v != "" {
		n, err := parseID(v, "practice_id")
		if err != nil {
			return err
		}
		// Another client's team is no business of the caller's: asking for
		// it listed every colleague who also works there.
		if !c.seesAnyOf(n) {
			return errNotFound
		}
		practice = n
		where = append(where, "EXISTS (SELECT 1 FROM user_scopes s WHERE s.user_id = u.id AND s.practice_id = "+args.Add(n)+")")
	}
	if k := p.where("u.id", &args); k != "" {
		where = append(where, k)
	}
	var users []struct {
		K     string `db:"k"`
		ID    int64  `db:"id"`
		Email string `db:"email"`
		Name  string `db:"name"`
		Role  string `db:"role"`
	}
	ctx := c.r.Context()
	if err := c.s.db.SelectContext(ctx, &users, "SELECT "+p.keyCol()+" AS k, u.id, u.email, u.name, u.role FROM users u WHERE "+
		strings.Join(where, " AND ")+p.orderLimit("u.id"), args...); err != nil {
		return err
	}
	n, next := p.next(len(users), func(i int) (string, int64) { return users[i].K, users[i].ID })
	out := Page[Member]{Items: make([]Member, n), NextCursor: next}
	ids := make([]int64, n)
	by := map[int64]*Member{}
	for i := range n {
		out.Items[i] = Member{UserID: users[i].ID, Email: users[i].Email, Name: users[i].Name, Role: users[i].Role, Daily: []Day{}}
		ids[i] = users[i].ID
		by[ids[i]] = &out.Items[i]
	}
	if n == 0 {
		return c.json(http.StatusOK, out)
	}
	now := c.s.opts.Now()
	// The figures of a practice filter are that practice's work only.
	practiceCond := func(args *auth.Args) string {
		if practice == 0 {
			return ""
		}
		return " AND w.practice_id = " + args.Add(practice)
	}
	// The workload: from the sweep's snapshot (workstore.RefreshSnapshot,
	// as of its time) unless ?fresh=true or no recent snapshot; counted
	// live from the items otherwise.
	st, scope := workstore.New(c.s.db), workstore.Scope(c.id.Where)
	asOf, snap := c.s.statsAsOf(ctx)
	if !snap || q.Get("fresh") == "true" {
		asOf, snap = now, false
	}
	open, err := st.AssigneeCounts(ctx, ids, practice, asOf, scope, snap)
	if err != nil {
		return err
	}
	for i := range out.Items {
		out.Items[i].AsOf = asOf
	}
	for _, o := range open {
		m := by[o.AssigneeID]
		m.Open, m.Escalated, m.AmountAtRisk, m.Aging = o.Open, o.Escalated, o.AmountAtRisk, o.Aging
	}
	from := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, -days+1)
	var targs auth.Args
	var done []struct {
		AssigneeID int64        `db:"assignee_id"`
		Day        day.Day      `db:"day"`
		Resolved   int          `db:"resolved"`
		WrittenOff int          `db:"written_off"`
		Recovered  money.Amount `db:"recovered"`
	}
	if err := c.s.db.SelectContext(ctx, &done, `SELECT w.assignee_id, (w.resolved_at AT TIME ZONE 'UTC')::date AS day,
		count(*) FILTER (WHERE w.status = 'resolved') AS resolved, count(*) FILTER (WHERE w.status = 'written_off') AS written_off,
		coalesce(sum(w.recovered_amount) FILTER (WHERE w.status = 'resolved'), 0) AS recovered
		FROM work_items w WHERE w.assignee_id = ANY(`+targs.Add(pq.Array(ids))+`::bigint[]) AND w.resolved_at >= `+targs.Add(from)+
		` AND `+work.ClosedSQL("w")+` AND `+c.id.Where("w.practice_id", "w.provider_npi", &targs)+practiceCond(&targs)+
		` GROUP BY 1, 2 ORDER BY 1, 2`, targs...); err != nil {
		return err
	}
	for _, d := range done {
		m := by[d.AssigneeID]
		m.Resolved += d.Resolved
		m.WrittenOff += d.WrittenOff
		m.Recovered += d.Recovered
		m.Daily = append(m.Daily, Day{Day: d.Day, Resolved: d.Resolved, Recovered: d.Recovered})
	}
	for i := range out.Items {
		out.Items[i].ResolvedPerDay = float64(out.Items[i].Resolved) / float64(days)
	}
	return c.json(http.StatusOK, out)
}
