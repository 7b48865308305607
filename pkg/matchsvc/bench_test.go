package matchsvc

import (
	"context"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/remitq/remitq/pkg/bus"
	"github.com/remitq/remitq/pkg/synth"
)

// MATCH_BENCH_PROFILE=FILE writes a CPU profile of the timed part.
//
// BenchmarkMatcher measures the matcher service on the embedded servers: a
// 100,000-line truth set (billed claims, fee schedule, 835s) is loaded,
// ingested and published first (untimed); then one matcher component (two
// batch loops) consumes every claim and PLB message, matches, writes to
// PostgreSQL and publishes a LineMatch per line, until the consumer has
// nothing left and JetStream acknowledged every LineMatch. It reports paid
// lines matched per second.
func BenchmarkMatcher(b *testing.B) {
	w := newWorld(b, synth.TruthOptions{Seed: 1, Lines: 100_000})
	w.loadClaims(false)
	w.loadClaims(true)
	w.loadFees()
	w.ingest()
	lines := len(w.tr.Lines)
	ctx := context.Background()
	var total, pgTotal time.Duration
	for b.Loop() {
		b.StopTimer()
		// Start over: empty results, a new consumer, an empty MATCHED.
		if _, err := w.db.Exec(`TRUNCATE match_claims, line_matches, match_pending, plb_links, match_outbox`); err != nil {
			b.Fatal(err)
		}
		_ = w.deps.JS.DeleteConsumer(ctx, bus.StreamRemit, bus.ConsumerMatcher)
		if err := bus.Setup(ctx, w.deps.JS, testBus()); err != nil {
			b.Fatal(err)
		}
		if s, err := w.deps.JS.Stream(ctx, bus.StreamMatched); err == nil {
			_ = s.Purge(ctx)
		}
		b.StartTimer()
		t0 := time.Now()
		if f := os.Getenv("MATCH_BENCH_PROFILE"); f != "" {
			pf, err := os.Create(f)
			if err != nil {
				b.Fatal(err)
			}
			_ = pprof.StartCPUProfile(pf)
		}
		pg0 := w.pgCPU()
		s, stop := w.start(benchOptions())
		w.settle(10 * time.Minute)
		total += time.Since(t0)
		b.StopTimer()
		pgTotal += w.pgCPU() - pg0
		if os.Getenv("MATCH_BENCH_PROFILE") != "" {
			pprof.StopCPUProfile()
		}
		stop()
		if n := int(s.matched.Load()); n != lines {
			b.Fatalf("matched %d lines, want %d", n, lines)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(lines)*float64(b.N)/total.Seconds(), "lines/s")
	b.ReportMetric(pgTotal.Seconds()/float64(b.N), "pg_cpu_s/op")
}

// pgCPU is the CPU time used so far by the PostgreSQL backends serving
// this test's database (from /proc; 0 where that cannot be read).
func (w *world) pgCPU() time.Duration {
	var name string
	if err := w.db.Get(&name, `SELECT current_database()`); err != nil {
		return 0
	}
	dirs, _ := os.ReadDir("/proc")
	var ticks int64
	for _, d := range dirs {
		if _, err := strconv.Atoi(d.Name()); err != nil {
			continue
		}
		cmd, err := os.ReadFile("/proc/" + d.Name() + "/cmdline")
		if err != nil || !strings.Contains(string(cmd), " "+name+" ") {
			continue
		}
		stat, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue
		}
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
		if len(f) > 12 {
			u, _ := strconv.ParseInt(f[11], 10, 64)
			s, _ := strconv.ParseInt(f[12], 10, 64)
			ticks += u + s
		}
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}

// benchOptions are the matcher's defaults, or MATCH_BENCH_WORKERS batch
// loops of MATCH_BENCH_BATCH messages.
func benchOptions() Options {
	var o Options
	o.Workers, _ = strconv.Atoi(os.Getenv("MATCH_BENCH_WORKERS"))
	o.MaxBatch, _ = strconv.Atoi(os.Getenv("MATCH_BENCH_BATCH"))
	return o
}
