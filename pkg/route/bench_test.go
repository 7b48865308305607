package route

import (
	"testing"
)

// BenchmarkDecide routes a realistic mix: mostly paid lines (CO-45 + PR-2),
// some denials with remarks and pain siblings, a partial denial, an
// underpayment. Target: far above 50,000 lines/s on one core.
func BenchmarkDecide(b *testing.B) {
	r := New(Config{})
	var lines []*Line
	for _, name := range []string{
		"CO-45 PR-2", "CO-45 PR-2", "CO-45 PR-2", "CO-45 PR-2", "all deductible",
		"CO-197 N54", "CO-97 M15", "CO-50 N115", "CO-151 N362", "CO-16 N290",
		"CO-119 on lumbar RFA", "facet paid below contract", "CO-4 N823",
	} {
		lines = append(lines, named(b, name).line(b))
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		_ = r.Decide(lines[n%len(lines)])
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkDecideDenial is the slowest common path: a denial read with its
// remarks, sharpened and written out.
func BenchmarkDecideDenial(b *testing.B) {
	r := New(Config{})
	l := named(b, "CO-97 M15").line(b)
	b.ReportAllocs()
	for b.Loop() {
		_ = r.Decide(l)
	}
}
