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

// TestAttack2ResendCheckCrossesTenants: the duplicate-transmission check
// (same sender, ISA13 and TRN02 as a stored file) looks at every
// practice's files. A biller of practice 1 who sends a file for its own
// practice with the sender, interchange number and trace numbers that
// practice 2's next remittance will carry (sequential, guessable) gets
// practice 2's real remittance quarantined as a "duplicate": its payments
// are never posted. The other way round, the refusal names another
// tenant's file id and receipt date.
func TestAttack2ResendCheckCrossesTenants(t *testing.T) {
	p := newProc(t)
	// Practice 1's biller goes first, with practice 2's numbers.
	r := p.send("bill1", "POST", "/v1/remittances?filename=squat.835", remit835(t, 7300, npiP1))
	if r.code != http.StatusCreated {
		t.Fatalf("bill1's own file: %d %s", r.code, r.body)
	}
	var squat struct {
		FileID int64 `json:"file_id"`
	}
	r.decode(t, &squat)
	// Practice 2's real remittance.
	r = p.send("bill2", "POST", "/v1/remittances?filename=real.835", remit835(t, 7300, npiP2))
	if r.code != http.StatusCreated {
		t.Errorf("practice 2's remittance after bill1's file with its numbers: %d %.300s", r.code, r.body)
	}
	if strings.Contains(string(r.body), fmt.Sprintf("file %d ", squat.FileID)) {
		t.Errorf("bill2's answer names practice 1's file %d", squat.FileID)
	}
}
