package match_test

import (
	"fmt"
	"testing"

	"github.com/remitq/remitq/pkg/billed"
	"github.com/remitq/remitq/pkg/match"
	"github.com/remitq/remitq/pkg/synth"
	"github.com/remitq/remitq/x12"
)

// BenchmarkMatch measures the pure matcher on a truth set already in
// memory: billed claims indexed, the paid claims converted; each iteration
// matches every paid claim of the set with a fresh set of prior payments.
func BenchmarkMatch(b *testing.B) {
	tr, err := synth.GenerateTruth(synth.TruthOptions{Seed: 1, Lines: 50_000})
	if err != nil {
		b.Fatal(err)
	}
	claimsAll := append(tr.BilledClaims(false), tr.BilledClaims(true)...)
	type job struct {
		pc              *match.PaidClaim
		practice, payer string
	}
	var jobs []job
	lines := 0
	for _, f := range tr.Files {
		for _, rem := range f.Remittances {
			n := 0
			for _, pc := range match.FromRemittance(rem, func(*x12.ClaimPayment) string { n++; return fmt.Sprintf("%s#%d", f.Name, n) }) {
				jobs = append(jobs, job{pc, match.Payee(rem), rem.Payer.PayerID()})
				lines += max(1, len(pc.Lines))
			}
		}
	}
	fees := billed.NewFeeSchedule(tr.Fees)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		mem := match.NewMemory()
		mem.AddClaims(claimsAll...)
		m := match.New(mem, match.Options{Fees: fees})
		b.StartTimer()
		for _, j := range jobs {
			res, err := m.Match(j.pc, j.practice, j.payer)
			if err != nil {
				b.Fatal(err)
			}
			mem.Record(res)
		}
	}
	b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkTruthSet measures generating and matching a 100,000-line truth
// set end to end, in memory.
func BenchmarkTruthSet(b *testing.B) {
	for b.Loop() {
		tr, err := synth.GenerateTruth(synth.TruthOptions{Seed: 1, Lines: 100_000})
		if err != nil {
			b.Fatal(err)
		}
		runTruth(b, tr, false)
	}
}
