package apisvc

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/remitq/remitq/pkg/auth"
)

// target is one slice of the fixture: practice 1 provider A, practice 1
// provider B, or practice 2.
type target struct {
	name              string
	practice          int64
	npi               string
	item, claim, file int64
	queue             int64
	assignee          string // a biller who sees the target
	markers           []string
	fileMarker        string
}

func (f *fx) targets() []target {
	return []target{
		{"p1-A", f.p1, npiA, f.itemA, f.claimA, f.fileP1, f.queueP1, "bill1", []string{pcnA, nameA}, "p1-remit"},
		{"p1-B", f.p1, npiB, f.itemB, f.claimB, f.fileP1, f.queueP1, "bill1", []string{pcnB, nameB}, "p1-remit"},
		{"p2", f.p2, npiC, f.itemC, f.claimC, f.fileP2, f.queueP2, "bill2", []string{pcnC, nameC}, "p2-remit"},
	}
}

// scopeKind says how a route's target is scoped: by the item's or claim's
// practice and provider, by the whole practice (files), by the practice at
// any level (queues), or not at all (lists: checked for leaks only).
type scopeKind int

const (
	scopeNone scopeKind = iota
	scopeRow
	scopeFile
	scopeQueue
	scopeOwnKey // an API key: its owner's, or an admin's
)

// request is one call of the matrix.
type request struct {
	method, path string
	body         any
	ifMatch      bool // send the item's current version
	scope        scopeKind
}

// matrixCases gives, for every route of the API, the request aimed at t.
// A route missing here fails the test, so no endpoint escapes the matrix.
func (f *fx) matrixCases(t target) map[string]request {
	id := func(n int64) string { return fmt.Sprint(n) }
	m := map[string]request{
		"GET /v1/me":                                    {method: "GET", path: "/v1/me"},
		"GET /v1/users":                                 {method: "GET", path: "/v1/users"},
		"POST /v1/users":                                {method: "POST", path: "/v1/users", body: map[string]any{"email": "new-" + t.name + "@x.test", "role": "biller", "scopes": []map[string]any{{"practice_id": t.practice}}}},
		"PATCH /v1/users/{id}":                          {method: "PATCH", path: "/v1/users/" + id(f.users[t.assignee].ID), body: map[string]any{"name": "Renamed"}},
		"GET /v1/api-keys":                              {method: "GET", path: "/v1/api-keys"},
		"POST /v1/api-keys":                             {method: "POST", path: "/v1/api-keys", body: map[string]any{"name": "cli"}},
		"DELETE /v1/api-keys/{id}":                      {method: "DELETE", path: "/v1/api-keys/" + id(f.keys[t.assignee]), scope: scopeOwnKey},
		"GET /v1/work-items":                            {method: "GET", path: "/v1/work-items?practice_id=" + id(t.practice)},
		"GET /v1/my/work-items":                         {method: "GET", path: "/v1/my/work-items"},
		"GET /v1/work-items/{id}":                       {method: "GET", path: "/v1/work-items/" + id(t.item), scope: scopeRow},
		"PATCH /v1/work-items/{id}":                     {method: "PATCH", path: "/v1/work-items/" + id(t.item), body: map[string]any{"status": "in_progress"}, ifMatch: true, scope: scopeRow},
		"PUT /v1/work-items/{id}/assignee":              {method: "PUT", path: "/v1/work-items/" + id(t.item) + "/assignee", body: map[string]any{"assignee_id": f.users[t.assignee].ID}, ifMatch: true, scope: scopeRow},
		"POST /v1/work-items/assign":                    {method: "POST", path: "/v1/work-items/assign", body: map[string]any{"assignee_id": nil, "ids": []int64{t.item}}},
		"GET /v1/work-items/{id}/notes":                 {method: "GET", path: "/v1/work-items/" + id(t.item) + "/notes", scope: scopeRow},
		"POST /v1/work-items/{id}/notes":                {method: "POST", path: "/v1/work-items/" + id(t.item) + "/notes", body: map[string]any{"body": "called the payer"}, scope: scopeRow},
		"GET /v1/work-items/{id}/events":                {method: "GET", path: "/v1/work-items/" + id(t.item) + "/events", scope: scopeRow},
		"GET /v1/queues":                                {method: "GET", path: "/v1/queues"},
		"GET /v1/queues/{id}/work-items":                {method: "GET", path: "/v1/queues/" + id(t.queue) + "/work-items", scope: scopeQueue},
		"GET /v1/team":                                  {method: "GET", path: "/v1/team"},
		"GET /v1/settings/work":                         {method: "GET", path: "/v1/settings/work"},
		"PUT /v1/settings/work":                         {method: "PUT", path: "/v1/settings/work", body: map[string]any{"auto_release_business_days": 3, "sla_business_days": 15, "appeal_warning_days": 14, "holidays": []string{"2026-12-25"}}},
		"GET /v1/files":                                 {method: "GET", path: "/v1/files"},
		"GET /v1/files/{id}":                            {method: "GET", path: "/v1/files/" + id(t.file), scope: scopeFile},
		"GET /v1/files/{id}/claims":                     {method: "GET", path: "/v1/files/" + id(t.file) + "/claims", scope: scopeFile},
		"GET /v1/files/{id}/raw":                        {method: "GET", path: "/v1/files/" + id(t.file) + "/raw", scope: scopeFile},
		"GET /v1/claims":                                {method: "GET", path: "/v1/claims?practice_id=" + id(t.practice)},
		"GET /v1/claims/{id}":                           {method: "GET", path: "/v1/claims/" + id(t.claim), scope: scopeRow},
		"GET /v1/audit":                                 {method: "GET", path: "/v1/audit"},
		"GET /v1/reports":                               {method: "GET", path: "/v1/reports"},
		"GET /v1/reports/{kpi}":                         {method: "GET", path: "/v1/reports/denial_rate?group_by=practice,provider&practice_id=" + id(t.practice)},
		"GET /v1/practices/{practice}/reports/pack.pdf": {method: "GET", path: "/v1/practices/" + id(t.practice) + "/reports/pack.pdf?month=2026-03", scope: scopeFile},
		"POST /v1/patient-payments": {method: "POST", path: "/v1/patient-payments?practice_id=" + id(t.practice), scope: scopeFile,
			body: rawBody("practice_npi,payment_id,account,claim_id,service_date,amount,paid_date,method\n" +
				f.practiceNPI(t.practice) + ",PP-" + t.name + ",ACCT1,,2026-01-05,25.00,2026-01-15,card\n")},

		// Issue 17 (finish_test.go sets up what they need).
		"GET /v1/billed-claims/{id}":                      {method: "GET", path: "/v1/billed-claims/" + id(f.finishSetup(t).billedClaim), scope: scopeRow},
		"GET /v1/work-items/{id}/evidence":                {method: "GET", path: "/v1/work-items/" + id(t.item) + "/evidence", scope: scopeRow},
		"GET /v1/work-items/{id}/appeal":                  {method: "GET", path: "/v1/work-items/" + id(t.item) + "/appeal", scope: scopeRow},
		"GET /v1/work-items/{id}/appeals":                 {method: "GET", path: "/v1/work-items/" + id(t.item) + "/appeals", scope: scopeRow},
		"POST /v1/work-items/{id}/appeals":                {method: "POST", path: "/v1/work-items/" + id(t.item) + "/appeals", body: map[string]any{"level": 1, "submitted_on": "2026-11-10"}, scope: scopeRow},
		"PATCH /v1/work-items/{id}/appeals/{appeal}":      {method: "PATCH", path: "/v1/work-items/" + id(t.item) + "/appeals/" + id(f.finishAppeal(t)), body: map[string]any{"outcome": "partial", "decided_on": "2026-11-15", "amount_recovered": "10.00"}, scope: scopeRow},
		"POST /v1/work-items/{id}/write-offs":             {method: "POST", path: "/v1/work-items/" + id(t.item) + "/write-offs", body: map[string]any{"reason_code": "small_balance", "amount": "1.00"}, ifMatch: true, scope: scopeRow},
		"GET /v1/write-offs":                              {method: "GET", path: "/v1/write-offs?practice_id=" + id(t.practice)},
		"POST /v1/write-offs/{id}/approve":                {method: "POST", path: "/v1/write-offs/" + id(f.finishPendingWriteOff(t)) + "/approve", body: map[string]any{"note": "ok"}, scope: scopeRow},
		"POST /v1/write-offs/{id}/reject":                 {method: "POST", path: "/v1/write-offs/" + id(f.finishPendingWriteOff(t)) + "/reject", body: map[string]any{"note": "appeal it"}, scope: scopeRow},
		"GET /v1/write-off-reasons":                       {method: "GET", path: "/v1/write-off-reasons"},
		"POST /v1/write-off-reasons":                      {method: "POST", path: "/v1/write-off-reasons", body: map[string]any{"code": "mx_" + strings.ToLower(strings.ReplaceAll(t.name, "-", "_")), "label": "Matrix"}},
		"PATCH /v1/write-off-reasons/{code}":              {method: "PATCH", path: "/v1/write-off-reasons/other", body: map[string]any{"label": "Other (explain in the note)"}},
		"GET /v1/practices/{practice}/write-off-settings": {method: "GET", path: "/v1/practices/" + id(t.practice) + "/write-off-settings", scope: scopeFile},
		"PUT /v1/practices/{practice}/write-off-settings": {method: "PUT", path: "/v1/practices/" + id(t.practice) + "/write-off-settings", body: map[string]any{"approval_over": "500.00"}, scope: scopeFile},
		"GET /v1/patient-share":                           {method: "GET", path: "/v1/patient-share?practice_id=" + id(t.practice), scope: scopeFile},
		"POST /v1/patient-share/exported":                 {method: "POST", path: "/v1/patient-share/exported?practice_id=" + id(t.practice), body: map[string]any{"items": []map[string]any{{"claim_payment_id": t.claim, "line_key": f.finishSetup(t).line}}}, scope: scopeFile},

		"POST /v1/claims/check":            {method: "POST", path: "/v1/claims/check", body: map[string]any{"x12": f.check837(t)}, scope: scopeRow},
		"GET /v1/auths":                    {method: "GET", path: "/v1/auths?patient=" + matrixPatientKey},
		"POST /v1/auths":                   {method: "POST", path: "/v1/auths?practice_id=" + id(t.practice), body: matrixAuths(t), scope: scopeFile},
		"POST /v1/relief":                  {method: "POST", path: "/v1/relief?practice_id=" + id(t.practice), body: matrixRelief(), scope: scopeFile},
		"GET /v1/sharing":                  {method: "GET", path: "/v1/sharing"},
		"PUT /v1/sharing":                  {method: "PUT", path: "/v1/sharing", body: map[string]any{"cross_practice": true, "same_tin": true}},
		"PUT /v1/sharing/groups/{name}":    {method: "PUT", path: "/v1/sharing/groups/g-" + t.name, body: map[string]any{"practice_ids": []int64{f.p1, f.p2}}},
		"DELETE /v1/sharing/groups/{name}": {method: "DELETE", path: "/v1/sharing/groups/g-" + t.name},

		"GET /v1/payer-profiles":                     {method: "GET", path: "/v1/payer-profiles"},
		"PUT /v1/payer-profiles/{id}":                {method: "PUT", path: "/v1/payer-profiles/matrix_" + strings.ToLower(strings.ReplaceAll(t.name, "-", "_")), body: matrixProfile()},
		"DELETE /v1/payer-profiles/{id}/{effective}": {method: "DELETE", path: "/v1/payer-profiles/matrix_x/2026-01-01"},
		"GET /v1/payer-profile-map":                  {method: "GET", path: "/v1/payer-profile-map"},
		"PUT /v1/payer-profile-map/{payer}":          {method: "PUT", path: "/v1/payer-profile-map/P" + t.name, body: map[string]any{"profile_id": "commercial"}},
		"DELETE /v1/payer-profile-map/{payer}":       {method: "DELETE", path: "/v1/payer-profile-map/P" + t.name},

		// acks_test.go: an upload naming no billed claim (its scoping is
		// TestAcknowledgmentsScope's), and a file of the target's practice.
		"POST /v1/acknowledgments":     {method: "POST", path: "/v1/acknowledgments?filename=matrix.277", body: f.matrixAckBody(t)},
		"GET /v1/acknowledgments":      {method: "GET", path: "/v1/acknowledgments"},
		"GET /v1/acknowledgments/{id}": {method: "GET", path: "/v1/acknowledgments/" + id(f.matrixAck(t)), scope: scopeFile},
	}
	f.addLoopCases(t, m)                   // corrected_test.go
	for k, v := range f.practiceCases(t) { // practices_test.go
		m[k] = v
	}
	return m
}

func identityOf(u *auth.User) *auth.Identity { return u.Identity("jwt") }

func visible(id *auth.Identity, t target, k scopeKind) bool {
	switch k {
	case scopeRow:
		return id.Sees(t.practice, t.npi)
	case scopeFile:
		return id.SeesPractice(t.practice)
	case scopeQueue:
		if id.All() {
			return true
		}
		for _, s := range id.Scopes {
			if s.PracticeID == t.practice {
				return true
			}
		}
		return false
	}
	return true
}

// TestAuthorizationMatrix calls every endpoint as every role, at resources
// in and out of the caller's practice and provider scope. A role without
// the permission gets 403, a resource out of scope 404, both with the
// error shape and nothing else; no answer holds a marker (claim number,
// patient name, file name) of anything out of scope; and every successful
// call of an audited route wrote its audit row.
func TestAuthorizationMatrix(t *testing.T) {
	users := []string{"admin", "sup1", "bill1", "billa", "an1", "sup2", "bill2"}
	for _, user := range users {
		t.Run(user, func(t *testing.T) {
			f := newFixture(t)
			id := identityOf(f.users[user])
			routes := f.s.Routes()
			targets := f.targets()
			for _, tg := range targets {
				cases := f.matrixCases(tg)
				if len(cases) != len(routes) {
					t.Fatalf("%d matrix cases for %d routes", len(cases), len(routes))
				}
			}
			var forbidden []string
			for _, tg := range targets {
				if !id.Sees(tg.practice, tg.npi) {
					forbidden = append(forbidden, tg.markers...)
				}
				if !id.SeesPractice(tg.practice) {
					forbidden = append(forbidden, tg.fileMarker)
				}
			}
			for _, rt := range routes {
				key := rt.Method + " " + rt.Path
				for _, tg := range targets {
					rq, ok := f.matrixCases(tg)[key]
					if !ok {
						t.Fatalf("route %s has no matrix case", key)
					}
					var hdr []string
					if rq.ifMatch {
						hdr = []string{"If-Match", f.version(tg.item)}
					}
					r := f.do(user, rq.method, rq.path, rq.body, hdr...)
					where := fmt.Sprintf("%s as %s at %s", key, user, tg.name)
					for _, m := range forbidden {
						if strings.Contains(string(r.body), m) {
							t.Errorf("%s: LEAK of %q in %s", where, m, r.body)
						}
					}
					want := http.StatusOK
					switch {
					case !id.Can(rt.Perm) && rt.Perm != "":
						want = http.StatusForbidden
					case rq.scope == scopeOwnKey && !id.All() && f.users[tg.assignee].ID != id.UserID:
						want = http.StatusNotFound
					case rq.scope != scopeNone && rq.scope != scopeOwnKey && !visible(id, tg, rq.scope):
						want = http.StatusNotFound
					}
					got := r.code
					if got == http.StatusCreated || got == http.StatusNoContent {
						got = http.StatusOK
					}
					if got != want {
						t.Errorf("%s: status %d, want %d: %s", where, r.code, want, r.body)
						continue
					}
					if want != http.StatusOK {
						var e struct {
							Error struct{ Code, Message string } `json:"error"`
						}
						r.decode(t, &e)
						if e.Error.Code == "" || strings.Count(string(r.body), "{") != 2 {
							t.Errorf("%s: denial is not the bare error shape: %s", where, r.body)
						}
						continue
					}
					switch key { // in scope, the target is really shown
					case "GET /v1/work-items", "GET /v1/claims", "GET /v1/work-items/{id}", "GET /v1/claims/{id}", "GET /v1/files/{id}/claims":
						if id.Sees(tg.practice, tg.npi) && !strings.Contains(string(r.body), tg.markers[0]) {
							t.Errorf("%s: the target %s is missing: %s", where, tg.markers[0], r.body)
						}
					}
					if key == "POST /v1/work-items/assign" {
						var out struct{ Assigned int }
						r.decode(t, &out)
						if out.Assigned > 0 && !id.Sees(tg.practice, tg.npi) {
							t.Errorf("%s: assigned an item out of scope", where)
						}
					}
					if rt.Audited() {
						var n int
						if err := f.db.QueryRow(`SELECT count(*) FROM audit_log WHERE request_id = $1 AND route = $2 AND user_id = $3
							AND remote_addr IS NOT NULL`, r.hdr.Get("X-Request-Id"), key, f.users[user].ID).Scan(&n); err != nil {
							t.Fatal(err)
						}
						if n == 0 {
							t.Errorf("%s: answered %d without an audit row", where, r.code)
						}
					}
				}
			}
		})
	}
}

// TestUnauthenticated: every route answers 401 without a token or with a
// bad one, except the spec.
func TestUnauthenticated(t *testing.T) {
	f := newFixture(t)
	for _, rt := range f.s.Routes() {
		path := strings.ReplaceAll(rt.Path, "{id}", fmt.Sprint(f.itemA))
		if r := f.do("", rt.Method, path, nil); r.code != http.StatusUnauthorized || r.hdr.Get("WWW-Authenticate") == "" {
			t.Errorf("%s %s without a token: %d", rt.Method, path, r.code)
		}
		if r := f.do("", rt.Method, path, nil, "Authorization", "Bearer not-a-token"); r.code != http.StatusUnauthorized {
			t.Errorf("%s %s with a bad token: %d", rt.Method, path, r.code)
		}
	}
	if r := f.do("", "GET", "/openapi.json", nil); r.code != http.StatusOK {
		t.Errorf("/openapi.json: %d", r.code)
	}
}

// matrixProfile is a payer profile version to store (payerprofiles.go).
func matrixProfile() map[string]any {
	return map[string]any{"name": "Matrix PPO", "plan": "commercial", "effective": "2026-01-01",
		"timely_filing": map[string]any{"days": 90, "from": "service_date", "source": "test"},
		"appeals":       []map[string]any{{"name": "appeal", "days": 180, "from": "initial_determination", "source": "test"}},
		"correction":    "corrected_claim", "bilateral": "50", "asc_bilateral": "lt_rt", "modifier_50_on_addons": true,
		"diagnostic_modifier": "", "prior_auth": []any{}, "udt_definitive_per_12_months": 0, "contact": map[string]any{}}
}
