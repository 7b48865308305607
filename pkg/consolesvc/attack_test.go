package consolesvc_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http/httptest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/remitq/remitq/pkg/apisvc"
	"github.com/remitq/remitq/pkg/consolesvc"
	"github.com/remitq/remitq/pkg/devenv/devtest"
	"github.com/remitq/remitq/pkg/svc"

	"github.com/remitq/remitq/pkg/auth"
)

// TestAttackBadInputNo5xx sends bad input to every console page that takes
// some (query filters, path ids, form fields): each must be answered as the
// user's mistake (4xx or a page with the problem), never a 500.
func TestAttackBadInputNo5xx(t *testing.T) {
	s := newSmall(t)
	sup := s.client(auth.Supervisor)
	for _, path := range []string{
		"/console/reports/denial_rate/chart.svg?from=not-a-date",
		"/console/reports/denial_rate/chart.svg?group_by=nonsense",
		"/console/reports/denial_rate/download?to=2026-13-45",
		"/console/reports/denial_rate/download?bucket=century",
		"/console/reports?kpi=denial_rate&from=bad",
		"/console/remittances?status=bogus",
		"/console/queues?practice_id=abc",
		"/console/queues?min_amount=x&deadline_before=y",
		"/console/work?practice_id=abc&deadline_before=x",
		"/console/items/0x10",
		"/console/items/-1",
		"/console/items/99999999999999999999",
		"/console/rules?practice=abc",
		"/console/rules?practice=99999999999999999999&edit=x",
		"/console/escalations?practice_id=abc",
		"/console/match?practice_id=abc&after=zz",
		"/console/match?after=1:x",
		"/console/remittances/0x1",
		"/console/remittances/99999999999",
		"/console/claims/abc",
		"/console/claims/99999999",
		"/console/reports/pack.pdf?practice_id=abc",
		"/console/reports/pack.pdf?practice_id=1&month=13-2026",
		"/console/admin/keys?user_id=abc",
		"/console/admin/sharing",
		"/console/admin/payer-profiles?id=%00",
	} {
		res, body := s.get(sup, path)
		if res.StatusCode >= 500 {
			t.Errorf("GET %s: %d %.200s", path, res.StatusCode, body)
		}
	}
	// Forms with a good CSRF token and a bad path id.
	_, page := s.get(sup, "/console/work")
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF token on /console/work")
	}
	for _, path := range []string{"/console/items/%00/note", "/console/items/%00/act", "/console/items/1%3F/note",
		"/console/items/1%2Fassignee/act", "/console/rules", "/console/match", "/console/admin/keys"} {
		form := url.Values{"csrf": {m[1]}, "body": {"x"}, "version": {"1"}, "action": {"start"}}
		res, err := sup.PostForm(s.url+path, form)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode >= 500 {
			t.Errorf("POST %s: %d %.200s", path, res.StatusCode, strings.TrimSpace(string(b)))
		}
	}
	// The new forms with bad fields.
	for _, c := range []struct {
		path string
		form url.Values
	}{
		{"/console/rules", url.Values{"action": {"delete"}, "id": {"%00"}}},
		{"/console/rules", url.Values{"action": {"delete"}, "id": {"99999999999"}}},
		{"/console/rules", url.Values{"action": {"save"}, "id": {"-1"}, "queue_name": {"x"}}},
		{"/console/rules", url.Values{"action": {"save"}, "practice_id": {"1"}, "position": {"x"}, "min_amount": {"1e9"}, "payer_id": {"-3"}, "queue_name": {"x"}}},
		{"/console/rules", url.Values{"action": {"save"}, "practice_id": {"99999999999"}, "queue_name": {strings.Repeat("q", 500)}, "kind": {"nonsense"}}},
		{"/console/match", url.Values{"action": {"confirm"}, "file": {"abc"}, "segment": {"1"}}},
		{"/console/match", url.Values{"action": {"confirm"}, "file": {"99999999999"}, "segment": {"99999999999"}}},
		{"/console/match", url.Values{"action": {"pick"}, "file": {"1"}, "segment": {"3"}, "billed_claim_id": {"x"}}},
		{"/console/admin/keys", url.Values{"action": {"revoke"}, "id": {"-1"}}},
		{"/console/admin/keys", url.Values{"action": {"create"}, "name": {"k"}, "ttl_days": {"99999"}}},
	} {
		c.form.Set("csrf", m[1])
		res, err := sup.PostForm(s.url+c.path, c.form)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode >= 500 {
			t.Errorf("POST %s %v: %d %.200s", c.path, c.form, res.StatusCode, strings.TrimSpace(string(b)))
		}
	}
}

// TestAttackPublicPrefixNoBypass: the console's pages are public to the
// API's authentication (they check their own session); no spelling of an
// API path under /console/ reaches the API without a token.
func TestAttackPublicPrefixNoBypass(t *testing.T) {
	s := newSmall(t)
	anon := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, p := range []string{"/console/..%2Fv1%2Fusers", "/console%2F..%2Fv1%2Fusers", "/console/%2e%2e/v1/users",
		"/console/../v1/users", "/console/./../v1/me", "/console/static/..%2F..%2Fv1%2Fme", "/console/static/%2e%2e/%2e%2e/v1/me"} {
		req, _ := http.NewRequest("GET", s.url+"/", nil)
		req.URL.Opaque = p
		res, err := anon.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode == http.StatusOK && (strings.Contains(string(b), "@small.test") || strings.Contains(string(b), `"user_id"`)) {
			t.Errorf("GET %s without a token: %d %.200s", p, res.StatusCode, b)
		}
	}
}

// TestAttackFormBodiesBounded: a form's body is bounded before it is read
// (an upload form held every file whole in memory, however large, and
// another form was read up to 10 MB): too large is a 413, nothing stored.
func TestAttackFormBodiesBounded(t *testing.T) {
	db := devtest.DB(t)
	ctx := context.Background()
	u := &auth.User{Email: "admin@bound.test", Name: "A", Role: auth.Admin}
	if err := auth.AddUser(ctx, db, u); err != nil {
		t.Fatal(err)
	}
	if err := consolesvc.SetPassword(ctx, db, u.ID, password); err != nil {
		t.Fatal(err)
	}
	authn := &auth.Authenticator{DB: db, Public: consolesvc.Public}
	a, err := apisvc.New(db, nil, apisvc.Options{Auth: authn, SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	con, err := consolesvc.New(db, nil, consolesvc.Options{Auth: authn, MaxUploadBytes: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	deps := &svc.Deps{DB: db, Log: zap.NewNop(), Metrics: prometheus.NewRegistry()}
	srv := httptest.NewServer(deps.Handler(a, con))
	t.Cleanup(srv.Close)
	s := &small{t: t, url: srv.URL, users: map[auth.Role]*auth.User{auth.Admin: u}, now: time.Now()}
	c := s.client(auth.Admin)
	_, page := s.get(c, "/console/remittances")
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF token")
	}
	post := func(chunked bool, big int) int {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		_ = mw.WriteField("csrf", m[1])
		fw, _ := mw.CreateFormFile("file", "big.835")
		_, _ = fw.Write(bytes.Repeat([]byte("A"), big))
		_ = mw.Close()
		var body io.Reader = &buf
		if chunked {
			body = io.MultiReader(&buf) // no length: read until the limit
		}
		req, _ := http.NewRequest("POST", srv.URL+"/console/remittances", body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	for _, chunked := range []bool{false, true} {
		if code := post(chunked, 200<<10); code != http.StatusRequestEntityTooLarge {
			t.Errorf("upload form of 200 KiB over a 64 KiB limit (chunked %v): %d, want 413", chunked, code)
		}
	}
	var files int
	if err := db.Get(&files, `SELECT count(*) FROM remittance_files`); err != nil {
		t.Fatal(err)
	}
	if files != 0 {
		t.Errorf("%d files stored", files)
	}
	// Another form: 2 MiB of note.
	res, err := c.PostForm(srv.URL+"/console/items/1/note", url.Values{"csrf": {m[1]}, "body": {strings.Repeat("x", 2<<20)}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MiB note form: %d, want 413", res.StatusCode)
	}
}

// TestAttackSigninNextStaysHome: the sign-in form's next= sends the user
// on only within the console. "/console/../\evil.example" passed the prefix
// check and http.Redirect cleaned it to "/\evil.example", which browsers
// read as //evil.example: an open redirect after a real sign-in.
func TestAttackSigninNextStaysHome(t *testing.T) {
	s := newSmall(t)
	for _, next := range []string{`/console/../\evil.example`, `/console/../\/evil.example`, `/console/..//evil.example`,
		"/console/../../evil.example", "/console/\t/evil.example", "/console/%2e%2e/%5cevil.example"} {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		_, body := s.get(c, "/console/signin?next="+url.QueryEscape(next))
		m := csrfField.FindStringSubmatch(body)
		if m == nil {
			t.Fatal("no CSRF token on the sign-in form")
		}
		res, err := c.PostForm(s.url+"/console/signin", url.Values{"csrf": {m[1]}, "email": {s.users[auth.Biller].Email},
			"password": {password}, "next": {next}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		loc := res.Header.Get("Location")
		u, err := url.Parse(strings.ReplaceAll(loc, `\`, "/"))
		if res.StatusCode != http.StatusSeeOther || err != nil || u.Host != "" || !strings.HasPrefix(u.Path, "/console/") {
			t.Errorf("sign-in with next=%q: %d Location %q", next, res.StatusCode, loc)
		}
	}
}

// TestAttackEveryFormNeedsCSRF: every form of the console refuses a post
// without the session's token, with another session's token, or from
// another origin with the right token.
func TestAttackEveryFormNeedsCSRF(t *testing.T) {
	s := newSmall(t)
	admin := s.client(auth.Admin)
	other := s.client(auth.Supervisor)
	_, page := s.get(other, "/console/queues")
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF token")
	}
	otherTok := m[1]
	_, page = s.get(admin, "/console/admin/users")
	m = csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF token")
	}
	own := m[1]
	forms := []string{"/console/signout", "/console/items/1/act", "/console/items/1/note", "/console/assign", "/console/admin/users", "/console/remittances",
		"/console/rules", "/console/match", "/console/admin/keys", "/console/admin/sharing"}
	for _, path := range forms {
		for _, c := range []struct {
			name, tok, origin string
		}{{"no token", "", ""}, {"another session's token", otherTok, ""}, {"another origin", own, "https://evil.example"}} {
			form := url.Values{"email": {"csrf-" + strings.TrimPrefix(path, "/console/") + "@x.test"}, "role": {"biller"}, "body": {"x"},
				"version": {"1"}, "action": {"start"}, "assignee_id": {"1"}}
			if c.tok != "" {
				form.Set("csrf", c.tok)
			}
			req, _ := http.NewRequest("POST", s.url+path, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if c.origin != "" {
				req.Header.Set("Origin", c.origin)
			}
			res, err := admin.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusForbidden {
				t.Errorf("POST %s with %s: %d, want 403", path, c.name, res.StatusCode)
			}
		}
	}
	// The admin is still signed in (the sign-out form was refused).
	if res, _ := s.get(admin, "/console/admin/users"); res.StatusCode != http.StatusOK {
		t.Errorf("after refused sign-outs: %d", res.StatusCode)
	}
}

// TestAttackSigninThrottled: wrong passwords for one email from one client
// are throttled (before: any number of guesses, each a bcrypt comparison),
// and the public sign-in form's body is bounded.
func TestAttackSigninThrottled(t *testing.T) {
	s := newSmall(t)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	try := func(pw string) int {
		_, body := s.get(c, "/console/signin")
		m := csrfField.FindStringSubmatch(body)
		if m == nil {
			t.Fatal("no CSRF token")
		}
		res, err := c.PostForm(s.url+"/console/signin", url.Values{"csrf": {m[1]}, "email": {s.users[auth.Biller].Email}, "password": {pw}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	codes := []int{}
	for range 8 {
		codes = append(codes, try("wrong password!"))
	}
	if codes[0] != http.StatusUnauthorized || codes[7] != http.StatusTooManyRequests {
		t.Errorf("8 wrong passwords: %v, want 401 then 429", codes)
	}
	if code := try(password); code != http.StatusTooManyRequests {
		t.Errorf("the right password while throttled: %d, want 429", code)
	}
	s.advance(16 * time.Minute)
	if code := try(password); code != http.StatusSeeOther {
		t.Errorf("the right password after the window: %d, want 303", code)
	}
	// Another user from the same client is not locked out.
	// A sign-in form of 3 MiB: 413, not read.
	req, _ := http.NewRequest("POST", s.url+"/console/signin", strings.NewReader("email=x&password="+strings.Repeat("p", 3<<20)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("3 MiB sign-in form: %d, want 413", res.StatusCode)
	}
}
