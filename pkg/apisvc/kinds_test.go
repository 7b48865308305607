package apisvc

import (
	"net/http"
	"strings"
	"testing"

	"github.com/remitq/remitq/pkg/work"
)

// TestKindFilterTakesEveryKind: GET /v1/work-items?kind= takes every kind
// of work.Kinds (bill_secondary from 0026 included) and lists only that
// kind; anything else is a 400 naming the kinds.
func TestKindFilterTakesEveryKind(t *testing.T) {
	f := newFixture(t)
	sec := f.item(f.p1, "", f.queueP1, f.claimA, f.lineA, "KIND-SEC", 1, "10.00")
	f.exec(`UPDATE work_items SET kind = 'bill_secondary' WHERE id = $1`, sec)
	for _, k := range work.Kinds {
		r := f.do("sup1", "GET", "/v1/work-items?kind="+k, nil)
		if r.code != http.StatusOK {
			t.Fatalf("kind=%s: %d %s", k, r.code, r.body)
		}
		var page Page[WorkItem]
		r.decode(t, &page)
		found := false
		for _, it := range page.Items {
			if it.Kind != k {
				t.Errorf("kind=%s lists item %d of kind %s", k, it.ID, it.Kind)
			}
			found = found || it.ID == sec
		}
		if found != (k == work.KindBillSecondary) {
			t.Errorf("kind=%s: the bill-secondary item listed %v", k, found)
		}
	}
	r := f.do("sup1", "GET", "/v1/work-items?kind=refund", nil)
	if r.code != http.StatusBadRequest || !strings.Contains(string(r.body), "bill_secondary") {
		t.Errorf("kind=refund: %d %s", r.code, r.body)
	}
}
