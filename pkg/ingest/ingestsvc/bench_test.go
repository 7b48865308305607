package ingestsvc_test

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/remitq/remitq/pkg/ingest/ingestsvc"
	"github.com/remitq/remitq/pkg/synth"
)

// vmHWM is the process's peak resident set size (VmHWM) in bytes;
// resetHWM sets it back to the current RSS (Linux: clear_refs 5).
func vmHWM(b *testing.B) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	b.Fatal("no VmHWM")
	return 0
}

func vmRSS(b *testing.B) int64 {
	raw, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func resetHWM(b *testing.B) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Fatalf("cannot reset the peak RSS: %v", err)
	}
}

// BenchmarkUploadMemory: one 835 of about 1, 10 or 100 MB (BENCH_UPLOAD_MB,
// comma-separated, picks the sizes) uploaded as the raw body to POST
// /v1/remittances of a real ingest service (embedded PostgreSQL, no
// publisher), default GOGC. Reported per upload: the growth of the
// process's peak RSS over its RSS just before (the client's copy of the
// file is already resident then), in MB and as a multiple of the file, and
// the bytes allocated.
func BenchmarkUploadMemory(b *testing.B) {
	sizes := []int{1, 10, 100}
	if s := os.Getenv("BENCH_UPLOAD_MB"); s != "" {
		sizes = nil
		for _, f := range strings.Split(s, ",") {
			n, _ := strconv.Atoi(f)
			sizes = append(sizes, n)
		}
	}
	_, deps, srv := newService(b, ingestsvc.Options{NoPublisher: true})
	addPractice(b, deps, "1234567893")
	for _, mb := range sizes {
		b.Run(fmt.Sprintf("%dMB", mb), func(b *testing.B) {
			seed := uint64(1000 + mb)
			for b.Loop() {
				b.StopTimer()
				var buf bytes.Buffer
				// ~590 bytes a claim of 2 lines.
				if _, err := synth.WriteRemits(&buf, synth.RemitOptions{Seed: seed, Claims: mb * 1780, LinesPerClaim: 2, Transactions: 2, PayeeNPI: "1234567893"}); err != nil {
					b.Fatal(err)
				}
				seed += 100
				file := buf.Bytes()
				runtime.GC()
				base := vmRSS(b)
				resetHWM(b)
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				b.StartTimer()
				start := time.Now()
				resp, err := http.Post(srv.URL+"/v1/remittances?filename=bench.835", "application/octet-stream", bytes.NewReader(file))
				if err != nil {
					b.Fatal(err)
				}
				resp.Body.Close()
				el := time.Since(start)
				b.StopTimer()
				if resp.StatusCode != http.StatusCreated {
					b.Fatalf("upload: %s", resp.Status)
				}
				runtime.ReadMemStats(&after)
				peak := vmHWM(b) - base
				b.ReportMetric(float64(len(file))/1e6, "file_MB")
				b.ReportMetric(float64(peak)/1e6, "peak_rss_growth_MB")
				b.ReportMetric(float64(peak)/float64(len(file)), "peak_rss_growth_x_file")
				b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/1e6, "alloc_MB")
				b.ReportMetric(el.Seconds(), "s/upload")
				buf = bytes.Buffer{}
				b.StartTimer()
			}
		})
	}
}
