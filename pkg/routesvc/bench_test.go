package routesvc_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/remitq/remitq/pkg/bus"
	"github.com/remitq/remitq/pkg/devenv/devtest"
	"github.com/remitq/remitq/pkg/routesvc"
)

// BenchmarkRouter measures the router end to end on the embedded servers:
// a generated truth set of about 100,000 paid lines (denials, partial
// denials, underpayments, reversals and corrections, unmatched remits, with
// the billed claims stored for the patients' history) is published on
// MATCHED as LineMatch messages (untimed); then one router process
// (Options defaults: batches of 1000, two at a time) consumes them into
// work_items, timed from its start until the consumer has nothing pending.
// Each round starts from empty work items. It reports lines per second and
// the work items written, this process's CPU per line and PostgreSQL's
// (pg-µs/line).
// ROUTER_BENCH_CONSUMERS and ROUTER_BENCH_BATCH override Options.Consumers
// and Options.MaxBatch; ROUTER_BENCH_NOHISTORY=1 sets Options.NoHistory.
func BenchmarkRouter(b *testing.B) {
	e := newEnvWith(b, bus.Config{MaxAckPending: 20000})
	ts := loadTruth(b, e, 42, 87500)
	if len(ts.msgs) < 100000 {
		b.Fatalf("only %d messages", len(ts.msgs))
	}
	// Keep the encoded messages only: a heap of 100,000 decoded protos
	// would make the benchmark measure the garbage collector.
	msgs := claimMessages(b, ts.msgs)
	nLines := len(ts.msgs)
	ts = nil
	consumers, _ := strconv.Atoi(os.Getenv("ROUTER_BENCH_CONSUMERS"))
	batch, _ := strconv.Atoi(os.Getenv("ROUTER_BENCH_BATCH"))
	noHistory := os.Getenv("ROUTER_BENCH_NOHISTORY") != ""
	var cpu time.Duration
	var tree devtest.CPU
	var elapsed time.Duration
	lines, itemsWritten := 0, 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		mustExec(b, e, `TRUNCATE work_items, work_item_events, queues CASCADE`)
		round := make([]bus.Message, len(msgs))
		for j, m := range msgs {
			m.ID += fmt.Sprintf(":round%d", i)
			round[j] = m
		}
		if _, err := bus.NewPublisher(e.deps.JS, bus.PublisherOptions{}).PublishAsync(context.Background(), round); err != nil {
			b.Fatal(err)
		}
		round = nil
		runtime.GC()
		s := newRouter(b, e.otherDeps(b), routesvc.Options{Workers: consumers, MaxBatch: batch, NoHistory: noHistory})
		c0 := cpuTime()
		t0cpu, err := devtest.ReadCPU()
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		b.StartTimer()
		t0 := time.Now()
		go func() { done <- s.Run(ctx) }()
		drainWithin(b, e.deps.JS, 10*time.Minute, 5*time.Millisecond)
		elapsed += time.Since(t0)
		cpu += cpuTime() - c0
		t1cpu, err := devtest.ReadCPU()
		if err != nil {
			b.Fatal(err)
		}
		tree = tree.Add(t1cpu.Sub(t0cpu))
		b.StopTimer()
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		var n int
		if err := e.db.QueryRow(`SELECT count(*) FROM work_items`).Scan(&n); err != nil {
			b.Fatal(err)
		}
		lines += nLines
		itemsWritten += n
	}
	b.ReportMetric(float64(lines)/elapsed.Seconds(), "lines/s")
	b.ReportMetric(float64(itemsWritten)/float64(b.N), "items/op")
	// CPU of this process (router, embedded NATS server, the benchmark's
	// polling), not PostgreSQL's: a figure the machine's other load does not
	// change much.
	b.ReportMetric(float64(cpu.Microseconds())/float64(lines), "cpu-µs/line")
	// PostgreSQL's server and backends (the processes below this one), from
	// /proc: the database's share of the router's cost.
	b.ReportMetric(tree.Below*1e6/float64(lines), "pg-µs/line")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
