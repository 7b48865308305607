package apisvc

import (
	"net/http"
	"strings"
	"testing"
)

// TestBulkAssignOutsideAssigneeScope: items the assignee may not work
// (another practice, another provider) are not assigned, and the answer
// says so: a 422 with the reason when none moved, "skipped" and "reason"
// beside the assigned ones otherwise.
func TestBulkAssignOutsideAssigneeScope(t *testing.T) {
	f := newFixture(t)
	r := f.do("admin", "POST", "/v1/work-items/assign", map[string]any{"assignee_id": f.users["bill1"].ID, "ids": []int64{f.itemC}})
	if r.code != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), "assignee_out_of_scope") {
		t.Fatalf("item of practice 2 to a biller of practice 1: %d %s", r.code, r.body)
	}
	var assignee *int64
	if err := f.db.Get(&assignee, `SELECT assignee_id FROM work_items WHERE id = $1`, f.itemC); err != nil || assignee != nil {
		t.Fatalf("item C assigned to %v (%v)", assignee, err)
	}
	var out struct {
		Assigned int     `json:"assigned"`
		IDs      []int64 `json:"ids"`
		Skipped  int     `json:"skipped"`
		Reason   string  `json:"reason"`
	}
	r = f.do("admin", "POST", "/v1/work-items/assign", map[string]any{"assignee_id": f.users["bill1"].ID, "ids": []int64{f.itemA, f.itemC}})
	r.decode(t, &out)
	if r.code != http.StatusOK || out.Assigned != 1 || out.IDs[0] != f.itemA || out.Skipped != 1 || out.Reason == "" {
		t.Fatalf("mixed: %d %s", r.code, r.body)
	}
	// A supervisor's filter over practice 1 to a biller of provider A only.
	out = struct {
		Assigned int     `json:"assigned"`
		IDs      []int64 `json:"ids"`
		Skipped  int     `json:"skipped"`
		Reason   string  `json:"reason"`
	}{}
	r = f.do("sup1", "POST", "/v1/work-items/assign", map[string]any{"assignee_id": f.users["billa"].ID, "filter": map[string]string{}})
	r.decode(t, &out)
	if r.code != http.StatusOK || out.Assigned != 1 || out.IDs[0] != f.itemA || out.Skipped != 1 {
		t.Fatalf("provider-scoped assignee: %d %s", r.code, r.body)
	}
	// Nothing to move and nothing outside: still a plain 200.
	r = f.do("sup1", "POST", "/v1/work-items/assign", map[string]any{"assignee_id": f.users["billa"].ID, "ids": []int64{f.itemA}})
	if r.code != http.StatusOK || !strings.Contains(string(r.body), `"assigned":0`) {
		t.Fatalf("again: %d %s", r.code, r.body)
	}
}
