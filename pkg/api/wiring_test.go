package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/svc"
)

// TestSpec: the OpenAPI document is valid JSON and describes exactly the
// routes the API registers.
func TestSpec(t *testing.T) {
	var spec struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(Spec, &spec); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(spec.OpenAPI, "3.") {
		t.Errorf("openapi %q", spec.OpenAPI)
	}
	s := &Service{}
	want := map[string]bool{}
	for _, rt := range s.routes() {
		key := strings.ToLower(rt.Method) + " " + rt.Path
		want[key] = true
		op, ok := spec.Paths[rt.Path][strings.ToLower(rt.Method)]
		if !ok {
			t.Errorf("%s is not in openapi.json", key)
			continue
		}
		var o struct {
			PHI bool `json:"x-remitq-phi"`
		}
		if err := json.Unmarshal(op, &o); err != nil || o.PHI != rt.PHI {
			t.Errorf("%s: x-remitq-phi %v, route PHI %v", key, o.PHI, rt.PHI)
		}
	}
	for path, ops := range spec.Paths {
		for m := range ops {
			if !want[m+" "+path] {
				t.Errorf("openapi.json describes %s %s, which is not a route", m, path)
			}
		}
	}
}

type fakeComponent struct{ seen *http.Header }

func (fakeComponent) Name() string                  { return "fake" }
func (fakeComponent) Run(ctx context.Context) error { <-ctx.Done(); return nil }
func (c fakeComponent) Register(mux *http.ServeMux) {
	h := func(w http.ResponseWriter, r *http.Request) {
		*c.seen = r.Header.Clone()
		w.WriteHeader(299)
	}
	// The ingest service's routes and a router-style route.
	mux.HandleFunc("POST /v1/remittances", h)
	mux.HandleFunc("GET /v1/remittances/{id}", h)
	mux.HandleFunc("GET /v1/other/thing", h)
	mux.HandleFunc("POST /v1/other/thing", h)
}

// TestWrapsOtherComponents: in a process, the API authenticates the other
// components' routes, sets X-Remitq-User (never the client's), and guards
// the ingest routes by role and scope; the ops routes stay open.
func TestWrapsOtherComponents(t *testing.T) {
	f := newFixture(t)
	var seen http.Header
	deps := &svc.Deps{DB: f.db, Log: zap.NewNop(), Metrics: prometheus.NewRegistry()}
	h := deps.Handler(f.s, fakeComponent{seen: &seen})
	call := func(user, method, path string) int {
		seen = nil
		req := httptest.NewRequest(method, path, nil)
		req.Header.Set(auth.UserHeader, "999")
		if user != "" {
			req.Header.Set("Authorization", "Bearer "+f.tokens[user])
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	tests := []struct {
		user, method, path string
		want               int
	}{
		{"", "GET", "/healthz", 200},
		{"", "GET", "/openapi.json", 200},
		{"", "GET", "/v1/other/thing", 401},
		{"", "POST", "/v1/remittances", 401},
		{"bill1", "GET", "/v1/other/thing", 299},
		{"an1", "POST", "/v1/other/thing", 403},
		{"an1", "POST", "/v1/remittances", 403},
		{"bill1", "POST", "/v1/remittances", 299},
		{"bill1", "GET", fmt.Sprint("/v1/remittances/", f.fileP1), 299},
		{"bill1", "GET", fmt.Sprint("/v1/remittances/", f.fileP2), 404},
		{"billa", "GET", fmt.Sprint("/v1/remittances/", f.fileP1), 404},
		{"admin", "GET", fmt.Sprint("/v1/remittances/", f.fileP2), 299},
		{"bill1", "GET", "/v1/remittances/x", 299},
	}
	for _, tt := range tests {
		if got := call(tt.user, tt.method, tt.path); got != tt.want {
			t.Errorf("%s %s as %q: %d, want %d", tt.method, tt.path, tt.user, got, tt.want)
		}
	}
	call("bill1", "GET", "/v1/other/thing")
	if seen.Get(auth.UserHeader) != fmt.Sprint(f.users["bill1"].ID) || seen.Get(auth.RoleHeader) != "biller" {
		t.Errorf("X-Remitq-User %q, role %q", seen.Get(auth.UserHeader), seen.Get(auth.RoleHeader))
	}
}
