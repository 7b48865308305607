package apisvc

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/devenv/devtest"
)

func TestMain(m *testing.M) { devtest.Main(m) }

var testKey = []byte("test-key-of-at-least-thirty-two-bytes")

const (
	npiA = "1111111111" // provider A of practice 1
	npiB = "2222222222" // provider B of practice 1
	npiC = "3333333333" // provider of practice 2
)

// fx is the shared fixture: two practices; practice 1 has a file with a
// claim for provider A and one for provider B, practice 2 a file with one
// claim; one work item per claim; users of every role.
type fx struct {
	t     testing.TB
	db    *sqlx.DB
	s     *Service
	h     http.Handler
	now   time.Time
	p1    int64
	p2    int64
	payer int64
	// Per practice/provider resources.
	fileP1, fileP2         int64
	claimA, claimB, claimC int64
	lineA, lineB, lineC    int64
	itemA, itemB, itemC    int64
	queueP1, queueP2       int64
	users                  map[string]*auth.User
	keys                   map[string]int64 // an API key of bill1 and of bill2
	tokens                 map[string]string
}

// Markers: strings that appear in answers only when a resource is shown.
const (
	pcnA  = "PCN-A-0001"
	pcnB  = "PCN-B-0002"
	pcnC  = "PCN-C-0003"
	nameA = "DOE^ALPHA"
	nameB = "DOE^BRAVO"
	nameC = "ROE^CHARLIE"
)

func newFixture(t testing.TB) *fx {
	t.Helper()
	f := &fx{t: t, db: devtest.DB(t), now: time.Date(2026, 11, 18, 15, 0, 0, 0, time.UTC),
		users: map[string]*auth.User{}, tokens: map[string]string{}}
	ctx := context.Background()
	f.p1 = f.id(`INSERT INTO practices (name, npi) VALUES ('Spine One', '1000000004') RETURNING id`)
	f.p2 = f.id(`INSERT INTO practices (name, npi) VALUES ('Pain Two', '1000000012') RETURNING id`)
	f.payer = f.id(`INSERT INTO payers (name, payer_id_code) VALUES ('Big Payer', 'BP1') RETURNING id`)
	f.queueP1 = f.id(`INSERT INTO queues (practice_id, name) VALUES ($1, 'q-one') RETURNING id`, f.p1)
	f.queueP2 = f.id(`INSERT INTO queues (practice_id, name) VALUES ($1, 'q-two') RETURNING id`, f.p2)
	f.fileP1 = f.file(f.p1, "p1-remit.835")
	f.fileP2 = f.file(f.p2, "p2-remit.835")
	f.claimA, f.lineA = f.claim(f.fileP1, f.p1, 10, pcnA, npiA, nameA)
	f.claimB, f.lineB = f.claim(f.fileP1, f.p1, 30, pcnB, npiB, nameB)
	f.claimC, f.lineC = f.claim(f.fileP2, f.p2, 10, pcnC, npiC, nameC)
	f.itemA = f.item(f.p1, npiA, f.queueP1, f.claimA, f.lineA, pcnA, 500, "100.00")
	f.itemB = f.item(f.p1, npiB, f.queueP1, f.claimB, f.lineB, pcnB, 400, "80.00")
	f.itemC = f.item(f.p2, npiC, f.queueP2, f.claimC, f.lineC, pcnC, 300, "60.00")
	// The match of line A: billed line with an authorization on file.
	bc := f.id(`INSERT INTO billed_claims (practice_id, source, patient_control_number, total_charge, line_count, content_sha256,
		prior_authorization, phi_member_id) VALUES ($1, '837', $2, 200, 1, '\x00', 'AUTH-77', 'M-A') RETURNING id`, f.p1, pcnA)
	bl := f.id(`INSERT INTO billed_lines (billed_claim_id, practice_id, line_number, procedure_code, units, charge, service_date_from)
		VALUES ($1, $2, 1, '64483', 1, 200, '2026-09-01') RETURNING id`, bc, f.p1)
	f.exec(`INSERT INTO line_matches (file_id, segment_index, claim_segment, practice_id, svc_index, method, confidence, review,
		billed_claim_id, billed_line_id, billed_charge, charge, paid, allowed, patient_responsibility, net_paid)
		VALUES ($1, 11, 10, $2, 1, 'line_control_number', 1, false, $3, $4, 200, 200, 0, 0, 0, 0)`, f.fileP1, f.p1, bc, bl)
	for _, u := range []*auth.User{
		{Email: "admin@x.test", Name: "Ada", Role: auth.Admin},
		{Email: "sup1@p1.test", Name: "Sam", Role: auth.Supervisor, Scopes: []auth.Scope{{PracticeID: f.p1}}},
		{Email: "bill1@p1.test", Name: "Bea", Role: auth.Biller, Scopes: []auth.Scope{{PracticeID: f.p1}}},
		{Email: "bill1b@p1.test", Name: "Ben", Role: auth.Biller, Scopes: []auth.Scope{{PracticeID: f.p1}}},
		{Email: "billa@p1.test", Name: "Abe", Role: auth.Biller, Scopes: []auth.Scope{{PracticeID: f.p1, ProviderNPI: npiA}}},
		{Email: "an1@p1.test", Name: "Ann", Role: auth.Analyst, Scopes: []auth.Scope{{PracticeID: f.p1}}},
		{Email: "sup2@p2.test", Name: "Sue", Role: auth.Supervisor, Scopes: []auth.Scope{{PracticeID: f.p2}}},
		{Email: "bill2@p2.test", Name: "Bob", Role: auth.Biller, Scopes: []auth.Scope{{PracticeID: f.p2}}},
	} {
		if err := auth.AddUser(ctx, f.db, u); err != nil {
			t.Fatal(err)
		}
		tok, err := auth.IssueHS256(testKey, u.Email, "", time.Hour, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		key := u.Email[:len(u.Email)-len("@p1.test")]
		if u.Role == auth.Admin {
			key = "admin"
		}
		f.users[key], f.tokens[key] = u, tok
	}
	f.keys = map[string]int64{}
	for _, u := range []string{"bill1", "bill2"} {
		_, k, err := auth.CreateAPIKey(ctx, f.db, f.users[u].ID, "laptop", 0)
		if err != nil {
			t.Fatal(err)
		}
		f.keys[u] = k.ID
	}
	v, err := auth.NewVerifier(auth.VerifierConfig{HS256Key: testKey})
	if err != nil {
		t.Fatal(err)
	}
	f.s, err = New(f.db, zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel)), Options{Auth: &auth.Authenticator{DB: f.db, Verifier: v}, SweepInterval: -1,
		Now: func() time.Time { return f.now }, PatientKeyer: testPatientKeyer})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	f.s.Register(mux)
	f.h = f.s.WrapHTTP(mux)
	return f
}

func (f *fx) exec(q string, args ...any) {
	f.t.Helper()
	if _, err := f.db.Exec(q, args...); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
}

func (f *fx) id(q string, args ...any) int64 {
	f.t.Helper()
	var id int64
	if err := f.db.QueryRow(q, args...).Scan(&id); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
	return id
}

func (f *fx) file(practice int64, name string) int64 {
	sum := sha256.Sum256([]byte(name))
	id := f.id(`INSERT INTO remittance_files (sha256, filename, size, status, practice_id, payer_id, raw, claims, service_lines)
		VALUES ($1, $2, 10, 'ingested', $3, $4, $5, 2, 2) RETURNING id`, sum[:], name, practice, f.payer, []byte("ISA*"+name+"~"))
	f.exec(`INSERT INTO remittance_transactions (file_id, seq, segment_index, st_control, practice_id, payer_id, payer_name, payment_date)
		VALUES ($1, 1, 3, '0001', $2, $3, 'Big Payer', '2026-10-01')`, id, practice, f.payer)
	return id
}

func (f *fx) claim(file, practice int64, seg int, pcn, npi, name string) (int64, int64) {
	tx := f.id(`SELECT id FROM remittance_transactions WHERE file_id = $1`, file)
	c := f.id(`INSERT INTO claim_payments (file_id, transaction_id, practice_id, segment_index, patient_control_number, status,
		charge, paid, rendering_npi, phi_patient_name, phi_member_id, service_date_from)
		VALUES ($1, $2, $3, $4, $5, '4', 200, 0, $6, $7, 'MEMBER-'||$5::text, '2026-09-01') RETURNING id`, file, tx, practice, seg, pcn, npi, name)
	l := f.id(`INSERT INTO service_line_payments (claim_payment_id, file_id, practice_id, segment_index, line_number,
		procedure_qualifier, procedure_code, charge, paid, service_date_from)
		VALUES ($1, $2, $3, $4, 1, 'HC', '64483', 200, 0, '2026-09-01') RETURNING id`, c, file, practice, seg+1)
	f.exec(`INSERT INTO adjustments (file_id, claim_payment_id, service_line_id, segment_index, position, group_code, reason_code, amount)
		VALUES ($1, $2, $3, $4, 1, 'CO', '197', 200)`, file, c, l, seg+2)
	f.exec(`INSERT INTO remarks (file_id, claim_payment_id, service_line_id, segment_index, position, qualifier, code)
		VALUES ($1, $2, $3, $4, 1, 'HE', 'N54')`, file, c, l, seg+1)
	return c, l
}

func (f *fx) item(practice int64, npi string, queue, claim, line int64, pcn string, priority int, atRisk string) int64 {
	return f.id(`INSERT INTO work_items (dedupe_key, practice_id, provider_npi, payer_id, queue_id, kind, disposition, category,
		claim_payment_id, service_line_id, patient_control_number, procedure_code, amount_at_risk, priority, appeal_deadline, created_at)
		VALUES ('item:'||$7, $1, $2, $3, $4, 'denial', 'denied', 'authorization', $5, $6::bigint, $7, '64483', $8, $9, '2026-12-30', $10)
		RETURNING id`, practice, npi, f.payer, queue, claim, line, pcn, atRisk, priority, f.now.Add(-48*time.Hour))
}

// resp is an answer.
type resp struct {
	code int
	body []byte
	hdr  http.Header
}

func (r resp) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// do sends a request as user ("" = no token).
// rawBody is a request body sent as it is (a CSV), not as JSON.
type rawBody []byte

func (f *fx) do(user, method, path string, body any, hdr ...string) resp {
	f.t.Helper()
	var rd *bytes.Reader
	if raw, ok := body.(rawBody); ok {
		rd = bytes.NewReader(raw)
	} else if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			f.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req := httptest.NewRequest(method, path, rd)
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+f.tokens[user])
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return resp{code: rec.Code, body: rec.Body.Bytes(), hdr: rec.Header()}
}

func (f *fx) version(item int64) string {
	f.t.Helper()
	var v int
	if err := f.db.QueryRow(`SELECT version FROM work_items WHERE id = $1`, item).Scan(&v); err != nil {
		f.t.Fatal(err)
	}
	return fmt.Sprintf(`"%d"`, v)
}

// count runs a query answering one number.
func (f *fx) count(q string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.db.QueryRow(q, args...).Scan(&n); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
	return n
}
