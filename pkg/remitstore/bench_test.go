package remitstore_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/remitq/remitq/pkg/devenv/devtest"
	"github.com/remitq/remitq/pkg/remitstore"
	"github.com/remitq/remitq/pkg/synth"
)

// BenchmarkIngest runs the ingest pipeline on the embedded servers: four
// generated 835 files of 25,000 service lines each (100,000 lines, with CAS
// and remarks) are stored in PostgreSQL one after the other while a
// publisher drains the outbox onto JetStream (one message per claim; the
// line messages only when a consumer takes them), as the service does. It reports service lines per second from
// the first file in to the last message acknowledged, the store rate
// alone, and the CPU per line of the whole stack over that span: this
// process (the ingest, the publisher and the embedded NATS, go-µs/line) and
// the PostgreSQL server with its backends (pg-µs/line).
func BenchmarkIngest(b *testing.B) {
	e := newEnvB(b)
	e.addPractice(b)
	const files, claims = 4, 6250 // × 2 transaction sets × 2 lines = 25,000 lines per file
	var store, total time.Duration
	var cpu devtest.CPU
	lines := 0
	seed := uint64(100)
	for b.Loop() {
		b.StopTimer()
		var raws [][]byte
		n := 0
		for range files {
			var buf bytes.Buffer
			k, err := synth.WriteRemits(&buf, synth.RemitOptions{Seed: seed, Claims: claims, LinesPerClaim: 2, Transactions: 2, PayeeNPI: practiceNPI})
			if err != nil {
				b.Fatal(err)
			}
			seed++
			n += k
			raws = append(raws, buf.Bytes())
		}
		before := e.streamMsgs(b)
		wake := make(chan struct{}, 1)
		ctx, cancel := context.WithCancel(b.Context())
		p := &remitstore.Publisher{DB: e.db, JS: e.js, Poll: 20 * time.Millisecond}
		done := make(chan error, 1)
		b.StartTimer()

		t0 := time.Now()
		cpu0, err := devtest.ReadCPU()
		if err != nil {
			b.Fatal(err)
		}
		go func() { done <- p.Run(ctx, wake) }()
		in := &remitstore.Ingester{DB: e.db, Queued: wake}
		for _, raw := range raws {
			t1 := time.Now()
			if res, err := in.Ingest(b.Context(), "bench.835", raw); err != nil || res.Status != remitstore.StatusIngested {
				b.Fatalf("%v %+v", err, res)
			}
			store += time.Since(t1)
		}
		// Every file published: the outbox is empty once JetStream acked
		// each message (the publisher sends the line messages only when a
		// consumer takes them: none here, as in the pipeline).
		for {
			n, err := remitstore.Pending(b.Context(), e.db)
			if err != nil {
				b.Fatal(err)
			}
			if n == 0 {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		total += time.Since(t0)
		cpu1, err := devtest.ReadCPU()
		if err != nil {
			b.Fatal(err)
		}
		cpu = cpu.Add(cpu1.Sub(cpu0))
		b.StopTimer()
		if got := e.streamMsgs(b) - before; got < uint64(files*2*claims) {
			b.Fatalf("stream got %d messages, want at least one per claim (%d)", got, files*2*claims)
		}
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		lines += n
		b.StartTimer()
	}
	b.ReportMetric(float64(lines)/total.Seconds(), "lines/s")
	b.ReportMetric(float64(lines)/store.Seconds(), "stored_lines/s")
	perLine := 1e6 / float64(lines)
	b.ReportMetric((cpu.Self+cpu.Below)*perLine, "cpu-µs/line")
	b.ReportMetric(cpu.Self*perLine, "go-µs/line")
	b.ReportMetric(cpu.Below*perLine, "pg-µs/line")
}
