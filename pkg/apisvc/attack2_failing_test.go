//go:build attackfail

package apisvc

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// Attack 2: weaknesses found (these tests fail; run with -tags attackfail).

// TestAttack2FreeTextOutsidePHIRoutes: notes are PHI (work.phi, audited
// reads), but the other free text billers type about the patient — a
// write-off's resolution and a late appeal's override_reason — may be
// served on routes without PHI (the work-item lists, the item's events)
// to an analyst, whose role may not read PHI, with no PHI read audited.
// Found: the lists show resolution, the events route override_reason.
func TestAttack2FreeTextOutsidePHIRoutes(t *testing.T) {
	f := newFixture(t)
	const secretA = "Patient Alpha Doe passed away, member M-A-SECRET"
	const secretB = "Pt Bravo Doe was in hospital, DOB 1950-01-02"
	r := f.do("bill1", "PATCH", fmt.Sprint("/v1/work-items/", f.itemA), map[string]any{"status": "written_off", "resolution": secretA},
		"If-Match", f.version(f.itemA))
	if r.code != http.StatusOK {
		t.Fatalf("write-off: %d %s", r.code, r.body)
	}
	f.exec(`UPDATE work_items SET appeal_deadline = '2026-11-01' WHERE id = $1`, f.itemB)
	r = f.do("bill1", "PATCH", fmt.Sprint("/v1/work-items/", f.itemB), map[string]any{"status": "appealed", "appealed_on": "2026-11-10",
		"override_reason": secretB}, "If-Match", f.version(f.itemB))
	if r.code != http.StatusOK {
		t.Fatalf("late appeal: %d %s", r.code, r.body)
	}
	for _, path := range []string{
		fmt.Sprint("/v1/work-items?practice_id=", f.p1),
		fmt.Sprint("/v1/work-items?practice_id=", f.p1, "&status=written_off"),
		fmt.Sprint("/v1/work-items?practice_id=", f.p1, "&open=false"),
		fmt.Sprint("/v1/queues/", f.queueP1, "/work-items?status=written_off"),
		fmt.Sprint("/v1/work-items/", f.itemA, "/events"),
		fmt.Sprint("/v1/work-items/", f.itemB, "/events"),
	} {
		r := f.do("an1", "GET", path, nil)
		for _, secret := range []string{secretA, secretB} {
			if strings.Contains(string(r.body), secret) {
				t.Errorf("analyst GET %s (%d): free text about the patient: %q", path, r.code, secret)
			}
		}
	}
}
