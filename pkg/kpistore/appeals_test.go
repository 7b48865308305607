package kpistore

import (
	"context"
	"fmt"
	"testing"

	"github.com/remitq/remitq/pkg/kpi"
)

// trackedAppeals adds to the hand data set, in practice 2, work items whose
// appeals are tracked in work_item_appeals (migration 0020). None has a
// matched line, so the dollars expected are the billed amount.
//
//	T1 billed 500: level 1 sent 10-09 for 500, paid_in_full 10-20, 500 recorded           → won, 500 recovered
//	T2 billed 300: level 1 sent 10-11, upheld 10-18; level 2 sent 10-19, paid_in_full
//	   10-27, nothing recorded; later remits paid 240 on the item                          → won, 240 (the remits)
//	T3 billed 400: level 1 sent 10-13, partial 10-25, 150 recorded (remits paid 170)       → won, 150 (recorded)
//	T4 billed 250: level 1 sent 10-14, upheld 10-24; a remit paid 50 on the item (the
//	   inference would call it won)                                                         → lost, 0
//	T5 billed 350: level 1 sent 10-16, pending                                              → neither
//	T6 billed 100: level 1 sent 10-17, withdrawn 10-19; item written off (the inference
//	   would call it lost)                                                                  → neither
//
// Practice 2: overturn 3 won ÷ 4 decided = 75.00 %; recovery (500 + 240 + 150 + 0) ÷
// (500 + 300 + 400 + 250) = 890 ÷ 1450 = 61.38 %.
func (h *hand) trackedAppeals() map[string]int64 {
	user := h.id(`INSERT INTO users (email, role) VALUES ('appeals@example.com', 'biller') RETURNING id`)
	ids := map[string]int64{}
	item := func(key, billed, recovered, status string) int64 {
		return h.id(`INSERT INTO work_items (dedupe_key, practice_id, provider_npi, kind, disposition, category, procedure_code,
			amount_at_risk, billed_amount, recovered_amount, status, created_at, remit_date, service_date) VALUES ($1, $2, '1245319599',
			'denial', 'denied', 'timely_filing', '99213', $3, $3, $4, $5, '2026-10-07 12:00Z', '2026-10-07', '2026-09-30') RETURNING id`,
			key, h.second, billed, recovered, status)
	}
	appeal := func(w int64, level int, sent, amount, outcome string, decided any, recovered string) {
		h.exec(`INSERT INTO work_item_appeals (work_item_id, practice_id, level, submitted_on, amount_appealed, outcome, decided_on,
			amount_recovered, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, w, h.second, level, sent, amount, outcome, decided,
			recovered, user)
	}
	ids["T1"] = item("tracked:1", "500", "0", "appealed")
	appeal(ids["T1"], 1, "2026-10-09", "500", "paid_in_full", "2026-10-20", "500")
	ids["T2"] = item("tracked:2", "300", "240", "appealed")
	appeal(ids["T2"], 1, "2026-10-11", "300", "upheld", "2026-10-18", "0")
	appeal(ids["T2"], 2, "2026-10-19", "300", "paid_in_full", "2026-10-27", "0")
	ids["T3"] = item("tracked:3", "400", "170", "appealed")
	appeal(ids["T3"], 1, "2026-10-13", "400", "partial", "2026-10-25", "150")
	ids["T4"] = item("tracked:4", "250", "50", "appealed")
	appeal(ids["T4"], 1, "2026-10-14", "250", "upheld", "2026-10-24", "0")
	ids["T5"] = item("tracked:5", "350", "0", "appealed")
	appeal(ids["T5"], 1, "2026-10-16", "350", "pending", nil, "0")
	ids["T6"] = item("tracked:6", "100", "0", "new")
	appeal(ids["T6"], 1, "2026-10-17", "100", "withdrawn", "2026-10-19", "0")
	h.exec(`UPDATE work_items SET status = 'written_off', resolved_at = '2026-10-29 09:00Z' WHERE id = $1`, ids["T6"])
	return ids
}

// TestTrackedAppealsHandComputed: the appeal KPIs from tracked appeals
// (practice 2) next to the inference from status moves and remits
// (practice 1, the items of TestHandComputed), through the refresher and
// the report query, and the dirty marks of work_item_appeals.
func TestTrackedAppealsHandComputed(t *testing.T) {
	h := newHand(t)
	ids := h.trackedAppeals()
	ctx := context.Background()
	st, err := Refresh(ctx, h.db)
	if err != nil {
		t.Fatal(err)
	}
	if st.Items != 11 {
		t.Fatalf("refreshed %+v, want 11 items", st)
	}
	p1, p2 := fmt.Sprint(h.practice), fmt.Sprint(h.second)
	check := func(step string, want map[string]map[string]string, all map[string]string) {
		t.Helper()
		for name, byPractice := range want {
			def, _ := kpi.Lookup(name)
			got := map[string]string{}
			for _, p := range value(t, h.db, name, kpi.DimPractice) {
				got[p.Group[0]] = fmt.Sprintf("%d/%d=%s", p.Num, p.Den, p.Text(placesOf(def)))
			}
			if fmt.Sprint(got) != fmt.Sprint(byPractice) {
				t.Errorf("%s: %s by practice:\n got %v\nwant %v", step, name, got, byPractice)
			}
			ps := value(t, h.db, name)
			if len(ps) != 1 {
				t.Errorf("%s: %s: %d points", step, name, len(ps))
				continue
			}
			if g := fmt.Sprintf("%d/%d=%s", ps[0].Num, ps[0].Den, ps[0].Text(placesOf(def))); g != all[name] {
				t.Errorf("%s: %s: %s, want %s", step, name, g, all[name])
			}
		}
	}
	// Practice 1 (inferred) as in TestHandComputed: 2/3, 450/730. Together:
	// 5/7 = 71.43 %; (450 + 890) ÷ (730 + 1450) = 1340 ÷ 2180 = 61.47 %.
	check("tracked", map[string]map[string]string{
		"appeal_overturn_rate": {p1: "2/3=66.67", p2: "3/4=75.00"},
		"appeal_recovery_rate": {p1: "45000/73000=61.64", p2: "89000/145000=61.38"},
		// Level 1: T1 won, T2 upheld, T3 partial, T4 upheld (T5 pending, T6 withdrawn): 2 ÷ 4;
		// practice 1 tracks no appeal: no point.
		"appeal_overturn_rate_first_level": {p2: "2/4=50.00"},
	}, map[string]string{"appeal_overturn_rate": "5/7=71.43", "appeal_recovery_rate": "134000/218000=61.47",
		"appeal_overturn_rate_first_level": "2/4=50.00"})

	dirty := func(w int64) {
		t.Helper()
		var n int
		if err := h.db.QueryRow(`SELECT count(*) FROM kpi_dirty WHERE kind = 'W' AND k1 = $1`, w).Scan(&n); err != nil || n == 0 {
			t.Fatalf("work item %d not marked dirty (%d, %v)", w, n, err)
		}
	}
	// T5's appeal is decided paid in full with 350 recorded: practice 2
	// 4/5 = 80.00 %, 1240 ÷ 1800 = 68.89 %; together 6/8 = 75.00 %,
	// 1690 ÷ 2530 = 66.80 %.
	h.exec(`UPDATE work_item_appeals SET outcome = 'paid_in_full', decided_on = '2026-10-30', amount_recovered = 350
		WHERE work_item_id = $1`, ids["T5"])
	dirty(ids["T5"])
	if _, err := Refresh(ctx, h.db); err != nil {
		t.Fatal(err)
	}
	check("T5 decided", map[string]map[string]string{
		"appeal_overturn_rate":             {p1: "2/3=66.67", p2: "4/5=80.00"},
		"appeal_recovery_rate":             {p1: "45000/73000=61.64", p2: "124000/180000=68.89"},
		"appeal_overturn_rate_first_level": {p2: "3/5=60.00"},
	}, map[string]string{"appeal_overturn_rate": "6/8=75.00", "appeal_recovery_rate": "169000/253000=66.80",
		"appeal_overturn_rate_first_level": "3/5=60.00"})

	// T2's level-2 appeal is removed: its upheld level 1 makes it lost:
	// practice 2 3/5 = 60.00 %, 1000 ÷ 1800 = 55.56 %; together 5/8 =
	// 62.50 %, 1450 ÷ 2530 = 57.31 %.
	h.exec(`DELETE FROM work_item_appeals WHERE work_item_id = $1 AND level = 2`, ids["T2"])
	dirty(ids["T2"])
	if _, err := Refresh(ctx, h.db); err != nil {
		t.Fatal(err)
	}
	check("T2 level 2 removed", map[string]map[string]string{
		"appeal_overturn_rate": {p1: "2/3=66.67", p2: "3/5=60.00"},
		"appeal_recovery_rate": {p1: "45000/73000=61.64", p2: "100000/180000=55.56"},
		// T2's level 1 stays upheld: the first-level rate does not move.
		"appeal_overturn_rate_first_level": {p2: "3/5=60.00"},
	}, map[string]string{"appeal_overturn_rate": "5/8=62.50", "appeal_recovery_rate": "145000/253000=57.31",
		"appeal_overturn_rate_first_level": "3/5=60.00"})

	// A new level on T4 (level 2, pending) makes it pending again:
	// practice 2 3/4 = 75.00 %, 1000 ÷ 1550 = 64.52 %.
	h.exec(`INSERT INTO work_item_appeals (work_item_id, practice_id, level, submitted_on, amount_appealed, created_by)
		SELECT work_item_id, practice_id, 2, '2026-10-31', 250, created_by FROM work_item_appeals WHERE work_item_id = $1`, ids["T4"])
	dirty(ids["T4"])
	if _, err := Refresh(ctx, h.db); err != nil {
		t.Fatal(err)
	}
	check("T4 level 2 pending", map[string]map[string]string{
		"appeal_overturn_rate":             {p1: "2/3=66.67", p2: "3/4=75.00"},
		"appeal_recovery_rate":             {p1: "45000/73000=61.64", p2: "100000/155000=64.52"},
		"appeal_overturn_rate_first_level": {p2: "3/5=60.00"},
	}, map[string]string{"appeal_overturn_rate": "5/7=71.43", "appeal_recovery_rate": "145000/228000=63.60",
		"appeal_overturn_rate_first_level": "3/5=60.00"})
}

// TestResolutionOutcome: an appeal not tracked in work_item_appeals is
// decided by what the biller recorded on resolving the item
// (resolution_outcome, resolution_recovered), before the inference from
// remits: practice 2 holds
//
//	U1 billed 400: appealed 10-10, resolved paid_in_full 10-26 with 380 recorded, no remit   → won, 380
//	U2 billed 200: appealed 10-12, resolved upheld 10-27; a remit paid 50 (the inference
//	   would call it won)                                                                       → lost, 0
//	U3 billed 300: appealed 10-13, resolved partial 10-28 with 100 recorded, no remit         → won, 100
//
// overturn 2 won ÷ 3 decided = 66.67 %; recovery (380 + 100) ÷ (400 + 200 + 300) = 53.33 %.
// The inference alone said 1 ÷ 3 and 50 ÷ 900.
func TestResolutionOutcome(t *testing.T) {
	h := newHand(t)
	item := func(key, billed, recovered, outcome, resolutionRecovered, appealed, resolved string) {
		h.exec(`INSERT INTO work_items (dedupe_key, practice_id, provider_npi, kind, disposition, category, procedure_code,
			amount_at_risk, billed_amount, recovered_amount, status, created_at, remit_date, service_date, appealed_on, resolved_at,
			resolution_outcome, resolution_recovered) VALUES ($1, $2, '1245319599', 'denial', 'denied', 'timely_filing', '99213', 0, $3,
			$4, 'resolved', '2026-10-07 12:00Z', '2026-10-07', '2026-09-30', $6, $7, $5, nullif($8, '')::numeric)`,
			key, h.second, billed, recovered, outcome, appealed, resolved, resolutionRecovered)
	}
	item("untracked:1", "400", "0", "paid_in_full", "380", "2026-10-10", "2026-10-26 09:00Z")
	item("untracked:2", "200", "50", "upheld", "", "2026-10-12", "2026-10-27 09:00Z")
	item("untracked:3", "300", "0", "partial", "100", "2026-10-13", "2026-10-28 09:00Z")
	if _, err := Refresh(context.Background(), h.db); err != nil {
		t.Fatal(err)
	}
	p2 := fmt.Sprint(h.second)
	for name, want := range map[string]string{"appeal_overturn_rate": "2/3=66.67", "appeal_recovery_rate": "48000/90000=53.33"} {
		def, _ := kpi.Lookup(name)
		got := ""
		for _, p := range value(t, h.db, name, kpi.DimPractice) {
			if p.Group[0] == p2 {
				got = fmt.Sprintf("%d/%d=%s", p.Num, p.Den, p.Text(placesOf(def)))
			}
		}
		if got != want {
			t.Errorf("%s, practice 2: %s, want %s", name, got, want)
		}
	}
}
