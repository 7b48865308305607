package consolesvc_test

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"context"
	"net/http/httptest"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"fmt"

	"github.com/remitq/remitq/pkg/apisvc"
	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/consolesvc"
	"github.com/remitq/remitq/pkg/devenv/devtest"
	"github.com/remitq/remitq/pkg/svc"
)

// small2 is small with its database at hand.
type small2 struct {
	*small
	db *sqlx.DB
}

func (s *small2) exec(q string, args ...any) {
	s.t.Helper()
	if _, err := s.db.Exec(q, args...); err != nil {
		s.t.Fatalf("%s: %v", q, err)
	}
}

// newSmall2 is newSmall (console_test.go), keeping the database.
func newSmall2(t *testing.T) *small2 { return newSmall2Opts(t, false) }

// newSmall2Opts is newSmall2, behind a proxy when trustProxy.
func newSmall2Opts(t *testing.T, trustProxy bool) *small2 {
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
	a, err := apisvc.New(db, nil, apisvc.Options{Auth: authn, SweepInterval: -1, TrustProxy: trustProxy})
	if err != nil {
		t.Fatal(err)
	}
	con, err := consolesvc.New(db, nil, consolesvc.Options{Auth: authn, Now: s.clock, TrustProxy: trustProxy})
	if err != nil {
		t.Fatal(err)
	}
	deps := &svc.Deps{DB: db, Log: zap.NewNop(), Metrics: prometheus.NewRegistry()}
	srv := httptest.NewServer(deps.Handler(a, con))
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return &small2{small: s, db: db}
}

// Attack 2 (regression tests: each defence here held when written).

func sessionValue(c *http.Client, base string) string {
	u, _ := url.Parse(base + "/console/")
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == consolesvc.SessionCookie {
			return ck.Value
		}
	}
	return ""
}

// TestAttack2SessionFixation: a session cookie planted before sign-in
// (by a sibling site or a shared machine) is never adopted: signing in
// issues a fresh secret, and the planted value opens no page.
func TestAttack2SessionFixation(t *testing.T) {
	s := newSmall(t)
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(s.url + "/console/")
	const planted = "attacker-chosen-session-value-0123456789abcdef"
	jar.SetCookies(u, []*http.Cookie{{Name: consolesvc.SessionCookie, Value: planted, Path: "/console/"}})
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	_, body := s.get(c, "/console/signin")
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no CSRF token")
	}
	res, err := c.PostForm(s.url+"/console/signin", url.Values{"csrf": {m[1]}, "email": {s.users[auth.Biller].Email}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", res.StatusCode)
	}
	for _, sc := range res.Cookies() {
		if sc.Name == consolesvc.SessionCookie && (!sc.HttpOnly || sc.SameSite == http.SameSiteNoneMode || sc.SameSite == http.SameSiteDefaultMode) {
			t.Errorf("session cookie flags: HttpOnly %v SameSite %v", sc.HttpOnly, sc.SameSite)
		}
	}
	if got := sessionValue(c, s.url); got == planted || got == "" {
		t.Fatalf("session after sign-in: %q", got)
	}
	// The planted value opens nothing.
	jar2, _ := cookiejar.New(nil)
	jar2.SetCookies(u, []*http.Cookie{{Name: consolesvc.SessionCookie, Value: planted, Path: "/console/"}})
	attacker := &http.Client{Jar: jar2, CheckRedirect: c.CheckRedirect}
	if res, _ := s.get(attacker, "/console/work"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the planted session opens /console/work: %d", res.StatusCode)
	}
}

// TestAttack2SessionEndsForReal: after sign-out, a copy of the session
// cookie opens nothing; a user disabled or demoted mid-session loses the
// pages at once.
func TestAttack2SessionEndsForReal(t *testing.T) {
	s := newSmall2(t)
	c := s.client(auth.Biller)
	stolen := sessionValue(c, s.url)
	_, page := s.get(c, "/console/work")
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF token")
	}
	res, err := c.PostForm(s.url+"/console/signout", url.Values{"csrf": {m[1]}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(s.url + "/console/")
	jar.SetCookies(u, []*http.Cookie{{Name: consolesvc.SessionCookie, Value: stolen, Path: "/console/"}})
	replay := &http.Client{Jar: jar, CheckRedirect: c.CheckRedirect}
	if res, _ := s.get(replay, "/console/work"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("a signed-out session replayed: %d", res.StatusCode)
	}

	sup := s.client(auth.Supervisor)
	if res, _ := s.get(sup, "/console/queues"); res.StatusCode != http.StatusOK {
		t.Fatalf("supervisor queues: %d", res.StatusCode)
	}
	an := s.client(auth.Analyst)
	if res, _ := s.get(an, "/console/reports"); res.StatusCode != http.StatusOK {
		t.Fatalf("analyst reports: %d", res.StatusCode)
	}
	s.exec(`UPDATE users SET role = 'analyst' WHERE id = $1`, s.users[auth.Supervisor].ID)
	if res, _ := s.get(sup, "/console/queues"); res.StatusCode == http.StatusOK {
		t.Errorf("a demoted supervisor still opens /console/queues")
	}
	s.exec(`UPDATE users SET disabled = true WHERE id = $1`, s.users[auth.Analyst].ID)
	if res, _ := s.get(an, "/console/reports"); res.StatusCode == http.StatusOK {
		t.Errorf("a disabled analyst still opens /console/reports")
	}
}

// TestAttack2NamesEscaped: a user name and a practice name holding markup
// are shown escaped on the pages that show them (the layout, the users
// page), never as markup.
func TestAttack2NamesEscaped(t *testing.T) {
	s := newSmall2(t)
	const xssName = `<script>alert("n")</script>`
	const xssPractice = `"><img src=x onerror=alert(1)>`
	s.exec(`UPDATE users SET name = $1`, xssName)
	s.exec(`UPDATE practices SET name = $1`, xssPractice)
	for _, c := range []struct {
		role auth.Role
		path string
	}{{auth.Biller, "/console/work"}, {auth.Supervisor, "/console/queues"}, {auth.Admin, "/console/admin/users"},
		{auth.Supervisor, "/console/admin/users"}, {auth.Analyst, "/console/reports"}, {auth.Admin, "/console/remittances"}} {
		cl := s.client(c.role)
		res, body := s.get(cl, c.path)
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s %s: %d", c.role, c.path, res.StatusCode)
			continue
		}
		if strings.Contains(body, xssName) || strings.Contains(body, "<img src=x") {
			t.Errorf("%s %s: markup of a name rendered raw", c.role, c.path)
		}
		if !strings.Contains(body, html.EscapeString(xssName)) && !strings.Contains(body, "&lt;script&gt;") {
			t.Logf("%s %s: the user name is not shown", c.role, c.path)
		}
	}
}

// wrongSignins tries a wrong password for the biller once per entry of
// xffs, sent as X-Forwarded-For, and returns the answers' status codes.
func wrongSignins(t *testing.T, s *small2, xffs []string) []int {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var codes []int
	for _, xff := range xffs {
		req, _ := http.NewRequest("GET", s.url+"/console/signin", nil)
		req.Header.Set("X-Forwarded-For", xff)
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		m := csrfField.FindStringSubmatch(string(b))
		if m == nil {
			t.Fatal("no CSRF token")
		}
		form := url.Values{"csrf": {m[1]}, "email": {s.users[auth.Biller].Email}, "password": {"wrong password!"}}
		req, _ = http.NewRequest("POST", s.url+"/console/signin", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", xff)
		res, err = c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		codes = append(codes, res.StatusCode)
	}
	return codes
}

// TestAttack2ThrottleBehindProxySameAddress: the control of
// TestAttack2ThrottleBypassBehindProxy: behind a proxy, wrong passwords
// from one forwarded address are throttled (429 after five).
func TestAttack2ThrottleBehindProxySameAddress(t *testing.T) {
	s := newSmall2Opts(t, true)
	var xffs []string
	for range 8 {
		xffs = append(xffs, "203.0.113.9, 198.51.100.7")
	}
	if codes := wrongSignins(t, s, xffs); codes[0] != http.StatusUnauthorized || codes[7] != http.StatusTooManyRequests {
		t.Errorf("8 wrong passwords from one address behind the proxy: %v", codes)
	}
}

// TestAttack2ThrottleBypassBehindProxy: behind a proxy (REMITQ_TRUST_PROXY,
// TrustProxy), the client address is the FIRST X-Forwarded-For entry,
// which is whatever the client sent: a proxy that appends (nginx
// $proxy_add_x_forwarded_for, most load balancers) keeps it and adds the
// real address after it. A password guesser sends a new made-up first
// entry with every try, each try is a new throttle key, and the 5-try
// lockout never comes; the audit rows name the made-up address too. The
// trusted entry is the last one (the one the proxy added).
func TestAttack2ThrottleBypassBehindProxy(t *testing.T) {
	s := newSmall2Opts(t, true)
	const real = "198.51.100.7" // what the proxy appends
	var xffs []string
	for i := range 8 {
		xffs = append(xffs, fmt.Sprintf("203.0.113.%d, %s", i+1, real))
	}
	codes := wrongSignins(t, s, xffs)
	if codes[7] != http.StatusTooManyRequests {
		t.Errorf("8 wrong passwords from %s behind the proxy, each with a new first X-Forwarded-For entry: %v, want 429 at the end", real, codes)
	}
}
