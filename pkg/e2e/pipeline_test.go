package e2e_test

import (
	"context"
	"runtime/pprof"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/nats-io/nats.go"

	"github.com/remitq/remitq/pkg/bus"
	"github.com/remitq/remitq/pkg/devenv/devtest"
	"github.com/remitq/remitq/pkg/e2e"
	"github.com/remitq/remitq/pkg/ingestsvc"
	"github.com/remitq/remitq/pkg/matchsvc"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/routesvc"
	"github.com/remitq/remitq/pkg/store"
	"github.com/remitq/remitq/pkg/svc"
	"github.com/remitq/remitq/pkg/synth"
)

func TestMain(m *testing.M) { devtest.Main(m) }

// env is one database and NATS server with the pipeline's components on
// them: an ingest service and `workers` independent sets of matcher and
// router components, each with its own connections.
type env struct {
	deps   *svc.Deps
	ingest *ingestsvc.Service
	loader *e2e.Loader
	stop   func()
}

func connect(t testing.TB, dbURL, natsURL string) *svc.Deps {
	t.Helper()
	db, err := store.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	nc, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	deps, err := svc.NewDeps(context.Background(), db, nc, bus.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return deps
}

// start loads the truth set's practices, billed claims (on time) and fees,
// then starts the components. Each component has its own connections,
// named by application_name (ingest, matcher, router) and run under the
// pprof label stage=<name>, so a benchmark can say what each one cost.
func start(t testing.TB, truth *synth.Truth, workers int) *env {
	t.Helper()
	ctx := context.Background()
	dbURL, natsURL := devtest.DatabaseURL(t), devtest.NATS(t)
	deps := connect(t, devtest.WithApplicationName(dbURL, "driver"), natsURL)
	in, err := ingestsvc.New(connect(t, devtest.WithApplicationName(dbURL, "ingest"), natsURL), ingestsvc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{deps: deps, ingest: in}
	e.loader = &e2e.Loader{DB: deps.DB, NC: deps.NC, Ingest: e.ingest.Ingest}
	if _, err := e.loader.Practices(ctx, truth); err != nil {
		t.Fatal(err)
	}
	if _, err := e.loader.BilledClaims(ctx, truth, false); err != nil {
		t.Fatal(err)
	}
	if err := e.loader.Fees(ctx, truth); err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	run := func(stage string, c svc.Component) {
		wg.Add(1)
		go pprof.Do(runCtx, pprof.Labels("stage", stage), func(ctx context.Context) {
			defer wg.Done()
			if err := c.Run(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	run("ingest", e.ingest)
	for range workers {
		m, err := matchsvc.New(connect(t, devtest.WithApplicationName(dbURL, "matcher"), natsURL), matchsvc.Options{})
		if err != nil {
			t.Fatal(err)
		}
		run("matcher", m)
		router, err := routesvc.New(connect(t, devtest.WithApplicationName(dbURL, "router"), natsURL), routesvc.Options{})
		if err != nil {
			t.Fatal(err)
		}
		run("router", router)
	}
	e.stop = func() { cancel(); wg.Wait() }
	t.Cleanup(e.stop)
	return e
}

// item is the part of a work item that must not depend on timing.
type item struct {
	Key      string       `db:"dedupe_key"`
	Kind     string       `db:"kind"`
	Category string       `db:"category"`
	Status   string       `db:"status"`
	Risk     money.Amount `db:"amount_at_risk"`
	Paid     money.Amount `db:"paid_amount"`
	Deadline string       `db:"appeal_deadline"`
}

func items(t *testing.T, db *sqlx.DB) map[string]item {
	t.Helper()
	var rows []item
	if err := db.Select(&rows, `SELECT dedupe_key, kind, category, status, amount_at_risk, paid_amount,
		coalesce(appeal_deadline::text, '') AS appeal_deadline FROM work_items`); err != nil {
		t.Fatal(err)
	}
	out := make(map[string]item, len(rows))
	for _, r := range rows {
		out[r.Key] = r
	}
	return out
}

// The pipeline ends in the same state whatever the timing: one matcher and
// router, or two of each racing on the shared consumers, give the same work
// items (same keys, categories, statuses and amounts), every paid line is
// matched once, and WaitIdle sees every stage caught up.
func TestSameAnswerWithOneOrTwoWorkers(t *testing.T) {
	truth, err := synth.GenerateTruth(synth.TruthOptions{Seed: 3, Lines: 1500, Practices: 2})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var got [2]map[string]item
	for i, workers := range []int{1, 2} {
		e := start(t, truth, workers)
		if _, err := e.loader.Remits(ctx, truth); err != nil {
			t.Fatal(err)
		}
		if err := e2e.WaitIdle(ctx, e.deps.DB, e.deps.JS, 3*time.Minute); err != nil {
			t.Fatal(err)
		}
		if _, err := e.loader.BilledClaims(ctx, truth, true); err != nil { // the claims that came after their remits
			t.Fatal(err)
		}
		if err := e2e.WaitIdle(ctx, e.deps.DB, e.deps.JS, 3*time.Minute); err != nil {
			t.Fatal(err)
		}
		b, err := e2e.Pending(ctx, e.deps.DB, e.deps.JS)
		if err != nil || !b.Empty() {
			t.Fatalf("backlog after WaitIdle: %v (%v)", b, err)
		}
		var matched int
		if err := e.deps.DB.Get(&matched, `SELECT count(*) FROM line_matches`); err != nil {
			t.Fatal(err)
		}
		if matched != len(truth.Lines) {
			t.Fatalf("%d workers: %d line matches for %d paid lines", workers, matched, len(truth.Lines))
		}
		got[i] = items(t, e.deps.DB)
		if len(got[i]) == 0 {
			t.Fatal("no work items")
		}
		e.stop()
	}
	diff := 0
	for k, a := range got[0] {
		if b, ok := got[1][k]; !ok || a != b {
			if diff < 10 {
				t.Errorf("item %s: one worker %+v, two workers %+v", k, a, got[1][k])
			}
			diff++
		}
	}
	for k := range got[1] {
		if _, ok := got[0][k]; !ok {
			if diff < 10 {
				t.Errorf("item %s only with two workers", k)
			}
			diff++
		}
	}
	if diff > 0 {
		t.Fatalf("%d of %d work items differ between one and two workers", diff, len(got[0]))
	}
	t.Logf("%d paid lines, %d work items, the same with one and two workers", len(truth.Lines), len(got[0]))
}
