package apisvc

import (
	"fmt"
	"net/http"
	"testing"
)

// TestPracticeAlias: ?practice= is read as ?practice_id= on the API's own
// routes (with a Deprecation header), scoped the same way; the two names
// with different values are a 400.
func TestPracticeAlias(t *testing.T) {
	f := newFixture(t)
	var want Page[File]
	r := f.do("sup1", "GET", fmt.Sprint("/v1/files?practice_id=", f.p1), nil)
	r.decode(t, &want)
	if r.code != http.StatusOK || len(want.Items) != 1 || r.hdr.Get("Deprecation") != "" {
		t.Fatalf("practice_id: %d %s", r.code, r.body)
	}
	var got Page[File]
	r = f.do("sup1", "GET", fmt.Sprint("/v1/files?practice=", f.p1), nil)
	r.decode(t, &got)
	if r.code != http.StatusOK || len(got.Items) != 1 || got.Items[0].ID != want.Items[0].ID || r.hdr.Get("Deprecation") != "true" {
		t.Fatalf("practice: %d %s %v", r.code, r.body, r.hdr)
	}
	// Another practice by the old name: nothing of it is shown.
	var other Page[File]
	r = f.do("sup1", "GET", fmt.Sprint("/v1/files?practice=", f.p2), nil)
	if r.code == http.StatusOK {
		r.decode(t, &other)
		if len(other.Items) != 0 {
			t.Fatalf("practice 2 by the old name: %s", r.body)
		}
	} else if r.code != http.StatusNotFound {
		t.Fatalf("practice 2 by the old name: %d %s", r.code, r.body)
	}
	if r := f.do("sup1", "GET", fmt.Sprint("/v1/files?practice=", f.p1, "&practice_id=", f.p2), nil); r.code != http.StatusBadRequest {
		t.Fatalf("both names: %d %s", r.code, r.body)
	}
	if r := f.do("sup1", "GET", fmt.Sprint("/v1/team?practice=", f.p1), nil); r.code != http.StatusOK {
		t.Fatalf("team by the old name: %d %s", r.code, r.body)
	}
}
