package ingestsvc_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/remitq/remitq/pkg/httpx"
	"github.com/remitq/remitq/pkg/ingestsvc"
	"github.com/remitq/remitq/pkg/remitstore"
	"github.com/remitq/remitq/pkg/svc"
	"github.com/remitq/remitq/pkg/synth"
)

// A NUL or a byte that is not UTF-8 in an element, or a file name that is
// not UTF-8, answered 503 "send it again" and stored nothing; now the file
// is kept (quarantined, 422, with a positioned reason) or stored.
func TestUploadBadBytesIsQuarantinedNot503(t *testing.T) {
	_, deps, srv := newService(t, ingestsvc.Options{})
	addPractice(t, deps, "1234567893")
	raw := file835(t, 30, "1234567893")
	at := bytes.Index(raw, []byte("CLP*")) + 5
	for _, b := range []byte{0x00, 0xFF} {
		bad := append(append(append([]byte{}, raw[:at]...), b), raw[at:]...)
		resp := post(t, srv.URL+"/v1/remittances?filename=bad.835", bad, nil)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("byte %#x: %s, want 422", b, resp.Status)
		}
		res := decode[remitstore.Result](t, resp)
		if res.Status != remitstore.StatusQuarantined || len(res.Errors) == 0 || res.Errors[0].Offset != int64(at) || res.Errors[0].Segment == 0 {
			t.Fatalf("byte %#x: result %+v", b, res)
		}
	}
	resp := post(t, srv.URL+"/v1/remittances?filename=era%FF%00.835", raw, nil)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("file name not UTF-8: %s, want 201", resp.Status)
	}
	if res := decode[remitstore.Result](t, resp); res.FilenameHex != "657261ff002e383335" {
		t.Fatalf("result %+v", res)
	}
}

func countFiles(t *testing.T, deps *svc.Deps) int {
	t.Helper()
	var n int
	if err := deps.DB.Get(&n, `SELECT count(*) FROM remittance_files`); err != nil {
		t.Fatal(err)
	}
	return n
}

// One multipart request with 2,000 parts stored 2,000 files; now a request
// over the part cap is refused and stores nothing.
func TestUploadPartCap(t *testing.T) {
	_, deps, srv := newService(t, ingestsvc.Options{})
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for i := range 2000 {
		w, _ := mw.CreateFormFile("file", fmt.Sprintf("era%d.835", i))
		fmt.Fprintf(w, "not x12 %d", i)
	}
	mw.Close()
	resp := post(t, srv.URL+"/v1/remittances", body.Bytes(), map[string]string{"Content-Type": mw.FormDataContentType()})
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("2,000 parts: %s, want 413", resp.Status)
	}
	if e := decode[map[string]map[string]string](t, resp); e["error"]["code"] != "too_many_parts" {
		t.Fatalf("error %v", e)
	}
	if n := countFiles(t, deps); n != 0 {
		t.Fatalf("%d files stored from a refused request", n)
	}
}

// rawRequest writes a request head by hand and returns the connection.
func rawRequest(t *testing.T, srvURL, head string) net.Conn {
	t.Helper()
	u, _ := url.Parse(srvURL)
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := io.WriteString(c, head); err != nil {
		t.Fatal(err)
	}
	return c
}

func readResponse(t *testing.T, c net.Conn, within time.Duration) *http.Response {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(within))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer within %s: %v", within, err)
	}
	return resp
}

// A refused 300 MB upload was buffered up to the limit first; now a
// Content-Length over the limit is answered at once, before any body byte.
func TestUploadContentLengthRefusedEarly(t *testing.T) {
	_, _, srv := newService(t, ingestsvc.Options{})
	c := rawRequest(t, srv.URL, "POST /v1/remittances HTTP/1.1\r\nHost: x\r\nContent-Length: 300000000\r\n\r\n")
	if resp := readResponse(t, c, 5*time.Second); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("300 MB declared: %s, want 413", resp.Status)
	}
}

// A body of one byte every so often was never cut; now it is (408).
func TestUploadSlowBodyIsCut(t *testing.T) {
	_, deps, srv := newService(t, ingestsvc.Options{Upload: httpx.UploadLimits{
		IdleTimeout: 2 * time.Second, MinBytesPerSecond: 1000, Grace: 500 * time.Millisecond}})
	c := rawRequest(t, srv.URL, "POST /v1/remittances HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
	done := make(chan struct{})
	go func() {
		for range 50 {
			select {
			case <-done:
				return
			case <-time.After(100 * time.Millisecond):
			}
			if _, err := c.Write([]byte("I")); err != nil {
				return
			}
		}
	}()
	start := time.Now()
	resp := readResponse(t, c, 10*time.Second)
	close(done)
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("slow body: %s, want 408", resp.Status)
	}
	if el := time.Since(start); el > 4*time.Second {
		t.Fatalf("slow body cut after %s", el)
	}
	// A body that stops altogether is cut by the idle timeout.
	c = rawRequest(t, srv.URL, "POST /v1/remittances HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nISA")
	if resp := readResponse(t, c, 6*time.Second); resp.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("stalled body: %s, want 408", resp.Status)
	}
	if n := countFiles(t, deps); n != 0 {
		t.Fatalf("%d files stored", n)
	}
}

// Bytes in flight across uploads are capped: beyond it, 503 + Retry-After.
func TestUploadBytesInFlightCap(t *testing.T) {
	budget := httpx.NewBudget(150_000)
	_, deps, srv := newService(t, ingestsvc.Options{Upload: httpx.UploadLimits{Budget: budget}})
	addPractice(t, deps, "1234567893")
	raw := file835(t, 40, "1234567893")
	declared := 100_000
	if len(raw) > declared {
		t.Fatalf("test file of %d bytes", len(raw))
	}
	file := append(raw, bytes.Repeat([]byte("\n"), declared-len(raw))...)
	a := rawRequest(t, srv.URL, fmt.Sprintf("POST /v1/remittances HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", declared))
	if _, err := a.Write(file[:declared/2]); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); budget.InUse() < int64(declared); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the first upload holds %d bytes of the budget, want %d", budget.InUse(), declared)
		}
	}
	resp := post(t, srv.URL+"/v1/remittances", file, nil)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("second upload beyond the cap: %s (Retry-After %q), want 503 with Retry-After", resp.Status, resp.Header.Get("Retry-After"))
	}
	resp.Body.Close()
	if _, err := a.Write(file[declared/2:]); err != nil {
		t.Fatal(err)
	}
	if resp := readResponse(t, a, 10*time.Second); resp.StatusCode != http.StatusCreated {
		t.Fatalf("first upload: %s, want 201", resp.Status)
	}
	// The budget is back: the same upload now goes through (a duplicate).
	if resp := post(t, srv.URL+"/v1/remittances", file, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("after the first finished: %s, want 200", resp.Status)
	}
}

// An upload held 5-8x the file in memory; now the heap during a 15 MB
// upload grows by well under the file's size (measured 0.36x, most of it
// fixed buffers and GC slack).
func TestUploadMemoryIsBounded(t *testing.T) {
	_, deps, srv := newService(t, ingestsvc.Options{NoPublisher: true})
	addPractice(t, deps, "1234567893")
	var buf bytes.Buffer
	if _, err := synth.WriteRemits(&buf, synth.RemitOptions{Seed: 41, Claims: 25000, LinesPerClaim: 2, Transactions: 2, PayeeNPI: "1234567893"}); err != nil {
		t.Fatal(err)
	}
	size := uint64(buf.Len())
	if size < 12<<20 {
		t.Fatalf("test file of %d bytes, want >= 12 MiB", size)
	}
	// Sent from disk, so that the test holds no copy of the file: what
	// grows is the server's.
	path := filepath.Join(t.TempDir(), "big.835")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	buf = bytes.Buffer{}
	body, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	old := debug.SetGCPercent(10) // keep the heap close to what is live
	defer debug.SetGCPercent(old)
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	peak := make(chan uint64)
	stop := make(chan struct{})
	go func() {
		var max uint64
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				peak <- max
				return
			case <-time.After(5 * time.Millisecond):
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > max {
				max = ms.HeapAlloc
			}
		}
	}()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/v1/remittances", body)
	req.ContentLength = int64(size)
	resp, err := http.DefaultClient.Do(req)
	close(stop)
	p := <-peak
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %s", resp.Status)
	}
	grew := p - min(p, base.HeapAlloc)
	t.Logf("file %d bytes; heap peak %d above the base (%.2fx the file)", size, grew, float64(grew)/float64(size))
	if grew > size*3/4 {
		t.Fatalf("heap grew by %d bytes during a %d-byte upload, want at most 3/4 of the file (it was 2x and more)", grew, size)
	}
}
