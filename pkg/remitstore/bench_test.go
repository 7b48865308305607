package remitstore_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/remitq/remitq/pkg/remitstore"
	"github.com/remitq/remitq/pkg/synth"
)

// BenchmarkIngest runs the ingest pipeline on the embedded servers: four
// generated 835 files of 25,000 service lines each (100,000 lines, with CAS
// and remarks) are stored in PostgreSQL one after the other while a
// publisher drains the outbox onto JetStream (one message per line plus one
// per claim), as the service does. It reports service lines per second from
// the first file in to the last message acknowledged, and the store rate
// alone.
func BenchmarkIngest(b *testing.B) {
	e := newEnvB(b)
	e.addPractice(b)
	const files, claims = 4, 6250 // × 2 transaction sets × 2 lines = 25,000 lines per file
	var store, total time.Duration
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
		go func() { done <- p.Run(ctx, wake) }()
		in := &remitstore.Ingester{DB: e.db, Queued: wake}
		for _, raw := range raws {
			t1 := time.Now()
			if res, err := in.Ingest(b.Context(), "bench.835", raw); err != nil || res.Status != remitstore.StatusIngested {
				b.Fatalf("%v %+v", err, res)
			}
			store += time.Since(t1)
		}
		want := before + uint64(n+files*2*claims)
		for e.streamMsgs(b) < want {
			time.Sleep(5 * time.Millisecond)
		}
		total += time.Since(t0)
		b.StopTimer()
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		lines += n
		b.StartTimer()
	}
	b.ReportMetric(float64(lines)/total.Seconds(), "lines/s")
	b.ReportMetric(float64(lines)/store.Seconds(), "stored_lines/s")
}
