package matchsvc

import (
	"context"
	"os"
	"runtime/pprof"
	"strconv"
	"testing"
	"time"

	"github.com/remitq/remitq/pkg/bus"
	"github.com/remitq/remitq/pkg/devenv/devtest"
	"github.com/remitq/remitq/pkg/synth"
)

// MATCH_BENCH_PROFILE=FILE writes a CPU profile of the timed part.
//
// BenchmarkMatcher measures the matcher service on the embedded servers: a
// 100,000-line truth set (billed claims, fee schedule, 835s) is loaded,
// ingested and published first (untimed); then one matcher component (two
// batch loops) consumes every claim and PLB message, matches, writes to
// PostgreSQL and publishes a ClaimMatches per paid claim, until the
// consumer has nothing left and JetStream acknowledged every message. It
// reports paid lines matched per second and the CPU per line of this
// process (go-µs/line) and of PostgreSQL (pg-µs/line).
func BenchmarkMatcher(b *testing.B) {
	w := newWorld(b, synth.TruthOptions{Seed: 1, Lines: 100_000})
	w.loadClaims(false)
	w.loadClaims(true)
	w.loadFees()
	w.ingest()
	lines := len(w.tr.Lines)
	ctx := context.Background()
	var total time.Duration
	var cpu devtest.CPU
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
		cpu0, err := devtest.ReadCPU()
		if err != nil {
			b.Fatal(err)
		}
		s, stop := w.start(benchOptions())
		w.settle(10 * time.Minute)
		total += time.Since(t0)
		b.StopTimer()
		cpu1, err := devtest.ReadCPU()
		if err != nil {
			b.Fatal(err)
		}
		cpu = cpu.Add(cpu1.Sub(cpu0))
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
	// This process (the matcher, the embedded NATS server) and the
	// PostgreSQL server below it, from /proc, per paid line.
	perLine := 1e6 / float64(lines*b.N)
	b.ReportMetric(cpu.Self*perLine, "go-µs/line")
	b.ReportMetric(cpu.Below*perLine, "pg-µs/line")
}

// benchOptions are the matcher's defaults, or MATCH_BENCH_WORKERS batch
// loops of MATCH_BENCH_BATCH messages.
func benchOptions() Options {
	var o Options
	o.Workers, _ = strconv.Atoi(os.Getenv("MATCH_BENCH_WORKERS"))
	o.MaxBatch, _ = strconv.Atoi(os.Getenv("MATCH_BENCH_BATCH"))
	return o
}
