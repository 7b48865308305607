package apisvc

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestDeadlineFlags: every item answered carries overdue (deadline before
// today, deadline still to meet) and due_soon (deadline today or within the
// settings' appeal_warning_days); ?deadline=overdue|due_soon filters on them.
func TestDeadlineFlags(t *testing.T) {
	f := newFixture(t)                                                                    // today 2026-11-18, appeal_warning_days 14 (default)
	f.exec(`UPDATE work_items SET appeal_deadline = '2026-11-17' WHERE id = $1`, f.itemA) // yesterday: overdue
	f.exec(`UPDATE work_items SET appeal_deadline = '2026-12-02' WHERE id = $1`, f.itemB) // today+14: due soon
	// itemC: 2026-12-30, neither.
	type flags struct {
		ID       int64  `json:"id"`
		Deadline string `json:"appeal_deadline"`
		Overdue  *bool  `json:"overdue"`
		DueSoon  *bool  `json:"due_soon"`
	}
	list := func(query string) map[int64]flags {
		t.Helper()
		r := f.do("admin", "GET", "/v1/work-items"+query, nil)
		if r.code != http.StatusOK {
			t.Fatalf("list %s: %d %s", query, r.code, r.body)
		}
		var p struct{ Items []flags }
		r.decode(t, &p)
		out := map[int64]flags{}
		for _, it := range p.Items {
			if it.Overdue == nil || it.DueSoon == nil {
				t.Errorf("list %s: item %d without overdue/due_soon", query, it.ID)
				continue
			}
			out[it.ID] = it
		}
		return out
	}
	all := list("")
	for id, want := range map[int64][2]bool{f.itemA: {true, false}, f.itemB: {false, true}, f.itemC: {false, false}} {
		got, ok := all[id]
		if !ok {
			t.Fatalf("item %d not listed", id)
		}
		if *got.Overdue != want[0] || *got.DueSoon != want[1] {
			t.Errorf("item %d (deadline %s): overdue %v due_soon %v, want %v", id, got.Deadline, *got.Overdue, *got.DueSoon, want)
		}
	}
	if got := list("?deadline=overdue"); len(got) != 1 || got[f.itemA].ID != f.itemA {
		t.Errorf("deadline=overdue: %v", got)
	}
	if got := list("?deadline=due_soon"); len(got) != 1 || got[f.itemB].ID != f.itemB {
		t.Errorf("deadline=due_soon: %v", got)
	}
	// An item with no deadline is never due soon (the list ranges over the
	// sort expression, where it reads as infinity).
	f.exec(`UPDATE work_items SET appeal_deadline = NULL WHERE id = $1`, f.itemC)
	if got := list("?deadline=due_soon"); len(got) != 1 || got[f.itemB].ID != f.itemB {
		t.Errorf("deadline=due_soon with an item without deadline: %v", got)
	}
	if r := f.do("admin", "GET", "/v1/work-items?deadline=late", nil); r.code != http.StatusBadRequest {
		t.Errorf("deadline=late: %d %s", r.code, r.body)
	}
	// The detail carries the flags too.
	var d flags
	r := f.do("bill1", "GET", fmt.Sprint("/v1/work-items/", f.itemA), nil)
	if r.code != http.StatusOK {
		t.Fatalf("detail: %d %s", r.code, r.body)
	}
	r.decode(t, &d)
	if d.Overdue == nil || !*d.Overdue || d.DueSoon == nil || *d.DueSoon {
		t.Errorf("detail of overdue item: %s", r.body)
	}
	// The warning window follows the settings: with 13 days item B is not due soon.
	f.exec(`UPDATE work_settings SET appeal_warning_days = 13`)
	if got := list(""); *got[f.itemB].DueSoon {
		t.Errorf("warning 13 days: item B (deadline 2026-12-02) due soon")
	}
	if got := list("?deadline=due_soon"); len(got) != 0 {
		t.Errorf("warning 13 days, deadline=due_soon: %v", got)
	}
	// An item whose deadline was met (appealed) or that is closed is neither.
	f.exec(`UPDATE work_items SET status = 'appealed', appealed_on = '2026-11-10' WHERE id = $1`, f.itemA)
	f.exec(`UPDATE work_items SET status = 'resolved', resolved_at = now(), appeal_deadline = '2026-11-01' WHERE id = $1`, f.itemC)
	got := list("?open=false")
	if *got[f.itemA].Overdue || *got[f.itemC].Overdue {
		t.Errorf("appealed or resolved item overdue: %+v %+v", got[f.itemA], got[f.itemC])
	}
}

// TestLateAppeal: an appeal dated after the appeal deadline is refused with
// 409 deadline_passed naming the deadline, unless override_reason says why;
// the accepted late appeal is audited with the reason.
func TestLateAppeal(t *testing.T) {
	f := newFixture(t) // today 2026-11-18
	f.exec(`UPDATE work_items SET appeal_deadline = '2026-06-01' WHERE id = $1`, f.itemA)
	path := fmt.Sprint("/v1/work-items/", f.itemA)
	late := map[string]any{"status": "appealed", "appealed_on": "2026-11-14", "version": 1}
	r := f.do("bill1", "PATCH", path, late)
	if r.code != http.StatusConflict {
		t.Fatalf("late appeal: %d %s", r.code, r.body)
	}
	var e struct {
		Error struct{ Code, Message string }
	}
	r.decode(t, &e)
	if e.Error.Code != "deadline_passed" || !strings.Contains(e.Error.Message, "2026-06-01") {
		t.Errorf("late appeal answer: %s", r.body)
	}
	for name, reason := range map[string]any{"empty": "  ", "too long": strings.Repeat("x", 501)} {
		late["override_reason"] = reason
		if r := f.do("bill1", "PATCH", path, late); r.code != http.StatusBadRequest {
			t.Errorf("override_reason %s: %d %s", name, r.code, r.body)
		}
	}
	late["override_reason"] = "payer granted an extension by phone, ref 42"
	r = f.do("bill1", "PATCH", path, late)
	if r.code != http.StatusOK {
		t.Fatalf("late appeal with override: %d %s", r.code, r.body)
	}
	var detail []byte
	if err := f.db.QueryRow(`SELECT detail FROM audit_log WHERE entity = 'work_item' AND entity_id = $1
		AND detail ? 'override_reason'`, fmt.Sprint(f.itemA)).Scan(&detail); err != nil {
		t.Fatalf("no audit row with the override reason: %v", err)
	}
	var d map[string]any
	if err := json.Unmarshal(detail, &d); err != nil || d["override_reason"] != "payer granted an extension by phone, ref 42" ||
		d["appeal_deadline"] != "2026-06-01" {
		t.Errorf("audit detail %s", detail)
	}
	// An appeal on time needs no reason; override_reason goes only with appealed.
	f.exec(`UPDATE work_items SET appeal_deadline = '2026-11-30' WHERE id = $1`, f.itemB)
	pathB := fmt.Sprint("/v1/work-items/", f.itemB)
	if r := f.do("bill1", "PATCH", pathB, map[string]any{"status": "in_progress", "version": 1, "override_reason": "x"}); r.code != http.StatusBadRequest {
		t.Errorf("override_reason without appealed: %d %s", r.code, r.body)
	}
	if r := f.do("bill1", "PATCH", pathB, map[string]any{"status": "appealed", "appealed_on": "2026-11-18", "version": 1}); r.code != http.StatusOK {
		t.Errorf("appeal on time: %d %s", r.code, r.body)
	}
}
