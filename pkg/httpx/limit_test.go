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
	start := time.Now()
	for range 100 {
		w := get(t, h, "/v1/x", "tok-a")
		codes[w.Code]++
		if w.Code == http.StatusTooManyRequests {
			retry = w.Header().Get("Retry-After")
		}
	}
	// The burst, plus the tokens the rate refilled while the loop ran (none
	// on a quick machine; a loaded CI machine may take a second or more),
	// plus 5 to spare.
	most := 25 + int(time.Since(start).Seconds()*10)
	if codes[http.StatusOK] < 20 || codes[http.StatusOK] > most || codes[http.StatusTooManyRequests] < 100-most || retry == "" {
		t.Fatalf("100 quick requests of one token at 10/s burst 20: %v (want 20 to %d served), Retry-After %q", codes, most, retry)
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
	// The served requests hold their slots until every other one is shed
	// (not for a fixed time, which a late goroutine on a loaded machine
	// could outlast and be served), or 10 s if they never are.
	release := make(chan struct{})
	slow := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		select {
		case <-release:
		case <-time.After(10 * time.Second):
		}
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
				if codes[http.StatusServiceUnavailable] == 36 {
					close(release)
				}
			}
		})
	}
	wg.Wait()
	if codes[http.StatusOK] != 4 || codes[http.StatusServiceUnavailable] != 36 {
		t.Fatalf("40 concurrent requests, 4 slots: %v, want 4 served and 36 shed", codes)
	}
	// A request queued behind a slot would wait 10 s; 1 s leaves a loaded
	// machine room over the 20 ms queue wait.
	if shedTime > time.Second {
		t.Fatalf("a shed request took %s, want about the queue wait (20 ms)", shedTime)
	}
}
