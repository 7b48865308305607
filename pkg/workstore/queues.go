package workstore

import (
	"context"
	"strconv"
	"time"

	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/work"
)

// Bucket is a count and the dollars at risk of a group of open items.
type Bucket struct {
	Key          string       `json:"key"`
	Name         string       `json:"name,omitempty"`
	Items        int          `json:"items"`
	AmountAtRisk money.Amount `json:"amount_at_risk"`
}

// Aging counts open items by age (work.Bucket: days from the remit date),
// under the bucket keys of work.Keys.
type Aging struct {
	D0to30  int `db:"d0_30" json:"0-30"`
	D31to60 int `db:"d31_60" json:"31-60"`
	D61to90 int `db:"d61_90" json:"61-90"`
	Over90  int `db:"d91" json:"90+"`
}

// AgingColumns aggregates Aging over the work_items rows w as of asOf (an
// SQL expression of a timestamptz): the columns d0_30, d31_60, d61_90, d91.
func AgingColumns(asOf string) string {
	b := work.BucketSQL("w", asOf+"::timestamptz")
	return `count(*) FILTER (WHERE ` + b + ` = 0) AS d0_30,
	count(*) FILTER (WHERE ` + b + ` = 1) AS d31_60,
	count(*) FILTER (WHERE ` + b + ` = 2) AS d61_90,
	count(*) FILTER (WHERE ` + b + ` = 3) AS d91`
}

// QueueSummary is a queue with its open work (work.Open): the one summary
// of GET /v1/queues and GET /v1/practices/{practice}/queues. The views by
// category, payer and provider, largest dollars at risk first, are filled
// by PracticeQueues only (omitted from the JSON otherwise).
type QueueSummary struct {
	ID           int64        `db:"id" json:"id"`
	PracticeID   int64        `db:"practice_id" json:"practice_id"`
	Name         string       `db:"name" json:"name"`
	Description  string       `db:"description" json:"description"`
	Open         int          `json:"open"`
	Unassigned   int          `json:"unassigned"`
	Escalated    int          `json:"escalated"`
	AmountAtRisk money.Amount `json:"amount_at_risk"`
	Aging        Aging        `json:"aging"`
	ByCategory   []Bucket     `json:"by_category,omitzero"`
	ByPayer      []Bucket     `json:"by_payer,omitzero"`
	ByProvider   []Bucket     `json:"by_provider,omitzero"`
	// AsOf is when the counts were taken: now, or the sweep's snapshot.
	AsOf time.Time `json:"as_of"`
}

// Scope narrows the items counted to a caller's (auth.Identity.Where); nil
// counts every item.
type Scope func(practiceCol, providerCol string, args *auth.Args) string

func (sc Scope) where(practiceCol, providerCol string, args *auth.Args) string {
	if sc == nil {
		return "TRUE"
	}
	return sc(practiceCol, providerCol, args)
}

// counts are the columns every count of open items selects.
type counts struct {
	QueueID      int64        `db:"queue_id"`
	Open         int          `db:"open"`
	Unassigned   int          `db:"unassigned"`
	Escalated    int          `db:"escalated"`
	AmountAtRisk money.Amount `db:"at_risk"`
	Aging
}

func (c *counts) into(q *QueueSummary) {
	q.Open, q.Unassigned, q.Escalated, q.AmountAtRisk, q.Aging = c.Open, c.Unassigned, c.Escalated, c.AmountAtRisk, c.Aging
}

// Count fills the counts of the summaries (by their ID) with their open
// items in scope as of asOf, counted now.
func (s *Store) Count(ctx context.Context, qs []QueueSummary, asOf time.Time, scope Scope) error {
	var args auth.Args
	ids := summaryIDs(qs)
	qids, now := args.Add(pq.Array(ids)), args.Add(asOf)
	var rows []counts
	if err := s.DB.SelectContext(ctx, &rows, `SELECT w.queue_id, count(*) AS open,
		count(*) FILTER (WHERE w.assignee_id IS NULL) AS unassigned,
		count(*) FILTER (WHERE w.escalated_at IS NOT NULL) AS escalated,
		coalesce(sum(w.amount_at_risk), 0) AS at_risk, `+AgingColumns(now)+`
		FROM work_items w WHERE w.queue_id = ANY(`+qids+`::bigint[]) AND `+work.OpenSQL("w")+` AND `+
		scope.where("w.practice_id", "w.provider_npi", &args)+` GROUP BY w.queue_id`, args...); err != nil {
		return err
	}
	fill(qs, rows, asOf)
	return nil
}

// CountSnapshot is Count from the sweep's snapshot taken at (see
// SnapshotAt): the counts are as of then.
func (s *Store) CountSnapshot(ctx context.Context, qs []QueueSummary, at time.Time, scope Scope) error {
	var args auth.Args
	qids := args.Add(pq.Array(summaryIDs(qs)))
	var rows []counts
	if err := s.DB.SelectContext(ctx, &rows, `SELECT s.queue_id, sum(s.open) AS open, sum(s.unassigned) AS unassigned,
		sum(s.escalated) AS escalated, sum(s.at_risk) AS at_risk, sum(s.d0_30) AS d0_30, sum(s.d31_60) AS d31_60,
		sum(s.d61_90) AS d61_90, sum(s.d91) AS d91
		FROM work_queue_stats s WHERE s.queue_id = ANY(`+qids+`::bigint[]) AND `+
		scope.where("s.practice_id", "s.provider_npi", &args)+` GROUP BY s.queue_id`, args...); err != nil {
		return err
	}
	fill(qs, rows, at)
	return nil
}

func summaryIDs(qs []QueueSummary) []int64 {
	ids := make([]int64, len(qs))
	for i := range qs {
		ids[i] = qs[i].ID
	}
	return ids
}

func fill(qs []QueueSummary, rows []counts, asOf time.Time) {
	byID := make(map[int64]*QueueSummary, len(qs))
	for i := range qs {
		qs[i].AsOf = asOf
		byID[qs[i].ID] = &qs[i]
	}
	for i := range rows {
		if q := byID[rows[i].QueueID]; q != nil {
			rows[i].into(q)
		}
	}
}

// SnapshotAt is when the queue-stats snapshot was taken (zero: none).
func (s *Store) SnapshotAt(ctx context.Context) (time.Time, error) {
	var at *time.Time
	if err := s.DB.QueryRowxContext(ctx, `SELECT max(computed_at) FROM work_queue_stats`).Scan(&at); err != nil {
		return time.Time{}, err
	}
	if at == nil {
		return time.Time{}, nil
	}
	return *at, nil
}

// snapshotLockKey is the advisory lock of RefreshSnapshot ("remitq"
// 0x0007).
const snapshotLockKey int64 = 0x72656d6974710007

// RefreshSnapshot rebuilds the queue-stats snapshot and the team's
// (work_assignee_stats, AssigneeCounts) as of now in one
// transaction (readers see the old one until it commits); it reports false
// when another instance was refreshing it and this one skipped.
func (s *Store) RefreshSnapshot(ctx context.Context, now time.Time) (bool, error) {
	tx, err := s.DB.BeginTxx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var got bool
	if err := tx.QueryRowxContext(ctx, `SELECT pg_try_advisory_xact_lock($1)`, snapshotLockKey).Scan(&got); err != nil || !got {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM work_queue_stats`); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO work_queue_stats (queue_id, practice_id, provider_npi, open, unassigned,
		escalated, at_risk, d0_30, d31_60, d61_90, d91, computed_at)
		SELECT w.queue_id, w.practice_id, w.provider_npi, count(*), count(*) FILTER (WHERE w.assignee_id IS NULL),
		count(*) FILTER (WHERE w.escalated_at IS NOT NULL), coalesce(sum(w.amount_at_risk), 0), `+AgingColumns("$1")+`, $1
		FROM work_items w WHERE `+work.OpenSQL("w")+` AND w.queue_id IS NOT NULL GROUP BY 1, 2, 3`, now); err != nil {
		return false, err
	}
	// The team's counts (AssigneeCounts), in the same snapshot.
	if _, err := tx.ExecContext(ctx, `DELETE FROM work_assignee_stats`); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO work_assignee_stats (assignee_id, practice_id, provider_npi, open, escalated,
		at_risk, d0_30, d31_60, d61_90, d91, computed_at)
		SELECT w.assignee_id, w.practice_id, w.provider_npi, count(*), count(*) FILTER (WHERE w.escalated_at IS NOT NULL),
		coalesce(sum(w.amount_at_risk), 0), `+AgingColumns("$1")+`, $1
		FROM work_items w WHERE `+work.OpenSQL("w")+` AND w.assignee_id IS NOT NULL GROUP BY 1, 2, 3`, now); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// AssigneeCount is one person's open work (work.Open items assigned to
// them): GET /v1/team's workload.
type AssigneeCount struct {
	AssigneeID   int64        `db:"assignee_id"`
	Open         int          `db:"open"`
	Escalated    int          `db:"escalated"`
	AmountAtRisk money.Amount `db:"at_risk"`
	Aging
}

// AssigneeCounts counts the open items assigned to ids, in scope and of
// practice (0: every practice), as of asOf: live from work_items, or from
// the sweep's snapshot (RefreshSnapshot; asOf is then SnapshotAt's time).
func (s *Store) AssigneeCounts(ctx context.Context, ids []int64, practice int64, asOf time.Time, scope Scope, snapshot bool) ([]AssigneeCount, error) {
	var args auth.Args
	uids := args.Add(pq.Array(ids))
	var q string
	if snapshot {
		q = `SELECT s.assignee_id, sum(s.open) AS open, sum(s.escalated) AS escalated, sum(s.at_risk) AS at_risk,
		sum(s.d0_30) AS d0_30, sum(s.d31_60) AS d31_60, sum(s.d61_90) AS d61_90, sum(s.d91) AS d91
		FROM work_assignee_stats s WHERE s.assignee_id = ANY(` + uids + `::bigint[]) AND ` + scope.where("s.practice_id", "s.provider_npi", &args)
		if practice != 0 {
			q += ` AND s.practice_id = ` + args.Add(practice)
		}
	} else {
		now := args.Add(asOf)
		q = `SELECT w.assignee_id, count(*) AS open, count(*) FILTER (WHERE w.escalated_at IS NOT NULL) AS escalated,
		coalesce(sum(w.amount_at_risk), 0) AS at_risk, ` + AgingColumns(now) + `
		FROM work_items w WHERE w.assignee_id = ANY(` + uids + `::bigint[]) AND ` + work.OpenSQL("w") + ` AND ` +
			scope.where("w.practice_id", "w.provider_npi", &args)
		if practice != 0 {
			q += ` AND w.practice_id = ` + args.Add(practice)
		}
	}
	var rows []AssigneeCount
	if err := s.DB.SelectContext(ctx, &rows, q+` GROUP BY 1`, args...); err != nil {
		return nil, err
	}
	return rows, nil
}

// PracticeQueues returns every queue of a practice, by name, with its open
// items counted as of asOf (Count) and viewed by category, payer and
// provider; nil when the practice has no queue. Items without a queue
// (none, unless a queue was deleted) are left out.
func (s *Store) PracticeQueues(ctx context.Context, practice int64, asOf time.Time) ([]QueueSummary, error) {
	var qs []QueueSummary
	if err := s.DB.SelectContext(ctx, &qs, `SELECT id, practice_id, name, description FROM queues
		WHERE practice_id = $1 ORDER BY name`, practice); err != nil {
		return nil, err
	}
	if len(qs) == 0 {
		return nil, nil
	}
	if err := s.Count(ctx, qs, asOf, nil); err != nil {
		return nil, err
	}
	return qs, s.views(ctx, practice, qs)
}

// views fills the summaries' views by category, payer and provider.
func (s *Store) views(ctx context.Context, practice int64, qs []QueueSummary) error {
	byID := map[int64]*QueueSummary{}
	for i := range qs {
		q := &qs[i]
		q.ByCategory, q.ByPayer, q.ByProvider = []Bucket{}, []Bucket{}, []Bucket{}
		byID[q.ID] = q
	}
	rows, err := s.DB.QueryContext(ctx, `
	WITH w AS (
		SELECT queue_id, category, payer_id, provider_npi, amount_at_risk
		FROM work_items w WHERE practice_id = $1 AND queue_id IS NOT NULL AND `+work.OpenSQL("w")+`
	)
	SELECT w.queue_id, GROUPING(w.category, w.payer_id, w.provider_npi) AS g,
		COALESCE(w.category, ''), COALESCE(w.payer_id, 0), COALESCE(MIN(p.name), ''), COALESCE(w.provider_npi, ''),
		count(*), sum(w.amount_at_risk)
	FROM w LEFT JOIN payers p ON p.id = w.payer_id
	GROUP BY GROUPING SETS ((w.queue_id, w.category), (w.queue_id, w.payer_id), (w.queue_id, w.provider_npi))
	ORDER BY 1, 2, 8 DESC`, practice)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var qid, payer int64
		var g, n int
		var cat, payerName, prov string
		var amt money.Amount
		if err := rows.Scan(&qid, &g, &cat, &payer, &payerName, &prov, &n, &amt); err != nil {
			return err
		}
		q := byID[qid]
		if q == nil {
			continue
		}
		b := Bucket{Items: n, AmountAtRisk: amt}
		// GROUPING bits, most significant first: category, payer, provider.
		switch g {
		case 0b011:
			b.Key = cat
			q.ByCategory = append(q.ByCategory, b)
		case 0b101:
			b.Key, b.Name = strconv.FormatInt(payer, 10), payerName
			if payer == 0 {
				b.Key = ""
			}
			q.ByPayer = append(q.ByPayer, b)
		case 0b110:
			b.Key = prov
			q.ByProvider = append(q.ByProvider, b)
		}
	}
	return rows.Err()
}
