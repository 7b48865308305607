package apisvc

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/work"
)

// Aging counts open items by age (workage: days from the remit date), with
// the bucket keys of work.Keys.
type Aging struct {
	D0to30  int `db:"d0_30" json:"0-30"`
	D31to60 int `db:"d31_60" json:"31-60"`
	D61to90 int `db:"d61_90" json:"61-90"`
	Over90  int `db:"d91" json:"90+"`
}

// agingCols aggregates Aging over work_items w, as of $now.
func agingCols(now string) string {
	b := work.BucketSQL("w", now+"::timestamptz")
	return `count(*) FILTER (WHERE ` + b + ` = 0) AS d0_30,
	count(*) FILTER (WHERE ` + b + ` = 1) AS d31_60,
	count(*) FILTER (WHERE ` + b + ` = 2) AS d61_90,
	count(*) FILTER (WHERE ` + b + ` = 3) AS d91`
}

// QueueSummary is a queue with its open work.
type QueueSummary struct {
	ID           int64        `db:"id" json:"id"`
	PracticeID   int64        `db:"practice_id" json:"practice_id"`
	Name         string       `db:"name" json:"name"`
	Description  string       `db:"description" json:"description"`
	Open         int          `db:"open" json:"open"`
	Unassigned   int          `db:"unassigned" json:"unassigned"`
	Escalated    int          `db:"escalated" json:"escalated"`
	AmountAtRisk money.Amount `db:"at_risk" json:"amount_at_risk"`
	Aging        `json:"aging"`
	// AsOf is when the counts were taken: now, or the last sweep's
	// snapshot (at most two sweep intervals old).
	AsOf time.Time `db:"as_of" json:"as_of"`
}

var queueSorts = []sortKey{{name: "id", expr: "q.id", typ: "bigint"}}

// GET /v1/queues?practice_id=&fresh=: queues in scope with counts, dollars
// at risk and aging of their open items (only the items the caller may
// see), from the sweep's snapshot when it is recent, else counted now.
func (c *call) getQueues() error {
	q := c.r.URL.Query()
	p, err := newPager(q, queueSorts...)
	if err != nil {
		return err
	}
	var args auth.Args
	where := []string{c.anyPracticeWhere("q.practice_id", &args)}
	if v := q.Get("practice_id"); v != "" {
		n, err := parseID(v, "practice_id")
		if err != nil {
			return err
		}
		where = append(where, "q.practice_id = "+args.Add(n))
	}
	if k := p.where("q.id", &args); k != "" {
		where = append(where, k)
	}
	var page []struct {
		K           string `db:"k"`
		ID          int64  `db:"id"`
		PracticeID  int64  `db:"practice_id"`
		Name        string `db:"name"`
		Description string `db:"description"`
	}
	ctx := c.r.Context()
	if err := c.s.db.SelectContext(ctx, &page, "SELECT "+p.keyCol()+" AS k, q.id, q.practice_id, q.name, q.description FROM queues q WHERE "+
		strings.Join(where, " AND ")+p.orderLimit("q.id"), args...); err != nil {
		return err
	}
	n, next := p.next(len(page), func(i int) (string, int64) { return page[i].K, page[i].ID })
	out := Page[QueueSummary]{Items: make([]QueueSummary, n), NextCursor: next}
	ids := make([]int64, n)
	byID := map[int64]*QueueSummary{}
	for i := range n {
		out.Items[i] = QueueSummary{ID: page[i].ID, PracticeID: page[i].PracticeID, Name: page[i].Name, Description: page[i].Description}
		ids[i] = page[i].ID
		byID[ids[i]] = &out.Items[i]
	}
	if n > 0 {
		var sargs auth.Args
		now := c.s.opts.Now()
		qids := sargs.Add(pq.Array(ids))
		var stats []struct {
			QueueID int64 `db:"queue_id"`
			QueueSummary
		}
		var query string
		if asOf, ok := c.s.statsAsOf(ctx); ok && q.Get("fresh") != "true" {
			query = `SELECT s.queue_id, sum(s.open) AS open, sum(s.unassigned) AS unassigned, sum(s.escalated) AS escalated,
				sum(s.at_risk) AS at_risk, sum(s.d0_30) AS d0_30, sum(s.d31_60) AS d31_60, sum(s.d61_90) AS d61_90, sum(s.d91) AS d91,
				` + sargs.Add(asOf) + `::timestamptz AS as_of
				FROM work_queue_stats s WHERE s.queue_id = ANY(` + qids + `::bigint[]) AND ` +
				c.id.Where("s.practice_id", "s.provider_npi", &sargs) + ` GROUP BY s.queue_id`
		} else {
			nowP := sargs.Add(now)
			query = `SELECT w.queue_id, count(*) AS open,
				count(*) FILTER (WHERE w.assignee_id IS NULL) AS unassigned,
				count(*) FILTER (WHERE w.escalated_at IS NOT NULL) AS escalated,
				coalesce(sum(w.amount_at_risk), 0) AS at_risk, ` + agingCols(nowP) + `, ` + nowP + `::timestamptz AS as_of
				FROM work_items w WHERE w.queue_id = ANY(` + qids + `::bigint[]) AND ` + openItems + ` AND ` +
				c.id.Where("w.practice_id", "w.provider_npi", &sargs) + ` GROUP BY w.queue_id`
		}
		if err := c.s.db.SelectContext(ctx, &stats, query, sargs...); err != nil {
			return err
		}
		for i := range out.Items {
			out.Items[i].AsOf = now
		}
		for _, s := range stats {
			if q := byID[s.QueueID]; q != nil {
				s.QueueSummary.ID, s.QueueSummary.PracticeID, s.QueueSummary.Name, s.QueueSummary.Description = q.ID, q.PracticeID, q.Name, q.Description
				*q = s.QueueSummary
			}
		}
	}
	return c.json(http.StatusOK, out)
}

// statsAsOf returns when the queue-stats snapshot was taken, and whether
// it is recent enough to answer from (sweeps running, at most two intervals
// old).
func (s *Service) statsAsOf(ctx context.Context) (time.Time, bool) {
	if s.opts.SweepInterval <= 0 {
		return time.Time{}, false
	}
	// The snapshot changes once a sweep: its time is kept for a few seconds.
	s.statsMu.Lock()
	at, read := s.statsAt, s.statsRead
	s.statsMu.Unlock()
	if now := time.Now(); now.Sub(read) > statsAsOfTTL {
		var db *time.Time
		if err := s.db.QueryRowxContext(ctx, `SELECT max(computed_at) FROM work_queue_stats`).Scan(&db); err != nil {
			return time.Time{}, false
		}
		at = time.Time{}
		if db != nil {
			at = *db
		}
		s.statsMu.Lock()
		s.statsAt, s.statsRead = at, now
		s.statsMu.Unlock()
	}
	return at, !at.IsZero() && s.opts.Now().Sub(at) <= 2*s.opts.SweepInterval
}

// statsAsOfTTL is how long statsAsOf keeps the snapshot's time.
const statsAsOfTTL = 5 * time.Second

// refreshQueueStats rebuilds the snapshot in one transaction (readers see
// the old one until it commits); an instance that finds another one
// refreshing skips.
func (s *Service) refreshQueueStats(ctx context.Context) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var got bool
	if err := tx.QueryRowxContext(ctx, `SELECT pg_try_advisory_xact_lock($1)`, queueStatsLockKey).Scan(&got); err != nil || !got {
		return err
	}
	s.statsMu.Lock()
	s.statsRead = time.Time{} // read the new time after this refresh
	s.statsMu.Unlock()
	if _, err := tx.ExecContext(ctx, `DELETE FROM work_queue_stats`); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO work_queue_stats (queue_id, practice_id, provider_npi, open, unassigned,
		escalated, at_risk, d0_30, d31_60, d61_90, d91, computed_at)
		SELECT w.queue_id, w.practice_id, w.provider_npi, count(*), count(*) FILTER (WHERE w.assignee_id IS NULL),
		count(*) FILTER (WHERE w.escalated_at IS NOT NULL), coalesce(sum(w.amount_at_risk), 0), `+agingCols("$1")+`, $1
		FROM work_items w WHERE `+openItems+` AND w.queue_id IS NOT NULL GROUP BY 1, 2, 3`, s.opts.Now()); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	s.statsMu.Lock()
	s.statsRead = time.Time{}
	s.statsMu.Unlock()
	return nil
}

// queueStatsLockKey is the advisory lock of refreshQueueStats ("remitq"
// 0x0007).
const queueStatsLockKey int64 = 0x72656d6974710007

// anyPracticeWhere keeps rows of practices the caller sees at least in
// part (a provider scope is enough): queues, rules and users are per
// practice, their items are filtered further.
func (c *call) anyPracticeWhere(col string, args *auth.Args) string {
	if c.id.All() {
		return "TRUE"
	}
	var ids []int64
	for _, s := range c.id.Scopes {
		ids = append(ids, s.PracticeID)
	}
	if len(ids) == 0 {
		return "FALSE"
	}
	return col + " = ANY(" + args.Add(pq.Array(ids)) + "::bigint[])"
}
