package apisvc

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
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
// routes the API registers and the other components' routes it guards.
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
	for _, fr := range s.foreignRoutes() {
		method, path, _ := strings.Cut(fr.Pattern, " ")
		key := strings.ToLower(method) + " " + path
		want[key] = true
		op, ok := spec.Paths[path][strings.ToLower(method)]
		if !ok {
			t.Errorf("%s (%s) is not in openapi.json", key, fr.Component)
			continue
		}
		var o struct {
			Component string `json:"x-remitq-component"`
		}
		if err := json.Unmarshal(op, &o); err != nil || o.Component != fr.Component {
			t.Errorf("%s: x-remitq-component %q, want %q", key, o.Component, fr.Component)
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

type fakeComponent struct {
	seen *http.Header
	body *string
	url  *string
}

func (fakeComponent) Name() string                  { return "fake" }
func (fakeComponent) Run(ctx context.Context) error { <-ctx.Done(); return nil }
func (c fakeComponent) Register(mux *http.ServeMux) {
	h := func(w http.ResponseWriter, r *http.Request) {
		*c.seen = r.Header.Clone()
		b, _ := io.ReadAll(r.Body)
		*c.body, *c.url = string(b), r.URL.String()
		w.WriteHeader(299)
	}
	// The matcher's and the router's routes.
	for _, p := range []string{"GET /v1/match/review", "POST /v1/match/lines/{file}/{segment}/confirm", "GET /v1/match/payers",
		"GET /v1/practices/{practice}/queues", "GET /v1/queue-rules", "POST /v1/queue-rules", "PUT /v1/queue-rules/{id}"} {
		mux.HandleFunc(p, h)
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
	var body, url string
	deps := &svc.Deps{DB: f.db, Log: zap.NewNop(), Metrics: prometheus.NewRegistry()}
	h := deps.Handler(f.s, fakeComponent{seen: &seen, body: &body, url: &url})
	globalRule := f.id(`INSERT INTO queue_rules (queue_name) VALUES ('all') RETURNING id`)
	p2Rule := f.id(`INSERT INTO queue_rules (practice_id, queue_name) VALUES ($1, 'two') RETURNING id`, f.p2)
	p1Rule := f.id(`INSERT INTO queue_rules (practice_id, queue_name) VALUES ($1, 'one') RETURNING id`, f.p1)
	rule := func(p int64) string { return fmt.Sprintf(`{"practice_id": %d, "queue_name": "x"}`, p) }
	call := func(user, method, path string, reqBody ...string) int {
		seen = nil
		var rd io.Reader
		if len(reqBody) > 0 {
			rd = strings.NewReader(reqBody[0])
		}
		req := httptest.NewRequest(method, path, rd)
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
		body               []string
	}{
		{"sup1", "GET", "/v1/match/review", 299, nil},
		{"sup1", "GET", fmt.Sprint("/v1/match/review?practice_id=", f.p2), 404, nil},
		{"billa", "GET", fmt.Sprint("/v1/match/review?practice_id=", f.p1), 404, nil},
		{"an1", "GET", "/v1/match/review", 403, nil},
		{"bill1", "POST", fmt.Sprint("/v1/match/lines/", f.fileP1, "/11/confirm"), 299, nil},
		{"bill1", "POST", fmt.Sprint("/v1/match/lines/", f.fileP2, "/11/confirm"), 404, nil},
		{"sup1", "GET", "/v1/match/payers", 403, nil},
		{"admin", "GET", "/v1/match/payers", 299, nil},
		{"sup1", "GET", fmt.Sprint("/v1/practices/", f.p1, "/queues"), 299, nil},
		{"sup1", "GET", fmt.Sprint("/v1/practices/", f.p2, "/queues"), 404, nil},
		{"billa", "GET", fmt.Sprint("/v1/practices/", f.p1, "/queues"), 404, nil},
		{"sup2", "GET", "/v1/queue-rules", 299, nil},
		{"sup1", "POST", "/v1/queue-rules", 299, []string{rule(f.p1)}},
		{"sup1", "POST", "/v1/queue-rules", 404, []string{rule(f.p2)}},
		{"sup1", "POST", "/v1/queue-rules", 403, []string{`{"queue_name": "x"}`}},
		{"bill1", "POST", "/v1/queue-rules", 403, []string{rule(f.p1)}},
		{"admin", "POST", "/v1/queue-rules", 299, []string{`{"queue_name": "x"}`}},
		{"sup1", "PUT", fmt.Sprint("/v1/queue-rules/", p1Rule), 299, []string{rule(f.p1)}},
		{"sup1", "PUT", fmt.Sprint("/v1/queue-rules/", p1Rule), 404, []string{rule(f.p2)}},
		{"sup1", "PUT", fmt.Sprint("/v1/queue-rules/", p2Rule), 404, []string{rule(f.p1)}},
		{"sup1", "PUT", fmt.Sprint("/v1/queue-rules/", globalRule), 403, []string{rule(f.p1)}},
		{"", "GET", "/healthz", 200, nil},
		{"", "GET", "/openapi.json", 200, nil},
		{"", "GET", "/v1/other/thing", 401, nil},
		{"", "POST", "/v1/remittances", 401, nil},
		// A route no scope rule declares is refused for everyone (fail
		// closed), admins included, whatever its parameters.
		{"bill1", "GET", "/v1/other/thing", 404, nil},
		{"bill1", "GET", fmt.Sprint("/v1/other/thing?practice_id=", f.p1), 404, nil},
		{"bill1", "GET", fmt.Sprint("/v1/other/thing?practice=", f.p2), 404, nil},
		{"admin", "GET", "/v1/other/thing", 404, nil},
		{"admin", "POST", "/v1/other/thing", 404, nil},
		// A declared route asked with another method: the mux's 405.
		{"admin", "DELETE", "/v1/match/review", 405, nil},
		// practice_id and the deprecated practice on the router's rules.
		{"sup1", "GET", fmt.Sprint("/v1/queue-rules?practice_id=", f.p1), 299, nil},
		{"sup1", "GET", fmt.Sprint("/v1/queue-rules?practice_id=", f.p2), 404, nil},
		{"sup1", "GET", fmt.Sprint("/v1/queue-rules?practice=", f.p2), 404, nil},
		{"sup1", "GET", fmt.Sprint("/v1/queue-rules?practice=", f.p1, "&practice_id=", f.p2), 400, nil},
		{"", "GET", "/not/registered", 401, nil},
		{"an1", "POST", "/v1/other/thing", 403, nil}, // the authenticator refuses an analyst's write first
		{"an1", "POST", "/v1/remittances", 403, nil},
		{"bill1", "POST", "/v1/remittances", 299, nil},
		{"bill1", "GET", fmt.Sprint("/v1/remittances/", f.fileP1), 299, nil},
		{"bill1", "GET", fmt.Sprint("/v1/remittances/", f.fileP2), 404, nil},
		{"billa", "GET", fmt.Sprint("/v1/remittances/", f.fileP1), 404, nil},
		{"admin", "GET", fmt.Sprint("/v1/remittances/", f.fileP2), 299, nil},
		{"bill1", "GET", "/v1/remittances/x", 404, nil},
	}
	for _, tt := range tests {
		if got := call(tt.user, tt.method, tt.path, tt.body...); got != tt.want {
			t.Errorf("%s %s as %q: %d, want %d", tt.method, tt.path, tt.user, got, tt.want)
		}
	}
	// A guard that read the body hands it on; the practice is filled in.
	call("sup1", "POST", "/v1/queue-rules", rule(f.p1))
	if body != rule(f.p1) {
		t.Errorf("body handed on: %q", body)
	}
	call("sup2", "GET", "/v1/queue-rules")
	if url != fmt.Sprint("/v1/queue-rules?practice=", f.p2) {
		t.Errorf("practice filled in: %q", url)
	}
	call("sup1", "GET", fmt.Sprint("/v1/queue-rules?practice_id=", f.p1))
	if url != fmt.Sprint("/v1/queue-rules?practice=", f.p1, "&practice_id=", f.p1) {
		t.Errorf("practice_id handed on as practice: %q", url)
	}
	// The gate does the same for a service run apart.
	gate, err := NewGate(f.db, nil, f.s.opts)
	if err != nil {
		t.Fatal(err)
	}
	h = deps.Handler(fakeComponent{seen: &seen, body: &body, url: &url}, gate)
	for _, tt := range tests {
		if tt.path == "/openapi.json" {
			continue // the API's own route
		}
		if got := call(tt.user, tt.method, tt.path, tt.body...); got != tt.want {
			t.Errorf("gate: %s %s as %q: %d, want %d", tt.method, tt.path, tt.user, got, tt.want)
		}
	}
	if r := call("bill1", "GET", "/v1/work-items"); r != http.StatusNotFound {
		t.Errorf("the gate serves the API's routes: %d", r)
	}
	call("bill1", "GET", fmt.Sprint("/v1/remittances/", f.fileP1))
	if seen.Get(auth.UserHeader) != fmt.Sprint(f.users["bill1"].ID) || seen.Get(auth.RoleHeader) != "biller" {
		t.Errorf("X-Remitq-User %q, role %q", seen.Get(auth.UserHeader), seen.Get(auth.RoleHeader))
	}
}
