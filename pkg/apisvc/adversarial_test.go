package apisvc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/billedstore"
	"github.com/remitq/remitq/pkg/bus"
	"github.com/remitq/remitq/pkg/devenv/devtest"
	"github.com/remitq/remitq/pkg/ingestsvc"
	"github.com/remitq/remitq/pkg/matchsvc"
	"github.com/remitq/remitq/pkg/routesvc"
	"github.com/remitq/remitq/pkg/svc"
	"github.com/remitq/remitq/pkg/synth"
)

// proc is the fixture served the way services/remitq serves it: the API in
// front of the real ingest, billing, matcher and router components.
type proc struct {
	*fx
	h        http.Handler
	fpQuery  string
	billedOf map[int64]int64 // a billed claim per practice
	ruleOf   map[int64]int64 // a queue rule per practice
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
	ing, err := ingestsvc.New(deps, ingestsvc.Options{NoPublisher: true})
	if err != nil {
		t.Fatal(err)
	}
	m, err := matchsvc.New(deps, matchsvc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	router, err := routesvc.New(deps, routesvc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := deps.Handler(f.s, ing, billedstore.NewService(deps), m, router)
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
		// Each interchange gets its own control number (ISA13, IEA02):
		// the reader skips an interchange that repeats one of the same file
		// (see remit835SameISA in attack_open_test.go).
		var one bytes.Buffer
		if _, err := synth.WriteRemits(&one, synth.RemitOptions{Seed: seed + uint64(i), Claims: 2, LinesPerClaim: 1, PayeeNPI: npi}); err != nil {
			t.Fatal(err)
		}
		buf.Write(bytes.ReplaceAll(one.Bytes(), []byte("000000001"), []byte(fmt.Sprintf("%09d", i+1))))
	}
	return buf.Bytes()
}

const (
	npiP1 = "1000000004" // practice 1's payee NPI in the fixture
	npiP2 = "1000000012"
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
	// Unknown payees: kept for the uploader (TestUploaderSeesOwnFile).
	if r := p.send("bill1", "POST", "/v1/remittances", remit835(t, 2, "1999999999")); r.code != http.StatusCreated || !strings.Contains(string(r.body), "unknown_payee") {
		t.Errorf("unknown payee as bill1: %d %s", r.code, r.body)
	}
	if r := p.send("admin", "POST", "/v1/remittances", remit835(t, 20, "1999999999")); r.code != http.StatusCreated || !strings.Contains(string(r.body), "unknown_payee") {
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
	// Sent again by its sender: 200, audited as a duplicate.
	r = p.send("bill1", "POST", "/v1/remittances", remit835(t, 4, npiP1), "X-Request-Id", "req-upload-3")
	if r.code != http.StatusOK {
		t.Errorf("sent again: %d %s", r.code, r.body)
	}
	if n := p.count(`SELECT count(*) FROM audit_log WHERE action = 'file.upload' AND user_id = $1 AND entity_id = $2
		AND request_id = 'req-upload-3' AND detail->>'duplicate' = 'true'`, p.users["bill1"].ID, fmt.Sprint(res.FileID)); n != 1 {
		t.Errorf("%d audit rows for the file sent again", n)
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

// fingerprint is a digest of every table but the audit log (and the token
// bindings a first request makes): a refused request must leave it as it
// was.
func (p *proc) fingerprint() string {
	p.t.Helper()
	if p.fpQuery == "" {
		var tables []string
		if err := p.db.Select(&tables, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
			AND c.relname NOT IN ('audit_log', 'user_identities', 'schema_migrations') ORDER BY 1`); err != nil {
			p.t.Fatal(err)
		}
		var parts []string
		for _, t := range tables {
			parts = append(parts, fmt.Sprintf(`SELECT '%s' AS t, coalesce(md5(string_agg(x::text, ',' ORDER BY x::text)), '') AS h FROM %q x`, t, t))
		}
		p.fpQuery = `SELECT string_agg(t || ':' || h, ' ' ORDER BY t) FROM (` + strings.Join(parts, " UNION ALL ") + `) s`
	}
	var fp string
	if err := p.db.Get(&fp, p.fpQuery); err != nil {
		p.t.Fatal(err)
	}
	return fp
}

// writeCase is one write request of the matrix at a target; scope says
// which callers may make it (see visible).
type writeCase struct {
	method, path string
	body         []byte
	hdr          []string
	scope        scopeKind
}

// foreignWriteCases gives, for every write route of the other components
// that the API guards, the request aimed at t. A guarded write route
// without a case fails TestWriteMatrix.
func (p *proc) foreignWriteCases(t target, n int) map[string]writeCase {
	practiceNPI := map[int64]string{p.p1: npiP1, p.p2: npiP2}[t.practice]
	line := map[string]int64{"p1-A": 11, "p1-B": 31, "p2": 11}[t.name]
	billed := p.billedOf[t.practice]
	rule := p.ruleOf[t.practice]
	ruleBody := []byte(fmt.Sprintf(`{"practice_id": %d, "queue_name": "m-%d"}`, t.practice, n))
	return map[string]writeCase{
		"POST /v1/remittances": {method: "POST", path: "/v1/remittances", body: remit835(p.t, uint64(1000+n), practiceNPI), scope: scopeFile},
		"POST /v1/claims": {method: "POST", path: "/v1/claims?filename=c.csv", scope: scopeFile,
			body: []byte(fmt.Sprintf("practice,patient_control_number,service_date,procedure,charge\n%s,PCN-M-%d,2026-09-01,64483,100.00\n", practiceNPI, n))},
		"POST /v1/fee-schedules": {method: "POST", path: "/v1/fee-schedules?filename=f.csv", scope: scopeNone,
			body: []byte(fmt.Sprintf("payer,procedure,allowed\nBP1,6448%d,%d.00\n", n%10, 100+n))},
		"POST /v1/match/lines/{file}/{segment}/confirm": {method: "POST", path: fmt.Sprint("/v1/match/lines/", t.file, "/", line, "/confirm"), scope: scopeFile},
		"POST /v1/match/lines/{file}/{segment}/pick": {method: "POST", path: fmt.Sprint("/v1/match/lines/", t.file, "/", line, "/pick"), scope: scopeFile,
			body: []byte(fmt.Sprintf(`{"billed_claim_id": %d}`, billed))},
		"POST /v1/queue-rules":        {method: "POST", path: "/v1/queue-rules", body: ruleBody, scope: scopeFile},
		"PUT /v1/queue-rules/{id}":    {method: "PUT", path: fmt.Sprint("/v1/queue-rules/", rule), body: ruleBody, scope: scopeFile},
		"DELETE /v1/queue-rules/{id}": {method: "DELETE", path: fmt.Sprint("/v1/queue-rules/", p.newRule(t.practice)), scope: scopeFile},
	}
}

func (p *proc) newRule(practice int64) int64 {
	return p.id(`INSERT INTO queue_rules (practice_id, queue_name) VALUES ($1, 'to-delete') RETURNING id`, practice)
}

// matrixSetup adds what the write matrix aims at: a paid line under review
// and a billed claim per target practice, a queue rule per practice.
func (p *proc) matrixSetup() {
	p.billedOf, p.ruleOf = map[int64]int64{}, map[int64]int64{}
	for i, pr := range []int64{p.p1, p.p2} {
		p.billedOf[pr] = p.id(`INSERT INTO billed_claims (practice_id, source, patient_control_number, total_charge, line_count, content_sha256)
			VALUES ($1, '837', $2, 200, 1, $3) RETURNING id`, pr, fmt.Sprint("PCN-MATRIX-", i), []byte{byte(0x10 + i)})
		p.ruleOf[pr] = p.id(`INSERT INTO queue_rules (practice_id, queue_name) VALUES ($1, 'matrix') RETURNING id`, pr)
	}
	p.exec(`INSERT INTO line_matches (file_id, segment_index, claim_segment, practice_id, svc_index, method, confidence, review,
		billed_charge, charge, paid, allowed, patient_responsibility, net_paid)
		VALUES ($1, 31, 30, $2, 1, 'none', 0, true, 0, 200, 0, 0, 0, 0), ($3, 11, 10, $4, 1, 'none', 0, true, 0, 200, 0, 0, 0, 0)`,
		p.fileP1, p.p1, p.fileP2, p.p2)
}

// refused reports an answer that denied the request (role, scope or
// authentication), as opposed to one the route gave on the row itself.
func refused(r resp) bool {
	return r.code == http.StatusUnauthorized || r.code == http.StatusForbidden ||
		(r.code == http.StatusNotFound && strings.Contains(string(r.body), "not in your scope"))
}

// TestWriteMatrix (what to build 1, 3; how it is checked): every write
// route of the process — the API's own and the other components' behind
// its guards — as every role, at rows of practice 1 (two providers) and
// practice 2. A caller without the permission, or out of the row's scope,
// is refused and nothing in the database changes; a caller in scope gets
// through to the route. A write route without a case fails the test.
func TestWriteMatrix(t *testing.T) {
	for _, user := range []string{"admin", "sup1", "bill1", "billa", "an1", "sup2", "bill2"} {
		t.Run(user, func(t *testing.T) {
			p := newProc(t)
			p.matrixSetup()
			id := identityOf(p.users[user])
			type route struct {
				key  string
				perm auth.Permission
			}
			var routes []route
			for _, rt := range p.s.Routes() {
				if rt.Method != http.MethodGet {
					routes = append(routes, route{rt.Method + " " + rt.Path, rt.Perm})
				}
			}
			for _, fr := range p.s.ForeignRoutes() {
				if !strings.HasPrefix(fr.Pattern, "GET ") {
					routes = append(routes, route{fr.Pattern, fr.Perm})
				}
			}
			n := 0
			for _, rt := range routes {
				for _, tg := range p.targets() {
					n++
					var c writeCase
					if fc, ok := p.foreignWriteCases(tg, n)[rt.key]; ok {
						c = fc
					} else if oc, ok := p.matrixCases(tg)[rt.key]; ok {
						c = writeCase{method: oc.method, path: oc.path, scope: oc.scope}
						if oc.body != nil {
							c.body, _ = json.Marshal(oc.body)
						}
						if oc.ifMatch {
							c.hdr = []string{"If-Match", p.version(tg.item)}
						}
					} else {
						t.Fatalf("write route %s has no case", rt.key)
					}
					if rt.key == "DELETE /v1/api-keys/{id}" {
						c.scope = scopeOwnKey
					}
					allowed := id.Can(rt.perm) || rt.perm == ""
					allowed = allowed && id.Can(auth.ChangeAny)
					switch {
					case c.scope == scopeOwnKey:
						allowed = allowed && (id.All() || p.users[tg.assignee].ID == id.UserID)
					case c.scope != scopeNone:
						allowed = allowed && visible(id, tg, c.scope)
					}
					before := p.fingerprint()
					r := p.send(user, c.method, c.path, c.body, c.hdr...)
					where := fmt.Sprintf("%s as %s at %s", rt.key, user, tg.name)
					if allowed && refused(r) {
						t.Errorf("%s: refused: %d %s", where, r.code, r.body)
					}
					if !allowed {
						if !refused(r) {
							t.Errorf("%s: not refused: %d %s", where, r.code, r.body)
						}
						if after := p.fingerprint(); after != before {
							t.Errorf("%s: a refused request changed the database", where)
						}
					}
					if r.code >= 500 {
						t.Errorf("%s: %d %s", where, r.code, r.body)
					}
				}
			}
		})
	}
}

// TestEveryBodyStrict (seen 3; how it is checked): every JSON body of
// every write route of the process, sent with a second value after it or
// with an unknown key, is a 400 naming the problem, for the admin (whom no
// guard stops first), and nothing changes. A write route with a JSON body
// is found from the route list; the count of them is checked so a case
// that stops being JSON is noticed.
func TestEveryBodyStrict(t *testing.T) {
	p := newProc(t)
	p.matrixSetup()
	tg := p.targets()[0]
	var keys []string
	for _, rt := range p.s.Routes() {
		if rt.Method != http.MethodGet {
			keys = append(keys, rt.Method+" "+rt.Path)
		}
	}
	for _, fr := range p.s.ForeignRoutes() {
		if !strings.HasPrefix(fr.Pattern, "GET ") {
			keys = append(keys, fr.Pattern)
		}
	}
	jsonBodies := 0
	for i, key := range keys {
		var c writeCase
		if fc, ok := p.foreignWriteCases(tg, 5000+i)[key]; ok {
			c = fc
		} else if oc, ok := p.matrixCases(tg)[key]; ok {
			c = writeCase{method: oc.method, path: oc.path}
			if oc.body != nil {
				c.body, _ = json.Marshal(oc.body)
			}
			if oc.ifMatch {
				c.hdr = []string{"If-Match", p.version(tg.item)}
			}
		} else {
			t.Fatalf("write route %s has no case", key)
		}
		trimmed := bytes.TrimSpace(c.body)
		if len(trimmed) == 0 || (trimmed[0] != '{' && trimmed[0] != '[') {
			continue // no body, or not JSON (835, CSV)
		}
		jsonBodies++
		var v any
		if err := json.Unmarshal(trimmed, &v); err != nil {
			t.Fatal(err)
		}
		switch x := v.(type) {
		case map[string]any:
			x["zz_unknown"] = 1
		case []any:
			x[0].(map[string]any)["zz_unknown"] = 1
		}
		unknown, _ := json.Marshal(v)
		for name, body := range map[string][]byte{
			"trailing object": append(append([]byte{}, trimmed...), []byte(" {}")...),
			"trailing value":  append(append([]byte{}, trimmed...), []byte(` "x"`)...),
			"unknown key":     unknown,
		} {
			before := p.fingerprint()
			r := p.send("admin", c.method, c.path, body, c.hdr...)
			if r.code != http.StatusBadRequest {
				t.Errorf("%s with a %s: %d %s", key, name, r.code, r.body)
			}
			if name == "unknown key" && !strings.Contains(string(r.body), "zz_unknown") {
				t.Errorf("%s: the unknown key is not named: %s", key, r.body)
			}
			if p.fingerprint() != before {
				t.Errorf("%s with a %s changed the database", key, name)
			}
		}
	}
	if jsonBodies < 15 {
		t.Errorf("only %d write routes with a JSON body", jsonBodies)
	}
}

// TestListReadsAudited (what to build: audit): list answers record which
// entities they showed, by id, per practice, with the user and request.
func TestListReadsAudited(t *testing.T) {
	p := newProc(t)
	for _, c := range []struct {
		path, action string
		ids          []int64
	}{
		{"/v1/work-items", "work_item.list", []int64{p.itemA, p.itemB}},
		{fmt.Sprint("/v1/claims?practice_id=", p.p1), "claim.list", []int64{p.claimA, p.claimB}},
		{"/v1/files", "file.list", []int64{p.fileP1}},
	} {
		rid := "list-" + c.action
		if r := p.send("sup1", "GET", c.path, nil, "X-Request-Id", rid); r.code != http.StatusOK {
			t.Fatalf("%s: %d %s", c.path, r.code, r.body)
		}
		var detail []byte
		if err := p.db.QueryRow(`SELECT detail FROM audit_log WHERE action = $1 AND request_id = $2 AND user_id = $3 AND practice_id = $4`,
			c.action, rid, p.users["sup1"].ID, p.p1).Scan(&detail); err != nil {
			t.Errorf("%s: no audit row: %v", c.path, err)
			continue
		}
		var d struct {
			IDs []int64 `json:"ids"`
		}
		if err := json.Unmarshal(detail, &d); err != nil || fmt.Sprint(d.IDs) != fmt.Sprint(c.ids) {
			t.Errorf("%s: audited ids %v, want %v", c.path, d.IDs, c.ids)
		}
		if bytes.Contains(detail, []byte("DOE")) || bytes.Contains(detail, []byte("PCN-")) {
			t.Errorf("%s: PHI or claim numbers in the audit row: %s", c.path, detail)
		}
	}
}

// TestClaimsLoadScope (what to build 1, 3): a billed-claims file is
// checked claim by claim: one claim of another practice refuses the whole
// file (listed by row), nothing is stored, and loads and refusals are
// audited with the user and the request id.
func TestClaimsLoadScope(t *testing.T) {
	p := newProc(t)
	header := "practice,patient_control_number,service_date,procedure,charge\n"
	mixed := header + npiP1 + ",PCN-L-1,2026-09-01,64483,100.00\n" + npiP2 + ",PCN-L-2,2026-09-01,64483,100.00\n"
	billed := p.count(`SELECT count(*) FROM billed_claims`)
	r := p.send("bill1", "POST", "/v1/claims?filename=mixed.csv", []byte(mixed), "X-Request-Id", "load-1")
	if r.code != http.StatusForbidden || !strings.Contains(string(r.body), `"row":3`) || strings.Contains(string(r.body), `"row":2`) {
		t.Errorf("mixed load as bill1: %d %s", r.code, r.body)
	}
	if n := p.count(`SELECT count(*) FROM billed_claims`); n != billed {
		t.Errorf("%d billed claims stored by a refused load", n-billed)
	}
	if n := p.count(`SELECT count(*) FROM audit_log WHERE action = 'billed_claims.load_refused' AND user_id = $1 AND practice_id = $2
		AND request_id = 'load-1'`, p.users["bill1"].ID, p.p2); n != 1 {
		t.Errorf("%d refusal audit rows", n)
	}
	unknown := header + "1999999999,PCN-L-3,2026-09-01,64483,100.00\n"
	if r := p.send("bill1", "POST", "/v1/claims", []byte(unknown)); r.code != http.StatusForbidden {
		t.Errorf("claim of no registered practice as bill1: %d %s", r.code, r.body)
	}
	own := header + npiP1 + ",PCN-L-4,2026-09-01,64483,100.00\n"
	if r := p.send("bill1", "POST", "/v1/claims", []byte(own), "X-Request-Id", "load-2"); r.code != http.StatusCreated {
		t.Fatalf("own load: %d %s", r.code, r.body)
	}
	if n := p.count(`SELECT count(*) FROM audit_log WHERE action = 'billed_claims.load' AND user_id = $1 AND practice_id = $2
		AND request_id = 'load-2'`, p.users["bill1"].ID, p.p1); n != 1 {
		t.Errorf("%d load audit rows", n)
	}
	if r := p.send("admin", "POST", "/v1/claims", []byte(mixed)); r.code != http.StatusCreated {
		t.Errorf("mixed load as admin: %d %s", r.code, r.body)
	}
}

// TestFileCoverage: the predicates behind file scope. A file paying
// practices 1 and 2 is seen by a caller of either, covered (its raw bytes
// may go out) only for a caller of both; a file without transaction sets
// by admins only. (Only admins hold remit.raw today; the rule holds for any
// role given it.)
func TestFileCoverage(t *testing.T) {
	p := newProc(t)
	both := p.multiFile(t)
	bare := p.id(`INSERT INTO remittance_files (sha256, filename, size, status, raw) VALUES ($1, 'q.835', 1, 'quarantined', 'x') RETURNING id`,
		bytes.Repeat([]byte{7}, 32))
	one := &auth.Identity{Role: auth.Supervisor, Scopes: []auth.Scope{{PracticeID: p.p1}}}
	two := &auth.Identity{Role: auth.Supervisor, Scopes: []auth.Scope{{PracticeID: p.p1}, {PracticeID: p.p2}}}
	narrow := &auth.Identity{Role: auth.Supervisor, Scopes: []auth.Scope{{PracticeID: p.p1, ProviderNPI: npiA}, {PracticeID: p.p2}}}
	admin := &auth.Identity{Role: auth.Admin}
	check := func(id *auth.Identity, file int64, pred func(*auth.Identity, string, *auth.Args) string) bool {
		var args auth.Args
		q := `SELECT count(*) FROM remittance_files f WHERE f.id = ` + args.Add(file) + ` AND ` + pred(id, "f.id", &args)
		return p.count(q, args...) == 1
	}
	for _, c := range []struct {
		name          string
		id            *auth.Identity
		file          int64
		seen, covered bool
	}{
		{"one practice", one, both, true, false},
		{"both practices", two, both, true, true},
		{"one provider of practice 1 and practice 2", narrow, both, true, false},
		{"admin", admin, both, true, true},
		{"no transaction sets, supervisor", two, bare, false, false},
		{"no transaction sets, admin", admin, bare, true, true},
	} {
		if got := check(c.id, c.file, fileSeenSQL); got != c.seen {
			t.Errorf("%s: seen %v, want %v", c.name, got, c.seen)
		}
		if got := check(c.id, c.file, fileCoveredSQL); got != c.covered {
			t.Errorf("%s: covered %v, want %v", c.name, got, c.covered)
		}
	}
}

// TestEveryComponentRouteGuarded: every /v1/ route any other component of
// pkg/ registers (found in their source) is one the API guards, so a new
// route cannot slip past the role and scope checks (nor past
// TestWriteMatrix, which takes its cases from ForeignRoutes).
func TestEveryComponentRouteGuarded(t *testing.T) {
	guarded := map[string]bool{}
	for _, fr := range (&Service{}).foreignRoutes() {
		guarded[fr.Pattern] = true
	}
	re := regexp.MustCompile(`mux\.Handle(?:Func)?\("([A-Z]+ /v1/[^"]+)"`)
	found := 0
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "api" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			found++
			if !guarded[m[1]] {
				t.Errorf("%s registers %q, which the API does not guard (add it to foreignRoutes)", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found < len(guarded) {
		t.Errorf("found %d component routes for %d guarded ones", found, len(guarded))
	}
}

// TestReviewListAudited: the matcher's review list, read through the API,
// records the paid claims it showed with the user and the request id.
func TestReviewListAudited(t *testing.T) {
	p := newProc(t)
	r := p.send("sup1", "GET", "/v1/match/review", nil, "X-Request-Id", "review-1")
	if r.code != http.StatusOK {
		t.Fatalf("review: %d %s", r.code, r.body)
	}
	if n := p.count(`SELECT count(*) FROM audit_log WHERE action = 'match.review_list' AND user_id = $1 AND request_id = 'review-1'`,
		p.users["sup1"].ID); n != 1 {
		t.Errorf("%d audit rows for the review list", n)
	}
}

// TestUnbalancedRemittanceException (issue 14): a remittance whose BPR02
// is not the claim payments less the PLB adjustments is stored with the
// warning that says so, and is on the posting team's exception list
// (GET /v1/files?balanced=false); a balanced one is not.
func TestUnbalancedRemittanceException(t *testing.T) {
	p := newProc(t)
	good := remit835(t, 41, npiP1)
	bad := regexp.MustCompile(`BPR\*I\*([0-9]+)\.`).ReplaceAll(remit835(t, 42, npiP1), []byte("BPR*I*9${1}."))
	for name, raw := range map[string][]byte{"good": good, "bad": bad} {
		if r := p.send("bill1", "POST", "/v1/remittances?filename="+name+".835", raw); r.code != http.StatusCreated {
			t.Fatalf("%s: %d %s", name, r.code, r.body)
		}
	}
	r := p.send("bill1", "GET", "/v1/files?balanced=false", nil)
	var out struct {
		Files []struct {
			ID       int64  `json:"id"`
			Filename string `json:"filename"`
			Balanced *bool  `json:"balanced"`
		} `json:"items"`
	}
	r.decode(t, &out)
	if r.code != http.StatusOK || len(out.Files) != 1 || out.Files[0].Filename != "bad.835" {
		t.Fatalf("exception list: %d %s", r.code, r.body)
	}
	f := p.send("bill1", "GET", fmt.Sprintf("/v1/remittances/%d", out.Files[0].ID), nil)
	if f.code != http.StatusOK || !strings.Contains(string(f.body), "BPR02") {
		t.Fatalf("the unbalanced file carries no warning naming BPR02: %d %s", f.code, f.body)
	}
	if r := p.send("bill1", "GET", "/v1/files?balanced=maybe", nil); r.code != http.StatusBadRequest {
		t.Fatalf("balanced=maybe: %d", r.code)
	}
}
