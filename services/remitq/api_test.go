package main

import (
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/remitq/remitq/pkg/svc"
)

// TestAllInOneRoutes builds every component of the all-in-one process on
// one mux (a route registered twice panics) and checks that the API's
// authentication stands in front of every component's /v1/ routes while
// the ops routes and the spec stay open.
func TestAllInOneRoutes(t *testing.T) {
	t.Setenv("REMITQ_JWT_KEY", "all-in-one-test-key-of-32-bytes-or-more")
	deps := &svc.Deps{Log: zap.NewNop(), Metrics: prometheus.NewRegistry()}
	app, err := newAllInOne(deps)
	if err != nil {
		t.Fatal(err)
	}
	h := deps.Handler(app.components()...)
	for _, tt := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/healthz", 200},
		{"GET", "/openapi.json", 200},
		{"POST", "/v1/remittances", 401},
		{"GET", "/v1/remittances/1", 401},
		{"GET", "/v1/work-items", 401},
		{"GET", "/v1/match/review", 401},
		{"POST", "/v1/match/lines/1/2/confirm", 401},
		{"GET", "/v1/practices/1/queues", 401},
		{"POST", "/v1/queue-rules", 401},
		{"POST", "/v1/claims", 401},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
		if rec.Code != tt.want {
			t.Errorf("%s %s without a token: %d, want %d", tt.method, tt.path, rec.Code, tt.want)
		}
	}
}
