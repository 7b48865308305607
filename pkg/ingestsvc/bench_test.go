package ingestsvc_test

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/remitq/remitq/pkg/ingestsvc"
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
// process's peak RSS over its RSS just before (the client sends the file
// from disk, so the process holds no copy of it; freed memory is returned to
// the OS first), in MB and as a multiple of the file, and the bytes
// allocated.
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
				// The client sends from disk, so that the process holds no
				// copy of the file: what grows is the server's.
				path := b.TempDir() + "/bench.835"
				if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
					b.Fatal(err)
				}
				size := buf.Len()
				buf = bytes.Buffer{}
				body, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				debug.FreeOSMemory() // the generator's garbage leaves the RSS
				base := vmRSS(b)
				resetHWM(b)
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				b.StartTimer()
				start := time.Now()
				req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/remittances?filename=bench.835", body)
				req.ContentLength = int64(size)
				resp, err := http.DefaultClient.Do(req)
				body.Close()
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
				b.ReportMetric(float64(size)/1e6, "file_MB")
				b.ReportMetric(float64(base)/1e6, "rss_before_MB")
				b.ReportMetric(float64(peak)/1e6, "peak_rss_growth_MB")
				b.ReportMetric(float64(peak)/float64(size), "peak_rss_growth_x_file")
				b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/1e6, "alloc_MB")
				b.ReportMetric(el.Seconds(), "s/upload")
				b.StartTimer()
			}
		})
	}
}
