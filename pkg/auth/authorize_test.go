package auth

import (
	"net/http/httptest"
	"testing"

	"github.com/remitq/remitq/pkg/devenv/devtest"
	"github.com/remitq/remitq/pkg/practicestore"
)

// TestAuthorizeWithoutGateIsForAdmins: a service run without the API's
// gate cannot check upload payees against the caller's practices, so its
// Authorize lets only admins send files.
func TestAuthorizeWithoutGateIsForAdmins(t *testing.T) {
	ctx := t.Context()
	db := devtest.DB(t)
	p := practicestore.Practice{Name: "Spine Center", NPI: "1234567893"}
	if err := practicestore.Add(ctx, db, &p); err != nil {
		t.Fatal(err)
	}
	a := &Authenticator{DB: db}
	for _, c := range []struct {
		u    *User
		want bool
	}{
		{&User{Email: "admin@example.com", Role: Admin}, true},
		{&User{Email: "biller@example.com", Role: Biller, Scopes: []Scope{{PracticeID: p.ID}}}, false},
		{&User{Email: "analyst@example.com", Role: Analyst, Scopes: []Scope{{PracticeID: p.ID}}}, false},
	} {
		if err := AddUser(ctx, db, c.u); err != nil {
			t.Fatal(err)
		}
		secret, _, err := CreateAPIKey(ctx, db, c.u.ID, "k", 0)
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest("POST", "/v1/remittances", nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		if err := a.Authorize(req); (err == nil) != c.want {
			t.Errorf("%s: Authorize = %v", c.u.Role, err)
		}
	}
}
