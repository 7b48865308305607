package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/remitq/remitq/pkg/billing"
	"github.com/remitq/remitq/pkg/bus"
	"github.com/remitq/remitq/pkg/devenv/devtest"
	"github.com/remitq/remitq/pkg/ingest/ingestsvc"
	"github.com/remitq/remitq/pkg/matchsvc"
	"github.com/remitq/remitq/pkg/routesvc"
	"github.com/remitq/remitq/pkg/svc"
	"github.com/remitq/remitq/pkg/synth"
)

// proc is the fixture served the way services/remitq serves it: the API in
// front of the real ingest, billing, matcher and router components.
type proc struct {
	*fx
	h http.Handler
}

func newProc(t *testing.T) *proc {
	t.Helper()
	f := newFixture(t)
	nc, err := nats.Connect(devtest.NATS(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	deps, err := svc.NewDeps(context.Background(), f.db, nc, bus.DefaultConfig(), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	ing := ingestsvc.New(deps, ingestsvc.Options{NoPublisher: true})
	h := deps.Handler(f.s, ing, billing.NewService(deps), matchsvc.New(deps, matchsvc.Options{}), routesvc.New(deps, routesvc.Options{}))
	return &proc{fx: f, h: h}
}

// send sends body as is.
func (p *proc) send(user, method, path string, body []byte, hdr ...string) resp {
	p.t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+p.tokens[user])
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	p.h.ServeHTTP(rec, req)
	return resp{code: rec.Code, body: rec.Body.Bytes(), hdr: rec.Header()}
}

// remit835 is a balanced 835 paying the practice with NPI payee (several
// payees: one interchange each, concatenated into one file).
func remit835(t testing.TB, seed uint64, payees ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	for i, npi := range payees {
		if _, err := synth.WriteRemits(&buf, synth.RemitOptions{Seed: seed + uint64(i), Claims: 2, LinesPerClaim: 1, PayeeNPI: npi}); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

const (
	npiP1 = "1000000001" // practice 1's payee NPI in the fixture
	npiP2 = "1000000002"
)

func (p *proc) count(q string, args ...any) int {
	p.t.Helper()
	var n int
	if err := p.db.QueryRow(q, args...).Scan(&n); err != nil {
		p.t.Fatalf("%s: %v", q, err)
	}
	return n
}

// TestUploadOutOfScopePayee (seen 1): a biller of practice 1 sending an
// 835 that pays practice 2 is refused with the payee, nothing is stored,
// and the refusal is audited with the user; its own practice's file is
// stored and audited with the user, the practice and the request id.
func TestUploadOutOfScopePayee(t *testing.T) {
	p := newProc(t)
	files := p.count(`SELECT count(*) FROM remittance_files`)
	r := p.send("bill1", "POST", "/v1/remittances?filename=p2.835", remit835(t, 1, npiP2), "X-Request-Id", "req-upload-1")
	if r.code != http.StatusForbidden {
		t.Fatalf("upload paying practice 2 as bill1: %d %s", r.code, r.body)
	}
	var out struct {
		Error  struct{ Code string }
		Payees []struct {
			NPI        string `json:"npi"`
			PracticeID int64  `json:"practice_id"`
		}
	}
	r.decode(t, &out)
	if out.Error.Code != "payee_out_of_scope" || len(out.Payees) != 1 || out.Payees[0].NPI != npiP2 || out.Payees[0].PracticeID != 0 {
		t.Errorf("refusal: %s", r.body)
	}
	if n := p.count(`SELECT count(*) FROM remittance_files`); n != files {
		t.Errorf("%d files stored by a refused upload", n-files)
	}
	if n := p.count(`SELECT count(*) FROM audit_log WHERE action = 'file.upload_refused' AND user_id = $1 AND practice_id = $2
		AND request_id = 'req-upload-1'`, p.users["bill1"].ID, p.p2); n != 1 {
		t.Errorf("%d refusal audit rows", n)
	}
	// Unknown payees: admins only.
	if r := p.send("bill1", "POST", "/v1/remittances", remit835(t, 2, "1999999999")); r.code != http.StatusForbidden {
		t.Errorf("unknown payee as bill1: %d %s", r.code, r.body)
	}
	if r := p.send("admin", "POST", "/v1/remittances", remit835(t, 2, "1999999999")); r.code != http.StatusCreated || !strings.Contains(string(r.body), "unknown_payee") {
		t.Errorf("unknown payee as admin: %d %s", r.code, r.body)
	}
	// A file that pays practice 1 and practice 2 is refused too, whole.
	if r := p.send("bill1", "POST", "/v1/remittances", remit835(t, 3, npiP1, npiP2)); r.code != http.StatusForbidden {
		t.Errorf("mixed file as bill1: %d %s", r.code, r.body)
	}
	// In scope: stored and audited.
	r = p.send("bill1", "POST", "/v1/remittances", remit835(t, 4, npiP1), "X-Request-Id", "req-upload-2")
	if r.code != http.StatusCreated {
		t.Fatalf("own upload: %d %s", r.code, r.body)
	}
	var res struct {
		FileID int64 `json:"file_id"`
	}
	r.decode(t, &res)
	if n := p.count(`SELECT count(*) FROM audit_log WHERE action = 'file.upload' AND user_id = $1 AND practice_id = $2
		AND entity_id = $3 AND request_id = 'req-upload-2'`, p.users["bill1"].ID, p.p1, fmt.Sprint(res.FileID)); n != 1 {
		t.Errorf("%d upload audit rows", n)
	}
	// Sent again by practice 2's biller: its answer describes the file, so
	// it is refused as well.
	if r := p.send("bill2", "POST", "/v1/remittances", remit835(t, 4, npiP1)); r.code != http.StatusForbidden {
		t.Errorf("practice 1's file re-sent by bill2: %d %s", r.code, r.body)
	}
	// A bad request id is replaced.
	r = p.send("bill1", "GET", "/v1/me", nil, "X-Request-Id", "bad id\x01")
	if got := r.hdr.Get("X-Request-Id"); got == "" || strings.ContainsAny(got, " \x01") {
		t.Errorf("request id %q", got)
	}
}

// multiFile stores (as admin) a file paying practice 1 and practice 2 and
// returns its id.
func (p *proc) multiFile(t *testing.T) int64 {
	t.Helper()
	r := p.send("admin", "POST", "/v1/remittances?filename=both.835", remit835(t, 10, npiP1, npiP2))
	if r.code != http.StatusCreated {
		t.Fatalf("admin upload: %d %s", r.code, r.body)
	}
	var res struct {
		FileID int64 `json:"file_id"`
	}
	r.decode(t, &res)
	return res.FileID
}

// TestFilePayingSeveralPractices (seen 2): each practice's users see
// exactly their part of a file that pays two practices; the raw file only
// goes to callers who see both.
func TestFilePayingSeveralPractices(t *testing.T) {
	p := newProc(t)
	id := p.multiFile(t)
	type part struct {
		sets, claims int
		paid, bpr    string
	}
	want := map[int64]part{}
	rows, err := p.db.Query(`SELECT t.practice_id, count(DISTINCT t.id), count(c.id), coalesce(sum(c.paid), 0)::text,
		(SELECT sum(bpr_amount) FROM remittance_transactions x WHERE x.file_id = $1 AND x.practice_id = t.practice_id)::text
		FROM remittance_transactions t LEFT JOIN claim_payments c ON c.transaction_id = t.id WHERE t.file_id = $1 GROUP BY t.practice_id`, id)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var pid int64
		var w part
		if err := rows.Scan(&pid, &w.sets, &w.claims, &w.paid, &w.bpr); err != nil {
			t.Fatal(err)
		}
		want[pid] = w
	}
	rows.Close()
	if len(want) != 2 {
		t.Fatalf("the file pays %d practices", len(want))
	}
	for _, c := range []struct {
		user     string
		practice int64
	}{{"bill1", p.p1}, {"sup1", p.p1}, {"bill2", p.p2}, {"sup2", p.p2}} {
		w := want[c.practice]
		for _, path := range []string{"/v1/files/", "/v1/remittances/"} {
			r := p.send(c.user, "GET", fmt.Sprint(path, id), nil)
			if r.code != http.StatusOK {
				t.Errorf("%s %s: %d %s", c.user, path, r.code, r.body)
				continue
			}
			var got struct {
				Sets         int    `json:"transaction_sets"`
				Claims       int    `json:"claims"`
				Paid         string `json:"total_paid"`
				BPR          string `json:"bpr_amount"`
				Partial      bool   `json:"partial"`
				Transactions []struct {
					PracticeID int64 `json:"practice_id"`
				} `json:"transactions"`
			}
			r.decode(t, &got)
			if got.Sets != w.sets || got.Claims != w.claims || !sameAmount(got.Paid, w.paid) || !sameAmount(got.BPR, w.bpr) || !got.Partial {
				t.Errorf("%s %s: %s, want %+v", c.user, path, r.body, w)
			}
			for _, tx := range got.Transactions {
				if tx.PracticeID != c.practice {
					t.Errorf("%s sees a transaction of practice %d", c.user, tx.PracticeID)
				}
			}
		}
		// The list shows the file, with the caller's part.
		r := p.send(c.user, "GET", "/v1/files", nil)
		if !strings.Contains(string(r.body), `"filename":"both.835"`) {
			t.Errorf("%s: the file is not in the list: %s", c.user, r.body)
		}
		// Claims of the file: only the caller's.
		r = p.send(c.user, "GET", fmt.Sprint("/v1/files/", id, "/claims"), nil)
		var cl Page[struct {
			PracticeID int64 `json:"practice_id"`
		}]
		r.decode(t, &cl)
		if len(cl.Items) != w.claims {
			t.Errorf("%s: %d claims of the file, want %d", c.user, len(cl.Items), w.claims)
		}
		for _, it := range cl.Items {
			if it.PracticeID != c.practice {
				t.Errorf("%s sees a claim of practice %d", c.user, it.PracticeID)
			}
		}
		// The raw file holds both practices: refused.
		if r := p.send(c.user, "GET", fmt.Sprint("/v1/files/", id, "/raw"), nil); r.code != http.StatusForbidden {
			t.Errorf("%s raw: %d", c.user, r.code)
		}
	}
	if r := p.send("admin", "GET", fmt.Sprint("/v1/files/", id, "/raw"), nil); r.code != http.StatusOK {
		t.Errorf("admin raw: %d", r.code)
	}
	// A provider-scoped biller sees no file (files are whole-practice).
	if r := p.send("billa", "GET", fmt.Sprint("/v1/files/", id), nil); r.code != http.StatusNotFound {
		t.Errorf("billa: %d", r.code)
	}
}

func sameAmount(a, b string) bool {
	return strings.TrimRight(strings.TrimRight(a, "0"), ".") == strings.TrimRight(strings.TrimRight(b, "0"), ".")
}

// TestMatchDecisionScope (seen 2): confirm and pick check the practice of
// the paid line, not the file's first practice, and the billed claim
// picked.
func TestMatchDecisionScope(t *testing.T) {
	p := newProc(t)
	// A line of practice 2 inside practice 1's file (a file paying both).
	p.exec(`INSERT INTO line_matches (file_id, segment_index, claim_segment, practice_id, svc_index, method, confidence, review,
		billed_charge, charge, paid, allowed, patient_responsibility, net_paid)
		VALUES ($1, 51, 50, $2, 1, 'none', 0, true, 0, 200, 0, 0, 0, 0)`, p.fileP1, p.p2)
	bcP2 := p.id(`INSERT INTO billed_claims (practice_id, source, patient_control_number, total_charge, line_count, content_sha256)
		VALUES ($1, '837', 'PCN-P2-BILLED', 200, 1, '\x01') RETURNING id`, p.p2)
	guard404 := func(r resp) bool {
		return r.code == http.StatusNotFound && strings.Contains(string(r.body), "not in your scope")
	}
	path := fmt.Sprint("/v1/match/lines/", p.fileP1, "/51/")
	if r := p.send("bill1", "POST", path+"confirm", nil); !guard404(r) {
		t.Errorf("bill1 confirms practice 2's line: %d %s", r.code, r.body)
	}
	if r := p.send("bill1", "POST", path+"pick", []byte(fmt.Sprintf(`{"billed_claim_id": %d}`, bcP2))); !guard404(r) {
		t.Errorf("bill1 picks on practice 2's line: %d %s", r.code, r.body)
	}
	if r := p.send("bill2", "POST", path+"confirm", nil); guard404(r) {
		t.Errorf("bill2 is refused its own line: %d %s", r.code, r.body)
	}
	// Practice 1's line, picking practice 2's billed claim.
	own := fmt.Sprint("/v1/match/lines/", p.fileP1, "/11/pick")
	if r := p.send("bill1", "POST", own, []byte(fmt.Sprintf(`{"billed_claim_id": %d}`, bcP2))); !guard404(r) {
		t.Errorf("bill1 picks practice 2's billed claim: %d %s", r.code, r.body)
	}
	// The pick body is strict.
	for _, b := range []string{`{"billed_claim_id": 1} {}`, `{"billed_claim_id": 1, "billed_claim": 2}`, `[]`, ``} {
		if r := p.send("bill1", "POST", own, []byte(b)); r.code != http.StatusBadRequest {
			t.Errorf("pick body %q: %d %s", b, r.code, r.body)
		}
	}
}

// TestStrictBodies (seen 3): a trailing value or an unknown key on a queue
// rule is refused by the guard (the practice check is never skipped), and
// a bulk-assign filter with misspelled keys is refused, assigning nothing.
func TestStrictBodies(t *testing.T) {
	p := newProc(t)
	rules := p.count(`SELECT count(*) FROM queue_rules`)
	for _, b := range []string{
		fmt.Sprintf(`{"practice_id": %d, "queue_name": "x"} {}`, p.p2),
		fmt.Sprintf(`{"practice_id": %d, "queue_name": "x"} {"practice_id": %d}`, p.p1, p.p2),
		fmt.Sprintf(`{"practice_id": %d, "queue_name": "x", "practise_id": 1}`, p.p1),
		`{"queue_name": "x"`,
	} {
		r := p.send("sup1", "POST", "/v1/queue-rules", []byte(b))
		if r.code != http.StatusBadRequest {
			t.Errorf("rule %q: %d %s", b, r.code, r.body)
		}
	}
	if n := p.count(`SELECT count(*) FROM queue_rules`); n != rules {
		t.Errorf("%d rules stored from bad bodies", n-rules)
	}
	r := p.send("sup1", "POST", "/v1/queue-rules", []byte(fmt.Sprintf(`{"practice_id": %d, "queue_name": "x", "practise_id": 1}`, p.p1)))
	if !strings.Contains(string(r.body), "practise_id") {
		t.Errorf("the unknown field is not named: %s", r.body)
	}
	// Bulk assign with misspelled filter keys.
	for _, filter := range []string{`{"practise_id": "1"}`, `{"categry": "authorization"}`, `{"category": "no-such-category"}`} {
		body := fmt.Sprintf(`{"assignee_id": %d, "filter": %s}`, p.users["bill1"].ID, filter)
		r := p.send("sup1", "POST", "/v1/work-items/assign", []byte(body))
		if r.code != http.StatusBadRequest {
			t.Errorf("assign filter %s: %d %s", filter, r.code, r.body)
		}
	}
	if r := p.send("sup1", "POST", "/v1/work-items/assign", []byte(`{"assignee_id": null, "ids": [1]} {}`)); r.code != http.StatusBadRequest {
		t.Errorf("assign with a trailing value: %d %s", r.code, r.body)
	}
	if n := p.count(`SELECT count(*) FROM work_items WHERE assignee_id IS NOT NULL`); n != 0 {
		t.Errorf("%d items assigned", n)
	}
	r = p.send("sup1", "POST", "/v1/work-items/assign", []byte(fmt.Sprintf(`{"assignee_id": %d, "filter": {"practise_id": "1"}}`, p.users["bill1"].ID)))
	if !strings.Contains(string(r.body), "practice_id") {
		t.Errorf("the allowed filter keys are not listed: %s", r.body)
	}
}

// TestJSONEnvelopes (seen 6): unknown routes and wrong methods answer the
// JSON error shape; a tampered cursor is a 400.
func TestJSONEnvelopes(t *testing.T) {
	p := newProc(t)
	for _, c := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/v1/no-such-thing", http.StatusNotFound},
		{"DELETE", "/v1/me", http.StatusMethodNotAllowed},
		{"PUT", "/v1/remittances", http.StatusMethodNotAllowed},
		{"GET", "/v1/files?cursor=" + cursor{Sort: "-received_at", Key: "not-a-time", ID: 1}.encode(), http.StatusBadRequest},
		{"GET", "/v1/work-items?cursor=" + cursor{Sort: "priority", Key: "x'); DROP", ID: 1}.encode(), http.StatusBadRequest},
		{"GET", "/v1/claims?practice_id=1&cursor=%%%", http.StatusBadRequest},
	} {
		r := p.send("sup1", c.method, c.path, nil)
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if r.code != c.want || json.Unmarshal(r.body, &e) != nil || e.Error.Code == "" || !strings.HasPrefix(r.hdr.Get("Content-Type"), "application/json") {
			t.Errorf("%s %s: %d %q %s", c.method, c.path, r.code, r.hdr.Get("Content-Type"), r.body)
		}
	}
}
