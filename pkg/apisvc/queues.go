package apisvc

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/workstore"
)

// Aging counts open items by age (work.Bucket): workstore's, kept under
// this name for team.go.
type Aging = workstore.Aging

// QueueSummary is a queue with its open work: the one workstore.QueueSummary
// (GET /v1/queues and GET /v1/practices/{practice}/queues).
type QueueSummary = workstore.QueueSummary

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
	for i := range n {
		out.Items[i] = QueueSummary{ID: page[i].ID, PracticeID: page[i].PracticeID, Name: page[i].Name, Description: page[i].Description}
	}
	if n > 0 {
		st, scope := workstore.New(c.s.db), workstore.Scope(c.id.Where)
		var err error
		if asOf, ok := c.s.statsAsOf(ctx); ok && q.Get("fresh") != "true" {
			err = st.CountSnapshot(ctx, out.Items, asOf, scope)
		} else {
			err = st.Count(ctx, out.Items, c.s.opts.Now(), scope)
		}
		if err != nil {
			return err
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
		var err error
		if at, err = workstore.New(s.db).SnapshotAt(ctx); err != nil {
			return time.Time{}, false
		}
		s.statsMu.Lock()
		s.statsAt, s.statsRead = at, now
		s.statsMu.Unlock()
	}
	return at, !at.IsZero() && s.opts.Now().Sub(at) <= 2*s.opts.SweepInterval
}

// statsAsOfTTL is how long statsAsOf keeps the snapshot's time.
const statsAsOfTTL = 5 * time.Second

// refreshQueueStats rebuilds the snapshot (workstore.RefreshSnapshot);
// an instance that finds another one refreshing skips.
func (s *Service) refreshQueueStats(ctx context.Context) error {
	s.statsMu.Lock()
	s.statsRead = time.Time{} // read the new time after this refresh
	s.statsMu.Unlock()
	if _, err := workstore.New(s.db).RefreshSnapshot(ctx, s.opts.Now()); err != nil {
		return err
	}
	s.statsMu.Lock()
	s.statsRead = time.Time{}
	s.statsMu.Unlock()
	return nil
}

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
