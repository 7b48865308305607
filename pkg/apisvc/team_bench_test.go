package apisvc

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"go.uber.org/zap"

	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/devenv/devtest"
)

// escalationLists are the escalations page's three lists (what the
// console's /console/escalations asks the API for).
var escalationLists = []struct{ name, query string }{
	{"overdue", "deadline=overdue&sort=appeal_deadline&limit=100"},
	{"due-soon", "deadline=due_soon&sort=appeal_deadline&limit=100"},
	{"escalated", "escalated=true&sort=appeal_deadline&limit=100"},
}

// BenchmarkTeam measures, over REMITQ_BENCH_ITEMS (default 1,000,000) open
// work items written by one INSERT … SELECT over generate_series (the
// console benchmark's shape: 10 practices × 5 queues, 20 billers and a
// supervisor each, 70 % assigned; 5 % escalated), a supervisor's
// GET /v1/team live (?fresh=true, the old path) and from the sweep's
// snapshot, and the escalations page's three lists with migration 0027's
// indexes and then without them (dropped in the benchmark's own database);
// each list's plan (EXPLAIN ANALYZE of the handler's query, built by the
// same helpers) is logged with and without.
func BenchmarkTeam(b *testing.B) {
	n := 1_000_000
	if v := os.Getenv("REMITQ_BENCH_ITEMS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	ctx := context.Background()
	start := time.Now()
	db := devtest.DB(b)
	var sups []string
	var pids []int64
	var queues, billers [][]int64
	for p := range benchPractices {
		var pid int64
		if err := db.QueryRow(`INSERT INTO practices (name, npi) VALUES ($1, $2) RETURNING id`,
			fmt.Sprint("Practice ", p), fmt.Sprintf("19%08d", p)).Scan(&pid); err != nil {
			b.Fatal(err)
		}
		pids = append(pids, pid)
		var qs, bs []int64
		for q := range benchQueues {
			var qid int64
			if err := db.QueryRow(`INSERT INTO queues (practice_id, name) VALUES ($1, $2) RETURNING id`, pid, fmt.Sprint("q", q)).Scan(&qid); err != nil {
				b.Fatal(err)
			}
			qs = append(qs, qid)
		}
		for i := range benchBillers + 1 {
			role := auth.Biller
			if i == benchBillers {
				role = auth.Supervisor
			}
			u := &auth.User{Email: fmt.Sprintf("t%d-%d@bench.test", p, i), Role: role, Scopes: []auth.Scope{{PracticeID: pid}}}
			if err := auth.AddUser(ctx, db, u); err != nil {
				b.Fatal(err)
			}
			if role == auth.Supervisor {
				tok, err := auth.IssueHS256(testKey, u.Email, "", 24*time.Hour, time.Now())
				if err != nil {
					b.Fatal(err)
				}
				sups = append(sups, tok)
			} else {
				bs = append(bs, u.ID)
			}
		}
		queues, billers = append(queues, qs), append(billers, bs)
	}
	if err := seriesItems(ctx, db, n, pids, queues, billers); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec(`VACUUM ANALYZE work_items`); err != nil {
		b.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.VerifierConfig{HS256Key: testKey})
	if err != nil {
		b.Fatal(err)
	}
	// No sweep runs (it would escalate and release most items): the
	// snapshot is taken once and stays fresh (SweepInterval an hour).
	s, err := New(db, zap.NewNop(), Options{Auth: &auth.Authenticator{DB: db, Verifier: v}, SweepInterval: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	if err := s.refreshQueueStats(ctx); err != nil {
		b.Fatal(err)
	}
	snap := time.Since(t0)
	mux := http.NewServeMux()
	s.Register(mux)
	e := &benchEnv{h: s.WrapHTTP(mux), sups: sups, items: n}
	b.Logf("%d open work items, setup %.1f s, snapshot (queues and team) %.2f s", n, time.Since(start).Seconds(), snap.Seconds())

	rng := rand.New(rand.NewPCG(5, 6))
	sup := func(path string) func(int) (string, string) {
		return func(int) (string, string) { return sups[rng.IntN(len(sups))], path }
	}
	b.Run("team-fresh", func(b *testing.B) { measure(b, e, sup("/v1/team?fresh=true")) })
	b.Run("team", func(b *testing.B) { measure(b, e, sup("/v1/team")) })

	lists := func(suffix string) {
		for _, l := range escalationLists {
			explainList(b, db, pids[0], l.query, l.name+suffix)
			b.Run(l.name+suffix, func(b *testing.B) { measure(b, e, sup("/v1/work-items?"+l.query)) })
		}
	}
	lists("")
	if _, err := db.Exec(`DROP INDEX work_items_deadline_open_order_idx, work_items_escalated_order_idx`); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec(`ANALYZE work_items`); err != nil {
		b.Fatal(err)
	}
	lists("-without-0027")
}

// explainList logs EXPLAIN (ANALYZE, BUFFERS) of GET /v1/work-items?query
// as a supervisor of practice sees it: the handler's query, from the same
// pager, filters and scope.
func explainList(b *testing.B, db *sqlx.DB, practice int64, query, name string) {
	q, err := url.ParseQuery(query)
	if err != nil {
		b.Fatal(err)
	}
	p, err := newPager(q, itemSorts...)
	if err != nil {
		b.Fatal(err)
	}
	var args auth.Args
	where, err := itemFilters(q, &args, day.Of(time.Now().UTC()))
	if err != nil {
		b.Fatal(err)
	}
	id := &auth.Identity{Scopes: []auth.Scope{{PracticeID: practice}}}
	where = append(where, id.Where("w.practice_id", "w.provider_npi", &args))
	sql := "SELECT " + p.keyCol() + " AS k, " + itemCols + " FROM work_items w WHERE " + strings.Join(where, " AND ") + p.orderLimit("w.id")
	var plan []string
	if err := db.Select(&plan, "EXPLAIN (ANALYZE, BUFFERS) "+sql, args...); err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: %s\n%s", name, query, strings.Join(plan, "\n"))
	// The same with the scope as one equality (w.practice_id = N) instead of
	// = ANY(array): PostgreSQL 15 reads a btree in order only then.
	eq := strings.Replace(sql, "w.practice_id = ANY(", "w.practice_id = (", 1)
	eq = strings.Replace(eq, "::bigint[])", "::bigint[])[1]", 1)
	plan = nil
	if err := db.Select(&plan, "EXPLAIN (ANALYZE, BUFFERS) "+eq, args...); err != nil {
		b.Fatal(err)
	}
	b.Logf("%s, scope as one equality: %s\n%s", name, query, strings.Join(plan, "\n"))
}

// seriesItems writes n open work items in one INSERT … SELECT over
// generate_series, computed inside PostgreSQL (consolesvc's
// copyBenchItems): 70 % assigned to a biller of their practice, 5 %
// escalated, deadlines from 30 days past to 120 ahead.
func seriesItems(ctx context.Context, db *sqlx.DB, n int, pids []int64, queues, billers [][]int64) error {
	var qs, bs []int64
	for p := range pids {
		qs = append(qs, queues[p]...)
		bs = append(bs, billers[p]...)
	}
	_, err := db.ExecContext(ctx, `INSERT INTO work_items (dedupe_key, practice_id, provider_npi, queue_id, kind, disposition, category,
		patient_control_number, procedure_code, carc, text, action, billed_amount, amount_at_risk, appeal_deadline, priority, status,
		assignee_id, assigned_at, touched_at, escalated_at, created_at)
	SELECT 'bench:' || i, ($1::bigint[])[p + 1], '14' || lpad((i % 8)::text, 8, '0'), ($2::bigint[])[p * $4 + ((i / $6) % $4) + 1],
		'denial', 'denied', (ARRAY['authorization', 'coding_bundling', 'medical_necessity', 'frequency_limit', 'timely_filing', 'underpayment'])[i % 6 + 1],
		'PCN' || i, '64483', '{CO-197}',
		'Denied: prior authorization missing or does not match (CARC 197, RARC N54) for 64483 on 2026-03-02 — attach the matching auth '
			|| 'or request retro-authorization; appeal by ' || to_char(deadline, 'YYYY-MM-DD') || '.',
		'Attach the matching auth or request retro-authorization', risk + 100, risk, deadline, (random() * 9999)::int,
		CASE WHEN assigned THEN (ARRAY['assigned', 'in_progress', 'appealed', 'pended'])[1 + (i / 7) % 4] ELSE 'new' END,
		CASE WHEN assigned THEN ($3::bigint[])[p * $5 + ((i / 11) % $5) + 1] END,
		CASE WHEN assigned THEN now() - (i % 72) * interval '1 hour' END, CASE WHEN assigned THEN now() - (i % 72) * interval '1 hour' END,
		CASE WHEN (i / 10) % 20 = 0 THEN now() - (i % 48) * interval '1 hour' END,
		now() - (i % 2880) * interval '1 hour'
	FROM (SELECT i, (i % $6) AS p, random() < 0.7 AS assigned, round((random() * 5000)::numeric, 2) AS risk,
		current_date + ((random() * 150)::int - 30) AS deadline FROM generate_series(1, $7::int) AS i) g`,
		pq.Array(pids), pq.Array(qs), pq.Array(bs), benchQueues, benchBillers, len(pids), n)
	return err
}
