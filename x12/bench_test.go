package x12_test

import (
	"bytes"
	"io"
	"os"
	"sync"
	"testing"

	"github.com/remitq/remitq/pkg/synth"
	"github.com/remitq/remitq/x12"
)

// benchData is the 835 the benchmarks read: the file named by
// REMITQ_BENCH_835 (make bench writes a ≥ 50 MB one), else a 5 MB file
// generated in memory.
var benchData = sync.OnceValue(func() []byte {
	if p := os.Getenv("REMITQ_BENCH_835"); p != "" {
		b, err := os.ReadFile(p)
		if err != nil {
			panic(err)
		}
		return b
	}
	var buf bytes.Buffer
	if _, err := synth.WriteRemits(&buf, synth.RemitOptions{Seed: 1, Claims: 8000, LinesPerClaim: 2, Transactions: 2, LineBreaks: true}); err != nil {
		panic(err)
	}
	return buf.Bytes()
})

// benchSegments counts the segments of benchData once.
var benchSegments = sync.OnceValue(func() int { return countSegments(benchData()) })

func countSegments(data []byte) int {
	r := x12.NewReader(bytes.NewReader(data))
	n := 0
	for {
		s, _ := r.Next()
		if s == nil {
			return n
		}
		n++
	}
}

// BenchmarkScanBaseline finds every segment and element terminator with
// bytes.IndexByte and nothing else: the practical ceiling for a tokenizer.
func BenchmarkScanBaseline(b *testing.B) {
	data := benchData()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		n := bytes.Count(data, []byte{'~'}) + bytes.Count(data, []byte{'*'})
		if n == 0 {
			b.Fatal("no terminators")
		}
	}
}

// BenchmarkTokenize reads every segment and splits its elements.
func BenchmarkTokenize(b *testing.B) {
	data := benchData()
	b.SetBytes(int64(len(data)))
	segs := 0
	for b.Loop() {
		r := x12.NewReader(bytes.NewReader(data))
		segs = 0
		for {
			s, err := r.Next()
			if s == nil {
				if err != io.EOF {
					b.Fatal(err)
				}
				break
			}
			segs++
		}
	}
	b.ReportMetric(float64(segs), "segments/op")
}

// BenchmarkDecode835 decodes the typed 835, claims, lines and balancing
// included.
func BenchmarkDecode835(b *testing.B) {
	data := benchData()
	b.SetBytes(int64(len(data)))
	lines := 0
	for b.Loop() {
		d := x12.NewRemitReader(bytes.NewReader(data))
		lines = 0
		for {
			rec, err := d.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if c, ok := rec.(*x12.ClaimPayment); ok {
				lines += len(c.Lines)
			}
		}
		if len(d.Errors()) > 0 {
			b.Fatal(d.Errors()[0])
		}
	}
	b.ReportMetric(float64(lines), "lines/op")
	b.ReportMetric(float64(benchSegments()), "segments/op")
}

// bench837 is a generated 837P (about 9 MB) the 837 benchmark reads.
var bench837 = sync.OnceValue(func() []byte {
	tr, err := synth.GenerateTruth(synth.TruthOptions{Seed: 1, Lines: 40000})
	if err != nil {
		panic(err)
	}
	var buf bytes.Buffer
	if err := tr.Write837(&buf, false); err != nil {
		panic(err)
	}
	return buf.Bytes()
})

// BenchmarkDecode837 decodes typed 837P claims.
func BenchmarkDecode837(b *testing.B) {
	data := bench837()
	b.SetBytes(int64(len(data)))
	claims := 0
	for b.Loop() {
		d := x12.NewClaimReader(bytes.NewReader(data))
		claims = 0
		for {
			c, err := d.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if c != nil {
				claims++
			}
		}
	}
	b.ReportMetric(float64(claims), "claims/op")
	b.ReportMetric(float64(countSegments(data)), "segments/op")
}
