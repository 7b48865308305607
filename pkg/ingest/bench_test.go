package ingest_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/remitq/remitq/pkg/ingest"
	"github.com/remitq/remitq/pkg/synth"
)

// BenchmarkIngest stores a generated 835 of 100,000 service lines (50,000
// claims × 2 lines, with CAS and remarks) in PostgreSQL and publishes its
// messages on JetStream (one per line plus one per claim), on the embedded
// servers. It reports service lines per second for the store, the publish
// and the whole (file in → every message acknowledged).
func BenchmarkIngest(b *testing.B) {
	e := newEnvB(b)
	e.addPractice(b)
	var store, publish time.Duration
	lines := 0
	seed := uint64(100)
	for b.Loop() {
		b.StopTimer()
		var buf bytes.Buffer
		n, err := synth.WriteRemits(&buf, synth.RemitOptions{Seed: seed, Claims: 25000, LinesPerClaim: 2, Transactions: 2, PayeeNPI: practiceNPI})
		if err != nil {
			b.Fatal(err)
		}
		seed++
		b.StartTimer()
		t0 := time.Now()
		res, err := e.in.Ingest(b.Context(), "bench.835", buf.Bytes())
		if err != nil || res.Status != ingest.StatusIngested {
			b.Fatalf("%v %+v", err, res)
		}
		t1 := time.Now()
		p := &ingest.Publisher{DB: e.db, JS: e.js}
		if _, err := p.Drain(b.Context()); err != nil {
			b.Fatal(err)
		}
		store += t1.Sub(t0)
		publish += time.Since(t1)
		lines += n
	}
	b.ReportMetric(float64(lines)/store.Seconds(), "stored_lines/s")
	b.ReportMetric(float64(lines)/publish.Seconds(), "published_lines/s")
	b.ReportMetric(float64(lines)/(store+publish).Seconds(), "lines/s")
}
