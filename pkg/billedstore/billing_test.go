package billedstore_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/remitq/remitq/pkg/billed"
	"github.com/remitq/remitq/pkg/billedstore"
	"github.com/remitq/remitq/pkg/devenv/devtest"
	"github.com/remitq/remitq/pkg/synth"
)

func TestMain(m *testing.M) { devtest.Main(m) }

const npi1, npi2 = "1234567893", "1245319599"

func newDB(t *testing.T) *sqlx.DB {
	t.Helper()
	db := devtest.DB(t)
	for _, n := range []string{npi1, npi2} {
		if _, err := db.Exec(`INSERT INTO practices (name, npi) VALUES ('P', $1)`, n); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

func count(t *testing.T, db *sqlx.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Get(&n, q, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

const header = "practice,patient_control_number,payer,member_id,service_date,procedure,modifiers,units,charge,line_control_number,frequency_code,billed_date\n"

func TestLoadIsIdempotent(t *testing.T) {
	db := newDB(t)
	s := &billedstore.Store{DB: db}
	tr, err := synth.GenerateTruth(synth.TruthOptions{Seed: 1, Lines: 400, Practices: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO practices (name, npi, tin) VALUES ('S', $1, $2)`, tr.Practices[0].NPI, tr.Practices[0].TIN); err != nil {
		t.Fatal(err)
	}
	var x837, csv bytes.Buffer
	if err := tr.Write837(&x837, false); err != nil {
		t.Fatal(err)
	}
	if err := tr.WriteClaimsCSV(&csv, false); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, f := range []struct {
		name string
		raw  []byte
		src  string
	}{{"claims.837", x837.Bytes(), billedstore.Source837}, {"claims.csv", csv.Bytes(), billedstore.SourceCSV}} {
		first, err := s.LoadFile(ctx, f.name, f.raw, "test")
		if err != nil {
			t.Fatal(err)
		}
		if first.Source != f.src || first.Loaded != first.Claims || first.Claims == 0 || len(first.Problems) != 0 {
			t.Fatalf("%s first load: %+v", f.name, first)
		}
		claimsN, linesN := count(t, db, `SELECT count(*) FROM billed_claims`), count(t, db, `SELECT count(*) FROM billed_lines`)
		again, err := s.LoadFile(ctx, f.name, f.raw, "test")
		if err != nil {
			t.Fatal(err)
		}
		if again.Loaded != 0 || again.Unchanged != first.Claims {
			t.Errorf("%s second load: %+v", f.name, again)
		}
		if c, l := count(t, db, `SELECT count(*) FROM billed_claims`), count(t, db, `SELECT count(*) FROM billed_lines`); c != claimsN || l != linesN {
			t.Errorf("%s second load changed the tables: %d/%d claims, %d/%d lines", f.name, c, claimsN, l, linesN)
		}
	}
	// What is read back is what was billed.
	want := tr.BilledClaims(false)
	var keys []billedstore.Key
	var pid int64
	if err := db.Get(&pid, `SELECT id FROM practices WHERE npi = $1`, tr.Practices[0].NPI); err != nil {
		t.Fatal(err)
	}
	for _, c := range want {
		keys = append(keys, billedstore.Key{PracticeID: pid, Value: c.PatientControl})
	}
	got, err := billedstore.ByControl(ctx, db, keys)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2*len(want) {
		t.Fatalf("%d stored claims for %d billed (837 and CSV)", len(got), len(want))
	}
	byPCN := map[string]*billed.Claim{}
	for _, c := range want {
		byPCN[c.PatientControl] = c
	}
	for _, g := range got {
		w := byPCN[g.PatientControl]
		if g.TotalCharge != w.TotalCharge || len(g.Lines) != len(w.Lines) || g.MemberID != w.MemberID || g.PayerID != w.PayerID {
			t.Fatalf("claim %s read back differs", g.PatientControl)
		}
		for i := range g.Lines {
			a, b := g.Lines[i], w.Lines[i]
			if a.Procedure != b.Procedure || a.Charge != b.Charge || a.UnitsOrOne() != b.UnitsOrOne() || a.ServiceFrom != b.ServiceFrom ||
				a.LineControl != b.LineControl || strings.Join(a.Modifiers, " ") != strings.Join(b.Modifiers, " ") || a.ID == 0 {
				t.Fatalf("claim %s line %d read back differs: %+v vs %+v", g.PatientControl, i+1, a, b)
			}
		}
	}
	if n := count(t, db, `SELECT count(*) FROM audit_log WHERE action = 'claims.load' AND actor = 'test'`); n != 4 {
		t.Errorf("%d audit entries for 4 loads", n)
	}
}

func TestLoadReportsBadRowsAndLoadsGoodOnes(t *testing.T) {
	db := newDB(t)
	s := &billedstore.Store{DB: db}
	csv := header +
		npi1 + ",A-1,PAY1,M1,2026-02-02,64483,RT,1,1450.00,L1,1,2026-02-10\n" +
		npi1 + ",A-1,PAY1,M1,2026-02-02,J1040,,2,90.00,L2,1,2026-02-10\n" +
		npi1 + ",A-2,PAY1,M2,2026-02-03,6448,,1,100.00,,1,2026-02-10\n" + // bad code: row 4
		npi1 + ",A-3,PAY1,M3,2026-02-03,99213,,1,,,1,2026-02-10\n" + // no charge: row 5
		"9999999991,B-1,PAY1,M4,2026-02-03,99213,,1,150.00,,1,2026-02-10\n" + // unknown practice: row 6
		npi2 + ",C-1,PAY2,M5,2026-02-04,20552,,1,180.00,,1,2026-02-10\n"
	res, err := s.LoadFile(context.Background(), "x.csv", []byte(csv), "test")
	if err != nil {
		t.Fatal(err)
	}
	if res.Loaded != 2 || res.Rejected != 1 || res.Claims != 3 {
		t.Errorf("result %+v, want 2 loaded, 1 rejected of 3 claims", res)
	}
	rows := map[int]string{}
	for _, p := range res.Problems {
		rows[p.Row] = p.Code
		if strings.Contains(p.Message, "M4") || strings.Contains(p.Message, "9999999991") {
			t.Errorf("problem holds a value from the file: %q", p.Message)
		}
	}
	if rows[4] != "invalid" || rows[5] != "missing" || rows[6] != "unknown_practice" || len(rows) != 3 {
		t.Errorf("problems by row %v, want 4 invalid, 5 missing, 6 unknown_practice", rows)
	}
	if n := count(t, db, `SELECT count(*) FROM billed_lines`); n != 3 {
		t.Errorf("%d lines stored, want 3", n)
	}
	// A header without the required columns is no claims file.
	if _, err := s.LoadFile(context.Background(), "y.csv", []byte("a,b\n1,2\n"), "test"); err == nil {
		t.Error("a CSV without the required columns loaded")
	}
}

func TestChangedClaimAndReplacement(t *testing.T) {
	db := newDB(t)
	s := &billedstore.Store{DB: db}
	ctx := context.Background()
	orig := header + npi1 + ",R-1,PAY1,M1,2026-02-02,64483,RT,1,1450.00,L1,1,2026-02-10\n"
	if res, err := s.LoadFile(ctx, "a.csv", []byte(orig), "test"); err != nil || res.Loaded != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	changed := header + npi1 + ",R-1,PAY1,M1,2026-02-02,64483,RT,1,1500.00,L1,1,2026-02-10\n"
	res, err := s.LoadFile(ctx, "b.csv", []byte(changed), "test")
	if err != nil {
		t.Fatal(err)
	}
	if res.Loaded != 0 || res.Rejected != 1 || len(res.Problems) != 1 || res.Problems[0].Code != "changed" || res.Problems[0].Row != 2 {
		t.Errorf("changed claim: %+v", res)
	}
	repl := header + npi1 + ",R-1,PAY1,M1,2026-02-02,64483,RT,1,1500.00,L1,7,2026-02-20\n"
	if res, err = s.LoadFile(ctx, "c.csv", []byte(repl), "test"); err != nil || res.Loaded != 1 {
		t.Fatalf("replacement: %+v %v", res, err)
	}
	var replaces, first int64
	if err := db.Get(&first, `SELECT id FROM billed_claims WHERE frequency_code = '1'`); err != nil {
		t.Fatal(err)
	}
	if err := db.Get(&replaces, `SELECT replaces_claim_id FROM billed_claims WHERE frequency_code = '7'`); err != nil {
		t.Fatal(err)
	}
	if replaces != first {
		t.Errorf("replacement replaces %d, want %d", replaces, first)
	}
	// Both versions stay candidates, oldest first.
	list, err := billedstore.ByControl(ctx, db, []billedstore.Key{{PracticeID: 1, Value: "R-1"}})
	if err != nil || len(list) != 2 || list[0].FrequencyCode != "1" || list[1].FrequencyCode != "7" {
		t.Errorf("versions: %v %v", len(list), err)
	}
}

func TestLoadMarksWaitingRemitsForRetry(t *testing.T) {
	db := newDB(t)
	s := &billedstore.Store{DB: db}
	for _, p := range []struct {
		seg      int
		pcn      string
		lcns     string
		practice int
	}{{1, "W-1", "{}", 1}, {2, "OTHER", "{LX9}", 1}, {3, "W-1", "{}", 2}, {4, "NONE", "{}", 1}} {
		if _, err := db.Exec(`INSERT INTO match_pending (file_id, segment_index, practice_id, payer_code, patient_control_number,
			line_controls, unmatched, payload) VALUES (1, $1, $2, 'PAY1', $3, $4, true, '\x00')`, p.seg, p.practice, p.pcn, p.lcns); err != nil {
			t.Fatal(err)
		}
	}
	csv := header + npi1 + ",W-1,PAY1,M1,2026-02-02,64483,RT,1,1450.00,LX9,1,2026-02-10\n"
	res, err := s.LoadFile(context.Background(), "w.csv", []byte(csv), "test")
	if err != nil {
		t.Fatal(err)
	}
	var segs []int
	if err := db.Select(&segs, `SELECT segment_index FROM match_pending WHERE retry_requested_at IS NOT NULL ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	if res.Retries != 2 || len(segs) != 2 || segs[0] != 1 || segs[1] != 2 {
		t.Errorf("marked %v (%d), want the same practice's CLM01 and REF*6R: 1 and 2", segs, res.Retries)
	}
}

func TestFeesAndMissingRemits(t *testing.T) {
	db := newDB(t)
	s := &billedstore.Store{DB: db}
	ctx := context.Background()
	fees := "payer,procedure,modifier,allowed,effective_from,effective_to\nPAY1,64483,,250.00,2026-01-01,\nPAY1,64493,50,285.00,,\nPAY1,6449,,1,,\n"
	r1, err := s.LoadFees(ctx, "f.csv", []byte(fees), "test")
	if err != nil {
		t.Fatal(err)
	}
	r2, err := s.LoadFees(ctx, "f.csv", []byte(fees), "test")
	if err != nil {
		t.Fatal(err)
	}
	if r1.Inserted != 2 || len(r1.Problems) != 1 || r1.Problems[0].Row != 4 || r2.Inserted+r2.Updated != 0 || r2.Unchanged != 2 {
		t.Errorf("fee loads: %+v then %+v", r1, r2)
	}
	r3, err := s.LoadFees(ctx, "g.csv", []byte(strings.Replace(fees, "250.00", "260.00", 1)), "test")
	if err != nil || r3.Updated != 1 {
		t.Errorf("changed rate: %+v %v", r3, err)
	}
	sched, err := billedstore.FeeSchedule(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := sched.Lookup("PAY1", "64483", nil, "2026-03-01"); !ok || a != 26000 {
		t.Errorf("64483 rate %v %v, want 260.00", a, ok)
	}
	if a, ok := sched.Lookup("PAY1", "64493", []string{"50"}, "2020-03-01"); !ok || a != 28500 {
		t.Errorf("64493-50 rate %v %v, want 285.00 at any date", a, ok)
	}

	csv := header +
		npi1 + ",M-1,PAY1,M1,2026-01-05,64483,RT,1,1450.00,,1,2026-01-10\n" + // 51 days out on 2026-03-02
		npi1 + ",M-2,PAY1,M2,2026-02-20,64483,RT,1,1450.00,,1,2026-02-25\n" + // 5 days: not yet
		npi1 + ",M-3,PAY2,M3,2026-01-05,64483,RT,1,1450.00,,1,2026-01-10\n" + // PAY2 waits 60 days
		npi1 + ",M-4,PAY1,M4,2026-01-05,64483,RT,1,1450.00,,1,2026-01-10\n" // remitted
	if _, err := s.LoadFile(ctx, "m.csv", []byte(csv), "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO payer_profiles (payer_id, missing_remit_days) SELECT id, 60 FROM payers WHERE payer_id_code = 'PAY2'`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO match_claims (file_id, segment_index, practice_id, payer_code, patient_control_number,
		status, claim_key, payment_key, billed_claim_id, method, confidence, charge, paid, patient_responsibility, review)
		SELECT 1, 10, 1, 'PAY1', 'M-4', '1', 'k', 'p', id, 'claim_and_procedure', 1, 0, 0, 0, false
		FROM billed_claims WHERE patient_control_number = 'M-4'`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE payers SET last_remittance_at = '2026-01-20' WHERE payer_id_code = 'PAY1'`); err != nil {
		t.Fatal(err)
	}
	asOf := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	miss, err := billedstore.Missing(ctx, db, billedstore.MissingFilter{AsOf: asOf})
	if err != nil {
		t.Fatal(err)
	}
	if len(miss) != 1 || miss[0].PatientControl != "M-1" || miss[0].DaysOut != 51 || miss[0].WindowDays != 30 || miss[0].Payer != "PAY1" {
		t.Errorf("missing remits %+v, want M-1 only, 51 days out of 30", miss)
	}
	payers, err := billedstore.Payers(ctx, db, 0, asOf)
	if err != nil {
		t.Fatal(err)
	}
	byCode := map[string]billedstore.PayerStatus{}
	for _, p := range payers {
		byCode[p.Code] = p
	}
	p1, p2 := byCode["PAY1"], byCode["PAY2"]
	if p1.MissingClaims != 1 || p1.DaysSinceRemittance == nil || *p1.DaysSinceRemittance != 41 || p2.LastRemittanceAt != nil ||
		p2.MissingRemitDays != 60 || p2.MissingClaims != 0 {
		t.Errorf("payers: %+v %+v", p1, p2)
	}
}

func TestHTTPUploads(t *testing.T) {
	db := newDB(t)
	svc := &billedstore.Service{Store: &billedstore.Store{DB: db}}
	mux := http.NewServeMux()
	svc.Register(mux)
	csv := header + npi1 + ",H-1,PAY1,M1,2026-02-02,64483,RT,1,1450.00,L1,1,2026-02-10\n"
	post := func(body []byte, ctype string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/v1/claims?filename=h.csv", bytes.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		req.Header.Set(billedstore.UserHeader, "ann")
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		return rec
	}
	if rec := post([]byte(csv), "text/csv"); rec.Code != 201 || !strings.Contains(rec.Body.String(), `"loaded":1`) {
		t.Errorf("first upload: %d %s", rec.Code, rec.Body)
	}
	if rec := post([]byte(csv), "text/csv"); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"unchanged":1`) {
		t.Errorf("second upload: %d %s", rec.Code, rec.Body)
	}
	if rec := post([]byte("not,a\nclaims,file\n"), "text/csv"); rec.Code != 422 || !strings.Contains(rec.Body.String(), `"code":"bad_file"`) {
		t.Errorf("bad file: %d %s", rec.Code, rec.Body)
	}
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	fw, _ := mw.CreateFormFile("file", "a.csv")
	fw.Write([]byte(strings.Replace(csv, "H-1", "H-2", 1)))
	fw, _ = mw.CreateFormFile("file", "b.csv")
	fw.Write([]byte(csv))
	mw.Close()
	if rec := post(mp.Bytes(), mw.FormDataContentType()); rec.Code != 200 || strings.Count(rec.Body.String(), `"source":"csv"`) != 2 {
		t.Errorf("multipart: %d %s", rec.Code, rec.Body)
	}
	if n := count(t, db, `SELECT count(*) FROM audit_log WHERE actor = 'ann'`); n != 4 {
		t.Errorf("%d audit entries by ann, want 4 (one per file loaded)", n)
	}
}
