package apisvc

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"go.uber.org/zap"

	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/devenv/devtest"
)

// Benchmark sizes: REMITQ_BENCH_ITEMS (default 1,000,000 open items) over
// 10 practices of 5 queues and 20 billers each.
const (
	benchPractices = 10
	benchQueues    = 5
	benchBillers   = 20
)

type benchEnv struct {
	h        http.Handler
	billers  []string // tokens
	sups     []string // one supervisor token per practice
	queues   [][]int64
	items    int
	setupDur time.Duration
	// snapshotDur is how long one queue-stats snapshot took.
	snapshotDur time.Duration
}

var (
	benchOnce sync.Once
	bench     *benchEnv
)

// setupBench builds the database once per test binary: practices, users,
// queues and the open work items, written with COPY.
func setupBench(b *testing.B) *benchEnv {
	benchOnce.Do(func() {
		start := time.Now()
		n := 1_000_000
		if v := os.Getenv("REMITQ_BENCH_ITEMS"); v != "" {
			n, _ = strconv.Atoi(v)
		}
		db := devtest.DB(b)
		ctx := context.Background()
		e := &benchEnv{items: n}
		var billerIDs [][]int64
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
			e.queues = append(e.queues, qs)
			var ids []int64
			for i := range benchBillers + 1 {
				role := auth.Biller
				if i == benchBillers {
					role = auth.Supervisor
				}
				u := &auth.User{Email: fmt.Sprintf("u%d-%d@bench.test", p, i), Role: role, Scopes: []auth.Scope{{PracticeID: pid}}}
				if err := auth.AddUser(ctx, db, u); err != nil {
					b.Fatal(err)
				}
				tok, err := auth.IssueHS256(testKey, u.Email, "", 24*time.Hour, time.Now())
				if err != nil {
					b.Fatal(err)
				}
				if role == auth.Supervisor {
					e.sups = append(e.sups, tok)
				} else {
					e.billers = append(e.billers, tok)
					ids = append(ids, u.ID)
				}
			}
			billerIDs = append(billerIDs, ids)
		}
		if err := copyItems(ctx, db, n, e.queues, billerIDs); err != nil {
			b.Fatal(err)
		}
		if _, err := db.Exec(`VACUUM ANALYZE work_items`); err != nil {
			b.Fatal(err)
		}
		v, err := auth.NewVerifier(auth.VerifierConfig{HS256Key: testKey})
		if err != nil {
			b.Fatal(err)
		}
		// Sweeps are not run (they would escalate most of the generated
		// items); the queue-stats snapshot is taken once and stays fresh.
		s, err := New(db, zap.NewNop(), Options{Auth: &auth.Authenticator{DB: db, Verifier: v}, SweepInterval: time.Hour})
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		if err := s.refreshQueueStats(ctx); err != nil {
			b.Fatal(err)
		}
		e.snapshotDur = time.Since(t0)
		mux := http.NewServeMux()
		s.Register(mux)
		e.h = s.WrapHTTP(mux)
		e.setupDur = time.Since(start)
		bench = e
	})
	if bench == nil {
		b.Fatal("bench setup failed")
	}
	return bench
}

// copyItems writes n open work items with COPY: 70 % assigned to a biller
// of their practice, the rest waiting in their queue.
func copyItems(ctx context.Context, db *sqlx.DB, n int, queues [][]int64, billers [][]int64) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var pids []int64
	if err := tx.SelectContext(ctx, &pids, `SELECT id FROM practices ORDER BY id`); err != nil {
		return err
	}
	stmt, err := tx.PrepareContext(ctx, `COPY work_items (dedupe_key, practice_id, provider_npi, payer_id, queue_id,
		kind, disposition, category, patient_control_number, procedure_code, carc, billed_amount, amount_at_risk,
		appeal_deadline, priority, status, assignee_id, assigned_at, created_at) FROM STDIN`)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Now()
	cats := []string{"authorization", "coding_bundling", "medical_necessity", "frequency_limit", "timely_filing", "underpayment"}
	for i := range n {
		p := rng.IntN(len(pids))
		var assignee, assignedAt any
		status := "new"
		if rng.IntN(10) < 7 {
			assignee, assignedAt = billers[p][rng.IntN(len(billers[p]))], now.Add(-time.Duration(rng.IntN(72))*time.Hour)
			status = []string{"assigned", "in_progress", "appealed", "pended"}[rng.IntN(4)]
		}
		atRisk := rng.IntN(500000)
		if _, err := stmt.ExecContext(ctx, "bench:"+strconv.Itoa(i), pids[p], fmt.Sprintf("14%08d", rng.IntN(8)), nil,
			queues[p][rng.IntN(len(queues[p]))], "denial", "denied", cats[rng.IntN(len(cats))], "PCN"+strconv.Itoa(i), "64483",
			"{CO-197}", fmt.Sprintf("%d.%02d", atRisk/100+100, atRisk%100), fmt.Sprintf("%d.%02d", atRisk/100, atRisk%100),
			now.AddDate(0, 0, rng.IntN(120)).Format(time.DateOnly), rng.IntN(10000), status, assignee, assignedAt,
			now.Add(-time.Duration(rng.IntN(120*24))*time.Hour)); err != nil {
			return err
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		return err
	}
	if err := stmt.Close(); err != nil {
		return err
	}
	return tx.Commit()
}

// measure runs one request per b.Loop iteration and reports the latency
// percentiles of the whole HTTP handling (token check, user load, query,
// JSON).
func measure(b *testing.B, e *benchEnv, next func(i int) (token, path string)) {
	var lat []time.Duration
	i := 0
	for b.Loop() {
		tok, path := next(i)
		i++
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		t0 := time.Now()
		e.h.ServeHTTP(rec, req)
		lat = append(lat, time.Since(t0))
		if rec.Code != 200 {
			b.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
		}
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(pct(1.0), "max-ms")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkAPI measures "my work" and queue listings over the open work
// items (1,000,000 by default): first pages, and later pages by cursor.
// The setup (COPY and indexes) is reported once as setup-s.
func BenchmarkAPI(b *testing.B) {
	e := setupBench(b)
	b.Logf("%d open work items, setup %.1f s, queue-stats snapshot %.2f s", e.items, e.setupDur.Seconds(), e.snapshotDur.Seconds())
	rng := rand.New(rand.NewPCG(3, 4))
	b.Run("my-work", func(b *testing.B) {
		measure(b, e, func(int) (string, string) {
			return e.billers[rng.IntN(len(e.billers))], "/v1/my/work-items?limit=50"
		})
	})
	b.Run("my-work-by-amount", func(b *testing.B) {
		measure(b, e, func(int) (string, string) {
			return e.billers[rng.IntN(len(e.billers))], "/v1/my/work-items?limit=50&sort=-amount_at_risk"
		})
	})
	b.Run("queue", func(b *testing.B) {
		measure(b, e, func(int) (string, string) {
			p := rng.IntN(len(e.sups))
			return e.sups[p], fmt.Sprintf("/v1/queues/%d/work-items?limit=50", e.queues[p][rng.IntN(benchQueues)])
		})
	})
	b.Run("queue-unassigned", func(b *testing.B) {
		measure(b, e, func(int) (string, string) {
			p := rng.IntN(len(e.sups))
			return e.sups[p], fmt.Sprintf("/v1/queues/%d/work-items?limit=50&unassigned=true", e.queues[p][rng.IntN(benchQueues)])
		})
	})
	// Deep pages: walk a queue 20 pages in by cursor, then measure the next.
	cursors := make([]string, len(e.sups))
	for p := range e.sups {
		path := fmt.Sprintf("/v1/queues/%d/work-items?limit=50", e.queues[p][0])
		cur := ""
		for range 20 {
			req := httptest.NewRequest("GET", path+cur, nil)
			req.Header.Set("Authorization", "Bearer "+e.sups[p])
			rec := httptest.NewRecorder()
			e.h.ServeHTTP(rec, req)
			var pg Page[WorkItem]
			if err := json.Unmarshal(rec.Body.Bytes(), &pg); err != nil {
				b.Fatalf("page: %v (%d bytes)", err, rec.Body.Len())
			}
			if pg.NextCursor == "" {
				break
			}
			cur = "&cursor=" + pg.NextCursor
		}
		cursors[p] = path + cur
	}
	b.Run("queue-page-21", func(b *testing.B) {
		measure(b, e, func(int) (string, string) {
			p := rng.IntN(len(e.sups))
			return e.sups[p], cursors[p]
		})
	})
	b.Run("queues-summary", func(b *testing.B) {
		measure(b, e, func(int) (string, string) {
			return e.sups[rng.IntN(len(e.sups))], "/v1/queues"
		})
	})
	// The same counted from the items (?fresh=true): ~100,000 per practice.
	b.Run("queues-summary-fresh", func(b *testing.B) {
		measure(b, e, func(int) (string, string) {
			return e.sups[rng.IntN(len(e.sups))], "/v1/queues?fresh=true"
		})
	})
}
