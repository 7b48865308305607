package e2e_test

import (
	"bytes"
	"context"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/remitq/remitq/pkg/devenv/devtest"
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
// (this process) and pg-µs/line (PostgreSQL), the latter split by the
// component whose connection ran it (pg-ingest, pg-matcher, pg-router;
// pg-other is the server's own processes and exited backends), and the
// bytes this process allocated per paid line (go-B/line: the garbage the
// collector then has to find, the Go figure a run measures exactly) and the
// WAL the server wrote per paid line (pg-wal-records/line, about one per
// row and index entry written, and pg-wal-B/line: what is stored, measured
// without the machine's noise; the server-wide pg_stat_wal, so nothing else
// may use the server meanwhile). The 835
// files are written before the clock starts. PIPELINE_BENCH_WORKERS (default 1) runs
// that many independent sets of matcher and router components, each with
// its own connections, on the shared durable consumers: the scale-out
// figure. PIPELINE_BENCH_LINES sets the billed lines (default 30,000).
func BenchmarkPipeline(b *testing.B) {
	workers := envInt("PIPELINE_BENCH_WORKERS", 1)
	truth, err := synth.GenerateTruth(synth.TruthOptions{Seed: 5, Lines: envInt("PIPELINE_BENCH_LINES", 30000), Practices: 3})
	if err != nil {
		b.Fatal(err)
	}
	files, err := e2e.RemitFiles(truth) // the files exist before they arrive
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var total time.Duration
	var cpu devtest.CPU
	var allocated uint64
	var walRecords, walBytes int64
	backends := map[string]float64{}
	for b.Loop() {
		b.StopTimer()
		e := start(b, truth, workers)
		b.StartTimer()
		t0 := time.Now()
		var mem0, mem1 runtime.MemStats
		runtime.ReadMemStats(&mem0)
		cpu0, err := devtest.ReadCPU()
		if err != nil {
			b.Fatal(err)
		}
		be0, err := devtest.BackendCPU(ctx, e.deps.DB.DB)
		if err != nil {
			b.Fatal(err)
		}
		wal0 := readWAL(b, e.deps.DB)
		var ingestErr error
		pprof.Do(ctx, pprof.Labels("stage", "ingest"), func(ctx context.Context) {
			_, ingestErr = e.loader.IngestFiles(ctx, files)
		})
		if ingestErr != nil {
			b.Fatal(ingestErr)
		}
		if err := e2e.WaitIdle(ctx, e.deps.DB, e.deps.JS, 20*time.Minute); err != nil {
			b.Fatal(err)
		}
		total += time.Since(t0)
		runtime.ReadMemStats(&mem1)
		allocated += mem1.TotalAlloc - mem0.TotalAlloc
		cpu1, err := devtest.ReadCPU()
		if err != nil {
			b.Fatal(err)
		}
		cpu = cpu.Add(cpu1.Sub(cpu0))
		be1, err := devtest.BackendCPU(ctx, e.deps.DB.DB)
		if err != nil {
			b.Fatal(err)
		}
		wal1 := readWAL(b, e.deps.DB)
		walRecords, walBytes = walRecords+wal1.Records-wal0.Records, walBytes+wal1.Bytes-wal0.Bytes
		for app, s := range be1 {
			backends[app] += s - be0[app]
		}
		b.StopTimer()
		e.stop()
		b.StartTimer()
	}
	b.ReportMetric(float64(len(truth.Lines)*b.N)/total.Seconds(), "lines/s")
	perLine := 1e6 / float64(len(truth.Lines)*b.N)
	b.ReportMetric((cpu.Self+cpu.Below)*perLine, "cpu-µs/line")
	b.ReportMetric(cpu.Self*perLine, "go-µs/line")
	b.ReportMetric(cpu.Below*perLine, "pg-µs/line")
	b.ReportMetric(float64(allocated)/float64(len(truth.Lines)*b.N), "go-B/line")
	b.ReportMetric(float64(walRecords)/float64(len(truth.Lines)*b.N), "pg-wal-records/line")
	b.ReportMetric(float64(walBytes)/float64(len(truth.Lines)*b.N), "pg-wal-B/line")
	b.ReportMetric(float64(workers), "workers")
	staged := 0.0
	for _, app := range []string{"ingest", "matcher", "router", "driver"} {
		b.ReportMetric(backends[app]*perLine, "pg-"+app+"-µs/line")
		staged += backends[app]
	}
	b.ReportMetric((cpu.Below-staged)*perLine, "pg-other-µs/line")
}

// wal is the server's WAL written so far (pg_stat_wal): records (one per
// row or index entry written, about) and bytes.
type wal struct {
	Records int64 `db:"wal_records"`
	Bytes   int64 `db:"wal_bytes"`
}

func readWAL(b *testing.B, db *sqlx.DB) wal {
	b.Helper()
	var w wal
	if err := db.Get(&w, `SELECT wal_records, wal_bytes::bigint AS wal_bytes FROM pg_stat_wal`); err != nil {
		b.Fatal(err)
	}
	return w
}

func envInt(k string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(k)); err == nil && n > 0 {
		return n
	}
	return def
}

// BenchmarkLatency measures how long one file takes from upload to its
// last work item with the whole pipeline running and otherwise idle: a
// generated truth set of 7,500 billed lines (seed 5) has four first-cycle
// 835 files of ~2,000 paid lines each (one per payer); each is uploaded
// alone and the clock stops when every stage has caught up (polled every
// 5 ms: publish queue, matcher and router consumers, retries and outbox all
// empty). Five fresh environments (database, NATS, components, billed
// claims loaded untimed) give 20 files. It reports the p50 and the worst
// of them, and their mean paid lines.
func BenchmarkLatency(b *testing.B) {
	truth, err := synth.GenerateTruth(synth.TruthOptions{Seed: 5, Lines: 7500, Practices: 3})
	if err != nil {
		b.Fatal(err)
	}
	type file struct {
		name  string
		raw   []byte
		lines int
	}
	var files []file
	for _, f := range truth.Files {
		if !strings.HasPrefix(f.Name, "era-c1-") {
			continue
		}
		var buf bytes.Buffer
		if err := f.Write(&buf); err != nil {
			b.Fatal(err)
		}
		n := 0
		for _, r := range f.Remittances {
			for _, c := range r.Claims {
				n += len(c.Lines)
			}
		}
		files = append(files, file{f.Name, buf.Bytes(), n})
	}
	ctx := context.Background()
	var all []time.Duration
	lines := 0
	for b.Loop() {
		for range 5 {
			b.StopTimer()
			e := start(b, truth, 1)
			b.StartTimer()
			for _, f := range files {
				t0 := time.Now()
				if _, err := e.ingest.Ingest(ctx, f.name, f.raw); err != nil {
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
						b.Fatalf("%s not done after 5 minutes: %s", f.name, p)
					}
					time.Sleep(5 * time.Millisecond)
				}
				all = append(all, time.Since(t0))
				lines += f.lines
			}
			b.StopTimer()
			e.stop()
			b.StartTimer()
		}
	}
	slices.Sort(all)
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(all[len(all)-1].Microseconds())/1000, "max-ms")
	b.ReportMetric(float64(lines)/float64(len(all)), "lines/file")
}
