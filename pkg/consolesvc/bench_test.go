package consolesvc

import (
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/remitq/remitq/pkg/apisvc"
	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/devenv/devtest"
	"github.com/remitq/remitq/pkg/svc"
	"github.com/remitq/remitq/pkg/work"
)

// Benchmark sizes: REMITQ_BENCH_ITEMS open work items (default 1,000,000)
// over 10 practices of 5 queues and 20 billers each, as the API's
// benchmark has them.
const (
	benchPractices = 10
	benchQueues    = 5
	benchBillers   = 20
)

type consoleBench struct {
	h        http.Handler
	billers  []string // session cookies
	keys     []string // the billers' API keys (the API alone, for comparison)
	items    [][]int64
	sups     []string
	items0   int
	setup    time.Duration
	snapshot time.Duration
	static   int // bytes of the console's CSS and JS, loaded by every page
}

// setupConsoleBench writes the practices, users, queues and open items
// with COPY, takes the queue-stats snapshot the API's sweep would, and
// signs a session in for every user.
func setupConsoleBench(b *testing.B) *consoleBench {
	start := time.Now()
	n := 1_000_000
	if v := os.Getenv("REMITQ_BENCH_ITEMS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	db := devtest.DB(b)
	ctx := context.Background()
	e := &consoleBench{items0: n}
	var queues, billers [][]int64
	var billerUsers, supUsers []int64
	for p := range benchPractices {
		var pid int64
		if err := db.QueryRow(`INSERT INTO practices (name, npi) VALUES ($1, $2) RETURNING id`,
			fmt.Sprint("Practice ", p), fmt.Sprintf("19%08d", p)).Scan(&pid); err != nil {
			b.Fatal(err)
		}
		var qs []int64
		for q := range benchQueues {
			var qid int64
			if err := db.QueryRow(`INSERT INTO queues (practice_id, name) VALUES ($1, $2) RETURNING id`, pid, fmt.Sprint("q", q)).Scan(&qid); err != nil {
				b.Fatal(err)
			}
			qs = append(qs, qid)
		}
		queues = append(queues, qs)
		var ids []int64
		for i := range benchBillers + 1 {
			role := auth.Biller
			if i == benchBillers {
				role = auth.Supervisor
			}
			u := &auth.User{Email: fmt.Sprintf("u%d-%d@bench.test", p, i), Name: fmt.Sprintf("User %d-%d", p, i), Role: role,
				Scopes: []auth.Scope{{PracticeID: pid}}}
			if err := auth.AddUser(ctx, db, u); err != nil {
				b.Fatal(err)
			}
			if role == auth.Supervisor {
				supUsers = append(supUsers, u.ID)
			} else {
				ids = append(ids, u.ID)
				billerUsers = append(billerUsers, u.ID)
			}
		}
		billers = append(billers, ids)
	}
	if err := copyBenchItems(ctx, db, n, queues, billers); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec(`VACUUM ANALYZE work_items`); err != nil {
		b.Fatal(err)
	}
	// The queue-stats snapshot, as the API's sweep writes it every
	// minute in a process that serves the console (the statement of
	// apisvc's refreshQueueStats).
	t0 := time.Now()
	if _, err := db.Exec(`INSERT INTO work_queue_stats (queue_id, practice_id, provider_npi, open, unassigned,
		escalated, at_risk, d0_30, d31_60, d61_90, d91, computed_at)
		SELECT w.queue_id, w.practice_id, w.provider_npi, count(*), count(*) FILTER (WHERE w.assignee_id IS NULL),
		count(*) FILTER (WHERE w.escalated_at IS NOT NULL), coalesce(sum(w.amount_at_risk), 0),
		count(*) FILTER (WHERE `+work.BucketSQL("w", "$1::timestamptz")+` = 0), count(*) FILTER (WHERE `+work.BucketSQL("w", "$1::timestamptz")+` = 1),
		count(*) FILTER (WHERE `+work.BucketSQL("w", "$1::timestamptz")+` = 2), count(*) FILTER (WHERE `+work.BucketSQL("w", "$1::timestamptz")+` = 3), $1
		FROM work_items w WHERE w.status NOT IN ('resolved', 'written_off') AND w.queue_id IS NOT NULL GROUP BY 1, 2, 3`, time.Now()); err != nil {
		b.Fatal(err)
	}
	e.snapshot = time.Since(t0)
	authn := &auth.Authenticator{DB: db, Public: Public}
	// The API component of the process (its sweeps are not run: they
	// would escalate the generated items; the snapshot above stays fresh
	// for two intervals).
	a, err := apisvc.New(db, zap.NewNop(), apisvc.Options{Auth: authn, SweepInterval: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	con, err := New(db, zap.NewNop(), Options{Auth: authn})
	if err != nil {
		b.Fatal(err)
	}
	deps := &svc.Deps{DB: db, Log: zap.NewNop(), Metrics: prometheus.NewRegistry()}
	e.h = deps.Handler(a, con)
	for _, id := range billerUsers {
		secret, err := con.newSession(ctx, id, "password")
		if err != nil {
			b.Fatal(err)
		}
		e.billers = append(e.billers, secret)
		key, _, err := auth.CreateAPIKey(ctx, db, id, "bench", 24*time.Hour)
		if err != nil {
			b.Fatal(err)
		}
		e.keys = append(e.keys, key)
		var mine []int64
		if err := db.Select(&mine, `SELECT id FROM work_items WHERE assignee_id = $1 AND status NOT IN ('resolved', 'written_off') LIMIT 50`, id); err != nil {
			b.Fatal(err)
		}
		e.items = append(e.items, mine)
	}
	for _, id := range supUsers {
		secret, err := con.newSession(ctx, id, "password")
		if err != nil {
			b.Fatal(err)
		}
		e.sups = append(e.sups, secret)
	}
	_ = fs.WalkDir(staticFiles, "static", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if raw, err := staticFiles.ReadFile(p); err == nil {
				e.static += len(raw)
			}
		}
		return nil
	})
	e.setup = time.Since(start)
	return e
}

// copyBenchItems writes n open work items in one INSERT … SELECT over
// generate_series, computed inside PostgreSQL (no rows cross the wire): 70 %
// assigned to a biller of their practice, the rest waiting in their
// queues; deadlines from 30 days past to 120 ahead; texts and actions as
// long as the router's.
func copyBenchItems(ctx context.Context, db *sqlx.DB, n int, queues [][]int64, billers [][]int64) error {
	var pids []int64
	if err := db.SelectContext(ctx, &pids, `SELECT id FROM practices ORDER BY id`); err != nil {
		return err
	}
	// queues and billers as flat arrays, practice p's at [p*k, p*k+k).
	var qs, bs []int64
	for p := range pids {
		qs = append(qs, queues[p]...)
		bs = append(bs, billers[p]...)
	}
	_, err := db.ExecContext(ctx, `INSERT INTO work_items (dedupe_key, practice_id, provider_npi, queue_id, kind, disposition, category,
		patient_control_number, procedure_code, carc, text, action, billed_amount, amount_at_risk, appeal_deadline, priority, status,
		assignee_id, assigned_at, touched_at, created_at)
	SELECT 'bench:' || i, ($1::bigint[])[p + 1], '14' || lpad((i % 8)::text, 8, '0'), ($2::bigint[])[p * $4 + ((i / $6) % $4) + 1],
		'denial', 'denied', (ARRAY['authorization', 'coding_bundling', 'medical_necessity', 'frequency_limit', 'timely_filing', 'underpayment'])[i % 6 + 1],
		'PCN' || i, '64483', '{CO-197}',
		'Denied: prior authorization missing or does not match (CARC 197, RARC N54) for 64483 on 2026-03-02 — attach the matching auth '
			|| 'or request retro-authorization; appeal by ' || to_char(deadline, 'YYYY-MM-DD') || '.',
		'Attach the matching auth or request retro-authorization', risk + 100, risk, deadline, (random() * 9999)::int,
		CASE WHEN assigned THEN (ARRAY['assigned', 'in_progress', 'appealed', 'pended'])[1 + (i / 7) % 4] ELSE 'new' END,
		CASE WHEN assigned THEN ($3::bigint[])[p * $5 + ((i / 11) % $5) + 1] END,
		CASE WHEN assigned THEN now() - (i % 72) * interval '1 hour' END, CASE WHEN assigned THEN now() - (i % 72) * interval '1 hour' END,
		now() - (i % 2880) * interval '1 hour'
	FROM (SELECT i, (i % $6) AS p, random() < 0.7 AS assigned, round((random() * 5000)::numeric, 2) AS risk,
		current_date + ((random() * 150)::int - 30) AS deadline FROM generate_series(1, $7::int) AS i) g`,
		pq.Array(pids), pq.Array(qs), pq.Array(bs), benchQueues, benchBillers, len(pids), n)
	return err
}

// measurePage serves one page a b.Loop iteration and reports the server
// time percentiles (the whole handling: session, user, the in-process API
// requests through the authenticator, queries, template) and the page's
// weight: its HTML and the console's CSS and JS.
func measurePage(b *testing.B, e *consoleBench, next func() (cookie, path string)) {
	var lat []time.Duration
	var weight int
	cpu0 := cpuTime()
	for b.Loop() {
		cookie, path := next()
		req := httptest.NewRequest("GET", path, nil)
		req.AddCookie(&http.Cookie{Name: SessionCookie, Value: cookie})
		rec := httptest.NewRecorder()
		t0 := time.Now()
		e.h.ServeHTTP(rec, req)
		lat = append(lat, time.Since(t0))
		if rec.Code != 200 {
			b.Fatalf("%s: %d %.300s", path, rec.Code, rec.Body)
		}
		weight = max(weight, rec.Body.Len())
	}
	// The process's CPU time per page (the console, the API, the driver;
	// PostgreSQL's own time is not in it): what the load of the machine
	// does not stretch, unlike the wall-clock percentiles.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(len(lat)), "cpu-ms/page")
	report(b, lat, weight+e.static)
}

// cpuTime is the user and system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// report reports the latency percentiles and, when given, the weight.
func report(b *testing.B, lat []time.Duration, weight int) {
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(pct(1.0), "max-ms")
	if weight > 0 {
		b.ReportMetric(float64(weight)/1024, "page-KB")
	}
	b.ReportMetric(0, "ns/op")
}

// BenchmarkConsole times the biller's my-work page, the supervisor's
// queues page and the item page server-side over the open work items
// (1,000,000 by default). make bench runs it (scripts/bench.sh), make test
// does not.
func BenchmarkConsole(b *testing.B) {
	e := setupConsoleBench(b)
	b.Logf("%d open work items, setup %.1f s (queue-stats snapshot %.2f s)", e.items0, e.setup.Seconds(), e.snapshot.Seconds())
	rng := rand.New(rand.NewPCG(3, 4))
	// The API's own my-work list in the same run: what the page adds to it
	// (session, labels, template) under the same load.
	b.Run("api-my-work", func(b *testing.B) {
		var lat []time.Duration
		cpu0 := cpuTime()
		for b.Loop() {
			req := httptest.NewRequest("GET", "/v1/my/work-items?limit=100", nil)
			req.Header.Set("Authorization", "Bearer "+e.keys[rng.IntN(len(e.keys))])
			rec := httptest.NewRecorder()
			t0 := time.Now()
			e.h.ServeHTTP(rec, req)
			lat = append(lat, time.Since(t0))
			if rec.Code != 200 {
				b.Fatalf("%d %.300s", rec.Code, rec.Body)
			}
		}
		b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(len(lat)), "cpu-ms/page")
		report(b, lat, 0)
	})
	b.Run("my-work", func(b *testing.B) {
		measurePage(b, e, func() (string, string) { return e.billers[rng.IntN(len(e.billers))], "/console/work" })
	})
	b.Run("queues", func(b *testing.B) {
		measurePage(b, e, func() (string, string) { return e.sups[rng.IntN(len(e.sups))], "/console/queues" })
	})
	b.Run("item", func(b *testing.B) {
		measurePage(b, e, func() (string, string) {
			for {
				i := rng.IntN(len(e.billers))
				if len(e.items[i]) > 0 {
					return e.billers[i], "/console/items/" + itoa(e.items[i][rng.IntN(len(e.items[i]))])
				}
			}
		})
	})
	b.Run("team", func(b *testing.B) {
		measurePage(b, e, func() (string, string) { return e.sups[rng.IntN(len(e.sups))], "/console/team" })
	})
	b.Run("escalations", func(b *testing.B) {
		measurePage(b, e, func() (string, string) { return e.sups[rng.IntN(len(e.sups))], "/console/escalations" })
	})
}
