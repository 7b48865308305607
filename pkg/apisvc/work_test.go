package apisvc

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestConcurrentUpdate: two billers move the same item from the same
// version at once; exactly one wins, the other gets 412 (If-Match) or 409
// (body version), and nothing of the loser is written.
func TestConcurrentUpdate(t *testing.T) {
	f := newFixture(t)
	for round, mode := range []string{"if-match", "body", "if-match", "body"} {
		item := f.item(f.p1, npiB, f.queueP1, f.claimB, f.lineB, fmt.Sprintf("PCN-RACE-%d", round), 10, "5.00")
		r := f.do("bill1", "GET", fmt.Sprint("/v1/work-items/", item), nil)
		if r.code != 200 || r.hdr.Get("ETag") != `"1"` {
			t.Fatalf("read: %d, ETag %q", r.code, r.hdr.Get("ETag"))
		}
		var wg sync.WaitGroup
		codes := make([]int, 2)
		start := make(chan struct{})
		for i, user := range []string{"bill1", "bill1b"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				body := map[string]any{"status": "in_progress"}
				var hdr []string
				if mode == "body" {
					body["version"] = 1
				} else {
					hdr = []string{"If-Match", r.hdr.Get("ETag")}
				}
				codes[i] = f.do(user, "PATCH", fmt.Sprint("/v1/work-items/", item), body, hdr...).code
			}()
		}
		close(start)
		wg.Wait()
		lost := http.StatusPreconditionFailed
		if mode == "body" {
			lost = http.StatusConflict
		}
		if !(codes[0] == 200 && codes[1] == lost) && !(codes[1] == 200 && codes[0] == lost) {
			t.Fatalf("round %d (%s): codes %v, want one 200 and one %d", round, mode, codes, lost)
		}
		var version, events int
		var assignee int64
		if err := f.db.QueryRow(`SELECT version, assignee_id, (SELECT count(*) FROM work_item_events WHERE work_item_id = w.id)
			FROM work_items w WHERE id = $1`, item).Scan(&version, &assignee, &events); err != nil {
			t.Fatal(err)
		}
		winner := f.users["bill1"].ID
		if codes[1] == 200 {
			winner = f.users["bill1b"].ID
		}
		if version != 2 || events != 1 || assignee != winner {
			t.Errorf("round %d: version %d, %d events, assignee %d (winner %d)", round, version, events, assignee, winner)
		}
	}
}

func TestPatchRules(t *testing.T) {
	f := newFixture(t)
	path := fmt.Sprint("/v1/work-items/", f.itemA)
	tests := []struct {
		name string
		user string
		body map[string]any
		hdr  []string
		want int
	}{
		{"no version", "bill1", map[string]any{"status": "in_progress"}, nil, 428},
		{"bad status", "bill1", map[string]any{"status": "done", "version": 1}, nil, 400},
		{"appeal without date", "bill1", map[string]any{"status": "appealed", "version": 1}, nil, 400},
		{"appeal in the future", "bill1", map[string]any{"status": "appealed", "appealed_on": "2027-01-01", "version": 1}, nil, 400},
		{"write-off without reason", "bill1", map[string]any{"status": "written_off", "version": 1}, nil, 400},
		{"snooze into the past", "bill1", map[string]any{"status": "pended", "pended_until": "2026-11-01", "version": 1}, nil, 400},
		{"unknown field", "bill1", map[string]any{"status": "in_progress", "version": 1, "assignee_id": 3}, nil, 400},
		{"stale If-Match", "bill1", map[string]any{"status": "in_progress"}, []string{"If-Match", `"7"`}, 412},
		{"snooze", "bill1", map[string]any{"status": "pended", "pended_until": "2026-12-01", "version": 1}, nil, 200},
		{"someone else's item", "bill1b", map[string]any{"status": "in_progress", "version": 2}, nil, 403},
		{"appeal", "bill1", map[string]any{"status": "appealed", "appealed_on": "2026-11-17", "version": 2}, nil, 200},
		{"write off", "bill1", map[string]any{"status": "written_off", "resolution": "past timely filing", "version": 3}, nil, 200},
		{"biller reopens", "bill1", map[string]any{"status": "in_progress", "version": 4}, nil, 403},
		{"supervisor reopens", "sup1", map[string]any{"status": "in_progress", "version": 4}, nil, 200},
	}
	for _, tt := range tests {
		r := f.do(tt.user, "PATCH", path, tt.body, tt.hdr...)
		if r.code != tt.want {
			t.Errorf("%s: %d, want %d: %s", tt.name, r.code, tt.want, r.body)
		}
	}
	var status, resolution string
	var appealed string
	var resolved *time.Time
	if err := f.db.QueryRow(`SELECT status, resolution, appealed_on::text, resolved_at FROM work_items WHERE id = $1`, f.itemA).
		Scan(&status, &resolution, &appealed, &resolved); err != nil {
		t.Fatal(err)
	}
	if status != "in_progress" || resolution != "past timely filing" || appealed != "2026-11-17" || resolved != nil {
		t.Errorf("item: %s %q %s %v", status, resolution, appealed, resolved)
	}
	var amount string
	if err := f.db.QueryRow(`SELECT amount::text FROM work_item_events WHERE work_item_id = $1 AND to_status = 'written_off'`, f.itemA).Scan(&amount); err != nil || amount != "100.00" {
		t.Errorf("write-off event amount %q, %v", amount, err)
	}
	// A body larger than the limit is refused.
	big := strings.Repeat("x", 2<<20)
	if r := f.do("bill1", "POST", path+"/notes", map[string]any{"body": big}); r.code != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MiB note: %d", r.code)
	}
}

// TestItemDetail: the claim view reads every CAS and RARC in plain
// language, shows billed vs paid, the match and the authorization on file.
func TestItemDetail(t *testing.T) {
	f := newFixture(t)
	r := f.do("bill1", "GET", fmt.Sprint("/v1/work-items/", f.itemA), nil)
	if r.code != 200 {
		t.Fatalf("%d %s", r.code, r.body)
	}
	var d struct {
		ID    int64
		Claim struct {
			PatientName string `json:"patient_name"`
			StatusText  string `json:"status_text"`
			Lines       []struct {
				Billed, Paid string
				Focus        bool
				Adjustments  []struct {
					Group, CARC string
					Explanation struct {
						Category, Text, Source string
					}
				}
				Remarks []struct{ Code, Text string }
				Match   *struct {
					Method     string
					BilledLine struct {
						Authorization string
						Charge        string
					} `json:"billed_line"`
				}
			}
		}
	}
	r.decode(t, &d)
	if d.Claim.PatientName != nameA || len(d.Claim.Lines) != 1 {
		t.Fatalf("claim: %+v", d.Claim)
	}
	l := d.Claim.Lines[0]
	if !l.Focus || l.Billed != "200.00" || l.Paid != "0.00" || len(l.Adjustments) != 1 || len(l.Remarks) != 1 {
		t.Fatalf("line: %+v", l)
	}
	if a := l.Adjustments[0]; a.Group != "CO" || a.CARC != "197" || a.Explanation.Category != "authorization" || a.Explanation.Text == "" {
		t.Errorf("adjustment: %+v", a)
	}
	if l.Remarks[0].Code != "N54" || l.Remarks[0].Text == "" || l.Remarks[0].Text == "unknown remark code" {
		t.Errorf("remark: %+v", l.Remarks[0])
	}
	if l.Match == nil || l.Match.Method != "line_control_number" || l.Match.BilledLine.Authorization != "AUTH-77" {
		t.Errorf("match: %+v", l.Match)
	}
	// Notes round trip, audited.
	if r := f.do("bill1", "POST", fmt.Sprint("/v1/work-items/", f.itemA, "/notes"), map[string]any{"body": "auth on file, appeal"}); r.code != 201 {
		t.Fatalf("note: %d %s", r.code, r.body)
	}
	r = f.do("sup1", "GET", fmt.Sprint("/v1/work-items/", f.itemA, "/notes"), nil)
	var notes Page[Note]
	r.decode(t, &notes)
	if len(notes.Items) != 1 || notes.Items[0].Body != "auth on file, appeal" || notes.Items[0].AuthorName != "Bea" {
		t.Errorf("notes: %+v", notes)
	}
}

// TestPagination walks every page of long lists in several sorts: no row
// twice, none missing, in order.
func TestPagination(t *testing.T) {
	f := newFixture(t)
	const n = 137
	f.exec(`INSERT INTO work_items (dedupe_key, practice_id, provider_npi, queue_id, kind, disposition, patient_control_number,
		amount_at_risk, priority, appeal_deadline, assignee_id, status, assigned_at)
		SELECT 'bulk:'||i, $1, $2, $3, 'denial', 'denied', 'BULK-'||i, (i % 17) * 10, i % 7,
			CASE WHEN i % 5 = 0 THEN NULL ELSE '2026-12-01'::date + (i % 11) END, $4, 'assigned', now()
		FROM generate_series(1, $5) i`, f.p1, npiA, f.queueP1, f.users["bill1"].ID, n)
	for _, tc := range []struct {
		path  string
		sort  string
		total int
	}{
		{"/v1/my/work-items", "", n},
		{"/v1/my/work-items", "-amount_at_risk", n},
		{"/v1/my/work-items", "appeal_deadline", n},
		{"/v1/queues/" + fmt.Sprint(f.queueP1) + "/work-items", "-priority", n + 2},
		{"/v1/work-items", "created_at", n + 2},
	} {
		seen := map[int64]bool{}
		cur := ""
		var prev *WorkItem
		pages := 0
		for {
			q := "?limit=50"
			if tc.sort != "" {
				q += "&sort=" + tc.sort
			}
			if cur != "" {
				q += "&cursor=" + cur
			}
			r := f.do("sup1", "GET", tc.path+q, nil)
			if tc.path == "/v1/my/work-items" {
				r = f.do("bill1", "GET", tc.path+q, nil)
			}
			if r.code != 200 {
				t.Fatalf("%s%s: %d %s", tc.path, q, r.code, r.body)
			}
			var p Page[WorkItem]
			r.decode(t, &p)
			pages++
			for i := range p.Items {
				it := &p.Items[i]
				if seen[it.ID] {
					t.Fatalf("%s %s: item %d twice", tc.path, tc.sort, it.ID)
				}
				seen[it.ID] = true
				if prev != nil && !ordered(tc.sort, prev, it) {
					t.Fatalf("%s %s: %d before %d out of order", tc.path, tc.sort, prev.ID, it.ID)
				}
				prev = it
			}
			if p.NextCursor == "" {
				break
			}
			cur = p.NextCursor
		}
		if len(seen) != tc.total || pages != (tc.total+49)/50 {
			t.Errorf("%s %s: %d items in %d pages, want %d", tc.path, tc.sort, len(seen), pages, tc.total)
		}
	}
	// A cursor only fits the sort it came from.
	r := f.do("bill1", "GET", "/v1/my/work-items?limit=5", nil)
	var p Page[WorkItem]
	r.decode(t, &p)
	if r := f.do("bill1", "GET", "/v1/my/work-items?sort=created_at&cursor="+p.NextCursor, nil); r.code != 400 {
		t.Errorf("cursor of another sort: %d", r.code)
	}
	for _, bad := range []string{"?limit=0", "?limit=501", "?sort=name", "?cursor=!!", "?min_amount=1e3", "?status=open"} {
		if r := f.do("bill1", "GET", "/v1/work-items"+bad, nil); r.code != 400 {
			t.Errorf("%s: %d", bad, r.code)
		}
	}
}

func ordered(sort string, a, b *WorkItem) bool {
	key := func(w *WorkItem) string {
		switch strings.TrimPrefix(sort, "-") {
		case "amount_at_risk":
			return fmt.Sprintf("%020d", w.AmountAtRisk.Cents())
		case "appeal_deadline":
			if w.AppealDeadline.IsZero() {
				return "9999"
			}
			return w.AppealDeadline.String()
		case "created_at":
			return w.CreatedAt.Format(time.RFC3339Nano)
		}
		return fmt.Sprintf("%020d", 1000000-w.Priority) // priority: highest first
	}
	ka, kb := key(a), key(b)
	if strings.HasPrefix(sort, "-") {
		return ka > kb || (ka == kb && a.ID > b.ID)
	}
	return ka < kb || (ka == kb && a.ID < b.ID)
}

// TestAssignAndQueues: a supervisor assigns a filter of items; queue
// counts, and what a provider-scoped biller sees of them.
func TestAssignAndQueues(t *testing.T) {
	f := newFixture(t)
	r := f.do("sup1", "POST", "/v1/work-items/assign", map[string]any{"assignee_id": f.users["billa"].ID,
		"filter": map[string]string{"queue_id": fmt.Sprint(f.queueP1)}})
	var out struct {
		Assigned int
		IDs      []int64
	}
	r.decode(t, &out)
	// billa sees provider A only: item B stays unassigned.
	if r.code != 200 || out.Assigned != 1 || out.IDs[0] != f.itemA {
		t.Fatalf("assign: %d %s", r.code, r.body)
	}
	if r := f.do("sup1", "POST", "/v1/work-items/assign", map[string]any{"assignee_id": f.users["bill2"].ID, "ids": []int64{f.itemB}}); r.code != 400 {
		t.Errorf("assign to a user of another practice: %d %s", r.code, r.body)
	}
	if r := f.do("sup1", "POST", "/v1/work-items/assign", map[string]any{"assignee_id": f.users["an1"].ID, "ids": []int64{f.itemB}}); r.code != 400 {
		t.Errorf("assign to an analyst: %d", r.code)
	}
	var qs Page[QueueSummary]
	f.do("sup1", "GET", "/v1/queues", nil).decode(t, &qs)
	if len(qs.Items) != 1 || qs.Items[0].Open != 2 || qs.Items[0].Unassigned != 1 || qs.Items[0].AmountAtRisk.String() != "180.00" ||
		qs.Items[0].Aging.D0to30 != 2 {
		t.Errorf("supervisor's queues: %+v", qs.Items)
	}
	f.do("billa", "GET", "/v1/queues", nil).decode(t, &qs)
	if len(qs.Items) != 1 || qs.Items[0].Open != 1 || qs.Items[0].AmountAtRisk.String() != "100.00" {
		t.Errorf("provider-scoped biller's queues: %+v", qs.Items)
	}
	var mine Page[WorkItem]
	f.do("billa", "GET", "/v1/my/work-items", nil).decode(t, &mine)
	if len(mine.Items) != 1 || mine.Items[0].Status != "assigned" {
		t.Errorf("my work: %+v", mine.Items)
	}
	// Resolve it and see the team figures.
	if r := f.do("billa", "PATCH", fmt.Sprint("/v1/work-items/", f.itemA), map[string]any{"status": "resolved", "version": 2}); r.code != 200 {
		t.Fatalf("resolve: %d %s", r.code, r.body)
	}
	f.exec(`UPDATE work_items SET recovered_amount = 75 WHERE id = $1`, f.itemA)
	var team Page[Member]
	f.do("sup1", "GET", "/v1/team?days=7", nil).decode(t, &team)
	found := false
	for _, m := range team.Items {
		if m.UserID == f.users["billa"].ID {
			found = true
			if m.Resolved != 1 || m.Recovered.String() != "75.00" || m.Open != 0 || len(m.Daily) != 1 {
				t.Errorf("team member: %+v", m)
			}
		}
		if strings.HasSuffix(m.Email, "@p2.test") {
			t.Errorf("team shows %s of another practice", m.Email)
		}
	}
	if !found {
		t.Errorf("billa missing from the team: %+v", team.Items)
	}
}

// TestSweep: auto-release after business days, escalation by SLA and by
// appeal deadline, snoozed items waking.
func TestSweep(t *testing.T) {
	f := newFixture(t)
	bill := f.users["bill1"].ID
	// Wednesday 2026-11-18 15:00. Three business days before: Friday 11-13 15:00.
	f.exec(`UPDATE work_items SET status = 'assigned', assignee_id = $2, assigned_at = '2026-11-13 14:00Z' WHERE id = $1`, f.itemA, bill)
	f.exec(`UPDATE work_items SET status = 'assigned', assignee_id = $2, assigned_at = '2026-11-13 16:00Z' WHERE id = $1`, f.itemB, bill)
	f.exec(`UPDATE work_items SET status = 'pended', pended_until = '2026-11-18', assignee_id = $2 WHERE id = $1`, f.itemC, f.users["bill2"].ID)
	res, err := f.s.Sweep(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if res.Released != 1 || res.Woken != 1 || res.Escalated != 0 {
		t.Fatalf("first sweep: %+v", res)
	}
	var st string
	var assignee *int64
	f.db.QueryRow(`SELECT status, assignee_id FROM work_items WHERE id = $1`, f.itemA).Scan(&st, &assignee)
	if st != "new" || assignee != nil {
		t.Errorf("released item: %s %v", st, assignee)
	}
	f.db.QueryRow(`SELECT status FROM work_items WHERE id = $1`, f.itemC).Scan(&st)
	if st != "assigned" {
		t.Errorf("woken item: %s", st)
	}
	// A holiday on Monday 11-16 keeps item B assigned one more day.
	f.now = time.Date(2026, 11, 19, 15, 30, 0, 0, time.UTC)
	f.exec(`INSERT INTO business_holidays (day) VALUES ('2026-11-16')`)
	if res, _ := f.s.Sweep(t.Context()); res.Released != 0 {
		t.Errorf("with a holiday: %+v", res)
	}
	// Thirty days later every item is past the 15-business-day SLA, and the
	// deadline of 12-30 is within 14 days.
	f.now = time.Date(2026, 12, 18, 9, 0, 0, 0, time.UTC)
	res, err = f.s.Sweep(t.Context())
	if err != nil || res.Escalated != 3 {
		t.Errorf("late sweep: %+v %v", res, err)
	}
	var events int
	f.db.QueryRow(`SELECT count(*) FROM work_item_events WHERE actor = 'system'`).Scan(&events)
	if events != 3+1+1+2 { // 3 escalations, 1 woken, 1+2 released
		var got []string
		rows, _ := f.db.Query(`SELECT action || ':' || work_item_id FROM work_item_events WHERE actor = 'system' ORDER BY id`)
		for rows.Next() {
			var s string
			rows.Scan(&s)
			got = append(got, s)
		}
		rows.Close()
		t.Errorf("system events: %v", got)
	}
	var q Page[WorkItem]
	f.do("sup1", "GET", "/v1/work-items?escalated=true", nil).decode(t, &q)
	if len(q.Items) != 2 {
		t.Errorf("escalated items in scope: %d", len(q.Items))
	}
}

// TestAuditLog: the admin reads the audit trail; no PHI in it.
func TestAuditLog(t *testing.T) {
	f := newFixture(t)
	f.do("bill1", "GET", fmt.Sprint("/v1/claims/", f.claimA), nil)
	f.do("admin", "GET", fmt.Sprint("/v1/files/", f.fileP1, "/raw"), nil)
	var p Page[json.RawMessage]
	r := f.do("admin", "GET", "/v1/audit?limit=1", nil)
	r.decode(t, &p)
	if len(p.Items) != 1 || !strings.Contains(string(p.Items[0]), `"file.download"`) || p.NextCursor == "" {
		t.Fatalf("audit page 1: %s", r.body)
	}
	r = f.do("admin", "GET", "/v1/audit?limit=5&cursor="+p.NextCursor, nil)
	r.decode(t, &p)
	if len(p.Items) != 1 || !strings.Contains(string(p.Items[0]), `"claim.view"`) || !strings.Contains(string(p.Items[0]), `"remote_addr":"192.0.2.1"`) {
		t.Fatalf("audit page 2: %s", r.body)
	}
	var all string
	f.db.QueryRow(`SELECT string_agg(detail::text || coalesce(entity_id, ''), ' ') FROM audit_log`).Scan(&all)
	for _, m := range []string{nameA, pcnA, "MEMBER"} {
		if strings.Contains(all, m) {
			t.Errorf("audit rows hold %q", m)
		}
	}
	if _, err := f.db.Exec(`DELETE FROM audit_log`); err == nil {
		t.Error("audit rows could be deleted")
	}
	f.do("bill1", "GET", "/v1/audit?user_id="+fmt.Sprint(f.users["bill1"].ID), nil)
	r = f.do("admin", "GET", "/v1/audit?user_id="+fmt.Sprint(f.users["bill1"].ID), nil)
	r.decode(t, &p)
	if len(p.Items) != 1 {
		t.Errorf("filter by user: %s", r.body)
	}
}

// TestPriorProcedures: the item shows the patient's earlier procedures in
// the same spinal region, within 12 months, in the caller's scope.
func TestPriorProcedures(t *testing.T) {
	f := newFixture(t)
	bc := f.id(`SELECT id FROM billed_claims WHERE patient_control_number = $1`, pcnA)
	f.exec(`UPDATE billed_claims SET rendering_npi = $2 WHERE id = $1`, bc, npiA)
	f.exec(`UPDATE work_items SET billed_claim_id = $2, service_date = '2026-09-01' WHERE id = $1`, f.itemA, bc)
	prior := func(pcn, npi, code, date string) {
		c := f.id(`INSERT INTO billed_claims (practice_id, source, patient_control_number, total_charge, line_count, content_sha256,
			phi_member_id, rendering_npi) VALUES ($1, '837', $2, 100, 1, '\x00', 'M-A', $3) RETURNING id`, f.p1, pcn, npi)
		f.exec(`INSERT INTO billed_lines (billed_claim_id, practice_id, line_number, procedure_code, units, charge, service_date_from)
			VALUES ($1, $2, 1, $3, 1, 100, $4)`, c, f.p1, code, date)
	}
	prior("OLD-LUMBAR-A", npiA, "64483", "2026-05-01")
	prior("OLD-LUMBAR-B", npiB, "64493", "2026-06-01")
	prior("OLD-CERVICAL", npiA, "64479", "2026-06-02")
	prior("TOO-OLD", npiA, "64483", "2025-05-01")
	for _, tc := range []struct {
		user string
		want []string
	}{{"bill1", []string{"OLD-LUMBAR-B", "OLD-LUMBAR-A"}}, {"billa", []string{"OLD-LUMBAR-A"}}} {
		var d struct{ History History }
		f.do(tc.user, "GET", fmt.Sprint("/v1/work-items/", f.itemA), nil).decode(t, &d)
		var got []string
		for _, p := range d.History.Procedures {
			got = append(got, p.PatientControlNumber)
		}
		if d.History.Region != "lumbar_sacral" || strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s: region %q, prior %v, want %v", tc.user, d.History.Region, got, tc.want)
		}
	}
}

// TestQueueSnapshot: with sweeps running, the queue summary reads the
// sweep's snapshot (scoped like the items), ?fresh=true counts now, and a
// snapshot older than two sweeps is not used.
func TestQueueSnapshot(t *testing.T) {
	f := newFixture(t)
	opts := f.s.opts
	opts.SweepInterval = time.Minute
	s, err := New(f.db, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	s.Register(mux)
	f.h = s.WrapHTTP(mux)
	if _, err := s.Sweep(t.Context()); err != nil {
		t.Fatal(err)
	}
	f.item(f.p1, npiA, f.queueP1, f.claimA, f.lineA, "PCN-LATE", 1, "1.00")
	open := func(user, q string) (int, time.Time) {
		var p Page[QueueSummary]
		f.do(user, "GET", "/v1/queues"+q, nil).decode(t, &p)
		if len(p.Items) != 1 {
			t.Fatalf("%s: %+v", user, p.Items)
		}
		return p.Items[0].Open, p.Items[0].AsOf
	}
	if n, at := open("sup1", ""); n != 2 || !at.Equal(f.now) {
		t.Errorf("snapshot: %d open as of %v", n, at)
	}
	if n, _ := open("billa", ""); n != 1 {
		t.Errorf("provider scope on the snapshot: %d open", n)
	}
	if n, _ := open("sup1", "?fresh=true"); n != 3 {
		t.Errorf("fresh: %d open", n)
	}
	f.now = f.now.Add(3 * time.Minute)
	if n, at := open("sup1", ""); n != 3 || !at.Equal(f.now) {
		t.Errorf("stale snapshot not used: %d open as of %v", n, at)
	}
}

// TestUsersAndKeys: admins manage users; a user makes and revokes its own
// API keys, which work at once and stop at once.
func TestUsersAndKeys(t *testing.T) {
	f := newFixture(t)
	r := f.do("admin", "POST", "/v1/users", map[string]any{"email": "New@P1.test", "name": "Nia", "role": "supervisor",
		"scopes": []map[string]any{{"practice_id": f.p1}, {"practice_id": f.p2, "provider_npi": npiC}}})
	var u struct {
		ID     int64
		Email  string
		Scopes []map[string]any
	}
	r.decode(t, &u)
	if r.code != 201 || u.Email != "new@p1.test" || len(u.Scopes) != 2 {
		t.Fatalf("add user: %d %s", r.code, r.body)
	}
	for _, bad := range []map[string]any{{"email": "x@y.test", "role": "root"}, {"email": "x@y.test", "role": "biller"},
		{"email": "x@y.test", "role": "biller", "scopes": []map[string]any{{"practice_id": 999999}}}} {
		if r := f.do("admin", "POST", "/v1/users", bad); r.code != 400 {
			t.Errorf("add %v: %d %s", bad, r.code, r.body)
		}
	}
	if r := f.do("admin", "PATCH", fmt.Sprint("/v1/users/", f.users["admin"].ID), map[string]any{"role": "biller"}); r.code != 400 {
		t.Errorf("admin demotes itself: %d", r.code)
	}
	// A biller's own key.
	r = f.do("bill1", "POST", "/v1/api-keys", map[string]any{"name": "script"})
	var k struct {
		ID  int64
		Key string
	}
	r.decode(t, &k)
	if r.code != 201 || !strings.HasPrefix(k.Key, "rqk_") {
		t.Fatalf("create key: %d %s", r.code, r.body)
	}
	f.tokens["bill1-key"] = k.Key
	if r := f.do("bill1-key", "GET", "/v1/me", nil); r.code != 200 || !strings.Contains(string(r.body), `"method":"api_key"`) {
		t.Errorf("the new key: %d %s", r.code, r.body)
	}
	var keys Page[KeyInfo]
	f.do("bill1", "GET", "/v1/api-keys", nil).decode(t, &keys)
	if len(keys.Items) != 2 || strings.Contains(fmt.Sprint(keys), k.Key) {
		t.Errorf("keys: %+v", keys.Items)
	}
	if r := f.do("bill1", "GET", fmt.Sprint("/v1/api-keys?user_id=", f.users["bill2"].ID), nil); r.code != 404 {
		t.Errorf("another user's keys: %d", r.code)
	}
	if r := f.do("sup1", "DELETE", fmt.Sprint("/v1/api-keys/", k.ID), nil); r.code != 404 {
		t.Errorf("revoke another user's key: %d", r.code)
	}
	if r := f.do("bill1", "DELETE", fmt.Sprint("/v1/api-keys/", k.ID), nil); r.code != 204 {
		t.Errorf("revoke: %d", r.code)
	}
	if r := f.do("bill1-key", "GET", "/v1/me", nil); r.code != 401 {
		t.Errorf("revoked key: %d", r.code)
	}
	// Disabling a user stops its tokens at once.
	if r := f.do("admin", "PATCH", fmt.Sprint("/v1/users/", f.users["bill1"].ID), map[string]any{"disabled": true}); r.code != 200 {
		t.Fatalf("disable: %d %s", r.code, r.body)
	}
	if r := f.do("bill1", "GET", "/v1/me", nil); r.code != 401 {
		t.Errorf("disabled user: %d", r.code)
	}
}
