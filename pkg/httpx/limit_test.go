package httpx_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/remitq/remitq/pkg/httpx"
)

func get(t *testing.T, h http.Handler, path, token string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// One token did 4,383 requests a second unchecked; now a caller over its
// rate gets 429 with Retry-After while other callers go on.
func TestRatePerCaller(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	h := httpx.Protect(ok, httpx.Limits{RatePerCaller: 10, Burst: 20})
	codes := map[int]int{}
	var retry string
	for range 100 {
		w := get(t, h, "/v1/x", "tok-a")
		codes[w.Code]++
		if w.Code == http.StatusTooManyRequests {
			retry = w.Header().Get("Retry-After")
		}
	}
	if codes[http.StatusOK] < 20 || codes[http.StatusOK] > 25 || codes[http.StatusTooManyRequests] < 75 || retry == "" {
		t.Fatalf("100 quick requests of one token at 10/s burst 20: %v, Retry-After %q", codes, retry)
	}
	if w := get(t, h, "/v1/x", "tok-b"); w.Code != http.StatusOK {
		t.Fatalf("another token: %d, want 200", w.Code)
	}
	if w := get(t, h, "/healthz", "tok-a"); w.Code != http.StatusOK {
		t.Fatalf("probe of a limited token: %d, want 200 (exempt)", w.Code)
	}
}

// 200 concurrent requests queued until their clients timed out; now past
// MaxConcurrent a request waits at most QueueWait and is shed with 503 +
// Retry-After, quickly.
func TestLoadShedding(t *testing.T) {
	slow := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		time.Sleep(300 * time.Millisecond)
		w.WriteHeader(http.StatusOK)
	})
	h := httpx.Protect(slow, httpx.Limits{RatePerCaller: -1, MaxConcurrent: 4, QueueWait: 20 * time.Millisecond})
	var mu sync.Mutex
	codes := map[int]int{}
	var shedTime time.Duration
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			start := time.Now()
			w := get(t, h, "/v1/x", "")
			el := time.Since(start)
			mu.Lock()
			defer mu.Unlock()
			codes[w.Code]++
			if w.Code == http.StatusServiceUnavailable {
				if w.Header().Get("Retry-After") == "" {
					t.Error("503 without Retry-After")
				}
				shedTime = max(shedTime, el)
			}
		})
	}
	wg.Wait()
	if codes[http.StatusOK] != 4 || codes[http.StatusServiceUnavailable] != 36 {
		t.Fatalf("40 concurrent requests, 4 slots: %v, want 4 served and 36 shed", codes)
	}
	if shedTime > 200*time.Millisecond {
		t.Fatalf("a shed request took %s, want about the queue wait", shedTime)
	}
}
