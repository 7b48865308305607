package apisvc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/remitq/remitq/pkg/rulesstore"
)

// Issue 17: work items a biller can finish. Every test goes over HTTP
// against the real server fixture (PostgreSQL), with the attacker's case.

// patientKey is a stored patient key (32 bytes) of the tests' patient.
var finishPatientKey = bytes.Repeat([]byte{0x5a}, 32)

// billedClaim stores a billed claim of practice with one line per code
// (all on date) and returns its id and its lines' ids.
func (f *fx) billedClaim(practice int64, pcn, npi, date string, key []byte, codes ...string) (int64, []int64) {
	f.t.Helper()
	bc := f.id(`INSERT INTO billed_claims (practice_id, source, patient_control_number, payer_code, total_charge, line_count, content_sha256,
		phi_member_id, phi_birth_date, rendering_npi, service_date_from, diagnoses, patient_key)
		VALUES ($1, '837', $2, 'BP1', 200 * $3::int, $3, '\x01', 'M-FIN-1', '1950-02-03', $4, $5, '{M54.16}', $6) RETURNING id`,
		practice, pcn, len(codes), npi, date, key)
	var lines []int64
	for i, c := range codes {
		lines = append(lines, f.id(`INSERT INTO billed_lines (billed_claim_id, practice_id, line_number, procedure_code, units, charge,
			service_date_from, diagnosis_pointers) VALUES ($1, $2, $3, $4, 1, 200, $5, '{1}') RETURNING id`, bc, practice, i+1, c, date))
	}
	return bc, lines
}

// linkItem points a work item at a billed claim (and line, 0: claim level).
func (f *fx) linkItem(item, bc, bl int64) {
	f.t.Helper()
	var line any
	if bl != 0 {
		line = bl
	}
	f.exec(`UPDATE work_items SET billed_claim_id = $2, billed_line_id = $3, service_date = '2026-09-01', carc = '{CO-197}', rarc = '{N54}',
		remit_date = '2026-10-01' WHERE id = $1`, item, bc, line)
}

func (f *fx) auditCount(action string, user string) int {
	f.t.Helper()
	var n int
	if err := f.db.QueryRow(`SELECT count(*) FROM audit_log WHERE action = $1 AND user_id = $2`, action, f.users[user].ID).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

// TestBilledClaimSideBySide: a claim-level item (no SVC) shows the billed
// lines with the paid lines that settle them; GET /v1/billed-claims/{id}
// answers the same in scope, audited, and 404 out of it.
func TestBilledClaimSideBySide(t *testing.T) {
	f := newFixture(t)
	bc, lines := f.billedClaim(f.p1, "PCN-A-BILLED", npiA, "2026-09-01", nil, "64483", "64484")
	// The remit's claim and its first line are matched to the billed claim.
	f.exec(`INSERT INTO match_claims (file_id, segment_index, practice_id, payer_code, patient_control_number, status, claim_key, payment_key,
		billed_claim_id, method, confidence, charge, paid, patient_responsibility, review)
		VALUES ($1, 10, $2, 'BP1', $3, '4', 'k', 'p', $4, 'pcn', 1, 400, 0, 0, false)`, f.fileP1, f.p1, pcnA, bc)
	f.exec(`INSERT INTO line_matches (file_id, segment_index, claim_segment, practice_id, svc_index, method, confidence, review,
		billed_claim_id, billed_line_id, billed_charge, charge, paid, allowed, patient_responsibility, net_paid, procedure_code)
		VALUES ($1, 11, 10, $2, 1, 'line_control_number', 1, false, $3, $4, 200, 200, 0, 0, 0, 0, '64483')
		ON CONFLICT (file_id, segment_index) DO UPDATE SET billed_claim_id = EXCLUDED.billed_claim_id, billed_line_id = EXCLUDED.billed_line_id`,
		f.fileP1, f.p1, bc, lines[0])
	claimLevel := f.item(f.p1, npiA, f.queueP1, f.claimA, 0, "PCN-CLAIM-LEVEL", 50, "400.00")
	f.exec(`UPDATE work_items SET service_line_id = NULL WHERE id = $1`, claimLevel)
	f.linkItem(claimLevel, bc, 0)

	r := f.do("bill1", "GET", fmt.Sprint("/v1/work-items/", claimLevel), nil)
	if r.code != 200 {
		t.Fatalf("item: %d %s", r.code, r.body)
	}
	var item struct {
		BilledClaim *BilledClaimView `json:"billed_claim"`
	}
	r.decode(t, &item)
	if item.BilledClaim == nil || len(item.BilledClaim.Lines) != 2 {
		t.Fatalf("claim-level item shows no billed lines: %s", r.body)
	}
	if got := item.BilledClaim.Lines[0]; got.ProcedureCode != "64483" || len(got.Paid) != 1 || got.Paid[0].ClaimPaymentID == nil ||
		*got.Paid[0].ClaimPaymentID != f.claimA {
		t.Errorf("line 1 without its paid line: %+v", got)
	}
	if len(item.BilledClaim.Lines[1].Paid) != 0 {
		t.Errorf("line 2 was never paid: %+v", item.BilledClaim.Lines[1])
	}
	if len(item.BilledClaim.PaidClaims) != 1 || item.BilledClaim.PaidClaims[0].ClaimPaymentID != f.claimA ||
		item.BilledClaim.Totals.Billed.String() != "400.00" {
		t.Errorf("paid claims %+v totals %+v", item.BilledClaim.PaidClaims, item.BilledClaim.Totals)
	}

	path := fmt.Sprint("/v1/billed-claims/", bc)
	before := f.auditCount("billed_claim.view", "bill1")
	if r := f.do("bill1", "GET", path, nil); r.code != 200 || !strings.Contains(string(r.body), "M-FIN-1") {
		t.Fatalf("billed claim: %d %s", r.code, r.body)
	}
	if f.auditCount("billed_claim.view", "bill1") != before+1 {
		t.Error("the PHI read of a billed claim was not audited")
	}
	// Attackers: another practice's biller and supervisor, a biller of the
	// other provider of the practice, an analyst (no PHI permission).
	for user, want := range map[string]int{"bill2": 404, "sup2": 404, "an1": 403} {
		if r := f.do(user, "GET", path, nil); r.code != want || strings.Contains(string(r.body), "M-FIN-1") {
			t.Errorf("%s: %d %s, want %d", user, r.code, r.body, want)
		}
	}
	f.exec(`UPDATE billed_claims SET rendering_npi = $2 WHERE id = $1`, bc, npiB)
	if r := f.do("billa", "GET", path, nil); r.code != 404 {
		t.Errorf("provider A's biller read provider B's billed claim: %d", r.code)
	}
}

type writeOffAnswer struct {
	WriteOff WriteOff `json:"write_off"`
	WorkItem WorkItem `json:"work_item"`
}

// TestWriteOffApproval: reasons from the list, amounts within the open
// balance, approval above the threshold by a supervisor other than the one
// who asked, scoped and audited.
func TestWriteOffApproval(t *testing.T) {
	f := newFixture(t)
	r := f.do("bill1", "GET", "/v1/write-off-reasons", nil)
	var reasons struct{ Reasons []WriteOffReason }
	r.decode(t, &reasons)
	if r.code != 200 || len(reasons.Reasons) != 7 {
		t.Fatalf("reasons: %d %s", r.code, r.body)
	}
	item := fmt.Sprint("/v1/work-items/", f.itemA, "/write-offs")
	wo := func(user, reason, amount string) resp {
		return f.do(user, "POST", item, map[string]any{"reason_code": reason, "amount": amount, "note": "n"}, "If-Match", f.version(f.itemA))
	}
	// Below the small-balance threshold (25.00): approved at once.
	r = wo("bill1", "small_balance", "20.00")
	var a writeOffAnswer
	r.decode(t, &a)
	if r.code != 201 || a.WriteOff.Status != "approved" || a.WorkItem.Status == "written_off" {
		t.Fatalf("small balance: %d %s", r.code, r.body)
	}
	// Attacks: over the open balance (80.00 left), a forged reason code, a
	// negative or float-looking amount, another practice's biller.
	for _, c := range []struct {
		user, reason, amount string
		want                 int
	}{
		{"bill1", "small_balance", "80.01", 422},
		{"bill1", "free_money", "5.00", 422},
		{"bill1", "small_balance'; --", "5.00", 422},
		{"bill1", "small_balance", "-5.00", 400},
		{"bill1", "small_balance", "1e3", 400},
		{"bill2", "small_balance", "5.00", 404},
	} {
		if r := wo(c.user, c.reason, c.amount); r.code != c.want {
			t.Errorf("%+v: %d %s", c, r.code, r.body)
		}
	}
	// Timely filing lost always needs approval.
	r = wo("bill1", "timely_filing_lost", "80.00")
	r.decode(t, &a)
	if r.code != 201 || a.WriteOff.Status != "pending_approval" || a.WorkItem.Status == "written_off" {
		t.Fatalf("timely filing: %d %s", r.code, r.body)
	}
	pending := a.WriteOff.ID
	// The pending write-off holds the balance: nothing more may go.
	if r := wo("bill1", "small_balance", "0.01"); r.code != 422 {
		t.Errorf("write-off past a pending one: %d %s", r.code, r.body)
	}
	approve := fmt.Sprint("/v1/write-offs/", pending, "/approve")
	// A biller cannot approve (their own or any); another practice's
	// supervisor does not see it.
	if r := f.do("bill1", "POST", approve, map[string]any{"note": "ok"}); r.code != 403 {
		t.Errorf("biller approved: %d %s", r.code, r.body)
	}
	if r := f.do("sup2", "POST", approve, map[string]any{"note": "ok"}); r.code != 404 {
		t.Errorf("another practice's supervisor approved: %d %s", r.code, r.body)
	}
	r = f.do("sup1", "GET", fmt.Sprint("/v1/write-offs?status=pending_approval&practice_id=", f.p1), nil)
	if r.code != 200 || !strings.Contains(string(r.body), fmt.Sprintf(`"id":%d`, pending)) {
		t.Errorf("approval queue: %d %s", r.code, r.body)
	}
	if r := f.do("sup2", "GET", "/v1/write-offs?status=pending_approval", nil); strings.Contains(string(r.body), fmt.Sprintf(`"id":%d`, pending)) {
		t.Errorf("another practice's supervisor lists it: %s", r.body)
	}
	r = f.do("sup1", "POST", approve, map[string]any{"note": "ok"})
	r.decode(t, &a)
	if r.code != 200 || a.WriteOff.Status != "approved" || a.WorkItem.Status != "written_off" {
		t.Fatalf("approve: %d %s", r.code, r.body)
	}
	if r := f.do("sup1", "POST", approve, nil); r.code != 409 {
		t.Errorf("approved twice: %d", r.code)
	}
	if f.auditCount("write_off.request", "bill1") != 2 || f.auditCount("write_off.approve", "sup1") != 1 {
		t.Error("write-offs not audited with the user")
	}
	var events int
	if err := f.db.QueryRow(`SELECT count(*) FROM work_item_events WHERE work_item_id = $1 AND action = 'write_off'`, f.itemA).Scan(&events); err != nil || events != 3 {
		t.Errorf("events %d %v", events, err)
	}

	// A supervisor's own write-off above the threshold waits for another.
	r = f.do("sup1", "POST", fmt.Sprint("/v1/work-items/", f.itemB, "/write-offs"),
		map[string]any{"reason_code": "other", "amount": "80.00", "note": "x"}, "If-Match", f.version(f.itemB))
	r.decode(t, &a)
	if r.code != 201 || a.WriteOff.Status != "pending_approval" {
		t.Fatalf("supervisor's write-off: %d %s", r.code, r.body)
	}
	if r := f.do("sup1", "POST", fmt.Sprint("/v1/write-offs/", a.WriteOff.ID, "/approve"), nil); r.code != 403 {
		t.Errorf("supervisor approved their own write-off: %d %s", r.code, r.body)
	}
	if r := f.do("admin", "POST", fmt.Sprint("/v1/write-offs/", a.WriteOff.ID, "/reject"), nil); r.code != 400 {
		t.Errorf("reject without a note: %d", r.code)
	}
	if r := f.do("admin", "POST", fmt.Sprint("/v1/write-offs/", a.WriteOff.ID, "/reject"), map[string]any{"note": "appeal it"}); r.code != 200 {
		t.Errorf("admin reject: %d %s", r.code, r.body)
	}

	// The practice's threshold: a biller's status move to written_off
	// above it is refused (the reason-coded route is the way).
	if r := f.do("sup1", "PUT", fmt.Sprint("/v1/practices/", f.p1, "/write-off-settings"), map[string]any{"approval_over": "10.00"}); r.code != 403 {
		t.Errorf("supervisor set the threshold: %d", r.code)
	}
	if r := f.do("admin", "PUT", fmt.Sprint("/v1/practices/", f.p1, "/write-off-settings"), map[string]any{"approval_over": "10.00"}); r.code != 200 {
		t.Fatalf("threshold: %d %s", r.code, r.body)
	}
	r = f.do("bill1", "PATCH", fmt.Sprint("/v1/work-items/", f.itemB), map[string]any{"status": "written_off", "resolution": "small"},
		"If-Match", f.version(f.itemB))
	if r.code != 409 || !strings.Contains(string(r.body), "approval_required") {
		t.Errorf("biller wrote off past the threshold by PATCH: %d %s", r.code, r.body)
	}
	// Bundled's own threshold (250.00) is above the practice's: the lower
	// one (10.00) applies.
	r = f.do("bill1", "POST", fmt.Sprint("/v1/work-items/", f.itemB, "/write-offs"),
		map[string]any{"reason_code": "bundled", "amount": "11.00"}, "If-Match", f.version(f.itemB))
	r.decode(t, &a)
	if r.code != 201 || a.WriteOff.Status != "pending_approval" || a.WriteOff.Threshold == nil || a.WriteOff.Threshold.String() != "10.00" {
		t.Errorf("bundled over the practice threshold: %d %s", r.code, r.body)
	}
}

// TestWriteOffReasonsAdmin: only admins add and edit reasons; an inactive
// reason is refused for new write-offs.
func TestWriteOffReasonsAdmin(t *testing.T) {
	f := newFixture(t)
	body := map[string]any{"code": "charity_care", "label": "Charity care", "requires_approval_over": "0.00"}
	if r := f.do("sup1", "POST", "/v1/write-off-reasons", body); r.code != 403 {
		t.Errorf("supervisor added a reason: %d", r.code)
	}
	if r := f.do("admin", "POST", "/v1/write-off-reasons", map[string]any{"code": "Bad Code", "label": "x"}); r.code != 400 {
		t.Errorf("bad code: %d", r.code)
	}
	if r := f.do("admin", "POST", "/v1/write-off-reasons", body); r.code != 201 {
		t.Fatalf("add: %d %s", r.code, r.body)
	}
	if r := f.do("admin", "POST", "/v1/write-off-reasons", body); r.code != 409 {
		t.Errorf("added twice: %d", r.code)
	}
	r := f.do("admin", "PATCH", "/v1/write-off-reasons/charity_care", map[string]any{"label": "Charity care (policy 4)", "active": false})
	var got WriteOffReason
	r.decode(t, &got)
	if r.code != 200 || got.Active || got.Label != "Charity care (policy 4)" || got.RequiresApprovalOver == nil {
		t.Fatalf("edit: %d %s", r.code, r.body)
	}
	if r := f.do("admin", "PATCH", "/v1/write-off-reasons/no_such", map[string]any{"label": "x"}); r.code != 404 {
		t.Errorf("edit missing: %d", r.code)
	}
	r = f.do("bill1", "POST", fmt.Sprint("/v1/work-items/", f.itemA, "/write-offs"),
		map[string]any{"reason_code": "charity_care", "amount": "1.00"}, "If-Match", f.version(f.itemA))
	if r.code != 422 {
		t.Errorf("inactive reason used: %d %s", r.code, r.body)
	}
	if f.auditCount("write_off_reason.add", "admin") != 1 || f.auditCount("write_off_reason.edit", "admin") != 1 {
		t.Error("reason changes not audited")
	}
	// Without a practice threshold, a reason without one (contractual)
	// needs no approval: the whole balance goes and the item is written off.
	r = f.do("bill1", "GET", fmt.Sprint("/v1/practices/", f.p1, "/write-off-settings"), nil)
	if r.code != 200 || !strings.Contains(string(r.body), `"approval_over":null`) {
		t.Errorf("settings: %d %s", r.code, r.body)
	}
	if r := f.do("bill2", "GET", fmt.Sprint("/v1/practices/", f.p1, "/write-off-settings"), nil); r.code != 404 {
		t.Errorf("another practice's settings: %d", r.code)
	}
	r = f.do("bill1", "POST", fmt.Sprint("/v1/work-items/", f.itemA, "/write-offs"),
		map[string]any{"reason_code": "contractual", "amount": "100.00"}, "If-Match", f.version(f.itemA))
	var a writeOffAnswer
	r.decode(t, &a)
	if r.code != 201 || a.WriteOff.Status != "approved" || a.WriteOff.Threshold != nil || a.WorkItem.Status != "written_off" {
		t.Errorf("contractual write-off: %d %s", r.code, r.body)
	}
	if r := f.do("bill1", "POST", fmt.Sprint("/v1/work-items/", f.itemA, "/write-offs"),
		map[string]any{"reason_code": "contractual", "amount": "1.00"}, "If-Match", f.version(f.itemA)); r.code != 409 {
		t.Errorf("write-off of a written-off item: %d", r.code)
	}
}

// TestAppealsTracked: a submitted appeal moves the item to appealed and is
// listed; its outcome records the recovery; a resolution records its
// outcome and amount.
func TestAppealsTracked(t *testing.T) {
	f := newFixture(t)
	path := fmt.Sprint("/v1/work-items/", f.itemA, "/appeals")
	if r := f.do("bill2", "POST", path, map[string]any{"level": 1, "submitted_on": "2026-11-10"}); r.code != 404 {
		t.Errorf("another practice's biller appealed: %d", r.code)
	}
	if r := f.do("bill1", "POST", path, map[string]any{"level": 1, "submitted_on": "2026-12-10"}); r.code != 400 {
		t.Errorf("appeal in the future: %d", r.code)
	}
	r := f.do("bill1", "POST", path, map[string]any{"level": 1, "level_name": "first level", "submitted_on": "2026-11-10", "reference": "APL-1"})
	var a struct {
		Appeal   Appeal   `json:"appeal"`
		WorkItem WorkItem `json:"work_item"`
	}
	r.decode(t, &a)
	if r.code != 201 || a.WorkItem.Status != "appealed" || a.Appeal.AmountAppealed.String() != "100.00" || a.Appeal.Outcome != "pending" {
		t.Fatalf("appeal: %d %s", r.code, r.body)
	}
	if r := f.do("bill1", "POST", path, map[string]any{"level": 1, "submitted_on": "2026-11-11"}); r.code != 409 {
		t.Errorf("same level twice: %d", r.code)
	}
	var kpi int
	if err := f.db.QueryRow(`SELECT count(*) FROM kpi_appeals WHERE work_item_id = $1`, f.itemA).Scan(&kpi); err != nil || kpi != 1 {
		t.Errorf("kpi_appeals %d %v", kpi, err)
	}
	decide := fmt.Sprint(path, "/", a.Appeal.ID)
	for _, b := range []map[string]any{
		{"outcome": "partial", "decided_on": "2026-11-15"},                               // no amount
		{"outcome": "upheld", "decided_on": "2026-11-15", "amount_recovered": "5.00"},    // upheld recovers nothing
		{"outcome": "partial", "decided_on": "2026-11-01", "amount_recovered": "60.00"},  // before it was sent
		{"outcome": "won", "decided_on": "2026-11-15", "amount_recovered": "60.00"},      // not an outcome
		{"outcome": "partial", "decided_on": "2026-11-15", "amount_recovered": "60.001"}, // not money
		{"outcome": "partial", "decided_on": "2026-11-15", "amount_recovered": "-60.00"}, // negative
	} {
		if r := f.do("bill1", "PATCH", decide, b); r.code != 400 {
			t.Errorf("%v: %d %s", b, r.code, r.body)
		}
	}
	// More than the line could pay (its billed amount, here unknown: what
	// was at risk and paid): a typo that would lift the recovery KPI.
	if r := f.do("bill1", "PATCH", decide, map[string]any{"outcome": "partial", "decided_on": "2026-11-15", "amount_recovered": "6000.00"}); r.code != 422 ||
		!strings.Contains(string(r.body), "100.00") {
		t.Errorf("recovered more than billed: %d %s", r.code, r.body)
	}
	if r := f.do("bill2", "PATCH", decide, map[string]any{"outcome": "partial", "decided_on": "2026-11-15", "amount_recovered": "60.00"}); r.code != 404 {
		t.Errorf("another practice decided it: %d", r.code)
	}
	r = f.do("bill1", "PATCH", decide, map[string]any{"outcome": "partial", "decided_on": "2026-11-15", "amount_recovered": "60.00"})
	var got Appeal
	r.decode(t, &got)
	if r.code != 200 || got.Outcome != "partial" || got.AmountRecovered.String() != "60.00" {
		t.Fatalf("decide: %d %s", r.code, r.body)
	}
	r = f.do("an1", "GET", path, nil)
	if r.code != 200 || !strings.Contains(string(r.body), `"amount_recovered":"60.00"`) {
		t.Errorf("list: %d %s", r.code, r.body)
	}
	if r := f.do("bill2", "GET", path, nil); r.code != 404 {
		t.Errorf("another practice lists them: %d", r.code)
	}
	// Resolution with its outcome.
	item := fmt.Sprint("/v1/work-items/", f.itemA)
	if r := f.do("bill1", "PATCH", item, map[string]any{"status": "resolved", "outcome": "partial"}, "If-Match", f.version(f.itemA)); r.code != 400 {
		t.Errorf("partial without an amount: %d", r.code)
	}
	if r := f.do("bill1", "PATCH", item, map[string]any{"status": "in_progress", "outcome": "upheld"}, "If-Match", f.version(f.itemA)); r.code != 400 {
		t.Errorf("outcome without resolving: %d", r.code)
	}
	if r := f.do("bill1", "PATCH", item, map[string]any{"status": "resolved", "outcome": "paid_in_full", "amount_recovered": "100.01"},
		"If-Match", f.version(f.itemA)); r.code != 422 {
		t.Errorf("resolved with more recovered than billed: %d %s", r.code, r.body)
	}
	r = f.do("bill1", "PATCH", item, map[string]any{"status": "resolved", "outcome": "partial", "amount_recovered": "60.00", "resolution": "paid on appeal"},
		"If-Match", f.version(f.itemA))
	var it WorkItem
	r.decode(t, &it)
	if r.code != 200 || it.ResolutionOutcome != "partial" || it.ResolutionRecovered == nil || it.ResolutionRecovered.String() != "60.00" {
		t.Fatalf("resolve: %d %s", r.code, r.body)
	}
	var amount string
	if err := f.db.QueryRow(`SELECT amount::text FROM work_item_events WHERE work_item_id = $1 AND to_status = 'resolved'`, f.itemA).Scan(&amount); err != nil || amount != "60.00" {
		t.Errorf("resolution event amount %q %v", amount, err)
	}
}

// evidenceFixture gives item A a billed claim of the test patient (64483 on
// 2026-09-01) with prior lumbar and cervical procedures, one at practice 2,
// and auths on file at both practices.
func (f *fx) evidenceFixture() {
	f.t.Helper()
	bc, lines := f.billedClaim(f.p1, "PCN-A-BILLED", npiA, "2026-09-01", finishPatientKey, "64483")
	f.linkItem(f.itemA, bc, lines[0])
	f.billedClaim(f.p1, "PCN-PRIOR-1", npiA, "2026-03-02", finishPatientKey, "62323")
	f.billedClaim(f.p1, "PCN-PRIOR-2", npiA, "2026-05-04", finishPatientKey, "64483")
	f.billedClaim(f.p1, "PCN-PRIOR-CERV", npiA, "2026-04-01", finishPatientKey, "64479") // cervical: another region
	f.billedClaim(f.p1, "PCN-PRIOR-OLD", npiA, "2025-06-01", finishPatientKey, "64483")  // over 12 months
	f.billedClaim(f.p2, "PCN-P2-SECRET", npiC, "2026-07-07", finishPatientKey, "64484")
	f.exec(`INSERT INTO prior_auths (practice_id, auth_number, patient_key, cpt_codes, valid_from, valid_to, source)
		VALUES ($1, 'AUTH-OK', $2, '{64483}', '2026-08-01', '2026-10-31', 'csv'),
		       ($1, 'AUTH-EXPIRED', $2, '{64483}', '2026-01-01', '2026-06-30', 'csv'),
		       ($3, 'AUTH-P2-SECRET', $2, '{64483}', '2026-08-01', '2026-12-31', 'csv')`, f.p1, finishPatientKey, f.p2)
}

// TestEvidencePriorAndAuth: a frequency/auth item shows the prior
// procedures of the region over 12 months and the auths on file with what
// they cover, under the sharing policy; nothing of practice 2 leaks until
// the policy shares it, and then without its claim or auth identity.
func TestEvidencePriorAndAuth(t *testing.T) {
	f := newFixture(t)
	f.evidenceFixture()
	path := fmt.Sprint("/v1/work-items/", f.itemA, "/evidence")
	r := f.do("bill1", "GET", path, nil)
	var ev Evidence
	r.decode(t, &ev)
	if r.code != 200 || ev.Region != "lumbar_sacral" || !ev.PatientKnown {
		t.Fatalf("evidence: %d %s", r.code, r.body)
	}
	var dates []string
	for _, p := range ev.Prior {
		dates = append(dates, p.Date+" "+p.ProcedureCode)
	}
	if strings.Join(dates, ",") != "2026-05-04 64483,2026-03-02 62323" {
		t.Errorf("prior procedures %v", dates)
	}
	if !ev.Covered || len(ev.Auths) != 2 {
		t.Fatalf("auths %+v", ev.Auths)
	}
	for _, a := range ev.Auths {
		if (a.Number == "AUTH-OK") != a.Covers {
			t.Errorf("auth %s covers %v, gaps %v", a.Number, a.Covers, a.Gaps)
		}
	}
	for _, secret := range []string{"PCN-P2-SECRET", "AUTH-P2-SECRET", "M-FIN-1", "1950-02-03", "64484"} {
		if strings.Contains(string(r.body), secret) {
			t.Errorf("the evidence shows %s", secret)
		}
	}
	if f.auditCount("work_item.evidence", "bill1") != 1 {
		t.Error("evidence read not audited")
	}
	// The item read (an authorization item) carries the same evidence and
	// no patient key.
	r = f.do("bill1", "GET", fmt.Sprint("/v1/work-items/", f.itemA), nil)
	var item struct{ Evidence *Evidence }
	r.decode(t, &item)
	if item.Evidence == nil || !item.Evidence.Covered || len(item.Evidence.Prior) != 2 {
		t.Errorf("the item shows no evidence: %s", r.body)
	}
	if strings.Contains(strings.ToLower(string(r.body)), "patient_key") || strings.Contains(string(r.body), "AUTH-P2-SECRET") {
		t.Errorf("the item exposes a patient key or another practice's auth: %s", r.body)
	}
	// Attackers.
	if r := f.do("bill2", "GET", path, nil); r.code != 404 {
		t.Errorf("another practice's biller: %d", r.code)
	}
	if r := f.do("an1", "GET", path, nil); r.code != 403 {
		t.Errorf("analyst: %d", r.code)
	}
	// Shared across practices: practice 2's line and auth count, shown
	// without their claim or practice.
	if err := rulesstore.SetSharing(context.Background(), f.db, true, false, "test"); err != nil {
		t.Fatal(err)
	}
	if err := rulesstore.PutGroup(context.Background(), f.db, "owners", []int64{f.p1, f.p2}, "test"); err != nil {
		t.Fatal(err)
	}
	r = f.do("bill1", "GET", path, nil)
	ev = Evidence{}
	r.decode(t, &ev)
	if ev.Sharing != "shared" || len(ev.Prior) != 3 || len(ev.Auths) != 3 {
		t.Fatalf("shared: %s", r.body)
	}
	if strings.Contains(string(r.body), "PCN-P2-SECRET") {
		t.Error("a shared line shows the other practice's claim")
	}
	for _, p := range ev.Prior {
		if p.ProcedureCode == "64484" && (p.OwnPractice || p.LineNumber != 0) {
			t.Errorf("shared line %+v", p)
		}
	}
}

// TestAppealPacket: the packet of an authorization denial with the auth on
// file is a PDF, a text letter and JSON facts without the patient; a
// packet that cannot be built answers 409 with the reason, no PHI.
func TestAppealPacket(t *testing.T) {
	f := newFixture(t)
	f.evidenceFixture()
	f.exec(`INSERT INTO providers (practice_id, npi, name) VALUES ($1, $2, 'Dana Reyes, MD'), ($1, $3, 'Lee Park, MD')`, f.p1, npiA, npiB)
	if err := rulesstore.MapPayer(context.Background(), f.db, "BP1", "commercial", "test"); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprint("/v1/work-items/", f.itemA, "/appeal")
	r := f.do("bill1", "GET", path, nil, "Accept", "application/json")
	var p PacketView
	r.decode(t, &p)
	if r.code != 200 || p.Level.Number != 1 || p.Level.Name == "" || p.Deadline == "" || len(p.Lines) != 1 || p.Lines[0].Procedure != "64483" {
		t.Fatalf("json: %d %s", r.code, r.body)
	}
	for _, phi := range []string{nameA, "MEMBER-" + pcnA, "M-FIN-1", "1950-02-03"} {
		if strings.Contains(string(r.body), phi) {
			t.Errorf("the JSON holds PHI %q", phi)
		}
	}
	r = f.do("bill1", "GET", path+"?format=text", nil)
	if r.code != 200 || !strings.Contains(string(r.body), "AUTH-OK") || !strings.Contains(string(r.body), pcnA) {
		t.Errorf("text: %d %s", r.code, r.body)
	}
	r = f.do("bill1", "GET", path, nil)
	if r.code != 200 || !bytes.HasPrefix(r.body, []byte("%PDF")) || r.hdr.Get("Content-Type") != "application/pdf" {
		t.Errorf("pdf: %d %q %.20s", r.code, r.hdr.Get("Content-Type"), r.body)
	}
	if n := f.auditCount("work_item.appeal_packet", "bill1"); n != 3 {
		t.Errorf("%d packet audit rows, want 3", n)
	}
	if r := f.do("bill2", "GET", path, nil); r.code != 404 {
		t.Errorf("another practice's packet: %d", r.code)
	}
	// Item B: an authorization denial with no auth on file cannot be argued.
	bc, lines := f.billedClaim(f.p1, "PCN-B-BILLED", npiB, "2026-09-01", nil, "64483")
	f.linkItem(f.itemB, bc, lines[0])
	r = f.do("bill1", "GET", fmt.Sprint("/v1/work-items/", f.itemB, "/appeal"), nil)
	var e struct {
		Error struct{ Code, Message string }
	}
	r.decode(t, &e)
	if r.code != 409 || !strings.HasPrefix(e.Error.Code, "appeal_") || strings.Contains(string(r.body), nameB) {
		t.Errorf("unbuildable: %d %s", r.code, r.body)
	}
	var refused int
	if err := f.db.QueryRow(`SELECT count(*) FROM audit_log WHERE action = 'work_item.appeal_packet' AND entity_id = $1 AND detail->>'refused' <> ''`,
		fmt.Sprint(f.itemB)).Scan(&refused); err != nil || refused != 1 {
		t.Errorf("refusal audit %d %v", refused, err)
	}
	// No payer profile: a missing fact.
	if _, err := rulesstore.UnmapPayer(context.Background(), f.db, "BP1"); err != nil {
		t.Fatal(err)
	}
	if r := f.do("bill1", "GET", path, nil); r.code != 409 || !strings.Contains(string(r.body), "appeal_missing_fact") {
		t.Errorf("no profile: %d %s", r.code, r.body)
	}
}

// TestPatientShare: PR-1/2/3 of a practice's lines are listed (JSON and
// CSV), marked once exported, and never another practice's.
func TestPatientShare(t *testing.T) {
	f := newFixture(t)
	for _, a := range []struct {
		file, claim, line int64
		seg               int
		group, reason     string
		amount            string
	}{
		{f.fileP1, f.claimA, f.lineA, 50, "PR", "2", "30.00"},
		{f.fileP1, f.claimA, f.lineA, 50, "PR", "3", "20.00"},
		{f.fileP1, f.claimA, f.lineA, 51, "PR", "96", "99.00"}, // not a patient share of the statement run
		{f.fileP1, f.claimB, 0, 60, "PR", "1", "15.00"},        // claim level
		{f.fileP2, f.claimC, f.lineC, 50, "PR", "1", "40.00"},
	} {
		var line any
		if a.line != 0 {
			line = a.line
		}
		f.exec(`INSERT INTO adjustments (file_id, claim_payment_id, service_line_id, segment_index, position, group_code, reason_code, amount)
			VALUES ($1, $2, $3, $4, (SELECT count(*) + 1 FROM adjustments WHERE file_id = $1 AND segment_index = $4), $5, $6, $7)`,
			a.file, a.claim, line, a.seg, a.group, a.reason, a.amount)
	}
	list := fmt.Sprint("/v1/patient-share?practice_id=", f.p1)
	r := f.do("bill1", "GET", list, nil)
	var out struct {
		Items []PatientShare
		Total string
	}
	r.decode(t, &out)
	if r.code != 200 || len(out.Items) != 2 || out.Total != "65.00" {
		t.Fatalf("list: %d %s", r.code, r.body)
	}
	if it := out.Items[0]; it.LineKey != f.lineA || it.Coinsurance.String() != "30.00" || it.Copay.String() != "20.00" || it.Total.String() != "50.00" {
		t.Errorf("line row %+v", it)
	}
	if strings.Contains(string(r.body), pcnC) || strings.Contains(string(r.body), nameA) {
		t.Errorf("list shows another practice's claim or a name: %s", r.body)
	}
	r = f.do("bill1", "GET", list+"&format=csv", nil)
	lines := strings.Split(strings.TrimSpace(string(r.body)), "\n")
	if r.code != 200 || len(lines) != 3 || !strings.HasPrefix(lines[0], "claim_payment_id,") || !strings.HasSuffix(lines[1], ",50.00") ||
		!strings.HasPrefix(r.hdr.Get("Content-Type"), "text/csv") {
		t.Errorf("csv: %d %q", r.code, lines)
	}
	if f.auditCount("patient_share.list", "bill1") != 2 {
		t.Error("patient share reads not audited")
	}
	// Attackers: another practice's list; marking another practice's row.
	if r := f.do("bill1", "GET", fmt.Sprint("/v1/patient-share?practice_id=", f.p2), nil); r.code != 404 {
		t.Errorf("another practice's list: %d", r.code)
	}
	mark := fmt.Sprint("/v1/patient-share/exported?practice_id=", f.p1)
	r = f.do("bill1", "POST", mark, map[string]any{"batch": "nov", "items": []map[string]any{
		{"claim_payment_id": f.claimA, "line_key": f.lineA}, {"claim_payment_id": f.claimC, "line_key": f.lineC}}})
	if r.code != 404 {
		t.Errorf("marked another practice's row: %d %s", r.code, r.body)
	}
	var marked int
	f.db.QueryRow(`SELECT count(*) FROM patient_share_exports`).Scan(&marked)
	if marked != 0 {
		t.Fatalf("a refused mark wrote %d rows", marked)
	}
	r = f.do("bill1", "POST", mark, map[string]any{"batch": "nov", "items": []map[string]any{{"claim_payment_id": f.claimA, "line_key": f.lineA}}})
	var m struct {
		Marked int
		Total  string
	}
	r.decode(t, &m)
	if r.code != 200 || m.Marked != 1 || m.Total != "50.00" {
		t.Fatalf("mark: %d %s", r.code, r.body)
	}
	r = f.do("bill1", "GET", list, nil)
	out.Items = nil
	r.decode(t, &out)
	if len(out.Items) != 1 || out.Items[0].LineKey != 0 {
		t.Errorf("after export: %s", r.body)
	}
	r = f.do("bill1", "GET", list+"&exported=true", nil)
	out.Items = nil
	r.decode(t, &out)
	if len(out.Items) != 1 || out.Items[0].Batch == nil || *out.Items[0].Batch != "nov" {
		t.Errorf("exported: %s", r.body)
	}
	raw, _ := json.Marshal(out)
	if strings.Contains(string(raw), "e+") {
		t.Errorf("money is not exact: %s", raw)
	}
}

// finishTarget is what the issue-17 matrix cases of a target need.
type finishTarget struct {
	billedClaim int64
	line        int64 // the target's paid line (with a patient share)
}

var finishSetups sync.Map // *fx → map[string]finishTarget

// finishSetup gives each target (once per fixture) a billed claim of its
// own patient linked to its item, an auth on file that covers it, the
// providers' names, a payer profile for the fixture's payer, and a patient
// share on its paid line: every issue-17 route then answers 2xx in scope.
func (f *fx) finishSetup(t target) finishTarget {
	f.t.Helper()
	if m, ok := finishSetups.Load(f); ok {
		return m.(map[string]finishTarget)[t.name]
	}
	m := map[string]finishTarget{}
	f.exec(`INSERT INTO providers (practice_id, npi, name) VALUES ($1, $3, 'Dana Reyes, MD'), ($1, $4, 'Lee Park, MD'), ($2, $5, 'Kim Cho, MD')
		ON CONFLICT DO NOTHING`, f.p1, f.p2, npiA, npiB, npiC)
	if err := rulesstore.MapPayer(context.Background(), f.db, "BP1", "commercial", "test"); err != nil {
		f.t.Fatal(err)
	}
	for i, tg := range f.targets() {
		key := bytes.Repeat([]byte{byte(0x30 + i)}, 32)
		bc, lines := f.billedClaim(tg.practice, "MX-BILLED-"+tg.name, tg.npi, "2026-09-01", key, "64483")
		f.linkItem(tg.item, bc, lines[0])
		f.exec(`INSERT INTO prior_auths (practice_id, auth_number, patient_key, cpt_codes, valid_from, valid_to, source)
			VALUES ($1, 'MX-AUTH', $2, '{64483}', '2026-08-01', '2026-10-31', 'csv')`, tg.practice, key)
		var line int64
		if err := f.db.QueryRow(`SELECT id FROM service_line_payments WHERE claim_payment_id = $1`, tg.claim).Scan(&line); err != nil {
			f.t.Fatal(err)
		}
		f.exec(`INSERT INTO adjustments (file_id, claim_payment_id, service_line_id, segment_index, position, group_code, reason_code, amount)
			VALUES ($1, $2, $3, 90 + $4::int, 1, 'PR', '2', 12.50)`, tg.file, tg.claim, line, i)
		m[tg.name] = finishTarget{billedClaim: bc, line: line}
	}
	finishSetups.Store(f, m)
	return m[t.name]
}

// finishAppeal is the first appeal recorded on the target's item (a
// missing id before one is).
func (f *fx) finishAppeal(t target) int64 {
	f.t.Helper()
	var id int64
	if err := f.db.QueryRow(`SELECT coalesce(min(id), 999999999) FROM work_item_appeals WHERE work_item_id = $1`, t.item).Scan(&id); err != nil {
		f.t.Fatal(err)
	}
	return id
}

// finishPendingWriteOff is a write-off of the target's item waiting for
// approval, asked for by the target's biller (made when none waits).
func (f *fx) finishPendingWriteOff(t target) int64 {
	f.t.Helper()
	f.finishSetup(t)
	var id int64
	err := f.db.QueryRow(`SELECT id FROM write_offs WHERE work_item_id = $1 AND status = 'pending_approval'`, t.item).Scan(&id)
	if err == nil {
		return id
	}
	return f.id(`INSERT INTO write_offs (work_item_id, practice_id, reason_code, amount, status, threshold, requested_by)
		VALUES ($1, $2, 'other', 1.00, 'pending_approval', 0, $3) RETURNING id`, t.item, t.practice, f.users[t.assignee].ID)
}

// TestAppealPacketRFA: an RFA denied for medical necessity is argued from
// the two diagnostic blocks in the history and their relief on file; a
// block with too little relief makes the packet refuse (409), naming the
// reason and no patient.
func TestAppealPacketRFA(t *testing.T) {
	f := newFixture(t)
	f.exec(`INSERT INTO providers (practice_id, npi, name) VALUES ($1, $2, 'Dana Reyes, MD')`, f.p1, npiA)
	if err := rulesstore.MapPayer(context.Background(), f.db, "BP1", "commercial", "test"); err != nil {
		t.Fatal(err)
	}
	bc, lines := f.billedClaim(f.p1, "PCN-RFA", npiA, "2026-09-01", finishPatientKey, "64635")
	f.linkItem(f.itemA, bc, lines[0])
	f.exec(`UPDATE work_items SET procedure_code = '64635', category = 'medical_necessity', carc = '{CO-50}', rarc = '{}' WHERE id = $1`, f.itemA)
	f.exec(`UPDATE service_line_payments SET procedure_code = '64635' WHERE id = $1`, f.lineA)
	f.exec(`UPDATE adjustments SET reason_code = '50' WHERE service_line_id = $1`, f.lineA)
	f.exec(`DELETE FROM remarks WHERE service_line_id = $1`, f.lineA)
	f.billedClaim(f.p1, "PCN-MBB-1", npiA, "2026-06-01", finishPatientKey, "64493")
	f.billedClaim(f.p1, "PCN-MBB-2", npiA, "2026-06-22", finishPatientKey, "64493")
	f.exec(`INSERT INTO block_relief (practice_id, patient_key, block_date, percent, source) VALUES ($1, $2, '2026-06-01', 90, 'csv'),
		($1, $2, '2026-06-22', 85, 'csv')`, f.p1, finishPatientKey)
	path := fmt.Sprint("/v1/work-items/", f.itemA, "/appeal?format=text")
	r := f.do("bill1", "GET", path, nil)
	if r.code != 200 || !strings.Contains(string(r.body), "two diagnostic medial branch blocks") || !strings.Contains(string(r.body), "21 days apart") {
		t.Fatalf("RFA letter: %d %s", r.code, r.body)
	}
	f.exec(`UPDATE block_relief SET percent = 50 WHERE block_date = '2026-06-22'`)
	r = f.do("bill1", "GET", path, nil)
	if r.code != 409 || !strings.Contains(string(r.body), "appeal_unsupported") || strings.Contains(string(r.body), nameA) {
		t.Errorf("RFA with 50 %% relief: %d %s", r.code, r.body)
	}
}
