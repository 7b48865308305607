package apisvc

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"maps"
	"mime/multipart"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/remitq/remitq/pkg/devenv/devtest"
)

// test277 writes a 277CA (interchange n) giving each CLM01 the category
// and status code "CAT:CODE" (devtest.Status277, claims in CLM01 order).
func test277(t testing.TB, n int, claims map[string]string) []byte {
	t.Helper()
	var cs []devtest.ClaimStatus
	for _, p := range slices.Sorted(maps.Keys(claims)) {
		cat, code, _ := strings.Cut(claims[p], ":")
		cs = append(cs, devtest.ClaimStatus{PCN: p, Category: cat, Code: code})
	}
	return devtest.Status277(t, n, cs...)
}

// test999 writes a 999 (interchange n) rejecting one 837 set naming pcn
// (devtest.Reject999).
func test999(t testing.TB, n int, pcn string) []byte {
	t.Helper()
	return devtest.Reject999(t, n, pcn)
}

// matrixAckBody is the upload of the authorization and write matrices: a
// 277CA whose one claim matches no billed claim (the scope of uploads is
// TestAcknowledgmentsScope's).
func (f *fx) matrixAckBody(t target) rawBody {
	return rawBody(test277(f.t, 7000+int(t.practice%1000), map[string]string{"MATRIX-NOBODY-" + t.name: "A7:562"}))
}

// matrixAck is an acknowledgment file of t's practice (for the detail route).
func (f *fx) matrixAck(t target) int64 {
	sum := sha256.Sum256([]byte("matrix-ack-" + t.name))
	return f.id(`INSERT INTO ack_files (sha256, filename, kind, status, size, raw, practice_ids)
		VALUES ($1, 'matrix-ack.277', '277CA', 'ingested', 1, 'x', $2) ON CONFLICT (sha256) DO UPDATE SET filename = EXCLUDED.filename
		RETURNING id`, sum[:], fmt.Sprintf("{%d}", t.practice))
}

type ackResult struct {
	FileID      int64   `json:"file_id"`
	Status      string  `json:"status"`
	Duplicate   bool    `json:"duplicate"`
	Claims      int     `json:"claims"`
	Rejected    int     `json:"rejected"`
	Unmatched   int     `json:"unmatched"`
	PracticeIDs []int64 `json:"practice_ids"`
	WorkItems   []int64 `json:"work_items"`
	Errors      []struct {
		Segment int    `json:"segment"`
		Offset  int64  `json:"offset"`
		ID      string `json:"id"`
		Message string `json:"message"`
	} `json:"errors"`
}

// TestAcknowledgmentsUpload: over HTTP, a 277CA for each rejection kind and
// a 999 open the right rejection items; the detail shows the claims with
// texts and fixes; the same bytes again change nothing; an acceptance
// resolves; multipart works; the analyst may not upload.
func TestAcknowledgmentsUpload(t *testing.T) {
	f := newFixture(t)
	kinds := map[string]string{"A3": "116", "A4": "35", "A6": "33", "A7": "562", "A8": "187"}
	billed := map[string]int64{}
	claims := map[string]string{}
	for cat, code := range kinds {
		pcn := "REJ-" + cat
		billed[pcn] = f.id(`INSERT INTO billed_claims (practice_id, source, patient_control_number, total_charge, line_count, content_sha256)
			VALUES ($1, '837', $2, 300, 1, '\x00') RETURNING id`, f.p1, pcn)
		claims[pcn] = cat + ":" + code
	}
	claims[pcnA] = "A2:20"
	raw := test277(f.t, 1, claims)
	r := f.do("bill1", "POST", "/v1/acknowledgments?filename=batch1.277", rawBody(raw), "Content-Type", "application/edi-x12")
	var res ackResult
	r.decode(t, &res)
	if r.code != http.StatusCreated || res.Rejected != 5 || res.Claims != 6 || len(res.WorkItems) != 5 || res.Unmatched != 0 {
		t.Fatalf("upload: %d %s", r.code, r.body)
	}
	for pcn, bc := range billed {
		var kind, text, action string
		var practice int64
		if err := f.db.QueryRow(`SELECT kind, text, action, practice_id FROM work_items WHERE billed_claim_id = $1`, bc).
			Scan(&kind, &text, &action, &practice); err != nil {
			t.Fatalf("%s: %v", pcn, err)
		}
		cat := strings.TrimPrefix(pcn, "REJ-")
		if kind != "rejection" || practice != f.p1 || !strings.Contains(text, cat+": ") || action == "" {
			t.Errorf("%s: %s %q %q", pcn, kind, text, action)
		}
	}
	// The items are the biller's work, over the API.
	item := res.WorkItems[0]
	if r := f.do("bill1", "GET", fmt.Sprintf("/v1/work-items/%d", item), nil); r.code != http.StatusOK || !strings.Contains(string(r.body), "rejection") {
		t.Errorf("work item: %d %s", r.code, r.body)
	}
	if r := f.do("bill2", "GET", fmt.Sprintf("/v1/work-items/%d", item), nil); r.code != http.StatusNotFound {
		t.Errorf("work item of practice 1 for practice 2: %d", r.code)
	}
	// The detail: claims with texts and fixes, audited; not for practice 2.
	r = f.do("bill1", "GET", fmt.Sprintf("/v1/acknowledgments/%d", res.FileID), nil)
	if r.code != http.StatusOK || !strings.Contains(string(r.body), "National Provider Identifier") || !strings.Contains(string(r.body), `"fix"`) ||
		!strings.Contains(string(r.body), "REJ-A7") {
		t.Errorf("detail: %d %s", r.code, r.body)
	}
	if n := f.count(`SELECT count(*) FROM audit_log WHERE action = 'ack.view' AND entity_id = $1 AND practice_id = $2`, fmt.Sprint(res.FileID), f.p1); n != 1 {
		t.Errorf("%d audit rows of the detail", n)
	}
	if r := f.do("bill2", "GET", fmt.Sprintf("/v1/acknowledgments/%d", res.FileID), nil); r.code != http.StatusNotFound {
		t.Errorf("detail for practice 2: %d %s", r.code, r.body)
	}
	if r := f.do("bill2", "GET", "/v1/acknowledgments", nil); r.code != http.StatusOK || strings.Contains(string(r.body), "batch1.277") {
		t.Errorf("list for practice 2: %d %s", r.code, r.body)
	}
	if r := f.do("sup1", "GET", "/v1/acknowledgments", nil); r.code != http.StatusOK || !strings.Contains(string(r.body), "batch1.277") {
		t.Errorf("list for practice 1: %d %s", r.code, r.body)
	}
	// The same bytes again: 200, duplicate, nothing new.
	items := f.count(`SELECT count(*) FROM work_items`)
	events := f.count(`SELECT count(*) FROM work_item_events`)
	r = f.do("sup1", "POST", "/v1/acknowledgments?filename=again.277", rawBody(raw))
	var again ackResult
	r.decode(t, &again)
	if r.code != http.StatusOK || !again.Duplicate || again.FileID != res.FileID || f.count(`SELECT count(*) FROM work_items`) != items ||
		f.count(`SELECT count(*) FROM work_item_events`) != events || f.count(`SELECT count(*) FROM ack_files`) != 1 {
		t.Fatalf("re-upload: %d %s", r.code, r.body)
	}
	// A 999 rejecting REJ-A7 again: the same item, updated; a 277CA
	// accepting REJ-A3: resolved. Sent as multipart.
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	for name, body := range map[string][]byte{"b.999": test999(f.t, 2, "REJ-A7"), "c.277": test277(f.t, 3, map[string]string{"REJ-A3": "A1:20"})} {
		fw, err := mw.CreateFormFile("file", name)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(body)
	}
	mw.Close()
	r = f.do("bill1", "POST", "/v1/acknowledgments", rawBody(mp.Bytes()), "Content-Type", mw.FormDataContentType())
	if r.code != http.StatusOK || !strings.Contains(string(r.body), `"files"`) {
		t.Fatalf("multipart: %d %s", r.code, r.body)
	}
	if n := f.count(`SELECT count(*) FROM work_items WHERE billed_claim_id = $1`, billed["REJ-A7"]); n != 1 {
		t.Errorf("REJ-A7 has %d items", n)
	}
	var text, status string
	if err := f.db.QueryRow(`SELECT text FROM work_items WHERE billed_claim_id = $1`, billed["REJ-A7"]).Scan(&text); err != nil || !strings.Contains(text, "999") {
		t.Errorf("REJ-A7 after the 999: %q %v", text, err)
	}
	if err := f.db.QueryRow(`SELECT status FROM work_items WHERE billed_claim_id = $1`, billed["REJ-A3"]).Scan(&status); err != nil || status != "resolved" {
		t.Errorf("REJ-A3 after its acceptance: %q %v", status, err)
	}
	// The analyst may not upload.
	if r := f.do("an1", "POST", "/v1/acknowledgments", rawBody(test277(f.t, 4, map[string]string{pcnA: "A7:562"}))); r.code != http.StatusForbidden {
		t.Errorf("analyst upload: %d", r.code)
	}
}

// TestAcknowledgmentsScope (the attacker): a file naming another
// practice's claim is refused 403, nothing stored, the refusal audited; a
// file whose claims match no billed claim is kept and seen by its uploader
// and admins only; a truncated file is 422 with the position; the public
// 999 example links its claims.
func TestAcknowledgmentsScope(t *testing.T) {
	f := newFixture(t)
	f.exec(`INSERT INTO billed_claims (practice_id, source, patient_control_number, total_charge, line_count, content_sha256)
		VALUES ($1, '837', $2, 300, 1, '\x00')`, f.p2, pcnC)
	files := f.count(`SELECT count(*) FROM ack_files`)
	r := f.do("bill1", "POST", "/v1/acknowledgments?filename=evil.277", rawBody(test277(f.t, 1, map[string]string{pcnA: "A7:562", pcnC: "A7:562"})))
	if r.code != http.StatusForbidden || strings.Contains(string(r.body), pcnC) || strings.Contains(string(r.body), "Pain Two") {
		t.Fatalf("foreign claims: %d %s", r.code, r.body)
	}
	if f.count(`SELECT count(*) FROM ack_files`) != files || f.count(`SELECT count(*) FROM work_items WHERE kind = 'rejection'`) != 0 {
		t.Fatal("a refused file stored something")
	}
	if n := f.count(`SELECT count(*) FROM audit_log WHERE action = 'ack.upload_refused' AND practice_id = $1 AND user_id = $2`, f.p2, f.users["bill1"].ID); n != 1 {
		t.Errorf("%d refusal audit rows", n)
	}
	// Unmatched claims: kept, the uploader's and the admin's.
	r = f.do("bill1", "POST", "/v1/acknowledgments?filename=nobody.277", rawBody(test277(f.t, 2, map[string]string{"NOBODY-1": "A7:562"})))
	var res ackResult
	r.decode(t, &res)
	if r.code != http.StatusCreated || res.Unmatched != 1 || len(res.WorkItems) != 0 {
		t.Fatalf("unmatched: %d %s", r.code, r.body)
	}
	for user, want := range map[string]int{"bill1": http.StatusOK, "admin": http.StatusOK, "bill1b": http.StatusNotFound, "bill2": http.StatusNotFound} {
		r := f.do(user, "GET", fmt.Sprintf("/v1/acknowledgments/%d", res.FileID), nil)
		if r.code != want || (want == http.StatusOK && !strings.Contains(string(r.body), "NOBODY-1")) {
			t.Errorf("unmatched file as %s: %d %s", user, r.code, r.body)
		}
	}
	// Truncated: 422, kept, with the position of the problem.
	full := test277(f.t, 3, map[string]string{pcnA: "A7:562"})
	r = f.do("bill1", "POST", "/v1/acknowledgments?filename=cut.277", rawBody(full[:len(full)-40]))
	var cut ackResult
	r.decode(t, &cut)
	if r.code != http.StatusUnprocessableEntity || cut.Status != "quarantined" || len(cut.Errors) == 0 || cut.Errors[0].Offset <= 0 || cut.Errors[0].Segment <= 0 {
		t.Fatalf("truncated: %d %s", r.code, r.body)
	}
	if f.count(`SELECT count(*) FROM ack_files WHERE id = $1 AND raw = $2`, cut.FileID, full[:len(full)-40]) != 1 {
		t.Error("the truncated file's bytes are not kept")
	}
	// Not X12 at all: 422, never a 5xx.
	if r := f.do("bill1", "POST", "/v1/acknowledgments?filename=junk.txt", rawBody("hello\x00\xff")); r.code != http.StatusUnprocessableEntity {
		t.Errorf("junk: %d %s", r.code, r.body)
	}
	// The public example: CLM01 123456789 is practice 1's; 987654321 is nobody's.
	f.exec(`INSERT INTO billed_claims (practice_id, source, patient_control_number, total_charge, line_count, content_sha256)
		VALUES ($1, '837', '123456789', 300, 1, '\x00')`, f.p1)
	ext, err := os.ReadFile("../../x12/testdata/external/999/stupidedi-x231a1-response-to-3-837s.999")
	if err != nil {
		t.Fatal(err)
	}
	r = f.do("bill1", "POST", "/v1/acknowledgments?filename=x231.999", rawBody(ext))
	var er ackResult
	r.decode(t, &er)
	if r.code != http.StatusCreated || er.Rejected != 2 || er.Unmatched != 1 || len(er.WorkItems) != 1 {
		t.Fatalf("external 999: %d %s", r.code, r.body)
	}
}

// TestAcknowledgmentsOutage: with the database unreachable an upload is
// 503 with Retry-After (send it again), never a 4xx or a 500.
func TestAcknowledgmentsOutage(t *testing.T) {
	f := newFixture(t)
	down, err := sqlx.Open("postgres", "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	defer down.Close()
	f.s.db = down // the API's own handle; authentication keeps the fixture's
	r := f.do("bill1", "POST", "/v1/acknowledgments?filename=x.277", rawBody(test277(f.t, 1, map[string]string{pcnA: "A7:562"})))
	if r.code != http.StatusServiceUnavailable || r.hdr.Get("Retry-After") == "" || strings.Contains(string(r.body), pcnA) {
		t.Fatalf("outage: %d %q %s", r.code, r.hdr.Get("Retry-After"), r.body)
	}
}
