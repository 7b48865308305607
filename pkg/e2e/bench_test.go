package e2e_test

import (
	"context"
	"os"
	"slices"
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
// server with its backends, from /proc), and the two parts of it: go-µs/line
// (this process) and pg-µs/line (PostgreSQL). PIPELINE_BENCH_WORKERS (default 1) runs
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
	var cpu treeCPU
	for b.Loop() {
		b.StopTimer()
		e := start(b, truth, workers)
		b.StartTimer()
		t0 := time.Now()
		cpu0, err := readTreeCPU()
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
		cpu1, err := readTreeCPU()
		if err != nil {
			b.Fatal(err)
		}
		cpu.self += cpu1.self - cpu0.self
		cpu.below += cpu1.below - cpu0.below
		b.StopTimer()
		e.stop()
		b.StartTimer()
	}
	b.ReportMetric(float64(len(truth.Lines)*b.N)/total.Seconds(), "lines/s")
	perLine := 1e6 / float64(len(truth.Lines)*b.N)
	b.ReportMetric((cpu.self+cpu.below)*perLine, "cpu-µs/line")
	b.ReportMetric(cpu.self*perLine, "go-µs/line")
	b.ReportMetric(cpu.below*perLine, "pg-µs/line")
	b.ReportMetric(float64(workers), "workers")
}

func envInt(k string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(k)); err == nil && n > 0 {
		return n
	}
	return def
}

// BenchmarkLatency measures how long one file takes from upload to its
// last work item with the whole pipeline running and otherwise idle: 20
// generated truth sets of ~2,000 paid lines (seeds 100–119; each set's
// practices, billed claims and fees loaded first, untimed), each set's 835
// files uploaded back to back, the clock stopped when every stage has
// caught up (polled every 5 ms: publish queue, matcher and router
// consumers, retries and outbox all empty). It reports the p50 and the
// worst of the 20, and the mean paid lines of a set.
func BenchmarkLatency(b *testing.B) {
	const sets = 20
	var truths []*synth.Truth
	lines := 0
	for i := range sets {
		t, err := synth.GenerateTruth(synth.TruthOptions{Seed: uint64(100 + i), Lines: 1750, Practices: 1})
		if err != nil {
			b.Fatal(err)
		}
		truths = append(truths, t)
		lines += len(t.Lines)
	}
	ctx := context.Background()
	var all []time.Duration
	for b.Loop() {
		b.StopTimer()
		e := start(b, truths[0], 1)
		for i, truth := range truths {
			if i > 0 {
				if _, err := e.loader.Practices(ctx, truth); err != nil {
					b.Fatal(err)
				}
				if _, err := e.loader.BilledClaims(ctx, truth, false); err != nil {
					b.Fatal(err)
				}
				if err := e.loader.Fees(ctx, truth); err != nil {
					b.Fatal(err)
				}
			}
			if err := e2e.WaitIdle(ctx, e.deps.DB, e.deps.JS, time.Minute); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			t0 := time.Now()
			if _, err := e.loader.Remits(ctx, truth); err != nil {
				b.Fatal(err)
			}
			for {
				p, err := e2e.Pending(ctx, e.deps.DB, e.deps.JS)
				if err != nil {
					b.Fatal(err)
				}
				if p.Empty() {
					break
				}
				if time.Since(t0) > 5*time.Minute {
					b.Fatalf("set %d not done after 5 minutes: %s", i, p)
				}
				time.Sleep(5 * time.Millisecond)
			}
			all = append(all, time.Since(t0))
			b.StopTimer()
		}
		e.stop()
		b.StartTimer()
	}
	slices.Sort(all)
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(all[len(all)-1].Microseconds())/1000, "max-ms")
	b.ReportMetric(float64(lines)/sets, "lines/set")
}
