package consolesvc_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/remitq/remitq/pkg/apisvc"
	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/consolesvc"
	"github.com/remitq/remitq/pkg/devenv/devtest"
	"github.com/remitq/remitq/pkg/svc"
)

// small is the API and the console on an empty database with a user of
// each role (no pipeline, no browser): for the checks that need neither.
type small struct {
	t     *testing.T
	url   string
	users map[auth.Role]*auth.User
	mu    sync.Mutex
	now   time.Time
}

func (s *small) clock() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now
}

func (s *small) advance(d time.Duration) {
	s.mu.Lock()
	s.now = s.now.Add(d)
	s.mu.Unlock()
}

func newSmall(t *testing.T) *small {
	t.Helper()
	db := devtest.DB(t)
	s := &small{t: t, users: map[auth.Role]*auth.User{}, now: time.Now()}
	ctx := context.Background()
	var pid int64
	if err := db.Get(&pid, `INSERT INTO practices (name, npi) VALUES ('Spine One', '1000000001') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	for _, r := range auth.Roles() {
		u := &auth.User{Email: string(r) + "@small.test", Name: "The " + string(r), Role: r}
		if r != auth.Admin {
			u.Scopes = []auth.Scope{{PracticeID: pid}}
		}
		if err := auth.AddUser(ctx, db, u); err != nil {
			t.Fatal(err)
		}
		if err := consolesvc.SetPassword(ctx, db, u.ID, password); err != nil {
			t.Fatal(err)
		}
		s.users[r] = u
	}
	authn := &auth.Authenticator{DB: db, Public: consolesvc.Public}
	a, err := apisvc.New(db, nil, apisvc.Options{Auth: authn, SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	con, err := consolesvc.New(db, nil, consolesvc.Options{Auth: authn, Now: s.clock})
	if err != nil {
		t.Fatal(err)
	}
	deps := &svc.Deps{DB: db, Log: zap.NewNop(), Metrics: prometheus.NewRegistry()}
	srv := httptest.NewServer(deps.Handler(a, con))
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// client signs in as role through the form and returns the browser-like
// client (cookies, no redirects followed).
func (s *small) client(role auth.Role) *http.Client {
	s.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	_, body := s.get(c, "/console/signin")
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		s.t.Fatal("the sign-in form has no CSRF token")
	}
	res, err := c.PostForm(s.url+"/console/signin", url.Values{"csrf": {m[1]}, "email": {s.users[role].Email}, "password": {password}})
	if err != nil {
		s.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		s.t.Fatalf("sign-in as %s: %d", role, res.StatusCode)
	}
	return c
}

func (s *small) get(c *http.Client, path string) (*http.Response, string) {
	s.t.Helper()
	res, err := c.Get(s.url + path)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// TestHeaders checks the security headers of pages and assets and that the
// API behind the console still wants a token.
func TestHeaders(t *testing.T) {
	s := newSmall(t)
	c := s.client(auth.Biller)
	for _, path := range []string{"/console/work", "/console/signin", "/console/static/console.css"} {
		res, _ := s.get(c, path)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", path, res.StatusCode)
		}
		csp := res.Header.Get("Content-Security-Policy")
		if strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("%s: Content-Security-Policy %q", path, csp)
		}
		if res.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: X-Frame-Options %q", path, res.Header.Get("X-Frame-Options"))
		}
		if cc := res.Header.Get("Cache-Control"); strings.HasPrefix(path, "/console/static/") == (cc == "no-store") {
			t.Errorf("%s: Cache-Control %q", path, cc)
		}
	}
	u, _ := url.Parse(s.url + "/console/")
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == consolesvc.SessionCookie && ck.Value == "" {
			t.Error("empty session cookie")
		}
	}
	// The session cookie is not a bearer token: the API still refuses.
	res, _ := s.get(c, "/v1/my/work-items")
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET /v1/my/work-items with only a console session: %d, want 401", res.StatusCode)
	}
	// Without a session, pages send to the sign-in form.
	anon := &http.Client{CheckRedirect: c.CheckRedirect}
	res, _ = s.get(anon, "/console/queues")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/console/signin") {
		t.Fatalf("anonymous /console/queues: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
}

// TestRolePages checks every page for every role: the console answers what
// the API's permissions allow, and refuses the rest.
func TestRolePages(t *testing.T) {
	s := newSmall(t)
	ok, no := http.StatusOK, http.StatusForbidden
	want := map[string]map[auth.Role]int{
		"/console/work":        {auth.Admin: ok, auth.Supervisor: ok, auth.Biller: ok, auth.Analyst: ok},
		"/console/queues":      {auth.Admin: ok, auth.Supervisor: ok, auth.Biller: no, auth.Analyst: no},
		"/console/reports":     {auth.Admin: ok, auth.Supervisor: ok, auth.Biller: no, auth.Analyst: ok},
		"/console/remittances": {auth.Admin: ok, auth.Supervisor: ok, auth.Biller: ok, auth.Analyst: ok},
		"/console/admin/users": {auth.Admin: ok, auth.Supervisor: ok, auth.Biller: no, auth.Analyst: no},
		"/console/admin/audit": {auth.Admin: ok, auth.Supervisor: no, auth.Biller: no, auth.Analyst: no},
		"/console/items/1":     {auth.Admin: http.StatusNotFound, auth.Supervisor: http.StatusNotFound, auth.Biller: http.StatusNotFound, auth.Analyst: no},
	}
	for _, role := range auth.Roles() {
		c := s.client(role)
		for path, by := range want {
			res, body := s.get(c, path)
			if res.StatusCode != by[role] {
				t.Errorf("%s %s: %d, want %d", role, path, res.StatusCode, by[role])
			}
			if res.StatusCode == no && !strings.Contains(body, "Not allowed") {
				t.Errorf("%s %s: the refusal does not say so", role, path)
			}
		}
	}
}

// TestAnalystChangesNothing posts a valid form as an analyst: the API's
// middleware refuses it as it refuses the analyst's API requests.
func TestAnalystChangesNothing(t *testing.T) {
	s := newSmall(t)
	c := s.client(auth.Analyst)
	_, body := s.get(c, "/console/remittances")
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no CSRF token on the page")
	}
	res, err := c.PostForm(s.url+"/console/admin/users", url.Values{"csrf": {m[1]}, "email": {"x@small.test"}, "role": {"admin"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden || !strings.Contains(string(b), "Not allowed") {
		t.Fatalf("an analyst adding a user: %d", res.StatusCode)
	}
}

// TestIdleTimeout: a session unused for longer than the idle timeout ends.
func TestIdleTimeout(t *testing.T) {
	s := newSmall(t)
	c := s.client(auth.Biller)
	if res, _ := s.get(c, "/console/work"); res.StatusCode != http.StatusOK {
		t.Fatalf("fresh session: %d", res.StatusCode)
	}
	s.advance(29 * time.Minute)
	if res, _ := s.get(c, "/console/work"); res.StatusCode != http.StatusOK {
		t.Fatalf("after 29 idle minutes: %d", res.StatusCode)
	}
	s.advance(31 * time.Minute)
	res, _ := s.get(c, "/console/work")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/console/signin") {
		t.Fatalf("after 31 idle minutes: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
}
