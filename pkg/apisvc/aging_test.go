package apisvc

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/remitq/remitq/pkg/work"
)

// TestQueueAgingFromRemitDate: /v1/queues ages open items from their remit
// date (workage), not from when the router created them, under the bucket
// keys every view uses: an item created two days ago for a remit of 100
// days ago is 90+.
func TestQueueAgingFromRemitDate(t *testing.T) {
	f := newFixture(t)
	f.exec(`UPDATE work_items SET remit_date = $2::date WHERE id = $1`, f.itemA, f.now.AddDate(0, 0, -100).Format("2006-01-02"))
	r := f.do("sup1", "GET", "/v1/queues?fresh=true&practice_id="+fmt.Sprint(f.p1), nil)
	var out struct {
		Items []struct {
			Open  int            `json:"open"`
			Aging map[string]int `json:"aging"`
		} `json:"items"`
	}
	if err := json.Unmarshal(r.body, &out); err != nil || r.code != 200 {
		t.Fatalf("queues: %d %s", r.code, r.body)
	}
	if len(out.Items) != 1 {
		t.Fatalf("queues: %s", r.body)
	}
	a := out.Items[0].Aging
	if len(a) != len(work.Keys) {
		t.Errorf("aging keys %v, want %v", a, work.Keys)
	}
	for _, k := range work.Keys {
		if _, ok := a[k]; !ok {
			t.Errorf("aging has no %q: %v", k, a)
		}
	}
	if a["0-30"] != 1 || a["90+"] != 1 || out.Items[0].Open != 2 {
		t.Errorf("aging %v of %d open items, want one 0-30 (remit date unknown, created 2 days ago) and one 90+ (remit 100 days ago)",
			a, out.Items[0].Open)
	}
}
