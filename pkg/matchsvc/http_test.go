package matchsvc

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/remitq/remitq/pkg/billedstore"
	"github.com/remitq/remitq/pkg/matchstore"
	"github.com/remitq/remitq/pkg/synth"
)

func call(t *testing.T, h http.Handler, method, path, user string, body any, into any) int {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req := httptest.NewRequest(method, path, rd)
	if user != "" {
		req.Header.Set(billedstore.UserHeader, user)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if into != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), into); err != nil {
			t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body.String())
		}
	}
	return rec.Code
}

// TestReviewQueueDecisions matches with a threshold no automatic match
// reaches, so every claim waits for a person; a person confirms one
// proposal and picks another billed line for another paid line. Each
// decision is recorded with who made it (match_decisions and audit_log),
// the line becomes a manual match, the claim leaves the queue once no line
// waits, and the lines go out again with the next revision. A later retry
// never overrides a decision.
func TestReviewQueueDecisions(t *testing.T) {
	w := newWorld(t, synth.TruthOptions{Seed: 21, Lines: 300, Practices: 1})
	w.loadClaims(false)
	w.ingest()
	s, _ := w.start(Options{Threshold: 0.9999})
	w.settle(30 * time.Second)
	mux := http.NewServeMux()
	s.Register(mux)

	var q struct {
		Claims []PendingClaim `json:"claims"`
	}
	if code := call(t, mux, "GET", "/v1/match/review?limit=1000", "", nil, &q); code != 200 || len(q.Claims) == 0 {
		t.Fatalf("review queue: %d, %d claims", code, len(q.Claims))
	}
	checkPaging(t, mux, "/v1/match/review?practice_id=0", "claims", claimKey)
	// A claim with two lines, each proposed a billed line.
	var c *PendingClaim
	for i := range q.Claims {
		cl := &q.Claims[i]
		if len(cl.Lines) == 2 && cl.Lines[0].BilledLineID != 0 && cl.Lines[1].BilledLineID != 0 && cl.Status == "1" &&
			cl.Lines[0].BilledClaimID == cl.Lines[1].BilledClaimID {
			c = cl
			break
		}
	}
	if c == nil {
		t.Fatal("no two-line claim with proposals in the queue")
	}
	l1, l2 := c.Lines[0], c.Lines[1]
	path := func(l PendingLine, what string) string {
		return "/v1/match/lines/" + strconv.FormatInt(c.FileID, 10) + "/" + strconv.Itoa(int(l.Segment)) + "/" + what
	}
	var errBody struct {
		Error struct{ Code string } `json:"error"`
	}
	if code := call(t, mux, "POST", path(l1, "confirm"), "", nil, &errBody); code != 401 || errBody.Error.Code != "user_required" {
		t.Errorf("confirm without a user: %d %+v", code, errBody)
	}
	var got PendingLine
	if code := call(t, mux, "POST", path(l1, "confirm"), "ann@billing.example", nil, &got); code != 200 {
		t.Fatalf("confirm: %d", code)
	}
	if got.Method != "manual" || got.Confidence != 1 || got.Review || got.BilledLineID != l1.BilledLineID || got.Revision != 1 {
		t.Errorf("confirmed line: %+v", got)
	}
	if n := w.count(`SELECT count(*) FROM match_pending WHERE file_id = $1 AND segment_index = $2`, c.FileID, c.Segment); n != 1 {
		t.Error("the claim left the queue while a line still waits")
	}
	// Pick: the other paid line gets the first line's billed line swapped in.
	if code := call(t, mux, "POST", path(l2, "pick"), "bob@billing.example",
		map[string]int64{"billed_claim_id": 999999}, &errBody); code != 422 {
		t.Errorf("pick of an unknown billed claim: %d", code)
	}
	if code := call(t, mux, "POST", path(l2, "pick"), "bob@billing.example",
		map[string]int64{"billed_claim_id": l2.BilledClaimID, "billed_line_id": l1.BilledLineID}, &got); code != 200 {
		t.Fatalf("pick: %d", code)
	}
	if got.Method != "manual" || got.BilledLineID != l1.BilledLineID || got.Revision != 2 {
		t.Errorf("picked line: %+v", got)
	}
	if n := w.count(`SELECT count(*) FROM match_pending WHERE file_id = $1 AND segment_index = $2`, c.FileID, c.Segment); n != 0 {
		t.Error("the claim is still queued after every line was decided")
	}
	if code := call(t, mux, "POST", path(l2, "confirm"), "bob@billing.example", nil, &errBody); code != 409 {
		t.Errorf("deciding a line no longer queued: %d", code)
	}
	if n := w.count(`SELECT count(*) FROM match_decisions WHERE file_id = $1 AND decided_by IN ('ann@billing.example', 'bob@billing.example')`, c.FileID); n != 2 {
		t.Errorf("%d decisions recorded, want 2", n)
	}
	if n := w.count(`SELECT count(*) FROM audit_log WHERE action IN ('match.confirm', 'match.pick') AND entity = 'line_match'
		AND detail ? 'previous_method'`); n != 2 {
		t.Errorf("%d audit entries, want 2", n)
	}
	w.settle(30 * time.Second)
	p := w.positions()
	msgs, _ := w.msgAnswers(p, nil)
	k := lineKey{w.names[c.FileID], p.ord[matchstore.Pos{File: c.FileID, Seg: c.Segment}], l2.SVCIndex}
	if m := msgs[k]; m.Revision != 2 || m.Method != "manual" {
		t.Errorf("last LineMatch of the picked line: %+v, want revision 2, manual", m)
	}
	// A retry (as when a billed claim it may belong to is loaded) keeps the decisions.
	payloads, err := matchstore.Reparse(t.Context(), w.db, c.FileID, map[int32]bool{c.Segment: true})
	if err != nil || payloads[c.Segment] == nil {
		t.Fatalf("re-read the paid claim: %v", err)
	}
	if _, err := w.db.Exec(`INSERT INTO match_pending (file_id, segment_index, practice_id, payer_code, patient_control_number,
		unmatched, payload, retry_requested_at) SELECT $1, $2, practice_id, payer_code, patient_control_number, false,
		$3, now() FROM match_claims WHERE file_id = $1 AND segment_index = $2`, c.FileID, c.Segment, payloads[c.Segment]); err != nil {
		t.Fatal(err)
	}
	w.settle(30 * time.Second)
	if n := w.count(`SELECT count(*) FROM line_matches WHERE file_id = $1 AND claim_segment = $2 AND method = 'manual'`, c.FileID, c.Segment); n != 2 {
		t.Errorf("%d manual lines after a retry, want 2", n)
	}
	if n := w.count(`SELECT count(*) FROM match_pending WHERE file_id = $1 AND segment_index = $2`, c.FileID, c.Segment); n != 0 {
		t.Error("the decided claim is queued again after a retry")
	}
	// Unmatched remits and the payers' view.
	var um struct {
		Claims []PendingClaim `json:"claims"`
		PLB    []UnlinkedPLB  `json:"plb"`
	}
	if code := call(t, mux, "GET", "/v1/match/unmatched", "", nil, &um); code != 200 {
		t.Errorf("unmatched: %d", code)
	}
	for _, cl := range um.Claims {
		if !cl.Unmatched {
			t.Errorf("unmatched list holds a matched claim %d:%d", cl.FileID, cl.Segment)
		}
	}
	var mv struct {
		Missing []billedstore.MissingRemit `json:"missing"`
	}
	if code := call(t, mux, "GET", "/v1/match/missing?as_of=2027-01-01&limit=1000", "", nil, &mv); code != 200 {
		t.Errorf("missing: %d", code)
	}
	for _, m := range mv.Missing {
		if n := w.count(`SELECT count(*) FROM match_claims WHERE billed_claim_id = $1`, m.BilledClaimID); n != 0 || m.DaysOut <= m.WindowDays {
			t.Errorf("listed as missing: %+v (%d remits)", m, n)
		}
	}
	// Five billed claims no remit answers (copies under new claim ids,
	// billed in 2020), so the missing list has pages.
	if _, err := w.db.Exec(`INSERT INTO billed_claims (practice_id, source, patient_control_number, frequency_code, payer_code,
		phi_member_id, phi_birth_date, total_charge, line_count, content_sha256, billed_date)
		SELECT practice_id, source, 'MISSING' || id, '1', payer_code, phi_member_id, phi_birth_date, total_charge,
			line_count, '\x02'::bytea || content_sha256, '2020-01-02' FROM billed_claims ORDER BY id LIMIT 5`); err != nil {
		t.Fatal(err)
	}
	checkPaging(t, mux, "/v1/match/missing?as_of=2027-01-01", "missing", missingKey)
	checkPaging(t, mux, "/v1/match/unmatched?practice_id=0", "claims", claimKey)
	if code := call(t, mux, "GET", "/v1/match/missing?as_of=tomorrow", "", nil, &errBody); code != 400 || errBody.Error.Code != "bad_query" {
		t.Errorf("bad as_of: %d %+v", code, errBody)
	}
	var pv struct {
		Payers []billedstore.PayerStatus `json:"payers"`
	}
	if code := call(t, mux, "GET", "/v1/match/payers", "", nil, &pv); code != 200 || len(pv.Payers) == 0 {
		t.Errorf("payers: %d %+v", code, pv)
	}
	for _, p := range pv.Payers {
		if p.LastRemittanceAt == nil {
			t.Errorf("payer %s has no last remittance date after its remits", p.Code)
		}
	}
}

// pageAll follows next_cursor from path (which has a limit=) to the end
// and returns the keys of every row in order, failing if a page is over
// the limit, a cursor does not move or the last page has a cursor.
func pageAll(t *testing.T, h http.Handler, path, list string, limit int, key func(json.RawMessage) string) []string {
	t.Helper()
	var keys []string
	after := ""
	for pages := 0; ; pages++ {
		if pages > 10000 {
			t.Fatalf("%s: no end after %d pages", path, pages)
		}
		var body map[string]json.RawMessage
		u := path + "&limit=" + strconv.Itoa(limit)
		if after != "" {
			u += "&after=" + after
		}
		if code := call(t, h, "GET", u, "", nil, &body); code != 200 {
			t.Fatalf("%s: %d", u, code)
		}
		var rows []json.RawMessage
		var next string
		if err := json.Unmarshal(body[list], &rows); err != nil {
			t.Fatalf("%s: %s: %v", u, list, err)
		}
		if err := json.Unmarshal(body["next_cursor"], &next); err != nil {
			t.Fatalf("%s: next_cursor: %v (%s)", u, err, body["next_cursor"])
		}
		if len(rows) > limit {
			t.Fatalf("%s: %d rows", u, len(rows))
		}
		for _, r := range rows {
			keys = append(keys, key(r))
		}
		if next == "" {
			return keys
		}
		if next == after || len(rows) != limit || next != keys[len(keys)-1] {
			t.Fatalf("%s: next_cursor %q after %d rows (last %q)", u, next, len(rows), keys[len(keys)-1])
		}
		after = next
	}
}

func claimKey(r json.RawMessage) string {
	var c PendingClaim
	_ = json.Unmarshal(r, &c)
	return matchstore.Pos{File: c.FileID, Seg: c.Segment}.Ref()
}

func missingKey(r json.RawMessage) string {
	var m billedstore.MissingRemit
	_ = json.Unmarshal(r, &m)
	return strconv.FormatInt(m.BilledClaimID, 10)
}

// checkPaging pages through path by 2 (an odd total ends on a short page,
// an even one on an empty one at most) and by the whole list, and wants
// the same rows in the same order as one page of 1000.
func checkPaging(t *testing.T, h http.Handler, path, list string, key func(json.RawMessage) string) {
	t.Helper()
	all := pageAll(t, h, path, list, 1000, key)
	if len(all) < 3 {
		t.Fatalf("%s: %d rows, too few to page", path, len(all))
	}
	for _, by := range []int{2, len(all)} {
		got := pageAll(t, h, path, list, by, key)
		if !slices.Equal(got, all) {
			t.Errorf("%s by %d: %d rows %v, want %d %v", path, by, len(got), got, len(all), all)
		}
	}
}
