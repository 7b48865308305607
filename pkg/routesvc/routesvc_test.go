package routesvc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/devenv/devtest"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/route"
	"github.com/remitq/remitq/pkg/routesvc"
	"github.com/remitq/remitq/pkg/synth"
	"github.com/remitq/remitq/pkg/wire"
	"github.com/remitq/remitq/pkg/workstore"
	v1 "github.com/remitq/remitq/proto/remitq/v1"
)

func TestMain(m *testing.M) { devtest.Main(m) }

// item is what the tests read back of a work item.
type item struct {
	ID         int64        `db:"id"`
	Key        string       `db:"dedupe_key"`
	Practice   int64        `db:"practice_id"`
	Kind       string       `db:"kind"`
	Category   string       `db:"category"`
	Status     string       `db:"status"`
	Queue      string       `db:"queue"`
	Recovered  money.Amount `db:"recovered_amount"`
	Resolution string       `db:"resolution"`
	Payer      string       `db:"payer"`
	Remit      string       `db:"remit"`
	Deadline   string       `db:"deadline"`
	Version    int          `db:"version"`
	Routed     string       `db:"routed_key"`
	Rule       string       `db:"rule"`
	Created    int          `db:"created"`
	Events     int          `db:"events"`
}

func items(t testing.TB, e *env) map[string]item {
	t.Helper()
	var list []item
	if err := e.db.Select(&list, `SELECT w.id, w.dedupe_key, w.practice_id, w.kind, w.category, w.status,
		COALESCE(q.name, '') AS queue, w.recovered_amount, w.resolution, COALESCE(p.payer_id_code, '') AS payer,
		to_char(w.remit_date, 'YYYY-MM-DD') AS remit, to_char(w.appeal_deadline, 'YYYY-MM-DD') AS deadline, w.version,
		w.routed_key, w.rule,
		(SELECT count(*) FROM work_item_events e WHERE e.work_item_id = w.id AND e.action = 'created') AS created,
		(SELECT count(*) FROM work_item_events e WHERE e.work_item_id = w.id) AS events
		FROM work_items w LEFT JOIN queues q ON q.id = w.queue_id LEFT JOIN payers p ON p.id = w.payer_id`); err != nil {
		t.Fatal(err)
	}
	out := map[string]item{}
	for _, it := range list {
		out[it.Key] = it
	}
	return out
}

// keyOf is the dedupe key the router gives a message's item (no paid
// lines are stored in these tests: unmatched lines use the source).
func keyOf(m *v1.LineMatch) string {
	switch {
	case wire.ClaimLevel(m) && m.GetBilledClaimId() > 0:
		return "billed_claim:" + strconv.FormatInt(m.GetBilledClaimId(), 10)
	case !wire.ClaimLevel(m) && m.GetBilledLineId() > 0:
		return "billed_line:" + strconv.FormatInt(m.GetBilledLineId(), 10)
	case wire.ClaimLevel(m):
		return "paid_claim:" + m.GetSource().GetFileSha256() + ":" + strconv.Itoa(int(m.GetSource().GetSegmentIndex()))
	}
	return "paid_line:" + m.GetSource().GetFileSha256() + ":" + strconv.Itoa(int(m.GetSource().GetSegmentIndex()))
}

// workKeys are the keys of the messages whose decision needs work.
func workKeys(t testing.TB, ts *truthSet) map[string]bool {
	t.Helper()
	r := route.New(route.Config{})
	out := map[string]bool{}
	for _, m := range ts.msgs {
		d, err := wire.Decide(r, m, wire.RouteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if d.WorkItem != route.NoWork {
			out[keyOf(m)] = true
		}
	}
	return out
}

// checkCategories checks that every denied or underpaid truth line has its
// item in the expected category (at least 98 %, misses listed).
func checkCategories(t *testing.T, ts *truthSet, got map[string]item) {
	t.Helper()
	want, right := 0, 0
	var misses []string
	for i, tl := range ts.truth {
		if tl.Category == "" {
			continue
		}
		want++
		k := keyOf(ts.msgs[i])
		it, ok := got[k]
		if ok && it.Category == tl.Category {
			right++
			continue
		}
		misses = append(misses, fmt.Sprintf("  %s %s svc %d (%s): want %s, item %q category %q rule %q", tl.Scenario,
			tl.PatientControl, tl.SVC, tl.Procedure, tl.Category, k, it.Category, it.Rule))
	}
	pct := 100 * float64(right) / float64(max(want, 1))
	t.Logf("work items in the expected category: %d of %d (%.2f %%)", right, want, pct)
	if len(misses) > 0 {
		t.Logf("misses:\n%s", strings.Join(misses, "\n"))
	}
	if want < 50 || pct < 98 {
		t.Errorf("category accuracy %.2f %% of %d lines, want at least 98 %%", pct, want)
	}
}

func TestRouterOnTruthSet(t *testing.T) {
	e := newEnv(t)
	ts := loadTruth(t, e, 1, 1500)
	ctx := context.Background()
	practiceA := ts.practices[ts.tr.Practices[0].NPI]
	mustExec(t, e, `INSERT INTO payer_profiles (payer_id, appeal_window_days) VALUES ($1, 60)`, ts.payers["SYNAET"])
	mustExec(t, e, `INSERT INTO queue_rules (practice_id, position, queue_name, category) VALUES ($1, 10, 'auth team', 'authorization')`, practiceA)
	mustExec(t, e, `INSERT INTO queue_rules (practice_id, position, queue_name, kind) VALUES (NULL, 10, 'contracts', 'underpayment')`)
	mustExec(t, e, `INSERT INTO queue_rules (practice_id, position, queue_name, category) VALUES (NULL, 5, 'auth (all)', 'authorization')`)
	s := newRouter(t, e.deps, routesvc.Options{Now: fixedNow, MaxBatch: 250})
	run(t, s)
	publish(t, e.deps, ts.msgs, "")
	drain(t, e.deps.JS)
	got := items(t, e)
	want := workKeys(t, ts)
	if len(got) != len(want) {
		t.Errorf("%d work items, want %d (one per line that needs work)", len(got), len(want))
	}
	checkCategories(t, ts, got)

	resolved, rules := 0, 0
	for k, it := range got {
		if !want[k] {
			t.Errorf("item %s for a line that needs no work", k)
		}
		if it.Created != 1 {
			t.Errorf("item %s has %d created events", k, it.Created)
		}
		days := 90
		if it.Payer == "SYNAET" {
			days = 60
		}
		if rd, _ := day.Parse(it.Remit); rd.AddDays(days).String() != it.Deadline {
			t.Errorf("item %s: remit %s, deadline %s, want %d days", k, it.Remit, it.Deadline, days)
		}
		wantQueue := "default"
		switch {
		case it.Practice == practiceA && it.Category == "authorization":
			wantQueue = "auth team" // the practice's rule before the global one, whatever the positions
		case it.Category == "authorization":
			wantQueue = "auth (all)"
		case it.Kind == "underpayment":
			wantQueue = "contracts"
		}
		if it.Queue != wantQueue {
			t.Errorf("item %s (practice %d, %s %s) in queue %q, want %q", k, it.Practice, it.Kind, it.Category, it.Queue, wantQueue)
		}
		if strings.HasPrefix(it.Rule, "rules/") {
			rules++
		}
		if it.Status == "resolved" {
			resolved++
		}
	}
	if rules == 0 {
		t.Error("no category came from the pain rules with the patients' history")
	}
	// A corrected claim pays the line in full: the underpayment the first
	// payment opened is resolved with the money recovered.
	corrections, recovered := 0, 0
	for i, tl := range ts.truth {
		if tl.Scenario != "reversal_correction" || tl.Status != "1" || !strings.Contains(strings.Join(tl.Flags, ","), "correction") {
			continue
		}
		corrections++
		it := got[keyOf(ts.msgs[i])]
		if it.Recovered > 0 {
			recovered++
		}
		// The corrected claim may move more to the patient's deductible:
		// the line is whole at the contract rate even when no more money came.
		if it.Status != "resolved" || it.Recovered < 0 || !strings.Contains(it.Resolution, "corrected claim") || it.Events != 2 {
			t.Errorf("correction of %s line %d: item %+v, want resolved with money recovered", tl.PatientControl, tl.SVC, it)
		}
	}
	if corrections == 0 || resolved < corrections || recovered < corrections/2 {
		t.Errorf("%d corrections, %d items resolved, %d with money recovered", corrections, resolved, recovered)
	}
	t.Logf("%d lines, %d work items, %d resolved by corrections (%d with money recovered), %d categories from the pain rules",
		len(ts.msgs), len(got), resolved, recovered, rules)

	// Redelivery, after the stream's duplicate window: nothing changes.
	var events int
	if err := e.db.QueryRowContext(ctx, `SELECT count(*) FROM work_item_events`).Scan(&events); err != nil {
		t.Fatal(err)
	}
	publish(t, e.deps, ts.msgs, ":again")
	drain(t, e.deps.JS)
	again := items(t, e)
	for k, it := range got {
		if again[k] != it {
			t.Errorf("redelivery changed item %s:\n%+v\n%+v", k, it, again[k])
		}
	}
	var events2 int
	if err := e.db.QueryRowContext(ctx, `SELECT count(*) FROM work_item_events`).Scan(&events2); err != nil {
		t.Fatal(err)
	}
	if events2 != events || len(again) != len(got) {
		t.Errorf("redelivery: %d events then %d, %d items then %d", events, events2, len(got), len(again))
	}

	// The supervisors' view of practice A.
	srv := httptest.NewServer(mux(s))
	defer srv.Close()
	var body struct {
		Queues []workstore.QueueSummary `json:"queues"`
	}
	getJSON(t, srv.URL+"/v1/practices/"+strconv.FormatInt(practiceA, 10)+"/queues", &body)
	open := map[string]int{}
	for _, it := range got {
		if it.Practice == practiceA && it.Status != "resolved" {
			open[it.Queue]++
		}
	}
	if len(body.Queues) < 2 {
		t.Fatalf("queues of practice A: %+v", body.Queues)
	}
	for _, q := range body.Queues {
		var aging, cats, payers, provs int
		var risk money.Amount
		aging = q.Aging.D0to30 + q.Aging.D31to60 + q.Aging.D61to90 + q.Aging.Over90
		for _, b := range q.ByCategory {
			cats += b.Items
			risk += b.AmountAtRisk
		}
		for _, b := range q.ByPayer {
			payers += b.Items
		}
		for _, b := range q.ByProvider {
			provs += b.Items
		}
		if q.Open != open[q.Name] || aging != q.Open || cats != q.Open || payers != q.Open ||
			provs != q.Open || risk != q.AmountAtRisk || q.PracticeID != practiceA {
			t.Errorf("queue %s of practice %d: %d open (want %d), aging %d, categories %d, payers %d, providers %d, risk %s vs %s",
				q.Name, q.PracticeID, q.Open, open[q.Name], aging, cats, payers, provs, risk, q.AmountAtRisk)
		}
		if q.Name == "auth team" && (len(q.ByCategory) != 1 || q.ByCategory[0].Key != "authorization") {
			t.Errorf("auth team queue by category: %+v", q.ByCategory)
		}
	}
}

// TestRevisionSettlesUnmatched: a line first published unmatched opens an
// unmatched-remittance item; the matcher's revision that found its billed
// line resolves it and routes the line under its billed key.
func TestRevisionSettlesUnmatched(t *testing.T) {
	e := newEnv(t)
	ts := loadTruth(t, e, 2, 300)
	var denied *v1.LineMatch
	for i, tl := range ts.truth {
		if tl.Category == "authorization" && ts.msgs[i].GetBilledLineId() > 0 {
			denied = ts.msgs[i]
			break
		}
	}
	if denied == nil {
		t.Fatal("no authorization denial in the truth set")
	}
	first := clone(denied)
	first.BilledClaimId, first.BilledLineId, first.Billed = 0, 0, nil
	first.Method, first.Flags = v1.MatchMethod_MATCH_METHOD_UNMATCHED, []string{"manual_review"}
	second := clone(denied)
	second.Revision = 1
	s := newRouter(t, e.deps, routesvc.Options{Now: fixedNow})
	run(t, s)
	publish(t, e.deps, []*v1.LineMatch{first}, "")
	drain(t, e.deps.JS)
	publish(t, e.deps, []*v1.LineMatch{second}, ":r1")
	drain(t, e.deps.JS)
	got := items(t, e)
	if len(got) != 2 {
		t.Fatalf("items: %+v", got)
	}
	u, b := got[keyOf(first)], got[keyOf(second)]
	if u.Kind != "unmatched_remittance" || u.Status != "resolved" || !strings.Contains(u.Resolution, "Matched later to billed claim") {
		t.Errorf("unmatched item %+v", u)
	}
	if b.Kind != "denial" || b.Category != "authorization" || b.Status != "new" {
		t.Errorf("billed item %+v", b)
	}
}

// TestRevisionBeforeUnmatchedSettles: the matcher's revision that found a
// line's billed line is routed before the first, unmatched answer for the
// same paid line (two batches at once, a redelivery): the unmatched item
// opens resolved, with a "matched_later" event, and the billed line's
// item is created as for any matched line. Also for a revision that
// needs no work (paid in full).
func TestRevisionBeforeUnmatchedSettles(t *testing.T) { testUnmatchedSettles(t, true) }

// TestRevisionAfterUnmatchedSettles: the usual order (the unmatched answer,
// then the revision of the late claim), for a denied and for a paid line.
func TestRevisionAfterUnmatchedSettles(t *testing.T) { testUnmatchedSettles(t, false) }

func testUnmatchedSettles(t *testing.T, revisionFirst bool) {
	e := newEnv(t)
	ts := loadTruth(t, e, 2, 300)
	var denied, paid *v1.LineMatch
	for i, tl := range ts.truth {
		m := ts.msgs[i]
		if m.GetBilledLineId() == 0 || wire.ClaimLevel(m) {
			continue
		}
		if denied == nil && tl.Category == "authorization" {
			denied = m
		}
		if paid == nil && tl.Scenario == synth.ScenarioClean && tl.Category == "" && len(tl.Flags) == 0 && tl.Paid > 0 {
			paid = m
		}
	}
	if denied == nil || paid == nil {
		t.Fatal("no authorization denial or paid line in the truth set")
	}
	var firsts, seconds []*v1.LineMatch
	for _, m := range []*v1.LineMatch{denied, paid} {
		first := clone(m)
		first.BilledClaimId, first.BilledLineId, first.Billed = 0, 0, nil
		first.Method, first.Flags = v1.MatchMethod_MATCH_METHOD_UNMATCHED, []string{"manual_review"}
		second := clone(m)
		second.Revision = 1
		firsts, seconds = append(firsts, first), append(seconds, second)
	}
	s := newRouter(t, e.deps, routesvc.Options{Now: fixedNow})
	run(t, s)
	if revisionFirst {
		publish(t, e.deps, seconds, ":r1")
		drain(t, e.deps.JS)
		publish(t, e.deps, firsts, "")
	} else {
		publish(t, e.deps, firsts, "")
		drain(t, e.deps.JS)
		publish(t, e.deps, seconds, ":r1")
	}
	drain(t, e.deps.JS)
	got := items(t, e)
	for i := range firsts {
		u := got[keyOf(firsts[i])]
		if u.Kind != "unmatched_remittance" || u.Status != "resolved" || !strings.Contains(u.Resolution, "Matched later to billed claim") {
			t.Errorf("unmatched item %d: %+v", i, u)
		}
		var reasons []string
		if err := e.db.Select(&reasons, `SELECT COALESCE(detail->>'reason', '') FROM work_item_events WHERE work_item_id = $1
			AND action = 'resolved'`, u.ID); err != nil {
			t.Fatal(err)
		}
		if len(reasons) != 1 || reasons[0] != "matched_later" {
			t.Errorf("unmatched item %d: resolved events' reasons %q, want one matched_later", i, reasons)
		}
	}
	if b := got[keyOf(seconds[0])]; b.Kind != "denial" || b.Category != "authorization" || b.Status != "new" {
		t.Errorf("billed item %+v", b)
	}
	if b, ok := got[keyOf(seconds[1])]; ok {
		t.Errorf("a paid line has an item: %+v", b)
	}
	if len(got) != 3 {
		t.Errorf("items: %d, want 3 (two unmatched, resolved; one denial)", len(got))
	}
}

// TestTwoRouters: two processes on one durable consumer write each line's
// item once.
func TestTwoRouters(t *testing.T) {
	e := newEnv(t)
	ts := loadTruth(t, e, 3, 1500)
	a := newRouter(t, e.deps, routesvc.Options{Now: fixedNow, MaxBatch: 100, Workers: 1})
	b := newRouter(t, e.otherDeps(t), routesvc.Options{Now: fixedNow, MaxBatch: 100, Workers: 1})
	run(t, a, b)
	publish(t, e.deps, ts.msgs, "")
	drain(t, e.deps.JS)
	got := items(t, e)
	want := workKeys(t, ts)
	if len(got) != len(want) {
		t.Errorf("%d work items, want %d", len(got), len(want))
	}
	for k, it := range got {
		if it.Created != 1 {
			t.Errorf("item %s created %d times", k, it.Created)
		}
	}
	checkCategories(t, ts, got)
}

func TestQueueRuleEndpoints(t *testing.T) {
	e := newEnv(t)
	var practice int64
	if err := e.db.QueryRow(`INSERT INTO practices (name, npi) VALUES ('P', '1234567893') RETURNING id`).Scan(&practice); err != nil {
		t.Fatal(err)
	}
	s := newRouter(t, e.deps, routesvc.Options{})
	srv := httptest.NewServer(mux(s))
	defer srv.Close()
	p := strconv.FormatInt(practice, 10)
	for _, tc := range []struct {
		method, path, user, body string
		status                   int
		contains                 string
	}{
		{"POST", "/v1/queue-rules", "", `{"queue_name": "auth"}`, 401, "no_user"},
		{"POST", "/v1/queue-rules", "7", `{"queue_name": "auth", "category": "auth"}`, 422, "category"},
		{"POST", "/v1/queue-rules", "7", `{"queue_name": ""}`, 422, "queue_name"},
		{"POST", "/v1/queue-rules", "7", `{"queue_name": "x", "color": "red"}`, 400, "bad_json"},
		{"POST", "/v1/queue-rules", "7", `{"queue_name": "x", "practice_id": 999999}`, 422, "does not exist"},
		{"POST", "/v1/queue-rules", "7", `{"queue_name": "x", "kind": "refund"}`, 422, "kind is denial, underpayment, unmatched_remittance, bill_secondary or rejection"},
		{"POST", "/v1/queue-rules", "7", `{"practice_id": ` + p + `, "queue_name": "auth team", "category": "authorization", "min_amount": "100.00"}`, 201, `"queue_name":"auth team"`},
		{"GET", "/v1/queue-rules?practice=" + p, "", "", 200, `"min_amount":"100.00"`},
		{"PUT", "/v1/queue-rules/RULE", "7", `{"practice_id": ` + p + `, "queue_name": "auth", "position": 5, "category": "authorization"}`, 200, `"position":5`},
		{"PUT", "/v1/queue-rules/999999", "7", `{"queue_name": "auth"}`, 404, "not_found"},
		{"DELETE", "/v1/queue-rules/RULE", "7", "", 204, ""},
		{"DELETE", "/v1/queue-rules/RULE", "7", "", 404, "not_found"},
		{"GET", "/v1/practices/" + p + "/queues", "", "", 200, `"queues":null`},
		{"GET", "/v1/practices/x/queues", "", "", 400, "bad_practice"},
		// Every kind of work.Kinds, bill_secondary (0026) and rejection among them.
		{"POST", "/v1/queue-rules", "7", `{"practice_id": ` + p + `, "queue_name": "secondaries", "kind": "bill_secondary"}`, 201, `"kind":"bill_secondary"`},
		{"POST", "/v1/queue-rules", "7", `{"practice_id": ` + p + `, "queue_name": "rejections", "kind": "rejection"}`, 201, `"kind":"rejection"`},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			var rule int64
			_ = e.db.QueryRow(`SELECT COALESCE(max(id), 0) FROM queue_rules`).Scan(&rule)
			path := strings.ReplaceAll(tc.path, "RULE", strconv.FormatInt(rule, 10))
			if rule == 0 {
				path = strings.ReplaceAll(tc.path, "RULE", "1")
			}
			req, _ := http.NewRequest(tc.method, srv.URL+path, strings.NewReader(tc.body))
			if tc.user != "" {
				req.Header.Set(routesvc.UserHeader, tc.user)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			_, _ = buf.ReadFrom(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || !strings.Contains(buf.String(), tc.contains) {
				t.Errorf("%s %s: %d %s, want %d containing %q", tc.method, path, resp.StatusCode, buf.String(), tc.status, tc.contains)
			}
		})
	}
	var audits int
	if err := e.db.QueryRow(`SELECT count(*) FROM audit_log WHERE entity = 'queue_rule' AND actor = 'user:7'`).Scan(&audits); err != nil {
		t.Fatal(err)
	}
	if audits != 5 {
		t.Errorf("%d audit rows for 5 changes", audits)
	}
}

func mux(s *routesvc.Service) *http.ServeMux {
	m := http.NewServeMux()
	s.Register(m)
	return m
}

func getJSON(t testing.TB, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

func mustExec(t testing.TB, e *env, q string, args ...any) {
	t.Helper()
	if _, err := e.db.Exec(q, args...); err != nil {
		t.Fatal(err)
	}
}

func clone(m *v1.LineMatch) *v1.LineMatch { return proto.Clone(m).(*v1.LineMatch) }

// TestCorrectedClaimResolvesDenial: the practice fixes a denied line and
// sends a corrected claim (CLM05-3 = 7); its payment settles the item of
// the original line.
func TestCorrectedClaimResolvesDenial(t *testing.T) {
	e := newEnv(t)
	ts := loadTruth(t, e, 4, 300)
	var denied *v1.LineMatch
	for i, tl := range ts.truth {
		if tl.Category == "modifier" && tl.Scenario == "denial_line" && ts.msgs[i].GetBilledLineId() > 0 {
			denied = ts.msgs[i]
			break
		}
	}
	if denied == nil {
		t.Fatal("no modifier denial in the truth set")
	}
	// The corrected claim: a copy of the billed claim with frequency 7.
	var newClaim, newLine int64
	if err := e.db.QueryRow(`INSERT INTO billed_claims (practice_id, source, patient_control_number, frequency_code, payer_code,
		phi_member_id, phi_birth_date, total_charge, line_count, content_sha256, replaces_claim_id)
		SELECT practice_id, source, patient_control_number, '7', payer_code, phi_member_id, phi_birth_date, total_charge,
			line_count, '\x01'::bytea || content_sha256, id FROM billed_claims WHERE id = $1 RETURNING id`,
		denied.GetBilledClaimId()).Scan(&newClaim); err != nil {
		t.Fatal(err)
	}
	if err := e.db.QueryRow(`INSERT INTO billed_lines (billed_claim_id, practice_id, line_number, procedure_code, modifiers, units, charge, service_date_from)
		SELECT $2, practice_id, line_number, procedure_code, modifiers, units, charge, service_date_from FROM billed_lines WHERE id = $1
		RETURNING id`, denied.GetBilledLineId(), newClaim).Scan(&newLine); err != nil {
		t.Fatal(err)
	}
	paid := clone(denied)
	paid.BilledClaimId, paid.BilledLineId = newClaim, newLine
	paid.Billed.ClaimId, paid.Billed.LineId = newClaim, newLine
	paid.Source.FileId, paid.Source.FileSha256 = 999, strings.Repeat("c", 64)
	paid.Line.Source = paid.Source
	paid.Line.Payment.PaymentDate = "2026-05-20"
	sl := paid.Line.Line
	sl.PaidCents = sl.ChargeCents / 2
	sl.Adjustments = []*v1.Adjustment{{GroupCode: "CO", ReasonCode: "45", AmountCents: sl.ChargeCents - sl.PaidCents}}
	sl.RemarkCodes = nil
	paid.Flags, paid.ExpectedAllowedCents = nil, nil
	// The payment is routed before the denial it settles (two batches at
	// once): the denial's item opens resolved.
	s := newRouter(t, e.deps, routesvc.Options{Now: fixedNow})
	for _, m := range []*v1.LineMatch{paid, denied, paid} {
		b, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if errs := s.Handle(context.Background(), [][]byte{b}); errs != nil {
			t.Fatal(errs)
		}
	}
	got := items(t, e)
	if len(got) != 1 {
		t.Fatalf("items: %+v", got)
	}
	it := got[keyOf(denied)]
	want := money.Amount(sl.PaidCents)
	if it.Status != "resolved" || it.Recovered != want || !strings.HasPrefix(it.Resolution, "Paid ") || it.Events != 2 {
		t.Errorf("item %+v, want resolved with %s recovered", it, want)
	}
}

// TestWorkedItemKeepsItsOwner: an item a biller works gets a later remit's
// facts and an event but keeps its status and assignee; a duplicate
// remittance changes nothing; the payment resolves it.
func TestWorkedItemKeepsItsOwner(t *testing.T) {
	e := newEnv(t)
	ts := loadTruth(t, e, 5, 300)
	var denied *v1.LineMatch
	for i, tl := range ts.truth {
		if tl.Category == "medical_necessity" && ts.msgs[i].GetBilledLineId() > 0 {
			denied = ts.msgs[i]
			break
		}
	}
	if denied == nil {
		t.Fatal("no medical necessity denial in the truth set")
	}
	later := func(m *v1.LineMatch, file int64, date string) *v1.LineMatch {
		c := clone(m)
		c.Source.FileId, c.Source.FileSha256 = file, strings.Repeat(strconv.FormatInt(file%10, 10), 64)
		c.Line.Source = c.Source
		c.Line.Payment.PaymentDate = date
		return c
	}
	// The payer's second look: now an authorization denial.
	auth := later(denied, 901, "2026-04-20")
	auth.Line.Line.Adjustments[0].ReasonCode = "197"
	auth.Line.Line.RemarkCodes = []*v1.RemarkCode{{Qualifier: "HE", Code: "N54"}}
	dup := later(auth, 902, "2026-05-01")
	dup.Flags = append(dup.Flags, "duplicate_remit")
	paid := later(denied, 903, "2026-05-20")
	sl := paid.Line.Line
	sl.PaidCents = sl.ChargeCents / 4
	sl.Adjustments = []*v1.Adjustment{{GroupCode: "CO", ReasonCode: "45", AmountCents: sl.ChargeCents - sl.PaidCents}}
	sl.RemarkCodes, paid.Flags, paid.ExpectedAllowedCents = nil, nil, nil

	s := newRouter(t, e.deps, routesvc.Options{Now: fixedNow})
	handle := func(m *v1.LineMatch) {
		t.Helper()
		b, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if errs := s.Handle(context.Background(), [][]byte{b}); errs != nil {
			t.Fatal(errs)
		}
	}
	handle(denied)
	var user int64
	if err := e.db.QueryRow(`INSERT INTO users (email, role) VALUES ('biller@example.com', 'biller') RETURNING id`).Scan(&user); err != nil {
		t.Fatal(err)
	}
	mustExec(t, e, `UPDATE work_items SET status = 'in_progress', assignee_id = $1`, user)
	handle(auth)
	handle(dup)
	var status, category, deadline string
	var assignee int64
	var changed []byte
	if err := e.db.QueryRow(`SELECT w.status, w.assignee_id, w.category, to_char(w.appeal_deadline, 'YYYY-MM-DD'),
		(SELECT detail->'changed' FROM work_item_events WHERE work_item_id = w.id AND action = 'updated')
		FROM work_items w`).Scan(&status, &assignee, &category, &deadline, &changed); err != nil {
		t.Fatal(err)
	}
	if status != "in_progress" || assignee != user || category != "authorization" || deadline != "2026-07-19" ||
		!strings.Contains(string(changed), `"category"`) {
		t.Errorf("after the second remit: %s, assignee %d, %s, deadline %s, changed %s", status, assignee, category, deadline, changed)
	}
	handle(paid)
	got := items(t, e)
	it := got[keyOf(denied)]
	if len(got) != 1 || it.Status != "resolved" || it.Events != 3 || it.Recovered != money.Amount(sl.PaidCents) {
		t.Errorf("after the payment: %+v", got)
	}
	if err := e.db.QueryRow(`SELECT assignee_id FROM work_items`).Scan(&assignee); err != nil || assignee != user {
		t.Errorf("assignee %d after resolution (%v)", assignee, err)
	}
}
