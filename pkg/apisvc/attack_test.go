package apisvc

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"strings"
	"testing"

	"github.com/remitq/remitq/pkg/auth"
)

// rawDo sends a request with a raw path/query and body as user.
func (f *fx) rawDo(user, method, target string, body []byte, hdr ...string) resp {
	f.t.Helper()
	req := httptest.NewRequest(method, "/", bytes.NewReader(body))
	req.URL.RawQuery = ""
	if i := strings.IndexByte(target, '?'); i >= 0 {
		req.URL.Path, req.URL.RawQuery = target[:i], target[i+1:]
	} else {
		req.URL.Path = target
	}
	req.RequestURI = target
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+f.tokens[user])
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return resp{code: rec.Code, body: rec.Body.Bytes(), hdr: rec.Header()}
}

// badValues are query values no route should answer with a 5xx.
var badValues = []string{"%00", "%ff", "%c3%28", "99999999999999999999999", "-1", "1e3", "0x10", "01", "+1",
	"9223372036854775807", "-9223372036854775808", "1.5", "%20", "2026-02-30", "9999-12-31", "0000-01-01", "NaN", "true",
	strings.Repeat("a", 5000)}

// TestAttackQueryValuesNo5xx sends every bad value in every parameter of
// every list route (and the report routes) as an admin and as a biller: the
// answer is 2xx or 4xx, never 5xx.
func TestAttackQueryValuesNo5xx(t *testing.T) {
	f := newFixture(t)
	routes := map[string][]string{}
	for rt, groups := range routeParams {
		path := strings.TrimPrefix(rt, "GET ")
		path = strings.NewReplacer("{id}", "1").Replace(path)
		for _, g := range groups {
			routes[path] = append(routes[path], g...)
		}
	}
	routes["/v1/reports/denial_rate"] = []string{"practice_id", "from", "to", "bucket", "group_by", "period", "top", "format", "detail"}
	routes["/v1/reports/denial_rate.svg"] = routes["/v1/reports/denial_rate"]
	routes["/v1/auths"] = []string{"patient", "number", "practice_id"}
	routes["/v1/payer-profiles"] = []string{"payer", "at"}
	routes["/v1/payer-profile-map"] = []string{"payer"}
	routes["/v1/match/review"] = []string{"practice_id", "after", "limit"}
	routes["/v1/match/missing"] = []string{"practice_id", "payer", "as_of", "limit", "after"}
	routes["/v1/queue-rules"] = []string{"practice"}
	for path, params := range routes {
		for _, p := range params {
			for _, v := range badValues {
				for _, user := range []string{"admin", "sup1"} {
					target := path + "?" + p + "=" + v
					r := f.rawDo(user, "GET", target, nil)
					if r.code >= 500 {
						t.Errorf("%s GET %.120s: %d %.200s", user, target, r.code, r.body)
					}
				}
			}
		}
	}
}

// TestAttackPathIDsNo5xx puts odd ids into every route's path ids.
func TestAttackPathIDsNo5xx(t *testing.T) {
	f := newFixture(t)
	ids := []string{"%00", "%ff", "1e3", "-1", "0x10", "01", "+1", "0", "99999999999999999999", "9223372036854775807", "1.0", "%20"}
	for _, rt := range f.s.Routes() {
		if !strings.Contains(rt.Path, "{") {
			continue
		}
		for _, id := range ids {
			path := rt.Path
			for _, name := range []string{"{id}", "{kpi}", "{name}", "{payer}", "{effective}"} {
				path = strings.ReplaceAll(path, name, id)
			}
			var body []byte
			if rt.Method != http.MethodGet && rt.Method != http.MethodDelete {
				body = []byte(`{}`)
			}
			r := f.rawDo("admin", rt.Method, path, body, "If-Match", `"1"`)
			if r.code >= 500 {
				t.Errorf("%s %s: %d %.200s", rt.Method, path, r.code, r.body)
			}
		}
	}
}

// badJSONValues replace one field of a good body at a time.
var badJSONValues = []any{nil, -1, 0, 1e300, 9223372036854775807, "0000-01-01", "9999-12-31", "2026-02-30", "", "\xff\xfe",
	strings.Repeat("x", 200000), []any{}, map[string]any{}, true, "-1", " ", "\u2028<script>"}

// TestAttackBodyFieldsNo5xx changes one field of every route's good body at
// a time to a bad value: the answer is 2xx or 4xx, never 5xx.
func TestAttackBodyFieldsNo5xx(t *testing.T) {
	f := newFixture(t)
	tg := f.targets()[0]
	cases := f.matrixCases(tg)
	cases["PATCH /v1/work-items/{id} (pend)"] = request{method: "PATCH", path: "/v1/work-items/" + itoa(tg.item),
		body: map[string]any{"status": "pended", "pended_until": "2026-12-01"}, ifMatch: true}
	cases["PATCH /v1/work-items/{id} (appeal)"] = request{method: "PATCH", path: "/v1/work-items/" + itoa(tg.item),
		body: map[string]any{"status": "appealed", "appealed_on": "2026-11-01"}, ifMatch: true}
	cases["POST /v1/work-items/assign (filter)"] = request{method: "POST", path: "/v1/work-items/assign",
		body: map[string]any{"assignee_id": f.users["bill1"].ID, "filter": map[string]any{"practice_id": "1"}, "limit": 1}}
	for name, c := range cases {
		m, ok := c.body.(map[string]any)
		if !ok || c.method == "GET" {
			continue
		}
		for k := range m {
			for _, bad := range badJSONValues {
				b := map[string]any{}
				for k2, v2 := range m {
					b[k2] = v2
				}
				b[k] = bad
				raw, err := json.Marshal(b)
				if err != nil {
					t.Fatal(err)
				}
				var hdr []string
				if c.ifMatch {
					hdr = []string{"If-Match", f.version(tg.item)}
				}
				r := f.rawDo("admin", c.method, c.path, raw, hdr...)
				if r.code >= 500 {
					t.Errorf("%s with %s=%.40v: %d %.200s", name, k, bad, r.code, r.body)
				}
			}
		}
	}
}

// TestAttackPHINotCached: answers with PHI (an item's claim view, notes,
// claims) tell every cache, the browser's included, not to keep them.
func TestAttackPHINotCached(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{"/v1/work-items/" + itoa(f.itemA), "/v1/work-items/" + itoa(f.itemA) + "/notes",
		"/v1/claims/" + itoa(f.claimA), "/v1/claims?practice_id=" + itoa(f.p1), "/v1/files/" + itoa(f.fileP1) + "/claims",
		"/v1/my/work-items", "/v1/users"} {
		r := f.rawDo("admin", "GET", path, nil)
		if r.code != 200 {
			t.Fatalf("GET %s: %d %s", path, r.code, r.body)
		}
		if cc := r.hdr.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("GET %s: Cache-Control %q, want no-store", path, cc)
		}
	}
}

// TestAttackForeignBadInputNo5xx sends bad values to the other components'
// routes behind the API (router rules, matcher decisions and lists, billing
// loads, ingest): never a 5xx.
func TestAttackForeignBadInputNo5xx(t *testing.T) {
	p := newProc(t)
	p.matrixSetup()
	rule := p.ruleOf[p.p1]
	big := "9223372036854775807"
	bodies := []string{
		`{"practice_id": %d, "queue_name": "x", "payer_id": ` + big + `}`,
		`{"practice_id": %d, "queue_name": "x", "payer_id": -1}`,
		`{"practice_id": %d, "queue_name": "x", "position": ` + big + `}`,
		`{"practice_id": %d, "queue_name": "x", "position": -2147483649}`,
		`{"practice_id": %d, "queue_name": "x", "min_amount": "99999999999999999999999999.99"}`,
		`{"practice_id": %d, "queue_name": "x", "min_amount": "-1"}`,
		`{"practice_id": %d, "queue_name": "x", "min_amount": 1e400}`,
		`{"practice_id": %d, "queue_name": "x", "provider_npi": "12"}`,
		`{"practice_id": %d, "queue_name": "x", "procedure_code": "` + strings.Repeat("9", 5000) + `"}`,
		`{"practice_id": %d, "queue_name": "x", "category": "\ud800"}`,
		`{"practice_id": %d, "queue_name": "x", "kind": "denial", "category": "nope"}`,
	}
	for _, b := range bodies {
		body := []byte(strings.ReplaceAll(b, "%d", itoa(p.p1)))
		for _, rt := range []struct{ m, path string }{{"POST", "/v1/queue-rules"}, {"PUT", "/v1/queue-rules/" + itoa(rule)}} {
			for _, user := range []string{"admin", "sup1"} {
				r := p.send(user, rt.m, rt.path, body)
				if r.code >= 500 {
					t.Errorf("%s %s %s %.100s: %d %.200s", user, rt.m, rt.path, body, r.code, r.body)
				}
			}
		}
	}
	for _, pb := range []string{`{"billed_claim_id": ` + big + `}`, `{"billed_claim_id": 1, "billed_line_id": ` + big + `}`,
		`{"billed_claim_id": 1e3}`, `{"billed_claim_id": "1"}`, `{"billed_claim_id": 1, "billed_claim_id": 2}`} {
		for _, user := range []string{"admin", "bill1"} {
			r := p.send(user, "POST", "/v1/match/lines/"+itoa(p.fileP1)+"/11/pick", []byte(pb))
			if r.code >= 500 {
				t.Errorf("%s pick %s: %d %.200s", user, pb, r.code, r.body)
			}
		}
	}
	for _, path := range []string{"/v1/match/lines/" + big + "/11/confirm", "/v1/match/lines/1/" + big + "/confirm",
		"/v1/match/lines/-1/-1/confirm", "/v1/match/lines/%00/1/confirm"} {
		r := p.send("admin", "POST", path, nil)
		if r.code >= 500 {
			t.Errorf("admin POST %s: %d %.200s", path, r.code, r.body)
		}
	}
	for _, q := range []string{"practice_id=" + big, "practice_id=-1", "after=%00", "after=zzz", "limit=-1", "limit=" + big,
		"as_of=0000-01-01", "as_of=x", "payer=%ff", "practice=" + big, "after=" + big} {
		for _, path := range []string{"/v1/match/review", "/v1/match/unmatched", "/v1/match/missing", "/v1/match/payers", "/v1/queue-rules",
			"/v1/practices/" + itoa(p.p1) + "/queues", "/v1/remittances/" + big} {
			r := p.send("admin", "GET", path+"?"+q, nil)
			if r.code >= 500 {
				t.Errorf("admin GET %s?%s: %d %.200s", path, q, r.code, r.body)
			}
		}
	}
	for _, name := range []string{"%00", "%ff.835", strings.Repeat("a", 3000), "../../etc/passwd"} {
		r := p.send("admin", "POST", "/v1/claims?filename="+name, []byte("practice,patient_control_number,service_date,procedure,charge\n"+npiP1+",P-1,0000-01-01,64483,1e400\n"))
		if r.code >= 500 {
			t.Errorf("admin POST /v1/claims?filename=%.20s: %d %.200s", name, r.code, r.body)
		}
		r = p.send("admin", "POST", "/v1/fee-schedules?filename="+name, []byte("payer,procedure,allowed\nBP1,64483,99999999999999999999999.00\n"))
		if r.code >= 500 {
			t.Errorf("admin POST /v1/fee-schedules?filename=%.20s: %d %.200s", name, r.code, r.body)
		}
	}
}

// TestAttackCraftedCursorsNo5xx: a cursor is base64 JSON anyone can make;
// one whose key has the shape of its sort's type but not a value of it
// (an id beyond bigint, hour 99, year 0, a NUL) is a 400, never a 500.
func TestAttackCraftedCursorsNo5xx(t *testing.T) {
	f := newFixture(t)
	lists := map[string][]sortKey{
		"/v1/work-items?": itemSorts, "/v1/my/work-items?": itemSorts, "/v1/queues/" + itoa(f.queueP1) + "/work-items?": itemSorts,
		"/v1/files?": fileSorts, "/v1/claims?": claimSorts, "/v1/files/" + itoa(f.fileP1) + "/claims?": claimSorts,
		"/v1/work-items/" + itoa(f.itemA) + "/notes?": noteSorts, "/v1/work-items/" + itoa(f.itemA) + "/events?": eventSorts,
		"/v1/queues?": queueSorts, "/v1/team?": memberSorts, "/v1/users?": userSorts, "/v1/api-keys?": keySorts,
	}
	keys := map[string][]string{
		"bigint":      {"9999999999999999999", "-9999999999999999999"},
		"integer":     {"9999999999", "-9999999999"},
		"numeric":     {"99999999999999999999.9999999999"},
		"date":        {"0000-01-01", "2026-02-30"},
		"timestamptz": {"2026-01-01 99:99:99", "0000-01-01T00:00:00Z", "2026-01-01T00:00:00+99:99"},
		"text":        {"a\x00b", "\xff\xfe", "'); DROP TABLE users; --"},
	}
	for path, sorts := range lists {
		for _, s := range sorts {
			for _, k := range keys[s.typ] {
				for _, name := range []string{s.name, "-" + s.name} {
					cur := cursor{Sort: name, Key: k, ID: 1}.encode()
					target := path + "sort=" + name + "&cursor=" + cur
					r := f.rawDo("admin", "GET", target, nil)
					if r.code >= 500 {
						t.Errorf("GET %s (key %q): %d %.200s", path+"sort="+name, k, r.code, r.body)
					}
				}
			}
		}
	}
}

// TestAttackTeamOtherPractice: a supervisor of practice 1 asking for the
// team of practice 2 learns nothing of practice 2 (before: 200 with every
// colleague who also works for practice 2, so practice 2's staff), and the
// figures of a practice filter are that practice's.
func TestAttackTeamOtherPractice(t *testing.T) {
	f := newFixture(t)
	shared := &auth.User{Email: "shared@x.test", Name: "Shay", Role: auth.Biller, Scopes: []auth.Scope{{PracticeID: f.p1}, {PracticeID: f.p2}}}
	if err := auth.AddUser(context.Background(), f.db, shared); err != nil {
		t.Fatal(err)
	}
	f.exec(`UPDATE work_items SET assignee_id = $1 WHERE id IN ($2, $3)`, shared.ID, f.itemA, f.itemC)
	r := f.do("sup1", "GET", "/v1/team?practice_id="+itoa(f.p2), nil)
	if r.code != http.StatusNotFound {
		t.Errorf("sup1 GET /v1/team?practice_id=p2: %d %s", r.code, r.body)
	}
	// The admin asking for practice 1: the shared biller's open work of
	// practice 1 only (item A), not of practice 2 (item C).
	var page struct {
		Items []struct {
			UserID int64 `json:"user_id"`
			Open   int   `json:"open"`
		} `json:"items"`
	}
	f.do("admin", "GET", "/v1/team?practice_id="+itoa(f.p1), nil).decode(t, &page)
	for _, m := range page.Items {
		if m.UserID == shared.ID && m.Open != 1 {
			t.Errorf("admin GET /v1/team?practice_id=p1: the shared biller has %d open items, want 1 (practice 1's)", m.Open)
		}
	}
}

// TestAttackAssignFilterOtherPractice: a bulk assignment by a filter naming
// another practice (or a provider outside the caller's) moves nothing.
func TestAttackAssignFilterOtherPractice(t *testing.T) {
	f := newFixture(t)
	for _, filter := range []map[string]any{{"practice_id": itoa(f.p2)}, {"provider_npi": npiC}, {"queue_id": itoa(f.queueP2)},
		{"practice_id": itoa(f.p1) + "," + itoa(f.p2)}, {}} {
		for _, as := range []string{"sup1"} {
			r := f.do(as, "POST", "/v1/work-items/assign", map[string]any{"assignee_id": f.users["sup1"].ID, "filter": filter, "limit": 10})
			if r.code >= 500 {
				t.Errorf("%s assign filter %v: %d %s", as, filter, r.code, r.body)
			}
			var who *int64
			if err := f.db.QueryRow(`SELECT assignee_id FROM work_items WHERE id = $1`, f.itemC).Scan(&who); err != nil {
				t.Fatal(err)
			}
			if who != nil {
				t.Fatalf("%s assign filter %v moved practice 2's item to user %d: %d %s", as, filter, *who, r.code, r.body)
			}
		}
	}
	// A provider-scoped biller's own list filtered to the other provider.
	r := f.do("billa", "GET", "/v1/work-items?provider_npi="+npiB, nil)
	if strings.Contains(string(r.body), pcnB) {
		t.Errorf("billa sees provider B's item: %s", r.body)
	}
}

// TestAttackClaimsByForeignFile: the claims list filtered by another
// practice's file (or a provider's user by the other provider's NPI)
// shows nothing of it.
func TestAttackClaimsByForeignFile(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct{ user, path, marker string }{
		{"bill1", "/v1/claims?file_id=" + itoa(f.fileP2), pcnC},
		{"bill1", "/v1/claims?file_id=" + itoa(f.fileP2) + "&practice_id=" + itoa(f.p2), pcnC},
		{"billa", "/v1/claims?rendering_npi=" + npiB, pcnB},
		{"billa", "/v1/claims?file_id=" + itoa(f.fileP1), pcnB},
		{"billa", "/v1/files/" + itoa(f.fileP1) + "/claims", pcnB},
		{"billa", "/v1/claims/" + itoa(f.claimB), pcnB},
		{"billa", "/v1/files/" + itoa(f.fileP1) + "/raw", "ISA*"},
		{"an1", "/v1/work-items/" + itoa(f.itemA) + "/events", nameA},
		{"bill2", "/v1/remittances/" + itoa(f.fileP1), "p1-remit"},
		{"bill2", "/v1/queues/" + itoa(f.queueP1) + "/work-items", pcnA},
		{"bill2", "/v1/reports/denial_rate?group_by=practice&practice_id=" + itoa(f.p1), "Spine One"},
	} {
		r := f.do(c.user, "GET", c.path, nil)
		if r.code >= 500 || strings.Contains(string(r.body), c.marker) {
			t.Errorf("%s GET %s: %d shows %q: %.300s", c.user, c.path, r.code, c.marker, r.body)
		}
	}
}

// TestAttackUploadNamesNo5xx: odd file names (query or multipart part
// header) on an upload are stored or refused, never a 5xx.
func TestAttackUploadNamesNo5xx(t *testing.T) {
	p := newProc(t)
	for i, name := range []string{strings.Repeat("n", 5000), "a\x01b.835", "../../x.835", "\u202e835.exe", "%", ""} {
		r := p.send("bill1", "POST", "/v1/remittances?filename="+url.QueryEscape(name), remit835(t, uint64(500+i), npiP1))
		if r.code >= 500 {
			t.Errorf("raw upload named %.30q: %d %.200s", name, r.code, r.body)
		}
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="file"; filename="`+name+`"`)
		h.Set("Content-Type", "application/octet-stream")
		pw, _ := mw.CreatePart(h)
		_, _ = pw.Write(remit835(t, uint64(600+i), npiP1))
		_ = mw.Close()
		r = p.send("bill1", "POST", "/v1/remittances", buf.Bytes(), "Content-Type", mw.FormDataContentType())
		if r.code >= 500 {
			t.Errorf("multipart upload named %.30q: %d %.200s", name, r.code, r.body)
		}
	}
	// A raw upload named in Content-Disposition with bytes that are not
	// UTF-8 (answered 503 "send it again").
	r := p.send("bill1", "POST", "/v1/remittances", remit835(t, 701, npiP1), "Content-Type", "application/octet-stream",
		"Content-Disposition", "attachment; filename=\"\xff\xfe.835\"")
	if r.code >= 500 {
		t.Errorf("raw upload with a non-UTF-8 Content-Disposition name: %d %.200s", r.code, r.body)
	}
}

// TestAttackNestedBadValuesNo5xx: bad values inside arrays and objects of
// bodies (the one-field probe only replaces top-level fields).
func TestAttackNestedBadValuesNo5xx(t *testing.T) {
	f := newFixture(t)
	big := int64(9223372036854775807)
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"PUT", "/v1/settings/work", map[string]any{"auto_release_business_days": 3, "sla_business_days": 15, "appeal_warning_days": 14, "holidays": []string{"0000-01-01"}}},
		{"PUT", "/v1/settings/work", map[string]any{"auto_release_business_days": 3, "sla_business_days": 15, "appeal_warning_days": 14, "holidays": []string{"2026-02-30", ""}}},
		{"PUT", "/v1/settings/work", map[string]any{"auto_release_business_days": 2147483648, "sla_business_days": -1, "appeal_warning_days": big, "holidays": []string{}}},
		{"PUT", "/v1/sharing/groups/g1", map[string]any{"practice_ids": []int64{big, -1, 0}}},
		{"PUT", "/v1/sharing/groups/" + strings.Repeat("g", 3000), map[string]any{"practice_ids": []int64{f.p1, f.p2}}},
		{"POST", "/v1/users", map[string]any{"email": "z@x.test", "role": "biller", "scopes": []map[string]any{{"practice_id": big}}}},
		{"POST", "/v1/users", map[string]any{"email": strings.Repeat("z", 5000) + "@x.test", "role": "biller", "scopes": []map[string]any{}}},
		{"PATCH", "/v1/users/" + itoa(f.users["bill1"].ID), map[string]any{"scopes": []map[string]any{{"practice_id": big, "provider_npi": "1234567890"}}}},
		{"POST", "/v1/api-keys", map[string]any{"name": "k", "user_id": big}},
		{"POST", "/v1/work-items/assign", map[string]any{"assignee_id": big, "ids": []int64{big, -1}}},
		{"POST", "/v1/work-items/assign", map[string]any{"assignee_id": f.users["bill1"].ID, "filter": map[string]any{"min_amount": "99999999999999999999999.99"}, "limit": 5}},
		{"POST", "/v1/work-items/assign", map[string]any{"assignee_id": f.users["bill1"].ID, "filter": map[string]any{"deadline_before": "0000-01-01"}, "limit": 5}},
		{"POST", "/v1/work-items/assign", map[string]any{"assignee_id": f.users["bill1"].ID, "filter": map[string]any{"procedure_code": "\x00"}, "limit": 5}},
		{"PUT", "/v1/work-items/" + itoa(f.itemA) + "/assignee", map[string]any{"assignee_id": big, "version": 2147483648}},
		{"PUT", "/v1/payer-profile-map/" + strings.Repeat("P", 3000), map[string]any{"profile_id": "commercial"}},
		{"PUT", "/v1/payer-profile-map/P1", map[string]any{"profile_id": strings.Repeat("x", 3000)}},
	} {
		r := f.do("admin", c.method, c.path, c.body)
		if r.code >= 500 {
			t.Errorf("%s %.60s %.120v: %d %.200s", c.method, c.path, c.body, r.code, r.body)
		}
	}
}
