package apisvc

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/remitq/remitq/pkg/billedstore"
	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/rules"
	"github.com/remitq/remitq/pkg/rulesstore"
	"github.com/remitq/remitq/pkg/synth"
	"github.com/remitq/remitq/x12"
)

// testPatientKeyer makes the fixture's patient keys.
var testPatientKeyer = func() *rules.Keyer {
	k, err := rules.NewKeyer([]byte("api-test-patient-key-secret-32b!"))
	if err != nil {
		panic(err)
	}
	return k
}()

// matrixPatientKey is a patient key the matrix's records name.
var matrixPatientKey = strings.Repeat("ab", 32)

func matrixAuths(t target) []map[string]any {
	return []map[string]any{{"auth_number": "MX-" + t.name, "patient_key": matrixPatientKey, "cpt_codes": []string{"64483"},
		"valid_from": "2026-01-01", "valid_to": "2026-12-31"}}
}

func matrixRelief() []map[string]any {
	return []map[string]any{{"patient_key": matrixPatientKey, "date": "2026-08-01", "percent": 90}}
}

// practiceNPI is the billing NPI of a fixture practice.
func (f *fx) practiceNPI(practice int64) string {
	if practice == f.p2 {
		return "1000000012"
	}
	return "1000000004"
}

// person is a patient of the rules tests.
type person struct{ member, birth, last, first string }

// claim837 is an 837P claim of practice, rendering provider npi, for
// patient p, one line per code on date.
func (f *fx) claim837(pcn string, practice int64, npi string, p person, date, auth string, codes ...string) *x12.Claim {
	c := &x12.Claim{
		BillingProvider: &x12.BillingProvider{Provider: x12.Provider{
			Name: x12.Name{Entity: "85", Type: "2", Last: "PRACTICE", IDQualifier: "XX", ID: f.practiceNPI(practice)},
			NPI:  f.practiceNPI(practice), Address: &x12.Address{Lines: []string{"1 MAIN ST"}, City: "MESA", State: "AZ", PostalCode: "85201"}}},
		Subscriber: &x12.Subscriber{Coverage: x12.Coverage{Responsibility: "P", Relationship: "18", FilingIndicator: "MB"},
			Insured: x12.Insured{EntityType: "1", LastName: p.last, FirstName: p.first, MemberIDQualifier: "MI", MemberID: p.member,
				BirthDate: x12.Date(p.birth), Gender: "F"}},
		Payer:                &x12.Payer{Name: "BIG PAYER", IDQualifier: "PI", PayerID: "BP1"},
		PatientControlNumber: pcn, PlaceOfService: "11", FacilityCodeQualifier: "B", FrequencyCode: "1",
		ProviderSignature: "Y", Assignment: "A", BenefitsAssignment: "Y", ReleaseOfInformation: "Y", PriorAuthorization: auth,
		Diagnoses: []x12.Diagnosis{{Qualifier: "ABK", Code: "M5416"}},
		Rendering: &x12.Provider{Name: x12.Name{Entity: "82", Type: "1", Last: "DOC", IDQualifier: "XX", ID: npi}, NPI: npi},
	}
	for i, code := range codes {
		c.Lines = append(c.Lines, &x12.ServiceLine{Number: i + 1, Procedure: x12.Procedure{Qualifier: "HC", Code: code},
			Charge: 10000, UnitBasis: "UN", Units: 1000, DiagnosisPointers: []int{1}, ServiceFrom: x12.Date(date), ServiceTo: x12.Date(date)})
		c.TotalCharge += 10000
	}
	return c
}

func write837(t testing.TB, claims ...*x12.Claim) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := synth.WriteClaims837(&b, claims, time.Date(2026, 9, 2, 0, 0, 0, 0, time.UTC), 7); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// check837 is the matrix's claim to check: a line of the target's
// practice and provider.
func (f *fx) check837(t target) string {
	c := f.claim837("CHK-"+t.name, t.practice, t.npi, person{"MX1", "1970-01-01", "ROE", "MATRIX"}, "2026-09-01", "", "64483")
	return string(write837(f.t, c))
}

// raw sends a request with a raw body as user.
func (f *fx) raw(user, method, path string, body []byte, hdr ...string) resp {
	f.t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+f.tokens[user])
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return resp{code: rec.Code, body: rec.Body.Bytes(), hdr: rec.Header()}
}

// TestClaimsCheck: the pre-bill check over stored history (loaded through
// billing, keyed), auths loaded through the API and relief; a clean claim
// answers nothing; scope and problems.
func TestClaimsCheck(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	pat := person{"W123-45", "1961-04-09", "Smithson", "Ann"}
	// Four ESI sessions at practice 1 in the last year, loaded as billed claims.
	var hist []*x12.Claim
	for i, d := range []string{"2025-10-01", "2026-01-05", "2026-04-01", "2026-07-01"} {
		hist = append(hist, f.claim837("H"+string(rune('A'+i)), f.p1, npiA, pat, d, "OLD", "64483"))
	}
	if res, err := (&billedstore.Store{DB: f.db, Keyer: testPatientKeyer}).LoadFile(ctx, "h.837", write837(t, hist...), "test"); err != nil || res.Loaded != 4 {
		t.Fatalf("history: %+v %v", res, err)
	}
	// The auth on file expired before the date of service.
	csv := "auth_number,member_id,birth_date,last_name,first_name,cpt_codes,valid_from,valid_to\n" +
		"A-9,W12345,19610409,SMITHSON,ANN,64483,2026-01-01,2026-08-31\n" +
		"A-10,W12345,19610409,,ANN,64483,2026-01-01,2026-08-31\n"
	r := f.raw("bill1", "POST", "/v1/auths", []byte(csv))
	var rr RecordsResult
	r.decode(t, &rr)
	if r.code != http.StatusOK || rr.Inserted != 1 || rr.PracticeID != f.p1 || len(rr.Problems) != 1 || rr.Problems[0].Row != 3 {
		t.Fatalf("auths: %d %s", r.code, r.body)
	}
	if strings.Contains(string(r.body), "W12345") || strings.Contains(string(r.body), "ANN") {
		t.Errorf("PHI in %s", r.body)
	}
	if r = f.raw("bill1", "POST", "/v1/auths", []byte(csv)); !strings.Contains(string(r.body), `"unchanged":1`) {
		t.Errorf("auths again: %s", r.body)
	}

	body := write837(t, f.claim837("NEW-1", f.p1, npiA, pat, "2026-09-01", "A-9", "64483"))
	r = f.raw("bill1", "POST", "/v1/claims/check", body)
	var fs []rules.Finding
	r.decode(t, &fs)
	var got []string
	for _, x := range fs {
		got = append(got, x.Claim+"/"+x.Rule)
		if x.Line != 1 || x.Procedure != "64483" || x.Severity == "" || x.Source == "" || x.Message == "" {
			t.Errorf("finding %+v", x)
		}
	}
	if strings.Join(got, " ") != "NEW-1/frequency_cap NEW-1/prior_auth_expired" {
		t.Errorf("findings %v: %s", got, r.body)
	}
	var n int
	if err := f.db.Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'claims.check' AND practice_id = $1
		AND detail->>'findings' = '2' AND detail::text NOT LIKE '%W123%'`, f.p1); err != nil || n != 1 {
		t.Errorf("audit rows %d (%v)", n, err)
	}
	// One object per line on request; the JSON form of the body.
	r = f.do("bill1", "POST", "/v1/claims/check", map[string]any{"x12": string(body)}, "Accept", "application/x-ndjson")
	if lines := strings.Split(strings.TrimSpace(string(r.body)), "\n"); r.code != http.StatusOK || len(lines) != 2 ||
		r.hdr.Get("Content-Type") != "application/x-ndjson" {
		t.Errorf("ndjson: %d %q", r.code, r.body)
	}
	// A clean claim: nothing.
	clean := write837(t, f.claim837("NEW-2", f.p1, npiA, pat, "2026-09-01", "", "99213"))
	if r = f.raw("bill1", "POST", "/v1/claims/check", clean); r.code != http.StatusOK || strings.TrimSpace(string(r.body)) != "[]" {
		t.Errorf("clean: %d %s", r.code, r.body)
	}
	if r = f.raw("bill1", "POST", "/v1/claims/check", clean, "Accept", "application/x-ndjson"); r.code != http.StatusOK || len(r.body) != 0 {
		t.Errorf("clean ndjson: %d %q", r.code, r.body)
	}
	// Scope: another practice's biller, a provider-scoped biller and an
	// unregistered practice get 404.
	for _, c := range []struct {
		user string
		body []byte
	}{
		{"bill2", body},
		{"billa", write837(t, f.claim837("NEW-3", f.p1, npiB, pat, "2026-09-01", "", "99213"))},
		{"admin", bytes.ReplaceAll(body, []byte("1000000004"), []byte("1999999999"))},
	} {
		if r = f.raw(c.user, "POST", "/v1/claims/check", c.body); r.code != http.StatusNotFound {
			t.Errorf("%s: %d %s", c.user, r.code, r.body)
		}
	}
	// A claim without a birth date cannot be checked.
	nodob := f.claim837("NEW-4", f.p1, npiA, person{"W9", "", "ROE", "X"}, "2026-09-01", "", "99213")
	nodob.Subscriber.BirthDate = ""
	r = f.raw("bill1", "POST", "/v1/claims/check", write837(t, nodob))
	if r.code != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), `"clm01":"NEW-4"`) || strings.Contains(string(r.body), "W9") {
		t.Errorf("no birth date: %d %s", r.code, r.body)
	}
	for _, b := range [][]byte{[]byte("not x12"), []byte(`{"x12": "nope"}`)} {
		if r = f.raw("bill1", "POST", "/v1/claims/check", b); r.code != http.StatusBadRequest {
			t.Errorf("%q: %d", b, r.code)
		}
	}
	// Without a patient-key secret the check cannot run.
	f.s.opts.PatientKeyer = nil
	t.Setenv("REMITQ_PATIENT_KEY", "")
	t.Setenv("REMITQ_PATIENT_KEY_FILE", "")
	if r = f.raw("bill1", "POST", "/v1/claims/check", body); r.code != http.StatusServiceUnavailable {
		t.Errorf("no secret: %d %s", r.code, r.body)
	}
}

// TestAuthsAndRelief: loads by practice in scope, lists by patient key or
// number within the caller's practices, problems by row.
func TestAuthsAndRelief(t *testing.T) {
	f := newFixture(t)
	k, _ := testPatientKeyer.Key(rules.Person{MemberID: "W1", BirthDate: "1961-04-09", LastName: "ROE", FirstName: "ANN"})
	auths := []map[string]any{
		{"auth_number": "a-1", "member_id": "W1", "birth_date": "1961-04-09", "last_name": "ROE", "first_name": "ANN",
			"cpt_codes": []string{"64483", "64484"}, "valid_from": "2026-01-01", "valid_to": "2026-06-30", "units": 2},
		{"auth_number": "A-2", "patient_key": "xyz", "cpt_codes": "64493", "valid_from": "2026-01-01", "valid_to": "2026-06-30"},
	}
	r := f.do("sup2", "POST", "/v1/auths", auths)
	var rr RecordsResult
	r.decode(t, &rr)
	if r.code != http.StatusOK || rr.PracticeID != f.p2 || rr.Inserted != 1 || len(rr.Problems) != 1 || rr.Problems[0].Column != "patient_key" {
		t.Fatalf("auths: %d %s", r.code, r.body)
	}
	for _, c := range []struct {
		user, path string
		want       int
	}{
		{"sup2", "/v1/auths?practice_id=" + itoa(f.p1), http.StatusNotFound},
		{"admin", "/v1/auths", http.StatusBadRequest},
		{"admin", "/v1/auths?practice_id=99999", http.StatusNotFound},
		{"an1", "/v1/auths", http.StatusForbidden},
	} {
		if r := f.do(c.user, "POST", c.path, auths); r.code != c.want {
			t.Errorf("%s %s: %d %s", c.user, c.path, r.code, r.body)
		}
	}
	list := func(user, q string) []AuthView {
		t.Helper()
		r := f.do(user, "GET", "/v1/auths?"+q, nil)
		var out struct{ Auths []AuthView }
		r.decode(t, &out)
		if r.code != http.StatusOK {
			t.Fatalf("%s %s: %d %s", user, q, r.code, r.body)
		}
		return out.Auths
	}
	if a := list("bill2", "patient="+k.String()); len(a) != 1 || a[0].Number != "A-1" || a[0].Units != 2 || a[0].PatientKey != k.String() ||
		a[0].ValidTo != day.Must("2026-06-30") || a[0].Source != rulesstore.SourceJSON || len(a[0].Codes) != 2 {
		t.Errorf("bill2: %+v", a)
	}
	if a := list("admin", "number=a-1"); len(a) != 1 {
		t.Errorf("admin by number: %+v", a)
	}
	if a := list("bill1", "patient="+k.String()); len(a) != 0 {
		t.Errorf("another practice's biller sees %+v", a)
	}
	if a := list("bill2", "patient="+k.String()+"&practice_id="+itoa(f.p1)); len(a) != 0 {
		t.Errorf("practice out of scope: %+v", a)
	}
	for _, q := range []string{"", "patient=12"} {
		if r := f.do("bill2", "GET", "/v1/auths?"+q, nil); r.code != http.StatusBadRequest {
			t.Errorf("?%s: %d", q, r.code)
		}
	}
	var n int
	if err := f.db.Get(&n, `SELECT count(*) FROM audit_log WHERE action IN ('prior_auth.load', 'prior_auth.view')`); err != nil || n < 5 {
		t.Errorf("audit rows %d (%v)", n, err)
	}
	// Relief: CSV with a patient key; a bad percent is a problem.
	csv := "patient_key,date,level,percent\n" + k.String() + ",2026-03-01,L4-5,85%\n" + k.String() + ",2026-03-15,,120\n"
	r = f.raw("bill2", "POST", "/v1/relief", []byte(csv))
	r.decode(t, &rr)
	if r.code != http.StatusOK || rr.Inserted != 1 || len(rr.Problems) != 1 || rr.Problems[0].Row != 3 {
		t.Errorf("relief: %d %s", r.code, r.body)
	}
	rel, err := rulesstore.LoadRelief(context.Background(), f.db, []rules.PatientKey{k})
	if err != nil || len(rel) != 1 || rel[0].Relief.Level != "L4-L5" || rel[0].Relief.Percent != 85 || rel[0].PracticeID != f.p2 {
		t.Errorf("stored relief %+v %v", rel, err)
	}
}

// TestSharingAPI: admins declare groups and switch cross-practice counting.
func TestSharingAPI(t *testing.T) {
	f := newFixture(t)
	var p rulesstore.Policy
	r := f.do("admin", "PUT", "/v1/sharing/groups/north", map[string]any{"practice_ids": []int64{f.p2, f.p1}})
	r.decode(t, &p)
	if r.code != http.StatusOK || len(p.Groups) != 1 || p.Groups[0].Name != "north" || len(p.Groups[0].Practices) != 2 {
		t.Fatalf("put group: %d %s", r.code, r.body)
	}
	for _, c := range []struct {
		path string
		body any
	}{
		{"/v1/sharing/groups/bad%20name", map[string]any{"practice_ids": []int64{f.p1, f.p2}}},
		{"/v1/sharing/groups/one", map[string]any{"practice_ids": []int64{f.p1}}},
		{"/v1/sharing/groups/ghost", map[string]any{"practice_ids": []int64{f.p1, 99999}}},
		{"/v1/sharing/groups/x", map[string]any{"practices": []int64{f.p1, f.p2}}},
	} {
		if r := f.do("admin", "PUT", c.path, c.body); r.code != http.StatusBadRequest {
			t.Errorf("%s: %d %s", c.path, r.code, r.body)
		}
	}
	if r := f.do("admin", "PUT", "/v1/sharing", map[string]any{"cross_practice": false}); r.code != http.StatusBadRequest {
		t.Errorf("one switch: %d", r.code)
	}
	r = f.do("admin", "PUT", "/v1/sharing", map[string]any{"cross_practice": false, "same_tin": true})
	r.decode(t, &p)
	if r.code != http.StatusOK || p.CrossPractice || !p.SameTIN {
		t.Errorf("switches: %d %s", r.code, r.body)
	}
	if r := f.do("sup1", "GET", "/v1/sharing", nil); r.code != http.StatusForbidden {
		t.Errorf("supervisor: %d", r.code)
	}
	for i := 0; i < 2; i++ {
		if r := f.do("admin", "DELETE", "/v1/sharing/groups/north", nil); r.code != http.StatusNoContent {
			t.Errorf("delete %d: %d", i, r.code)
		}
	}
	r = f.do("admin", "GET", "/v1/sharing", nil)
	if r.decode(t, &p); len(p.Groups) != 0 {
		t.Errorf("after delete: %s", r.body)
	}
	var n int
	if err := f.db.Get(&n, `SELECT count(*) FROM audit_log WHERE action LIKE 'sharing%'`); err != nil || n != 4 {
		t.Errorf("audit rows %d (%v)", n, err)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }
