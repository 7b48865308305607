package apisvc

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/remitq/remitq/pkg/practicestore"
)

// TestPracticesOnboarding: an admin registers a practice, its providers
// (with names) and its payers over HTTP; every user reads the practices of
// its scopes only; no one else registers or changes anything, and another
// practice's id answers 404 like one that does not exist.
func TestPracticesOnboarding(t *testing.T) {
	f := newFixture(t)
	var created struct {
		practicestore.Practice
		FilesIngested []int64 `json:"files_ingested"`
	}
	body := map[string]any{"name": "Northside Pain", "npi": "1234567893", "tin": "74-1234567"}
	// A biller or a supervisor creating a practice: refused, nothing stored.
	for _, u := range []string{"bill1", "sup1", "an1"} {
		if r := f.do(u, "POST", "/v1/practices", body); r.code != http.StatusForbidden {
			t.Fatalf("%s creates a practice: %d %s", u, r.code, r.body)
		}
	}
	r := f.do("admin", "POST", "/v1/practices", body)
	if r.code != http.StatusCreated {
		t.Fatalf("admin creates: %d %s", r.code, r.body)
	}
	r.decode(t, &created)
	if created.ID == 0 || created.TIN != "741234567" || created.FilesIngested == nil {
		t.Fatalf("created %s", r.body)
	}
	np := created.ID
	if r := f.do("admin", "POST", "/v1/practices", body); r.code != http.StatusConflict {
		t.Fatalf("same NPI again: %d %s", r.code, r.body)
	}
	if r := f.do("admin", "POST", "/v1/practices", map[string]any{"name": "Bad", "npi": "1234567890"}); r.code != http.StatusBadRequest ||
		!strings.Contains(string(r.body), "check digit") {
		t.Fatalf("bad NPI: %d %s", r.code, r.body)
	}
	var n int
	if err := f.db.Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'practice.create' AND practice_id = $1`, np); err != nil || n != 1 {
		t.Fatalf("create audit rows %d (%v)", n, err)
	}

	// Lists: the admin sees three, a user of practice 1 only practice 1.
	var page Page[practicestore.Practice]
	f.do("admin", "GET", "/v1/practices?limit=2", nil).decode(t, &page)
	if len(page.Items) != 2 || page.NextCursor == "" {
		t.Fatalf("admin page 1: %+v", page)
	}
	var page2 Page[practicestore.Practice]
	f.do("admin", "GET", "/v1/practices?limit=2&cursor="+page.NextCursor, nil).decode(t, &page2)
	if len(page2.Items) != 1 || page2.Items[0].ID != np || page2.NextCursor != "" {
		t.Fatalf("admin page 2: %+v", page2)
	}
	for _, u := range []string{"bill1", "billa", "sup1"} {
		var p Page[practicestore.Practice]
		f.do(u, "GET", "/v1/practices", nil).decode(t, &p)
		if len(p.Items) != 1 || p.Items[0].ID != f.p1 {
			t.Fatalf("%s lists %+v", u, p)
		}
	}
	// Another practice's id: 404 for reads and writes alike.
	for _, rq := range []struct{ method, path string }{
		{"GET", fmt.Sprintf("/v1/practices/%d", f.p2)},
		{"GET", fmt.Sprintf("/v1/practices/%d/providers", f.p2)},
		{"GET", fmt.Sprintf("/v1/practices/%d/payers", f.p2)},
		{"GET", fmt.Sprintf("/v1/practices/%d", np)},
	} {
		if r := f.do("bill1", rq.method, rq.path, nil); r.code != http.StatusNotFound {
			t.Errorf("bill1 %s %s: %d %s", rq.method, rq.path, r.code, r.body)
		}
	}
	for _, rq := range []struct {
		method, path string
		body         any
	}{
		{"PATCH", fmt.Sprintf("/v1/practices/%d", f.p1), map[string]any{"name": "Mine now"}},
		{"PATCH", fmt.Sprintf("/v1/practices/%d", f.p2), map[string]any{"name": "Mine now"}},
		{"POST", fmt.Sprintf("/v1/practices/%d/providers", f.p1), map[string]any{"npi": "1245319599", "name": "Dr Who"}},
		{"POST", fmt.Sprintf("/v1/practices/%d/payers", f.p2), map[string]any{"payer_code": "X1", "payer_name": "X"}},
	} {
		for _, u := range []string{"bill1", "sup1"} {
			if r := f.do(u, rq.method, rq.path, rq.body); r.code != http.StatusForbidden {
				t.Errorf("%s %s %s: %d %s", u, rq.method, rq.path, r.code, r.body)
			}
		}
	}
	var name string
	if err := f.db.Get(&name, `SELECT name FROM practices WHERE id = $1`, f.p2); err != nil || name != "Pain Two" {
		t.Fatalf("practice 2 renamed to %q (%v)", name, err)
	}

	// Providers carry names; a provider-scoped user sees only its own.
	for _, pr := range []map[string]any{{"npi": "1245319599", "name": "Dr Alpha"}, {"npi": "1245319598", "name": "Dr Nope"}} {
		r := f.do("admin", "POST", fmt.Sprintf("/v1/practices/%d/providers", f.p1), pr)
		if pr["name"] == "Dr Nope" {
			if r.code != http.StatusBadRequest {
				t.Fatalf("bad provider NPI: %d %s", r.code, r.body)
			}
			continue
		}
		if r.code != http.StatusCreated {
			t.Fatalf("add provider: %d %s", r.code, r.body)
		}
	}
	if r := f.do("admin", "POST", fmt.Sprintf("/v1/practices/%d/providers", f.p1), map[string]any{"npi": "1234567893"}); r.code != http.StatusBadRequest {
		t.Fatalf("provider without a name: %d %s", r.code, r.body)
	}
	f.exec(`INSERT INTO providers (practice_id, npi, name) VALUES ($1, $2, 'Dr A')`, f.p1, npiA)
	var provs Page[practicestore.Provider]
	f.do("sup1", "GET", fmt.Sprintf("/v1/practices/%d/providers", f.p1), nil).decode(t, &provs)
	if len(provs.Items) != 2 {
		t.Fatalf("sup1 providers %+v", provs)
	}
	var mine Page[practicestore.Provider]
	f.do("billa", "GET", fmt.Sprintf("/v1/practices/%d/providers", f.p1), nil).decode(t, &mine)
	if len(mine.Items) != 1 || mine.Items[0].NPI != npiA {
		t.Fatalf("provider-scoped biller sees %+v", mine)
	}
	alpha := provs.Items[0]
	// A provider renamed through another practice's path: 404.
	if r := f.do("admin", "PATCH", fmt.Sprintf("/v1/practices/%d/providers/%d", f.p2, alpha.ID), map[string]any{"name": "X"}); r.code != http.StatusNotFound {
		t.Fatalf("rename through practice 2: %d %s", r.code, r.body)
	}
	if r := f.do("admin", "PATCH", fmt.Sprintf("/v1/practices/%d/providers/%d", f.p1, alpha.ID), map[string]any{"name": "Dr Alpha Jr"}); r.code != http.StatusOK ||
		!strings.Contains(string(r.body), "Dr Alpha Jr") {
		t.Fatalf("rename: %d %s", r.code, r.body)
	}

	// Payers: ids, codes and names; enrolled and seen in remittances.
	r = f.do("admin", "POST", fmt.Sprintf("/v1/practices/%d/payers", f.p1), map[string]any{"payer_code": "NEW9", "payer_name": "New Payer"})
	if r.code != http.StatusCreated {
		t.Fatalf("enroll: %d %s", r.code, r.body)
	}
	var y practicestore.Payer
	r.decode(t, &y)
	var payers Page[practicestore.Payer]
	f.do("bill1", "GET", fmt.Sprintf("/v1/practices/%d/payers", f.p1), nil).decode(t, &payers)
	if len(payers.Items) != 2 || payers.Items[0].Code != "BP1" || !payers.Items[0].Seen || payers.Items[1].Name != "New Payer" || !payers.Items[1].Enrolled {
		t.Fatalf("payers %+v", payers)
	}
	var other Page[practicestore.Payer]
	f.do("admin", "GET", fmt.Sprintf("/v1/practices/%d/payers", np), nil).decode(t, &other)
	if len(other.Items) != 0 {
		t.Fatalf("the new practice has payers %+v", other)
	}
	if r := f.do("admin", "DELETE", fmt.Sprintf("/v1/practices/%d/payers/%d", f.p2, y.ID), nil); r.code != http.StatusNotFound {
		t.Fatalf("remove an enrollment practice 2 does not have: %d %s", r.code, r.body)
	}
	if r := f.do("admin", "DELETE", fmt.Sprintf("/v1/practices/%d/payers/%d", f.p1, y.ID), nil); r.code != http.StatusNoContent {
		t.Fatalf("remove: %d %s", r.code, r.body)
	}
	// Admin edits: a rename is audited with its practice.
	if r := f.do("admin", "PATCH", fmt.Sprintf("/v1/practices/%d", np), map[string]any{"name": "Northside Pain & Spine"}); r.code != http.StatusOK {
		t.Fatalf("patch: %d %s", r.code, r.body)
	}
	if r := f.do("admin", "PATCH", fmt.Sprintf("/v1/practices/%d", np), map[string]any{"npi": "1000000004"}); r.code != http.StatusConflict {
		t.Fatalf("patch to practice 1's NPI: %d %s", r.code, r.body)
	}
	if err := f.db.Get(&n, `SELECT count(*) FROM audit_log WHERE action LIKE 'practice.%' OR action LIKE 'provider.%'`); err != nil || n != 6 {
		t.Fatalf("onboarding audit rows %d (%v)", n, err)
	}
}

// practiceCases are the authorization-matrix cases of the onboarding
// routes, aimed at t's practice (matrixCases). The provider renamed and
// the payer enrollment removed are made here, before each call.
func (f *fx) practiceCases(t target) map[string]request {
	f.t.Helper()
	pp := fmt.Sprintf("/v1/practices/%d", t.practice)
	prov := f.id(`INSERT INTO providers (practice_id, npi, name) VALUES ($1, $2, 'Dr Matrix')
		ON CONFLICT (practice_id, npi) DO UPDATE SET npi = EXCLUDED.npi RETURNING id`, t.practice, t.npi)
	f.exec(`INSERT INTO practice_payers (practice_id, payer_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, t.practice, f.payer)
	return map[string]request{
		"GET /v1/practices":                                   {method: "GET", path: "/v1/practices"},
		"POST /v1/practices":                                  {method: "POST", path: "/v1/practices", body: map[string]any{"name": "New " + t.name, "npi": matrixNPI(t.name)}},
		"GET /v1/practices/{practice}":                        {method: "GET", path: pp, scope: scopeQueue},
		"PATCH /v1/practices/{practice}":                      {method: "PATCH", path: pp, body: map[string]any{"name": "Renamed " + t.name}, scope: scopeQueue},
		"GET /v1/practices/{practice}/providers":              {method: "GET", path: pp + "/providers", scope: scopeQueue},
		"POST /v1/practices/{practice}/providers":             {method: "POST", path: pp + "/providers", body: map[string]any{"npi": "1245319599", "name": "Dr " + t.name}, scope: scopeQueue},
		"PATCH /v1/practices/{practice}/providers/{provider}": {method: "PATCH", path: fmt.Sprintf("%s/providers/%d", pp, prov), body: map[string]any{"name": "Dr " + t.name}, scope: scopeQueue},
		"GET /v1/practices/{practice}/payers":                 {method: "GET", path: pp + "/payers", scope: scopeQueue},
		"POST /v1/practices/{practice}/payers":                {method: "POST", path: pp + "/payers", body: map[string]any{"payer_code": "MX-" + t.name, "payer_name": "Matrix Payer"}, scope: scopeQueue},
		"DELETE /v1/practices/{practice}/payers/{payer}":      {method: "DELETE", path: fmt.Sprintf("%s/payers/%d", pp, f.payer), scope: scopeQueue},
		// Admins only; t's file is ingested: an admin's release changes nothing.
		"POST /v1/files/{id}/release": {method: "POST", path: fmt.Sprintf("/v1/files/%d/release", t.file), scope: scopeFile},
	}
}

// matrixNPI is a valid NPI made from s (the same s, the same NPI).
func matrixNPI(s string) string {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	base := fmt.Sprintf("1%08d", h%100000000)
	for d := 0; d <= 9; d++ {
		if npi := fmt.Sprintf("%s%d", base, d); practicestore.ValidNPI(npi) {
			return npi
		}
	}
	panic("no check digit")
}

// TestProvidersPaged: a practice's providers page with cursor and limit
// like every list; an unknown parameter is a 400.
func TestProvidersPaged(t *testing.T) {
	f := newFixture(t)
	for _, npi := range []string{npiA, npiB, "1245319599"} {
		f.exec(`INSERT INTO providers (practice_id, npi, name) VALUES ($1, $2, 'Dr '||$2::text)`, f.p1, npi)
	}
	path := fmt.Sprintf("/v1/practices/%d/providers?limit=2", f.p1)
	var p1, p2 Page[practicestore.Provider]
	f.do("sup1", "GET", path, nil).decode(t, &p1)
	if len(p1.Items) != 2 || p1.NextCursor == "" {
		t.Fatalf("page 1: %+v", p1)
	}
	f.do("sup1", "GET", path+"&cursor="+p1.NextCursor, nil).decode(t, &p2)
	if len(p2.Items) != 1 || p2.NextCursor != "" || p2.Items[0].ID <= p1.Items[1].ID {
		t.Fatalf("page 2: %+v", p2)
	}
	if r := f.do("sup1", "GET", path+"&practise=1", nil); r.code != http.StatusBadRequest {
		t.Fatalf("unknown parameter: %d %s", r.code, r.body)
	}
}
