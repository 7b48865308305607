package ackstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/devenv/devtest"
	"github.com/remitq/remitq/pkg/kpi"
	"github.com/remitq/remitq/pkg/kpistore"
	"github.com/remitq/remitq/pkg/store"
)

func TestMain(m *testing.M) { devtest.Main(m) }

type harness struct {
	t      *testing.T
	db     *sqlx.DB
	p1, p2 int64
}

func newHarness(t *testing.T) *harness {
	h := &harness{t: t, db: devtest.DB(t)}
	h.p1 = h.id(`INSERT INTO practices (name, npi) VALUES ('Spine One', '1000000004') RETURNING id`)
	h.p2 = h.id(`INSERT INTO practices (name, npi) VALUES ('Pain Two', '1000000012') RETURNING id`)
	return h
}

func (h *harness) id(q string, args ...any) int64 {
	h.t.Helper()
	var id int64
	if err := h.db.QueryRow(q, args...).Scan(&id); err != nil {
		h.t.Fatalf("%s: %v", q, err)
	}
	return id
}

func (h *harness) count(q string, args ...any) int {
	h.t.Helper()
	var n int
	if err := h.db.QueryRow(q, args...).Scan(&n); err != nil {
		h.t.Fatalf("%s: %v", q, err)
	}
	return n
}

// billed loads a billed claim of practice p with CLM01 pcn.
func (h *harness) billed(p int64, pcn string) int64 {
	return h.id(`INSERT INTO billed_claims (practice_id, source, patient_control_number, payer_code, rendering_npi, total_charge,
		line_count, content_sha256, service_date_from, billed_date) VALUES ($1, '837', $2, 'BP1', '1111111111', 1500, 1, '\x00',
		'2026-10-01', '2026-10-02') RETURNING id`, p, pcn)
}

// claimStatus is one claim of a 277CA: CLM01, category, status code, entity.
type claimStatus struct{ pcn, cat, code, entity string }

// status277 writes a 277CA (interchange n) with one claim per entry
// (devtest.Status277).
func status277(t testing.TB, n int, claims ...claimStatus) []byte {
	t.Helper()
	var cs []devtest.ClaimStatus
	for _, c := range claims {
		cs = append(cs, devtest.ClaimStatus{PCN: c.pcn, Category: c.cat, Code: c.code, Entity: c.entity})
	}
	return devtest.Status277(t, n, cs...)
}

// ack999 writes a 999 (interchange n) rejecting one 837 set that names pcns
// (devtest.Reject999).
func ack999(t testing.TB, n int, pcns ...string) []byte {
	t.Helper()
	return devtest.Reject999(t, n, pcns...)
}

func ingest(t *testing.T, db *sqlx.DB, raw []byte, o Options) *Result {
	t.Helper()
	res, err := Ingest(context.Background(), db, raw, o)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

type item struct {
	ID                         int64
	Status, Text, Action, Kind string
	Practice                   int64
	Resolution                 string
}

func (h *harness) itemOf(billed int64) (*item, int) {
	h.t.Helper()
	n := h.count(`SELECT count(*) FROM work_items WHERE billed_claim_id = $1`, billed)
	if n == 0 {
		return nil, 0
	}
	it := &item{}
	if err := h.db.QueryRow(`SELECT id, status, text, action, kind, practice_id, resolution FROM work_items WHERE billed_claim_id = $1`, billed).
		Scan(&it.ID, &it.Status, &it.Text, &it.Action, &it.Kind, &it.Practice, &it.Resolution); err != nil {
		h.t.Fatal(err)
	}
	return it, n
}

// TestEveryRejectionKind: a 277CA with each category opens one rejection
// item for each rejected claim (A3, A4, A6, A7, A8), with the category and
// code texts and the fix of their family; accepted claims open none.
func TestEveryRejectionKind(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		claimStatus
		rejected bool
		text     string // in the item's text
		fix      string // in the item's action
	}{
		{claimStatus{"PCN-A1", "A1", "19", "PR"}, false, "", ""},
		{claimStatus{"PCN-A2", "A2", "20", ""}, false, "", ""},
		{claimStatus{"PCN-A3", "A3", "116", ""}, true, "Claim submitted to incorrect payer", "payer id"},
		{claimStatus{"PCN-A4", "A4", "35", ""}, true, "Claim/encounter not found", "could not find"},
		{claimStatus{"PCN-A6", "A6", "33", "IL"}, true, "Subscriber and subscriber id not found", "member id"},
		{claimStatus{"PCN-A7", "A7", "562", "85"}, true, "National Provider Identifier", "NPI"},
		{claimStatus{"PCN-A8", "A8", "187", ""}, true, "Date(s) of service", "service dates"},
		{claimStatus{"PCN-DX", "A7", "254", ""}, true, "Principal diagnosis code", "ICD-10-CM"},
		{claimStatus{"PCN-DUP", "A3", "54", ""}, true, "Duplicate", "already has this claim"},
	}
	ids := map[string]int64{}
	var all []claimStatus
	for _, c := range cases {
		ids[c.pcn] = h.billed(h.p1, c.pcn)
		all = append(all, c.claimStatus)
	}
	res := ingest(t, h.db, status277(t, 1, all...), Options{Filename: "batch.277"})
	if res.Status != StatusIngested || res.Kind != Kind277CA || res.Claims != len(cases) || res.Rejected != 7 || res.Unmatched != 0 ||
		len(res.WorkItems) != 7 || len(res.PracticeIDs) != 1 || res.PracticeIDs[0] != h.p1 {
		t.Fatalf("result %+v", res)
	}
	for _, c := range cases {
		it, n := h.itemOf(ids[c.pcn])
		if !c.rejected {
			if n != 0 {
				t.Errorf("%s accepted opened an item", c.pcn)
			}
			continue
		}
		if n != 1 || it.Kind != ItemKind || it.Status != "new" || it.Practice != h.p1 {
			t.Errorf("%s: %d items %+v", c.pcn, n, it)
			continue
		}
		if !strings.Contains(it.Text, c.cat+": ") || !strings.Contains(it.Text, c.text) {
			t.Errorf("%s: text %q lacks %q", c.pcn, it.Text, c.text)
		}
		if !strings.Contains(it.Action, c.fix) {
			t.Errorf("%s: action %q lacks %q", c.pcn, it.Action, c.fix)
		}
	}
	// Raw bytes kept; one verdict per claim with its payer claim number.
	if n := h.count(`SELECT count(*) FROM ack_files WHERE id = $1 AND raw = $2`, res.FileID, status277(t, 1, all...)); n != 1 {
		t.Error("raw bytes not kept")
	}
	if n := h.count(`SELECT count(*) FROM ack_claims WHERE file_id = $1 AND accepted AND payer_claim_number <> '' AND batch_reference = 'BHT-837-1'`, res.FileID); n != 2 {
		t.Errorf("%d accepted verdicts with payer claim number and batch", n)
	}
}

// TestRejectionLifecycle: the same bytes change nothing; the same
// rejection in another file updates the item, never a second; a later
// 277CA accepting the claim resolves it; a rejection after that reopens
// it; an 835 paying the claim resolves it.
func TestRejectionLifecycle(t *testing.T) {
	h := newHarness(t)
	bc := h.billed(h.p1, "PCN-LIFE")
	first := status277(t, 1, claimStatus{"PCN-LIFE", "A7", "562", "85"})
	r1 := ingest(t, h.db, first, Options{Filename: "a.277"})
	it, n := h.itemOf(bc)
	if n != 1 || it.Status != "new" {
		t.Fatalf("first rejection: %d items %+v", n, it)
	}
	events := h.count(`SELECT count(*) FROM work_item_events WHERE work_item_id = $1`, it.ID)
	again := ingest(t, h.db, first, Options{Filename: "a-again.277"})
	if !again.Duplicate || again.FileID != r1.FileID || h.count(`SELECT count(*) FROM ack_files`) != 1 ||
		h.count(`SELECT count(*) FROM ack_claims`) != 1 || h.count(`SELECT count(*) FROM work_item_events WHERE work_item_id = $1`, it.ID) != events {
		t.Fatalf("re-upload changed something: %+v", again)
	}
	// The same rejection in another interchange: the item stays one, unchanged.
	ingest(t, h.db, status277(t, 2, claimStatus{"PCN-LIFE", "A7", "562", "85"}), Options{})
	if it2, n := h.itemOf(bc); n != 1 || it2.ID != it.ID || it2.Text != it.Text {
		t.Fatalf("same rejection again: %d items %+v", n, it2)
	}
	// Another rejection of the claim: the item is updated.
	ingest(t, h.db, status277(t, 3, claimStatus{"PCN-LIFE", "A6", "33", "IL"}), Options{})
	it3, n := h.itemOf(bc)
	if n != 1 || it3.ID != it.ID || !strings.Contains(it3.Text, "Subscriber") {
		t.Fatalf("new rejection: %d items %+v", n, it3)
	}
	// Accepted: resolved.
	ingest(t, h.db, status277(t, 4, claimStatus{"PCN-LIFE", "A2", "20", ""}), Options{})
	if it4, _ := h.itemOf(bc); it4.Status != "resolved" || it4.Resolution != "accepted" {
		t.Fatalf("accepted: %+v", it4)
	}
	// Rejected again: reopened, still one item.
	ingest(t, h.db, ack999(t, 5, "PCN-LIFE"), Options{})
	it5, n := h.itemOf(bc)
	if n != 1 || it5.Status != "new" || !strings.Contains(it5.Text, "999") {
		t.Fatalf("reopened: %d %+v", n, it5)
	}
	// An 835 pays it: resolved by the match.
	file := h.id(`INSERT INTO remittance_files (sha256, filename, size, status, raw) VALUES (sha256('p.835'), 'p.835', 1, 'ingested', 'x') RETURNING id`)
	if _, err := h.db.Exec(`INSERT INTO match_claims (file_id, segment_index, practice_id, payer_code, patient_control_number, status,
		claim_key, payment_key, billed_claim_id, method, confidence, charge, paid, patient_responsibility, review)
		VALUES ($1, 10, $2, 'BP1', 'PCN-LIFE', '1', 'k', 'p', $3, 'pcn', 1, 1500, 900, 0, false)`, file, h.p1, bc); err != nil {
		t.Fatal(err)
	}
	if it6, _ := h.itemOf(bc); it6.Status != "resolved" || it6.Resolution != "paid" {
		t.Fatalf("paid: %+v", it6)
	}
}

// TestScopeRefusedAndUnmatched: a file naming a claim of a practice the
// uploader does not see is refused, nothing stored, Refused called with
// that practice; claims matching no billed claim are kept, unlinked.
func TestScopeRefusedAndUnmatched(t *testing.T) {
	h := newHarness(t)
	h.billed(h.p1, "PCN-MINE")
	h.billed(h.p2, "PCN-THEIRS")
	sees := func(p int64) bool { return p == h.p1 }
	var refused []int64
	raw := status277(t, 1, claimStatus{"PCN-MINE", "A7", "562", "85"}, claimStatus{"PCN-THEIRS", "A7", "562", "85"})
	_, err := Ingest(context.Background(), h.db, raw, Options{Sees: sees, UploadedBy: 0,
		Refused: func(_ context.Context, ps []int64) error { refused = ps; return nil }})
	var re *RefusedError
	if !errors.As(err, &re) || len(refused) != 1 || refused[0] != h.p2 || strings.Contains(err.Error(), "PCN") {
		t.Fatalf("err %v, refused %v", err, refused)
	}
	if n := h.count(`SELECT count(*) FROM ack_files`) + h.count(`SELECT count(*) FROM work_items`); n != 0 {
		t.Fatalf("a refused file stored %d rows", n)
	}
	res := ingest(t, h.db, status277(t, 2, claimStatus{"PCN-MINE", "A7", "562", "85"}, claimStatus{"PCN-NOBODY", "A7", "562", "85"}),
		Options{Sees: sees})
	if res.Status != StatusIngested || res.Unmatched != 1 || len(res.WorkItems) != 1 ||
		h.count(`SELECT count(*) FROM ack_claims WHERE practice_id IS NULL AND patient_control_number = 'PCN-NOBODY'`) != 1 {
		t.Fatalf("unmatched: %+v", res)
	}
}

// TestQuarantine: a truncated file is kept with its raw bytes, quarantined
// with the segment and byte offset of the problem; no claim, no item. So
// is a file that is not an acknowledgment.
func TestQuarantine(t *testing.T) {
	h := newHarness(t)
	h.billed(h.p1, "PCN-T")
	full := status277(t, 1, claimStatus{"PCN-T", "A7", "562", "85"})
	cut := full[:len(full)*2/3]
	res := ingest(t, h.db, cut, Options{Filename: "cut.277"})
	if res.Status != StatusQuarantined || len(res.Errors) == 0 || res.Claims != 0 {
		t.Fatalf("truncated: %+v", res)
	}
	positioned := false
	for _, e := range res.Errors {
		if e.Segment > 0 && e.Offset > 0 {
			positioned = true
		}
		if strings.Contains(e.Message, "PCN-T") {
			t.Errorf("an error quotes a value: %q", e.Message)
		}
	}
	if !positioned {
		t.Errorf("no error with a position: %+v", res.Errors)
	}
	if h.count(`SELECT count(*) FROM ack_files WHERE status = 'quarantined' AND raw = $1`, cut) != 1 ||
		h.count(`SELECT count(*) FROM ack_claims`)+h.count(`SELECT count(*) FROM work_items`) != 0 {
		t.Fatal("quarantined file rows")
	}
	remit, err := os.ReadFile("../../x12/testdata/external/835/stupidedi-x221-case2.835")
	if err != nil {
		t.Fatal(err)
	}
	if r := ingest(t, h.db, remit, Options{}); r.Status != StatusQuarantined || !strings.Contains(r.Errors[0].Message, "not a 999 or a 277CA") {
		t.Fatalf("an 835: %+v", r)
	}
}

// TestExternalFiles: the public 999 and 277CA examples read and link:
// stupidedi's 999 rejects CLM01 123456789 and 987654321; imsweb's 277CA
// rejects claim 3920394930203 for the billing provider NPI (A7:562:85).
func TestExternalFiles(t *testing.T) {
	h := newHarness(t)
	b1, b2 := h.billed(h.p1, "123456789"), h.billed(h.p1, "987654321")
	b3 := h.billed(h.p1, "3920394930203")
	read := func(p string) []byte {
		b, err := os.ReadFile("../../x12/testdata/external/" + p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	r := ingest(t, h.db, read("999/stupidedi-x231a1-response-to-3-837s.999"), Options{})
	if r.Status != StatusIngested || r.Kind != Kind999 || r.Rejected != 2 || len(r.WorkItems) != 2 {
		t.Fatalf("999: %+v", r)
	}
	for _, b := range []int64{b1, b2} {
		if it, n := h.itemOf(b); n != 1 || !strings.Contains(it.Text, "IK5 R") {
			t.Errorf("999 claim %d: %d %+v", b, n, it)
		}
	}
	r = ingest(t, h.db, read("277ca/imsweb-277CA-rejected.277"), Options{})
	if r.Status != StatusIngested || r.Rejected != 1 {
		t.Fatalf("277CA rejected: %+v", r)
	}
	if it, n := h.itemOf(b3); n != 1 || !strings.Contains(it.Text, "National Provider Identifier") || !strings.Contains(it.Action, "NPI") {
		t.Errorf("277CA claim: %d %+v", n, it)
	}
	if h.count(`SELECT count(*) FROM ack_claims WHERE billed_claim_id = $1 AND payer_claim_number = '1107000000001120'`, b3) != 1 {
		t.Error("payer claim number REF*1K not kept")
	}
	// eMedNY's rejected 999 names no claim (no CTX*CLM01): kept, one
	// verdict of the set, unlinked.
	if r := ingest(t, h.db, read("999/imsweb-999-rejected.999"), Options{}); r.Status != StatusIngested || r.Rejected != 1 || r.Unmatched != 1 {
		t.Errorf("imsweb 999 rejected: %+v", r)
	}
	// The two imsweb "accepted" files have the defects SOURCES.md lists
	// (IEA02 not ISA13; DTP*472 of 10010101): quarantined, positioned.
	for f, seg := range map[string]string{"999/imsweb-999-accepted.999": "IEA", "277ca/imsweb-277CA-accepted.277": "DTP"} {
		r := ingest(t, h.db, read(f), Options{})
		if r.Status != StatusQuarantined || len(r.Errors) == 0 || r.Errors[0].ID != seg || r.Errors[0].Offset == 0 {
			t.Errorf("%s: %+v", f, r)
		}
	}
}

// TestBadBytes: bytes PostgreSQL text cannot hold (a CLM01 that is not
// UTF-8, a NUL in a segment ID) quarantine the file with the segment and
// offset of each, nothing of it used, its raw bytes kept; the error names
// no claim number. Before, the CLM01 went to PostgreSQL in the billed-claim
// lookup, which refused it: the file was not stored at all, and the error
// carried the claim number's bytes.
func TestBadBytes(t *testing.T) {
	h := newHarness(t)
	h.billed(h.p1, "PCN-ZZ")
	good := status277(t, 1, claimStatus{"PCN-ZZ", "A7", "562", "85"})
	for name, raw := range map[string][]byte{
		"clm01 not utf-8": bytes.ReplaceAll(good, []byte("PCN-ZZ"), []byte("PCN-\xc3\x28")),
		"nul in an id":    bytes.Replace(good, []byte("~REF*"), []byte("~R\x00F*"), 1),
	} {
		t.Run(name, func(t *testing.T) {
			res, err := Ingest(context.Background(), h.db, raw, Options{Filename: name})
			if err != nil {
				t.Fatalf("not stored: %v", err)
			}
			if res.Status != StatusQuarantined || res.Claims != 0 || !slices.ContainsFunc(res.Errors, func(e Problem) bool {
				return e.Offset > 0 && e.Segment > 0 && strings.Contains(e.Message, "UTF-8")
			}) {
				t.Fatalf("%+v", res)
			}
			for _, e := range res.Errors {
				if strings.Contains(e.Message, "PCN") {
					t.Errorf("an error names the claim: %q", e.Message)
				}
			}
			var kept []byte
			if err := h.db.Get(&kept, `SELECT raw FROM ack_files WHERE id = $1`, res.FileID); err != nil || !bytes.Equal(kept, raw) {
				t.Errorf("raw bytes not kept (%v)", err)
			}
		})
	}
	if n := h.count(`SELECT count(*) FROM work_items`); n != 0 {
		t.Errorf("%d work items from files with bad bytes", n)
	}
}

// TestAcceptedWithErrors: a 999 set accepted with errors noted (IK5 E)
// opens no item (its claims go on to the payer) and is stored ingested, with
// a warning at its AK2 that says so and counts the errors and claims
// without naming them. Before, the noted errors were in the raw bytes only.
func TestAcceptedWithErrors(t *testing.T) {
	h := newHarness(t)
	h.billed(h.p1, "PCN-E1")
	raw := devtest.Ack999(t, 1, devtest.Ack999Set{GroupControl: "101", SetControl: "0042", Status: "E", PCNs: []string{"PCN-E1"}},
		devtest.Ack999Set{GroupControl: "101", SetControl: "0043", Status: "A"})
	res := ingest(t, h.db, raw, Options{Filename: "e.999"})
	if res.Status != StatusIngested || res.Rejected != 0 || len(res.WorkItems) != 0 {
		t.Fatalf("%+v", res)
	}
	var noted []Problem
	for _, w := range res.Warnings {
		if strings.Contains(w.Message, "IK5 E") {
			noted = append(noted, w)
		}
	}
	if len(noted) != 1 || noted[0].ID != "AK2" || noted[0].Offset == 0 || !strings.Contains(noted[0].Message, "set 0042") ||
		!strings.Contains(noted[0].Message, "1 claim(s)") || strings.Contains(noted[0].Message, "PCN-E1") {
		t.Errorf("warnings %+v", res.Warnings)
	}
	if n := h.count(`SELECT count(*) FROM work_items`); n != 0 {
		t.Errorf("%d work items for an accepted set", n)
	}
}

// TestCleanClaimRate: 10 claims acknowledged, 2 of them rejected and then
// resubmitted and accepted: 8 clean of 10 = 80 %. A practice without
// acknowledgments has the KPI unavailable with its reason.
func TestCleanClaimRate(t *testing.T) {
	h := newHarness(t)
	var first []claimStatus
	for i := range 10 {
		pcn := fmt.Sprintf("PCN-%02d", i)
		h.billed(h.p1, pcn)
		if i < 2 {
			first = append(first, claimStatus{pcn, "A7", "562", "85"})
		} else {
			first = append(first, claimStatus{pcn, "A2", "20", ""})
		}
	}
	ingest(t, h.db, status277(t, 1, first...), Options{Day: "2026-10-05"})
	ingest(t, h.db, status277(t, 2, claimStatus{"PCN-00", "A2", "20", ""}, claimStatus{"PCN-01", "A2", "20", ""}), Options{Day: "2026-10-12"})
	if n := h.count(`SELECT count(*) FROM work_items WHERE kind = 'rejection' AND status = 'resolved' AND resolution = 'accepted'`); n != 2 {
		t.Fatalf("%d rejections resolved by the resubmission", n)
	}
	if _, err := kpistore.Refresh(context.Background(), h.db); err != nil {
		t.Fatal(err)
	}
	def, _ := kpi.Lookup("clean_claim_rate")
	req := kpi.Request{Def: def, GroupBy: []kpi.Dim{}, Bucket: kpi.ByMonth, From: day.New(2026, 10, 1), To: day.New(2026, 10, 31)}
	rep, err := kpistore.Report(context.Background(), h.db, req, kpistore.Scope{Practices: []int64{h.p1}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Def.Unavailable != "" || len(rep.Points) != 1 || rep.Points[0].Num != 8 || rep.Points[0].Den != 10 || rep.Points[0].Text(1) != "80.0" {
		t.Fatalf("clean-claim rate: %+v (unavailable %q)", rep.Points, rep.Def.Unavailable)
	}
	rep, err = kpistore.Report(context.Background(), h.db, req, kpistore.Scope{Practices: []int64{h.p2}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Points) != 0 || !strings.Contains(rep.Def.Unavailable, "999/277CA") {
		t.Fatalf("practice without acknowledgments: %+v (unavailable %q)", rep.Points, rep.Def.Unavailable)
	}
}

// TestOutage: when PostgreSQL cannot be reached the ingest answers an
// *OutageError (send again later), never a quarantine or a refusal.
func TestOutage(t *testing.T) {
	db, err := sqlx.Open("postgres", "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = Ingest(context.Background(), db, status277(t, 1, claimStatus{"PCN-X", "A7", "562", "85"}), Options{})
	if !store.IsOutage(err) {
		t.Fatalf("err %v, want an outage", err)
	}
	if strings.Contains(err.Error(), "PCN-X") {
		t.Errorf("the error quotes a claim: %v", err)
	}
}
