package apisvc

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Attack 2 (regression tests: each defence here held when written).

// withPayeeTwice inserts a second N1*PE loop naming npi into an 835 made
// by remit835: before the second CLP (mid-file) or right after the first
// payee (first).
func withPayeeTwice(t *testing.T, raw []byte, npi string, midFile bool) []byte {
	t.Helper()
	seg := []byte("N1*PE*SECOND PAYEE*XX*" + npi + "~")
	at := -1
	if midFile {
		first := bytes.Index(raw, []byte("~CLP*"))
		if first < 0 {
			t.Fatal("no CLP")
		}
		next := bytes.Index(raw[first+1:], []byte("~CLP*"))
		if next < 0 {
			t.Fatal("no second CLP")
		}
		at = first + 1 + next + 1
	} else {
		i := bytes.Index(raw, []byte("N1*PE*"))
		at = i + bytes.IndexByte(raw[i:], '~') + 1
	}
	return append(append(append([]byte{}, raw[:at]...), seg...), raw[at:]...)
}

// TestAttack2PayeeReassignedMidFile: an 835 whose transaction names a
// second payee (N1*PE) of another tenant, before or after its own, sent by
// a biller of practice 1, stores nothing in practice 2 and is never a 5xx.
func TestAttack2PayeeReassignedMidFile(t *testing.T) {
	p := newProc(t)
	before := p.count(`SELECT count(*) FROM claim_payments WHERE practice_id = $1`, p.p2)
	beforeTx := p.count(`SELECT count(*) FROM remittance_transactions WHERE practice_id = $1`, p.p2)
	for i, c := range []struct {
		name        string
		first, then string
		mid         bool
	}{
		{"own then other, mid-file", npiP1, npiP2, true},
		{"own then other, adjacent", npiP1, npiP2, false},
		{"other then own, mid-file", npiP2, npiP1, true},
		{"other then own, adjacent", npiP2, npiP1, false},
	} {
		raw := withPayeeTwice(t, remit835(t, uint64(7100+i), c.first), c.then, c.mid)
		r := p.send("bill1", "POST", "/v1/remittances?filename=two-payees.835", raw)
		if r.code >= 500 {
			t.Errorf("%s: %d %s", c.name, r.code, r.body)
		}
		if r.code < 300 && c.first == npiP2 {
			t.Errorf("%s: a file paying practice 2 first was accepted from bill1: %d %s", c.name, r.code, r.body)
		}
		t.Logf("%s: %d %.300s", c.name, r.code, r.body)
	}
	if n := p.count(`SELECT count(*) FROM claim_payments WHERE practice_id = $1`, p.p2); n != before {
		t.Errorf("%d claim payments stored in practice 2 by bill1", n-before)
	}
	if n := p.count(`SELECT count(*) FROM remittance_transactions WHERE practice_id = $1`, p.p2); n != beforeTx {
		t.Errorf("%d transactions stored in practice 2 by bill1", n-beforeTx)
	}
}

// TestAttack2DuplicateKeysInGuardedBodies: a body naming practice_id (or
// billed_claim_id) twice, or in another letter case, is read the same way
// by the guard and by the component: the last value wins in both, so the
// guard never approves a value the component does not use.
func TestAttack2DuplicateKeysInGuardedBodies(t *testing.T) {
	p := newProc(t)
	p.matrixSetup()
	rulesP2 := p.count(`SELECT count(*) FROM queue_rules WHERE practice_id = $1`, p.p2)
	for _, body := range []string{
		fmt.Sprintf(`{"practice_id": %d, "practice_id": %d, "queue_name": "dup-a"}`, p.p1, p.p2),
		fmt.Sprintf(`{"practice_id": %d, "PRACTICE_ID": %d, "queue_name": "dup-b"}`, p.p1, p.p2),
		fmt.Sprintf(`{"Practice_Id": %d, "practice_id": %d, "queue_name": "dup-c"}`, p.p1, p.p2),
		fmt.Sprintf(`{"practice_id": %d, "practice_ıd": %d, "queue_name": "dup-d"}`, p.p1, p.p2),
		fmt.Sprintf(`{"practice_id": %d, "practice\u005fid": %d, "queue_name": "dup-e"}`, p.p1, p.p2),
	} {
		r := p.send("sup1", "POST", "/v1/queue-rules", []byte(body))
		if r.code >= 500 {
			t.Errorf("%s: %d %s", body, r.code, r.body)
		}
		t.Logf("%s: %d %.200s", body, r.code, r.body)
	}
	if n := p.count(`SELECT count(*) FROM queue_rules WHERE practice_id = $1`, p.p2); n != rulesP2 {
		t.Errorf("sup1 created %d rules of practice 2", n-rulesP2)
	}
	// The pick: own billed claim first, practice 2's last.
	lines := p.count(`SELECT count(*) FROM line_matches WHERE billed_claim_id = $1`, p.billedOf[p.p2])
	body := fmt.Sprintf(`{"billed_claim_id": %d, "billed_claim_id": %d}`, p.billedOf[p.p1], p.billedOf[p.p2])
	r := p.send("bill1", "POST", fmt.Sprint("/v1/match/lines/", p.fileP1, "/31/pick"), []byte(body))
	if r.code >= 500 || r.code < 300 {
		t.Errorf("pick with a duplicate key: %d %s", r.code, r.body)
	}
	if n := p.count(`SELECT count(*) FROM line_matches WHERE billed_claim_id = $1`, p.billedOf[p.p2]); n != lines {
		t.Errorf("bill1 linked a line to practice 2's billed claim")
	}
}

// TestAttack2OtherUsersKeys: a biller or a supervisor asking for another
// user's API keys (by user_id, in any spelling) gets 404 and no key.
func TestAttack2OtherUsersKeys(t *testing.T) {
	f := newFixture(t)
	other := f.users["bill2"].ID
	for _, user := range []string{"bill1", "sup1", "an1", "sup2"} {
		for _, q := range []string{fmt.Sprint(other), fmt.Sprint("+", other), fmt.Sprint("0", other), fmt.Sprint(other, " "),
			fmt.Sprint(f.users[user].ID, "&user_id=", other)} {
			r := f.do(user, "GET", "/v1/api-keys?user_id="+strings.ReplaceAll(q, " ", "%20"), nil)
			if r.code >= 500 {
				t.Errorf("%s user_id=%q: %d %s", user, q, r.code, r.body)
			}
			if r.code == http.StatusOK && strings.Contains(string(r.body), fmt.Sprintf(`"user_id":%d`, other)) {
				t.Errorf("%s user_id=%q: another user's keys: %s", user, q, r.body)
			}
		}
		// Revoking them: refused, nothing revoked.
		r := f.do(user, "DELETE", fmt.Sprint("/v1/api-keys/", f.keys["bill2"]), nil)
		if user != "bill2" && r.code < 300 {
			t.Errorf("%s revoked bill2's key: %d", user, r.code)
		}
	}
	var revoked int
	if err := f.db.QueryRow(`SELECT count(*) FROM api_keys WHERE id = $1 AND revoked_at IS NOT NULL`, f.keys["bill2"]).Scan(&revoked); err != nil {
		t.Fatal(err)
	}
	if revoked != 0 {
		t.Errorf("bill2's key was revoked by another user")
	}
}

// TestAttack2PatientPaymentsOtherPractice: a patient-payments CSV sent for
// practice 1 whose rows name practice 2's NPI is refused whole (4xx), and
// nothing is stored in either practice.
func TestAttack2PatientPaymentsOtherPractice(t *testing.T) {
	f := newFixture(t)
	csv := "practice_npi,payment_id,account,claim_id,service_date,amount,paid_date,method\n" +
		"1000000004,PAY-1,ACC-1,PCN-A-0001,2026-09-01,10.00,2026-10-02,card\n" +
		"1000000012,PAY-2,ACC-2,PCN-C-0003,2026-09-01,10.00,2026-10-02,card\n"
	r := f.do("bill1", "POST", fmt.Sprint("/v1/patient-payments?practice_id=", f.p1), rawBody(csv))
	t.Logf("%d %s", r.code, r.body)
	if r.code < 400 || r.code >= 500 {
		t.Errorf("mixed practices: %d %s", r.code, r.body)
	}
	var n int
	if err := f.db.QueryRow(`SELECT count(*) FROM patient_payments`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d patient payments stored", n)
	}
	// Naming practice 2 outright.
	if r := f.do("bill1", "POST", fmt.Sprint("/v1/patient-payments?practice_id=", f.p2), rawBody(csv)); r.code != http.StatusNotFound {
		t.Errorf("practice 2 named by bill1: %d %s", r.code, r.body)
	}
}

// TestAttack2ClaimsCheckNoLinesOracle: the pre-bill check's scope test is
// on the rendering providers of a claim's lines. A claim with no lines, of
// another tenant's billing NPI, must be answered as one of an unregistered
// NPI (the answer never tells whether another client exists) and never
// audited as a check of that practice.
func TestAttack2ClaimsCheckNoLinesOracle(t *testing.T) {
	f := newFixture(t)
	pat := person{"Z1", "1970-01-01", "ROE", "ZED"}
	other := write837(t, f.claim837("NOLINE-1", f.p2, npiC, pat, "2026-09-01", ""))
	unknown := bytes.ReplaceAll(other, []byte("1000000012"), []byte("1999999999"))
	ro := f.raw("bill1", "POST", "/v1/claims/check", other)
	ru := f.raw("bill1", "POST", "/v1/claims/check", unknown)
	t.Logf("other tenant: %d %.200s; unregistered: %d %.200s", ro.code, ro.body, ru.code, ru.body)
	if ro.code != ru.code || ro.code == http.StatusOK {
		t.Errorf("a line-less claim of practice 2: %d; of an unregistered NPI: %d", ro.code, ru.code)
	}
	var n int
	if err := f.db.QueryRow(`SELECT count(*) FROM audit_log WHERE action = 'claims.check' AND practice_id = $1 AND user_id = $2`,
		f.p2, f.users["bill1"].ID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d audit rows of bill1 checking practice 2's claims", n)
	}
}

// TestAttack2UploadRenamesSharedPayer: payers are one table for every
// tenant, and an ingested 835 overwrites the name of the payer whose code
// (REF*2U) it names. A biller of practice 1, sending an ordinary 835 for
// its own practice, renames the payer every other practice sees in its
// lists, reports and exports: a write outside the caller's scope.
func TestAttack2UploadRenamesSharedPayer(t *testing.T) {
	p := newProc(t)
	raw := remit835(t, 7200, npiP1)
	raw = bytes.Replace(raw, []byte("N1*PR*SYNTHETIC HEALTH PLAN"), []byte(`N1*PR*=HYPERLINK("http://evil.example/","Big Payer")`), 1)
	raw = bytes.Replace(raw, []byte("REF*2U*SYN01"), []byte("REF*2U*BP1"), 1)
	r := p.send("bill1", "POST", "/v1/remittances?filename=rename.835", raw)
	if r.code >= 500 {
		t.Fatalf("upload: %d %s", r.code, r.body)
	}
	t.Logf("upload: %d %.200s", r.code, r.body)
	var name string
	if err := p.db.Get(&name, `SELECT name FROM payers WHERE payer_id_code = 'BP1'`); err != nil {
		t.Fatal(err)
	}
	if name != "Big Payer" {
		t.Errorf("bill1 (practice 1) renamed the payer practice 2 sees to %q", name)
	}
	// Practice 2's supervisor sees the new name.
	r = p.send("sup2", "GET", "/v1/work-items?practice_id="+strconv.FormatInt(p.p2, 10), nil)
	if strings.Contains(string(r.body), "HYPERLINK") {
		t.Errorf("practice 2's work list shows the name bill1 chose: %.300s", r.body)
	}
}

// TestAttack2UserCreateRace: POST /v1/users refuses an email that exists
// (409: "change it with PATCH"), so that posting an email again never
// rewrites a user's role and scopes. The check reads the user, then
// auth.AddUser upserts by email: two posts of one email at once both pass
// the check, and the second rewrites the first's role and scopes.
func TestAttack2UserCreateRace(t *testing.T) {
	f := newFixture(t)
	rewritten := 0
	for round := range 12 {
		email := fmt.Sprintf("race-%d@x.test", round)
		bodies := []map[string]any{
			{"email": email, "role": "analyst", "scopes": []map[string]any{{"practice_id": f.p1}}},
			{"email": email, "role": "supervisor", "scopes": []map[string]any{{"practice_id": f.p2}}},
		}
		codes := make([]int, 2)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range bodies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				codes[i] = f.do("admin", "POST", "/v1/users", bodies[i]).code
			}()
		}
		close(start)
		wg.Wait()
		if codes[0] >= 500 || codes[1] >= 500 {
			t.Errorf("round %d: %v", round, codes)
		}
		if codes[0] == http.StatusCreated && codes[1] == http.StatusCreated {
			rewritten++
		}
	}
	if rewritten > 0 {
		t.Errorf("%d of 12 rounds: both posts of one email answered 201 (the second rewrote the first user's role and scopes)", rewritten)
	}
}

// TestAttack2ResendCheckCrossesTenants: the duplicate-transmission check
// (same sender, ISA13 and TRN02 as a stored file) looks at every
// practice's files. A biller of practice 1 who sends a file for its own
// practice with the sender, interchange number and trace numbers that
// practice 2's next remittance will carry (sequential, guessable) gets
// practice 2's real remittance quarantined as a "duplicate": its payments
// are never posted. The other way round, the refusal names another
// tenant's file id and receipt date.
func TestAttack2ResendCheckCrossesTenants(t *testing.T) {
	p := newProc(t)
	// Practice 1's biller goes first, with practice 2's numbers.
	r := p.send("bill1", "POST", "/v1/remittances?filename=squat.835", remit835(t, 7300, npiP1))
	if r.code != http.StatusCreated {
		t.Fatalf("bill1's own file: %d %s", r.code, r.body)
	}
	var squat struct {
		FileID int64 `json:"file_id"`
	}
	r.decode(t, &squat)
	// Practice 2's real remittance.
	r = p.send("bill2", "POST", "/v1/remittances?filename=real.835", remit835(t, 7300, npiP2))
	if r.code != http.StatusCreated {
		t.Errorf("practice 2's remittance after bill1's file with its numbers: %d %.300s", r.code, r.body)
	}
	if strings.Contains(string(r.body), fmt.Sprintf("file %d ", squat.FileID)) {
		t.Errorf("bill2's answer names practice 1's file %d", squat.FileID)
	}
}

// TestAttack2FreeTextOutsidePHIRoutes: notes are PHI (work.phi, audited
// reads), but the other free text billers type about the patient — a
// write-off's resolution and a late appeal's override_reason — may be
// served on routes without PHI (the work-item lists, the item's events)
// to an analyst, whose role may not read PHI, with no PHI read audited.
// Found: the lists show resolution, the events route override_reason.
func TestAttack2FreeTextOutsidePHIRoutes(t *testing.T) {
	f := newFixture(t)
	const secretA = "Patient Alpha Doe passed away, member M-A-SECRET"
	const secretB = "Pt Bravo Doe was in hospital, DOB 1950-01-02"
	r := f.do("bill1", "PATCH", fmt.Sprint("/v1/work-items/", f.itemA), map[string]any{"status": "written_off", "resolution": secretA},
		"If-Match", f.version(f.itemA))
	if r.code != http.StatusOK {
		t.Fatalf("write-off: %d %s", r.code, r.body)
	}
	f.exec(`UPDATE work_items SET appeal_deadline = '2026-11-01' WHERE id = $1`, f.itemB)
	r = f.do("bill1", "PATCH", fmt.Sprint("/v1/work-items/", f.itemB), map[string]any{"status": "appealed", "appealed_on": "2026-11-10",
		"override_reason": secretB}, "If-Match", f.version(f.itemB))
	if r.code != http.StatusOK {
		t.Fatalf("late appeal: %d %s", r.code, r.body)
	}
	for _, path := range []string{
		fmt.Sprint("/v1/work-items?practice_id=", f.p1),
		fmt.Sprint("/v1/work-items?practice_id=", f.p1, "&status=written_off"),
		fmt.Sprint("/v1/work-items?practice_id=", f.p1, "&open=false"),
		fmt.Sprint("/v1/queues/", f.queueP1, "/work-items?status=written_off"),
		fmt.Sprint("/v1/work-items/", f.itemA, "/events"),
		fmt.Sprint("/v1/work-items/", f.itemB, "/events"),
	} {
		r := f.do("an1", "GET", path, nil)
		for _, secret := range []string{secretA, secretB} {
			if strings.Contains(string(r.body), secret) {
				t.Errorf("analyst GET %s (%d): free text about the patient: %q", path, r.code, secret)
			}
		}
	}
}

// TestAttack2PlantedFileHeld: a biller's file for a payee NPI no practice
// has yet is kept for its uploader, but when an admin registers a
// practice with that NPI it is not ingested into it on its own (a biller
// could plant payments in a future client): it is listed in files_held; a
// biller cannot release it, the admin can (audited), once. An admin's own
// file for an unknown payee is ingested at registration as before.
func TestAttack2PlantedFileHeld(t *testing.T) {
	p := newProc(t)
	const planted, adminNPI = "1245319599", "1093817462"
	upload := func(user, npi string, seed uint64) int64 {
		t.Helper()
		r := p.send(user, "POST", "/v1/remittances?filename=future.835", remit835(t, seed, npi))
		if r.code != http.StatusCreated {
			t.Fatalf("%s's upload: %d %s", user, r.code, r.body)
		}
		var f struct {
			FileID int64  `json:"file_id"`
			Status string `json:"status"`
		}
		r.decode(t, &f)
		if f.Status != "unknown_payee" {
			t.Fatalf("%s's upload: %s", user, r.body)
		}
		return f.FileID
	}
	held := upload("bill1", planted, 7400)
	mine := upload("admin", adminNPI, 7401)
	claims := p.count(`SELECT count(*) FROM claim_payments`)
	r := p.send("admin", "POST", "/v1/practices", []byte(`{"name": "Future Client", "npi": "`+planted+`"}`))
	if r.code != http.StatusCreated {
		t.Fatalf("register: %d %s", r.code, r.body)
	}
	var out struct {
		ID            int64   `json:"id"`
		FilesIngested []int64 `json:"files_ingested"`
		FilesHeld     []int64 `json:"files_held"`
	}
	r.decode(t, &out)
	if len(out.FilesIngested) != 0 || len(out.FilesHeld) != 1 || out.FilesHeld[0] != held {
		t.Errorf("register with bill1's file %d waiting: %s", held, r.body)
	}
	if n := p.count(`SELECT count(*) FROM claim_payments`); n != claims {
		t.Errorf("bill1's planted file posted %d claim payments into the new practice", n-claims)
	}
	for _, u := range []string{"bill1", "sup1"} {
		if r := p.send(u, "POST", fmt.Sprintf("/v1/files/%d/release", held), nil); r.code != http.StatusForbidden && r.code != http.StatusNotFound {
			t.Errorf("%s releases the held file: %d %s", u, r.code, r.body)
		}
	}
	if n := p.count(`SELECT count(*) FROM claim_payments`); n != claims {
		t.Errorf("a non-admin's release posted %d claim payments", n-claims)
	}
	r = p.send("admin", "POST", fmt.Sprintf("/v1/files/%d/release", held), nil)
	if r.code != http.StatusOK || !strings.Contains(string(r.body), `"ingested"`) {
		t.Fatalf("admin release: %d %s", r.code, r.body)
	}
	if n := p.count(`SELECT count(*) FROM claim_payments`); n == claims {
		t.Error("the released file posted nothing")
	}
	if n := p.count(fmt.Sprintf(`SELECT count(*) FROM audit_log WHERE action = 'file.release' AND entity_id = '%d' AND practice_id = %d
		AND detail->>'released' = 'true'`, held, out.ID)); n != 1 {
		t.Errorf("%d audit rows of the release", n)
	}
	after := p.count(`SELECT count(*) FROM claim_payments`)
	if r := p.send("admin", "POST", fmt.Sprintf("/v1/files/%d/release", held), nil); r.code != http.StatusOK || !strings.Contains(string(r.body), `"released":false`) {
		t.Errorf("release again: %d %s", r.code, r.body)
	}
	if n := p.count(`SELECT count(*) FROM claim_payments`); n != after {
		t.Errorf("a second release posted %d claim payments", n-after)
	}
	// A file whose payee is still unknown cannot be released.
	waiting := upload("bill1", "1093817470", 7402)
	if r := p.send("admin", "POST", fmt.Sprintf("/v1/files/%d/release", waiting), nil); r.code != http.StatusConflict {
		t.Errorf("release of a file whose payee is unknown: %d %s", r.code, r.body)
	}
	// The admin's own file is ingested at its practice's registration.
	r = p.send("admin", "POST", "/v1/practices", []byte(`{"name": "Admin Client", "npi": "`+adminNPI+`"}`))
	if r.code != http.StatusCreated || !strings.Contains(string(r.body), fmt.Sprintf(`"files_ingested":[%d]`, mine)) {
		t.Errorf("register the admin's payee: %d %s", r.code, r.body)
	}
}
