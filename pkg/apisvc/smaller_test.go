package apisvc

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/remitq/remitq/pkg/auth"
)

// TestRepostDisabledUser (seen 6): posting the email of a disabled user
// again is a conflict; the account stays disabled.
func TestRepostDisabledUser(t *testing.T) {
	f := newFixture(t)
	victim := f.users["bill1b"]
	if r := f.do("admin", "PATCH", fmt.Sprint("/v1/users/", victim.ID), map[string]any{"disabled": true}); r.code != http.StatusOK {
		t.Fatalf("disable: %d %s", r.code, r.body)
	}
	r := f.do("admin", "POST", "/v1/users", map[string]any{"email": victim.Email, "role": "supervisor",
		"scopes": []map[string]any{{"practice_id": f.p2}}})
	if r.code != http.StatusConflict {
		t.Errorf("re-post of a disabled user's email: %d %s", r.code, r.body)
	}
	u, err := auth.UserByID(t.Context(), f.db, victim.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !u.Disabled || u.Role != auth.Biller || len(u.Scopes) != 1 || u.Scopes[0].PracticeID != f.p1 {
		t.Errorf("the user was changed: %+v", u)
	}
	if r := f.do("bill1b", "GET", "/v1/me", nil); r.code != http.StatusUnauthorized {
		t.Errorf("the disabled user's token: %d", r.code)
	}
	// Even the library call that upserts does not enable it.
	again := &auth.User{Email: victim.Email, Role: auth.Biller, Scopes: []auth.Scope{{PracticeID: f.p1}}}
	if err := auth.AddUser(t.Context(), f.db, again); err != nil {
		t.Fatal(err)
	}
	if u, _ := auth.UserByID(t.Context(), f.db, victim.ID); !u.Disabled {
		t.Error("AddUser enabled a disabled user")
	}
}

// TestNULInBodies (seen 6): a NUL in a note (or any string of a body) is a
// 400, not a database error.
func TestNULInBodies(t *testing.T) {
	f := newFixture(t)
	notes := 0
	_ = f.db.QueryRow(`SELECT count(*) FROM work_item_notes`).Scan(&notes)
	r := f.do("bill1", "POST", fmt.Sprint("/v1/work-items/", f.itemA, "/notes"), map[string]any{"body": "called\x00 the payer"})
	if r.code != http.StatusBadRequest || !strings.Contains(string(r.body), "NUL") {
		t.Errorf("note with a NUL: %d %s", r.code, r.body)
	}
	r = f.do("bill1", "PATCH", fmt.Sprint("/v1/work-items/", f.itemA), map[string]any{"status": "written_off", "resolution": "x\x00"},
		"If-Match", f.version(f.itemA))
	if r.code != http.StatusBadRequest {
		t.Errorf("resolution with a NUL: %d %s", r.code, r.body)
	}
	var after int
	_ = f.db.QueryRow(`SELECT count(*) FROM work_item_notes`).Scan(&after)
	if after != notes {
		t.Errorf("%d notes stored", after-notes)
	}
}

func (f *fx) token(claims jwt.MapClaims) string {
	f.t.Helper()
	claims["exp"] = time.Now().Add(time.Hour).Unix()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(testKey)
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

// TestEmailClaimNeedsVerification (seen 6): the email claim names the user
// only when email_verified is true; the identity is issuer + subject, bound
// to its user on first use.
func TestEmailClaimNeedsVerification(t *testing.T) {
	f := newFixture(t)
	me := func(tok string) (int, int64) {
		t.Helper()
		r := f.do("", "GET", "/v1/me", nil, "Authorization", "Bearer "+tok)
		var out struct {
			UserID int64 `json:"user_id"`
		}
		if r.code == http.StatusOK {
			r.decode(t, &out)
		}
		return r.code, out.UserID
	}
	admin := f.users["admin"]
	// An unverified email claim does not override the subject.
	if code, uid := me(f.token(jwt.MapClaims{"sub": f.users["bill1"].Email, "email": admin.Email})); code != http.StatusOK || uid != f.users["bill1"].ID {
		t.Errorf("unverified email claim: %d as user %d, want bill1 (%d)", code, uid, f.users["bill1"].ID)
	}
	if code, _ := me(f.token(jwt.MapClaims{"sub": "idp|777", "email": admin.Email, "email_verified": false})); code != http.StatusUnauthorized {
		t.Errorf("unverified email of the admin with a foreign subject: %d", code)
	}
	// Verified: the email finds the user, and binds the subject.
	if code, uid := me(f.token(jwt.MapClaims{"iss": "", "sub": "idp|42", "email": f.users["bill2"].Email, "email_verified": true})); code != http.StatusOK || uid != f.users["bill2"].ID {
		t.Fatalf("verified email: %d as %d", code, uid)
	}
	// An opaque subject without a verified email names nobody until it is
	// bound.
	opaque := f.token(jwt.MapClaims{"iss": "https://idp.example", "sub": "00u-opaque"})
	if code, _ := me(opaque); code != http.StatusUnauthorized {
		t.Errorf("unbound opaque subject: %d", code)
	}
	if err := auth.BindIdentity(t.Context(), f.db, "https://idp.example", "00u-opaque", f.users["sup1"].ID); err != nil {
		t.Fatal(err)
	}
	if code, uid := me(opaque); code != http.StatusOK || uid != f.users["sup1"].ID {
		t.Errorf("bound opaque subject: %d as %d", code, uid)
	}
	// The bound subject stays that user whatever email it later carries.
	if code, uid := me(f.token(jwt.MapClaims{"sub": "idp|42", "email": admin.Email, "email_verified": "true"})); code != http.StatusOK || uid != f.users["bill2"].ID {
		t.Errorf("bound subject with another email: %d as %d, want bill2", code, uid)
	}
}

// TestProviderScopeSeesClaims (seen 6): a user scoped to one provider sees
// that provider's paid claims when the 835 names the provider only on the
// lines (REF*HPI) or not at all (the billed claim matched names it).
func TestProviderScopeSeesClaims(t *testing.T) {
	f := newFixture(t)
	// Claims of provider A without NM1*82: one with REF*HPI on its line,
	// one matched to a billed claim rendered by A.
	c1, l1 := f.claim(f.fileP1, f.p1, 60, "PCN-HPI-A", npiA, "DOE^HPI")
	f.exec(`UPDATE claim_payments SET rendering_npi = NULL WHERE id = $1`, c1)
	f.exec(`UPDATE service_line_payments SET rendering_npi = $2 WHERE id = $1`, l1, npiA)
	c2, _ := f.claim(f.fileP1, f.p1, 70, "PCN-BILLED-A", npiA, "DOE^BILLED")
	f.exec(`UPDATE claim_payments SET rendering_npi = NULL WHERE id = $1`, c2)
	bc := f.id(`INSERT INTO billed_claims (practice_id, source, patient_control_number, total_charge, line_count, content_sha256, rendering_npi)
		VALUES ($1, '837', 'PCN-BILLED-A', 200, 1, '\x02', $2) RETURNING id`, f.p1, npiA)
	f.exec(`INSERT INTO match_claims (file_id, segment_index, practice_id, payer_code, patient_control_number, status, billed_claim_id,
		claim_key, payment_key, method, confidence, charge, paid, patient_responsibility, review)
		VALUES ($1, 70, $2, 'BP1', 'PCN-BILLED-A', '4', $3, 'k70', 'p70', 'claim_control', 1, 200, 0, 0, false)`, f.fileP1, f.p1, bc)
	r := f.do("billa", "GET", fmt.Sprint("/v1/claims?practice_id=", f.p1), nil)
	for _, pcn := range []string{pcnA, "PCN-HPI-A", "PCN-BILLED-A"} {
		if !strings.Contains(string(r.body), pcn) {
			t.Errorf("billa does not see %s: %s", pcn, r.body)
		}
	}
	if strings.Contains(string(r.body), pcnB) {
		t.Errorf("billa sees provider B's claim")
	}
	if r := f.do("billa", "GET", fmt.Sprint("/v1/claims/", c1), nil); r.code != http.StatusOK {
		t.Errorf("billa GET claim %d: %d", c1, r.code)
	}
}

// TestBadBytesInUploadsOfRecords: a NUL or a byte that is not UTF-8 in a
// billed-claims CSV or an auths CSV is the file's problem (422/400), not a
// database failure (503/500) to retry.
func TestBadBytesInUploadsOfRecords(t *testing.T) {
	p := newProc(t)
	header := "practice,patient_control_number,service_date,procedure,charge\n"
	for name, body := range map[string]string{
		"nul":   header + npiP1 + ",PCN-\x00,2026-09-01,64483,100.00\n",
		"utf-8": header + npiP1 + ",PCN-\xff\xfe,2026-09-01,64483,100.00\n",
	} {
		if r := p.send("bill1", "POST", "/v1/claims", []byte(body)); r.code != http.StatusUnprocessableEntity {
			t.Errorf("claims CSV with %s: %d %s", name, r.code, r.body)
		}
		auths := "auth_number,cpt_codes,valid_from,valid_to,patient_key\nA\x00,64483,2026-01-01,2026-12-31," + matrixPatientKey + "\n"
		if name == "utf-8" {
			auths = strings.ReplaceAll(auths, "\x00", "\xff")
		}
		if r := p.send("bill1", "POST", fmt.Sprint("/v1/auths?practice_id=", p.p1), []byte(auths)); r.code != http.StatusBadRequest {
			t.Errorf("auths CSV with %s: %d %s", name, r.code, r.body)
		}
	}
}
