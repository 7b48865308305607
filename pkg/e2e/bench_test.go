package e2e_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/remitq/remitq/pkg/e2e"
	"github.com/remitq/remitq/pkg/synth"
)

// BenchmarkPipeline measures the whole pipeline, file in to work items out:
// a generated truth set's billed claims and fee schedule are loaded first
// (untimed), then its 835 files are ingested while the ingest publisher,
// the matcher and the router run, until every stage has caught up. It
// reports paid lines per second and the CPU per paid line of the whole
// stack (this process with NATS and the components, and the PostgreSQL
// server with its backends, from /proc). PIPELINE_BENCH_WORKERS (default 1) runs
// that many independent sets of matcher and router components, each with
// its own connections, on the shared durable consumers: the scale-out
// figure. PIPELINE_BENCH_LINES sets the billed lines (default 30,000).
func BenchmarkPipeline(b *testing.B) {
	workers := envInt("PIPELINE_BENCH_WORKERS", 1)
	truth, err := synth.GenerateTruth(synth.TruthOptions{Seed: 5, Lines: envInt("PIPELINE_BENCH_LINES", 30000), Practices: 3})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var total time.Duration
	var cpu float64
	for b.Loop() {
		b.StopTimer()
		e := start(b, truth, workers)
		b.StartTimer()
		t0 := time.Now()
		cpu0, err := treeCPUSeconds()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.loader.Remits(ctx, truth); err != nil {
			b.Fatal(err)
		}
		if err := e2e.WaitIdle(ctx, e.deps.DB, e.deps.JS, 20*time.Minute); err != nil {
			b.Fatal(err)
		}
		total += time.Since(t0)
		cpu1, err := treeCPUSeconds()
		if err != nil {
			b.Fatal(err)
		}
		cpu += cpu1 - cpu0
		b.StopTimer()
		e.stop()
		b.StartTimer()
	}
	b.ReportMetric(float64(len(truth.Lines)*b.N)/total.Seconds(), "lines/s")
	b.ReportMetric(cpu*1e6/float64(len(truth.Lines)*b.N), "cpu-µs/line")
	b.ReportMetric(float64(workers), "workers")
}

func envInt(k string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(k)); err == nil && n > 0 {
		return n
	}
	return def
}
