package process_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/consolesvc"
	"github.com/remitq/remitq/pkg/devenv/devtest"
	"github.com/remitq/remitq/pkg/process"
	"github.com/remitq/remitq/pkg/svc"
)

func TestMain(m *testing.M) { devtest.Main(m) }

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signinCodes serves the api process built from c and answers one wrong
// console sign-in per X-Forwarded-For value: the status of each POST.
func signinCodes(t *testing.T, c process.Config, xffs []string) []int {
	t.Helper()
	db := devtest.DB(t)
	ctx := context.Background()
	u := &auth.User{Email: "admin@proxy.test", Name: "Admin", Role: auth.Admin}
	if err := auth.AddUser(ctx, db, u); err != nil {
		t.Fatal(err)
	}
	if err := consolesvc.SetPassword(ctx, db, u.ID, "the right password 1"); err != nil {
		t.Fatal(err)
	}
	c.Auth = auth.Config{HS256Key: "process-test-key-of-32-bytes-or-more"}
	d := &svc.Deps{DB: db, Log: zap.NewNop(), Metrics: prometheus.NewRegistry()}
	comps, err := process.API(d, c)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(d.Handler(comps...))
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	cl := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var codes []int
	for _, xff := range xffs {
		req, _ := http.NewRequest("GET", srv.URL+"/console/signin", nil)
		req.Header.Set("X-Forwarded-For", xff)
		res, err := cl.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		m := csrfField.FindStringSubmatch(string(b))
		if m == nil {
			t.Fatalf("sign-in page (%d) without a CSRF token", res.StatusCode)
		}
		form := url.Values{"csrf": {m[1]}, "email": {u.Email}, "password": {"a wrong password"}}
		req, _ = http.NewRequest("POST", srv.URL+"/console/signin", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", xff)
		if res, err = cl.Do(req); err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		codes = append(codes, res.StatusCode)
	}
	return codes
}

// locked reports whether the throttle refused the last try (429) after
// accepting the first as a plain wrong password (401).
func locked(codes []int) bool {
	return codes[0] == http.StatusUnauthorized && codes[len(codes)-1] == http.StatusTooManyRequests
}

// TestProxyHopsReachSigninThrottle: --proxy-hops and REMITQ_PROXY_HOPS
// reach the sign-in throttle of the api process. Behind two proxies the
// client is the second X-Forwarded-For entry from the right: eight wrong
// passwords from one client, each with a made-up first entry and a new
// address of the inner proxy, lock it out; eight from eight clients
// behind the same inner proxy do not. Any other hop count gets one of the
// two wrong. With no setting, the header is ignored (the connection's
// address: both sequences lock).
func TestProxyHopsReachSigninThrottle(t *testing.T) {
	var oneClient, manyClients []string
	for i := range 8 {
		oneClient = append(oneClient, fmt.Sprintf("203.0.113.%d, 198.51.100.7, 10.0.0.%d", i+1, i+1))
		manyClients = append(manyClients, fmt.Sprintf("203.0.113.9, 198.51.100.%d, 10.0.0.1", i+10))
	}
	flagged := func(t *testing.T, args ...string) process.Config {
		t.Helper()
		var c process.Config
		fs := flag.NewFlagSet("api", flag.ContinueOnError)
		c.ProxyFlags(fs)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		return c
	}
	t.Run("flag", func(t *testing.T) {
		t.Setenv("REMITQ_PROXY_HOPS", "")
		c := flagged(t, "--proxy-hops", "2")
		if !locked(signinCodes(t, c, oneClient)) {
			t.Error("one client behind two proxies (--proxy-hops 2) was not locked out")
		}
		if codes := signinCodes(t, c, manyClients); locked(codes) {
			t.Errorf("eight clients behind two proxies (--proxy-hops 2) were locked out as one: %v", codes)
		}
	})
	t.Run("env", func(t *testing.T) {
		t.Setenv("REMITQ_PROXY_HOPS", "2")
		c := flagged(t)
		if !locked(signinCodes(t, c, oneClient)) {
			t.Error("one client behind two proxies (REMITQ_PROXY_HOPS=2) was not locked out")
		}
		if codes := signinCodes(t, c, manyClients); locked(codes) {
			t.Errorf("eight clients behind two proxies (REMITQ_PROXY_HOPS=2) were locked out as one: %v", codes)
		}
	})
	t.Run("default", func(t *testing.T) {
		t.Setenv("REMITQ_PROXY_HOPS", "")
		t.Setenv("REMITQ_TRUST_PROXY", "")
		c := flagged(t)
		if codes := signinCodes(t, c, manyClients); !locked(codes) {
			t.Errorf("without a proxy setting X-Forwarded-For chose the throttle key: %v", codes)
		}
	})
	t.Run("bad env", func(t *testing.T) {
		t.Setenv("REMITQ_PROXY_HOPS", "two")
		c := flagged(t)
		c.Auth = auth.Config{HS256Key: "process-test-key-of-32-bytes-or-more"}
		d := &svc.Deps{Log: zap.NewNop(), Metrics: prometheus.NewRegistry()}
		if _, err := process.API(d, c); err == nil || !strings.Contains(err.Error(), "REMITQ_PROXY_HOPS") {
			t.Errorf("REMITQ_PROXY_HOPS=two: %v, want a refusal naming it", err)
		}
	})
}
