package svc_test

import (
	"context"
	"flag"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/remitq/remitq/pkg/httpx"
	"github.com/remitq/remitq/pkg/svc"
)

type listComponent struct{}

func (listComponent) Name() string { return "list" }
func (listComponent) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/things", func(w http.ResponseWriter, _ *http.Request) { httpx.JSON(w, http.StatusOK, []int{}) })
}
func (listComponent) Run(ctx context.Context) error { <-ctx.Done(); return nil }

// What Run serves is behind the limits: a token past its rate gets 429 with
// Retry-After; the probes are never limited. The limits come from flags or
// the environment.
func TestServedHandlerIsLimited(t *testing.T) {
	t.Setenv("RATE_LIMIT", "5")
	t.Setenv("MAX_CONCURRENT", "8")
	t.Setenv("QUEUE_WAIT", "50ms")
	var cfg svc.Config
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	cfg.Flags(fs)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if cfg.HTTPLimits.RatePerCaller != 5 || cfg.HTTPLimits.MaxConcurrent != 8 || cfg.HTTPLimits.QueueWait != 50*time.Millisecond {
		t.Fatalf("limits from the environment: %+v", cfg.HTTPLimits)
	}
	d := &svc.Deps{Metrics: prometheus.NewRegistry(), HTTPLimits: cfg.HTTPLimits}
	h := d.ServedHandler(listComponent{})
	limited := 0
	for range 30 {
		r := httptest.NewRequest(http.MethodGet, "/v1/things", nil)
		r.Header.Set("Authorization", "Bearer one-token")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code == http.StatusTooManyRequests && w.Header().Get("Retry-After") != "" {
			limited++
		}
	}
	if limited < 15 {
		t.Fatalf("%d of 30 quick requests of one token at 5/s were limited", limited)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if w.Code != http.StatusOK {
		t.Fatalf("/healthz: %d", w.Code)
	}
}
