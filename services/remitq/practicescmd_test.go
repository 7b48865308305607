package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/remitq/remitq/pkg/apisvc"
	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/devenv/devtest"
)

// TestOnboardingCommands runs the practices, providers and payers
// commands against a running API (httptest, real PostgreSQL): an admin's
// token registers and edits; a biller's token lists only its practice and
// may not add one.
func TestOnboardingCommands(t *testing.T) {
	db := devtest.DB(t)
	key := []byte("cli-test-key-of-at-least-thirty-two-bytes")
	v, err := auth.NewVerifier(auth.VerifierConfig{HS256Key: key})
	if err != nil {
		t.Fatal(err)
	}
	api, err := apisvc.New(db, nil, apisvc.Options{Auth: &auth.Authenticator{DB: db, Verifier: v}, SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	api.Register(mux)
	srv := httptest.NewServer(api.WrapHTTP(mux))
	t.Cleanup(srv.Close)
	token := func(u *auth.User) string {
		if err := auth.AddUser(context.Background(), db, u); err != nil {
			t.Fatal(err)
		}
		tok, err := auth.IssueHS256(key, u.Email, "", time.Hour, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	admin := token(&auth.User{Email: "admin@cli.test", Name: "A", Role: auth.Admin})
	run := func(tok string, fn func(context.Context, []string) error, args ...string) (string, error) {
		t.Helper()
		var out bytes.Buffer
		cmdOut = &out
		t.Setenv("REMITQ_URL", srv.URL)
		t.Setenv("REMITQ_TOKEN", tok)
		err := fn(t.Context(), args)
		return out.String(), err
	}
	out, err := run(admin, runPracticesAdd, "--name", "Cli Pain", "--npi", "1234567893")
	if err != nil || !strings.Contains(out, "practice 1 added: Cli Pain") {
		t.Fatalf("practices add: %q %v", out, err)
	}
	if _, err := run(admin, runPracticesAdd, "--name", "Second", "--tin", "741234567"); err != nil {
		t.Fatal(err)
	}
	if out, err = run(admin, runPracticesEdit, "1", "--name", "Cli Pain & Spine"); err != nil || !strings.Contains(out, "Cli Pain \\u0026 Spine") {
		t.Fatalf("practices edit: %q %v", out, err)
	}
	if out, err = run(admin, runProvidersAdd, "1", "--npi", "1245319599", "--name", "Dr Lumbar"); err != nil || !strings.Contains(out, `"name":"Dr Lumbar"`) {
		t.Fatalf("providers add: %q %v", out, err)
	}
	if out, err = run(admin, runProvidersRename, "1", "1", "--name", "Dr L. Lumbar"); err != nil || !strings.Contains(out, "Dr L. Lumbar") {
		t.Fatalf("providers rename: %q %v", out, err)
	}
	if out, err = run(admin, runProvidersList, "1"); err != nil || strings.Count(out, "\n") != 1 {
		t.Fatalf("providers list: %q %v", out, err)
	}
	if out, err = run(admin, runPayersAdd, "1", "--code", "SX123", "--name", "Spine Mutual"); err != nil ||
		!strings.Contains(out, `"payer_code":"SX123"`) || !strings.Contains(out, `"payer_name":"Spine Mutual"`) || !strings.Contains(out, `"payer_id":`) {
		t.Fatalf("payers add: %q %v", out, err)
	}
	if out, err = run(admin, runPayersList, "1"); err != nil || !strings.Contains(out, "SX123") {
		t.Fatalf("payers list: %q %v", out, err)
	}
	if out, err = run(admin, runPracticesList); err != nil || strings.Count(out, "\n") != 2 {
		t.Fatalf("practices list as admin: %q %v", out, err)
	}
	biller := token(&auth.User{Email: "bill@cli.test", Name: "B", Role: auth.Biller, Scopes: []auth.Scope{{PracticeID: 2}}})
	if out, err = run(biller, runPracticesList); err != nil || strings.Count(out, "\n") != 1 || !strings.Contains(out, "Second") {
		t.Fatalf("practices list as biller: %q %v", out, err)
	}
	var ae *apiError
	if _, err = run(biller, runPracticesAdd, "--name", "Mine", "--npi", "1987654328"); !errors.As(err, &ae) || ae.Status != 403 {
		t.Fatalf("biller adds a practice: %v", err)
	}
	if _, err = run(biller, runPayersList, "1"); !errors.As(err, &ae) || ae.Status != 404 {
		t.Fatalf("biller lists practice 1's payers: %v", err)
	}
	if out, err = run(admin, runPayersRemove, "1", "1"); err != nil {
		t.Fatalf("payers remove: %q %v", out, err)
	}
	t.Setenv("REMITQ_SERVER", "")
	cmdOut = &bytes.Buffer{}
	t.Setenv("REMITQ_URL", "")
	if err := runProvidersList(t.Context(), []string{"1"}); !errors.Is(err, errNoURL) {
		t.Fatalf("without a URL: %v", err)
	}
}
