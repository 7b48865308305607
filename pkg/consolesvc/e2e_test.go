package consolesvc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/jmoiron/sqlx"
	"github.com/nats-io/nats.go"
	"go.uber.org/zap/zaptest"

	"github.com/remitq/remitq/pkg/apisvc"
	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/billedstore"
	"github.com/remitq/remitq/pkg/bus"
	"github.com/remitq/remitq/pkg/consolesvc"
	"github.com/remitq/remitq/pkg/devenv/devtest"
	"github.com/remitq/remitq/pkg/e2e"
	"github.com/remitq/remitq/pkg/ingestsvc"
	"github.com/remitq/remitq/pkg/kpistore"
	"github.com/remitq/remitq/pkg/matchsvc"
	"github.com/remitq/remitq/pkg/practicestore"
	"github.com/remitq/remitq/pkg/routesvc"
	"github.com/remitq/remitq/pkg/store"
	"github.com/remitq/remitq/pkg/svc"
	"github.com/remitq/remitq/pkg/synth"
)

func TestMain(m *testing.M) { devtest.Main(m) }

// chromiumPath is the browser the end-to-end tests drive: Debian's chromium
// package, found on PATH as .ci/run finds it (`command -v chromium`), else
// at its Debian path.
func chromiumPath() string {
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	return "/usr/bin/chromium"
}

const password = "correct horse battery"

// site is the whole remitq process (ingest, matcher, billing, router, API,
// console) on generated data, served over HTTP, with a user of each role.
type site struct {
	t         *testing.T
	db        *sqlx.DB
	url       string
	h         http.Handler
	practices []practicestore.Practice
	users     map[string]*auth.User
	keys      map[string]string // API keys, for checks made beside the browser
	shots     string
	weights   sync.Map // screenshot name → page weight in bytes
	idp       *idp
}

func newSite(t *testing.T) *site {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, devtest.DatabaseURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	nc, err := nats.Connect(devtest.NATS(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	deps, err := svc.NewDeps(ctx, db, nc, bus.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	authn := &auth.Authenticator{DB: db, Public: consolesvc.Public}
	a, err := apisvc.New(db, nil, apisvc.Options{Auth: authn, SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	// The identity provider signs the supervisor in (OIDC sign-in test).
	s0 := newIDP(t, "remitq-console", "console-secret", "sup@e2e.test")
	con, err := consolesvc.New(db, zaptest.NewLogger(t), consolesvc.Options{Auth: authn,
		OIDC: &consolesvc.OIDC{Issuer: s0.srv.URL, ClientID: "remitq-console", ClientSecret: "console-secret"}})
	if err != nil {
		t.Fatal(err)
	}
	ing, err := ingestsvc.New(deps, ingestsvc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := matchsvc.New(deps, matchsvc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	router, err := routesvc.New(deps, routesvc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	comps := []svc.Component{ing, m, billedstore.NewService(deps), router, a, con}
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, c := range comps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Run(runCtx); err != nil {
				t.Errorf("%s: %v", c.Name(), err)
			}
		}()
	}
	t.Cleanup(func() { cancel(); wg.Wait() })
	s := &site{t: t, db: db, h: deps.Handler(comps...), users: map[string]*auth.User{}, keys: map[string]string{}, idp: s0}
	srv := httptest.NewServer(s.h)
	t.Cleanup(srv.Close)
	s.url = srv.URL

	// The patient keys (billed_claims.patient_key) join auths on file to
	// the claims, as in a deployment: the secret is the test's own.
	t.Setenv("REMITQ_PATIENT_KEY", "e2e-console-patient-key-secret-0123456789")
	truth, err := synth.GenerateTruth(synth.TruthOptions{Seed: 19, Lines: 400, Practices: 2})
	if err != nil {
		t.Fatal(err)
	}
	loader := &e2e.Loader{DB: db, NC: nc, Ingest: ing.Ingest, Actor: "e2e"}
	if s.practices, err = loader.Practices(ctx, truth); err != nil {
		t.Fatal(err)
	}
	if _, err := loader.BilledClaims(ctx, truth, false); err != nil {
		t.Fatal(err)
	}
	if err := loader.Fees(ctx, truth); err != nil {
		t.Fatal(err)
	}
	if _, err := loader.Remits(ctx, truth); err != nil {
		t.Fatal(err)
	}
	if err := e2e.WaitIdle(ctx, db, deps.JS, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := kpistore.Refresh(ctx, db); err != nil {
		t.Fatal(err)
	}
	p1, p2 := s.practices[0].ID, s.practices[1].ID
	all := []auth.Scope{{PracticeID: p1}, {PracticeID: p2}}
	for key, u := range map[string]*auth.User{
		"admin":   {Email: "admin@e2e.test", Name: "Ada Admin", Role: auth.Admin},
		"sup":     {Email: "sup@e2e.test", Name: "Sam Supervisor", Role: auth.Supervisor, Scopes: all},
		"biller":  {Email: "bill@e2e.test", Name: "Bea Biller", Role: auth.Biller, Scopes: []auth.Scope{{PracticeID: p1}}},
		"biller2": {Email: "bill2@e2e.test", Name: "Ben Biller", Role: auth.Biller, Scopes: []auth.Scope{{PracticeID: p1}}},
		"analyst": {Email: "an@e2e.test", Name: "Ann Analyst", Role: auth.Analyst, Scopes: all},
	} {
		if err := auth.AddUser(ctx, db, u); err != nil {
			t.Fatal(err)
		}
		if err := consolesvc.SetPassword(ctx, db, u.ID, password); err != nil {
			t.Fatal(err)
		}
		secret, _, err := auth.CreateAPIKey(ctx, db, u.ID, "e2e", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		s.users[key], s.keys[key] = u, secret
	}
	// The supervisor gives the biller the top of practice 1, through the API.
	var out struct {
		Assigned int `json:"assigned"`
	}
	s.apiJSON("sup", "POST", "/v1/work-items/assign", map[string]any{"assignee_id": s.users["biller"].ID,
		"filter": map[string]string{"practice_id": fmt.Sprint(p1)}, "limit": 6}, &out)
	if out.Assigned != 6 {
		t.Fatalf("assigned %d items to the biller, want 6", out.Assigned)
	}
	s.shots = os.Getenv("REMITQ_SCREENSHOTS")
	if s.shots == "" {
		s.shots = filepath.Join("testdata", "screenshots")
	}
	if err := os.MkdirAll(s.shots, 0o755); err != nil {
		t.Fatal(err)
	}
	return s
}

// apiJSON calls the API as the user key with its API key (beside the
// browser: set-up and checks) and decodes a 2xx answer into out.
func (s *site) apiJSON(key, method, path string, body, out any) int {
	s.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	r := httptest.NewRequest(method, path, rd)
	r.Header.Set("Authorization", "Bearer "+s.keys[key])
	r.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, r)
	if rec.Code/100 != 2 {
		s.t.Fatalf("%s %s as %s: %d %s", method, path, key, rec.Code, rec.Body.String())
	}
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			s.t.Fatal(err)
		}
	}
	return rec.Code
}

func (s *site) count(q string, args ...any) int {
	s.t.Helper()
	var n int
	if err := s.db.Get(&n, q, args...); err != nil {
		s.t.Fatal(err)
	}
	return n
}

// newBrowser starts headless Chromium (failing, not skipping, when it is
// missing) and returns its root context.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	browser := chromiumPath()
	if _, err := os.Stat(browser); err != nil {
		t.Fatalf("the console's browser tests need Chromium at %s (Debian: apt-get install -y chromium): %v", browser, err)
	}
	// disable-dev-shm-usage: containers often have a 64 MB /dev/shm, which
	// Chromium outgrows on long pages.
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.Headless,
		chromedp.DisableGPU, chromedp.WindowSize(1280, 900), chromedp.Flag("disable-dev-shm-usage", true))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// tab is one signed-in (or not yet) browser profile.
type tab struct {
	t   *testing.T
	s   *site
	ctx context.Context
}

// newTab opens a tab in a browser context of its own (own cookies).
func (s *site) newTab(t *testing.T, root context.Context) *tab {
	ctx, cancel := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	tctx, tcancel := context.WithTimeout(ctx, 2*time.Minute) // the machine is shared: a subtest's steps take long under load
	t.Cleanup(tcancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	return &tab{t: t, s: s, ctx: tctx}
}

func (b *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		loc, _ := chromedp.Run(b.ctx, chromedp.Location())
		b.shot("failure-" + strings.ReplaceAll(b.t.Name(), "/", "-"))
		b.t.Fatalf("at %s: %v", loc, err)
	}
}

func (b *tab) text(sel string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return v
}

func eval[T any](b *tab, js string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

func evalAwait[T any](b *tab, js string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// shot saves a full-page PNG screenshot as name.png.
func (b *tab) shot(name string) {
	b.t.Helper()
	// Page weight: the document and everything it loaded, uncompressed.
	weight := eval[float64](b, `performance.getEntriesByType("navigation").concat(performance.getEntriesByType("resource")).reduce((n, e) => n + e.decodedBodySize, 0)`)
	if weight > 200<<10 {
		b.t.Errorf("%s weighs %.0f KB, more than 200 KB", name, weight/1024)
	}
	b.s.weights.Store(name, weight)
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(b.s.shots, name+".png"), png, 0o644); err != nil {
		b.t.Error(err)
	}
}

func (b *tab) open(path string) {
	b.t.Helper()
	resp, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(b.s.url+path))
	if err != nil {
		b.t.Fatalf("open %s: %v", path, err)
	}
	if resp.Status >= 500 {
		b.t.Fatalf("open %s: %d", path, resp.Status)
	}
	b.do(chromedp.WaitReady(chromedp.CSS("main")))
}

// signIn signs in as the user key through the form.
func (b *tab) signIn(key string) {
	b.t.Helper()
	b.open("/console/")
	b.do(chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), b.s.users[key].Email),
		chromedp.SendKeys(chromedp.ID("password"), password),
		submit("form button[type=submit]"),
		chromedp.WaitVisible(chromedp.CSS("header .who")))
	if got := b.text("header .who"); !strings.Contains(got, b.s.users[key].Name) {
		b.t.Fatalf("signed in as %q, want %s", got, b.s.users[key].Name)
	}
}

// status reads a work item's status and version from the database.
func (s *site) status(id string) (string, int) {
	s.t.Helper()
	var st struct {
		Status  string `db:"status"`
		Version int    `db:"version"`
	}
	if err := s.db.Get(&st, `SELECT status, version FROM work_items WHERE id = $1`, id); err != nil {
		s.t.Fatal(err)
	}
	return st.Status, st.Version
}

// TestConsoleInChromium drives the console in headless Chromium through a
// working day of each role, on the whole process with generated data.
func TestConsoleInChromium(t *testing.T) {
	start := time.Now()
	root := newBrowser(t)
	s := newSite(t)
	t.Logf("browser and site with generated data ready in %s", time.Since(start).Round(time.Millisecond))
	defer func() {
		var heaviest float64
		var which string
		s.weights.Range(func(k, v any) bool {
			if w := v.(float64); w > heaviest {
				heaviest, which = w, k.(string)
			}
			return true
		})
		t.Logf("heaviest page: %s, %.1f KB; whole run %s", which, heaviest/1024, time.Since(start).Round(time.Millisecond))
	}()

	t.Run("SignInRefusesWrongPassword", func(t *testing.T) {
		b := s.newTab(t, root)
		b.open("/console/work")
		b.shot("01-signin")
		b.do(chromedp.SendKeys(chromedp.ID("email"), s.users["biller"].Email),
			chromedp.SendKeys(chromedp.ID("password"), "wrong password!"),
			submit("form button[type=submit]"),
			chromedp.WaitVisible(chromedp.CSS(".problem")))
		if got := b.text(".problem"); !strings.Contains(got, "wrong") {
			t.Fatalf("wrong password: %q", got)
		}
		if n := s.count(`SELECT count(*) FROM console_sessions`); n != 0 {
			t.Fatalf("%d sessions after a refused sign-in", n)
		}
	})

	t.Run("OIDCSignIn", func(t *testing.T) {
		b := s.newTab(t, root)
		b.open("/console/queues")
		b.do(submit("#oidc"), chromedp.WaitVisible(chromedp.CSS("header .who")))
		if got := b.text("header .who"); !strings.Contains(got, "Sam Supervisor") {
			t.Fatalf("signed in through the provider as %q", got)
		}
		if loc, _ := chromedp.Run(b.ctx, chromedp.Location()); !strings.HasSuffix(loc, "/console/queues") {
			t.Fatalf("after the provider's sign-in: %s, want the page asked for", loc)
		}
		if n := s.idp.exchanges.Load(); n != 1 {
			t.Fatalf("%d code exchanges passed the provider's client and PKCE checks, want 1", n)
		}
		if n := s.count(`SELECT count(*) FROM console_sessions WHERE user_id = $1 AND method = 'oidc'`, s.users["sup"].ID); n != 1 {
			t.Fatalf("%d OIDC sessions of the supervisor", n)
		}
		// A callback that did not start here (no state cookie) is refused.
		b2 := s.newTab(t, root)
		b2.open("/console/oidc/callback?code=x&state=y")
		if got := b2.text(".problem"); !strings.Contains(got, "did not start here") {
			t.Fatalf("a stray callback: %q", got)
		}
	})

	t.Run("BillersDay", func(t *testing.T) {
		b := s.newTab(t, root)
		b.signIn("biller")
		loc, _ := chromedp.Run(b.ctx, chromedp.Location())
		if !strings.HasSuffix(loc, "/console/work") {
			t.Fatalf("a biller lands on %s", loc)
		}
		rows := eval[int](b, `document.querySelectorAll("#worklist tbody tr[data-href]").length`)
		if rows != 6 {
			t.Fatalf("my work shows %d items, want the 6 assigned", rows)
		}
		var top string
		if err := s.db.Get(&top, `SELECT id::text FROM work_items WHERE assignee_id = $1 ORDER BY priority DESC, id LIMIT 1`, s.users["biller"].ID); err != nil {
			t.Fatal(err)
		}
		b.shot("02-biller-my-work")
		// Keyboard: j selects the first (top-priority) row, Enter opens it.
		b.do(chromedp.KeyEvent("j"), chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.ID("add-note")))
		if h := b.text("h1"); !strings.Contains(h, "#"+top) {
			t.Fatalf("j, Enter opened %q, want the top item #%s", h, top)
		}
		// The item page is a PHI read through the API: audited for the biller.
		if n := s.count(`SELECT count(*) FROM audit_log WHERE action = 'work_item.view' AND entity_id = $1 AND user_id = $2`, top, s.users["biller"].ID); n != 1 {
			t.Fatalf("%d audit rows of the item view, want 1", n)
		}
		b.shot("03-biller-item")
		b.do(chromedp.SendKeys(chromedp.ID("note"), "Called the payer; appeal with the op note."),
			submit("#add-note"), chromedp.WaitVisible(chromedp.CSS(".flash")))
		if got := b.text(".flash"); got != "Note added." {
			t.Fatalf("after the note: %q", got)
		}
		if got := b.text(".note"); !strings.Contains(got, "appeal with the op note") {
			t.Fatalf("notes show %q", got)
		}
		// The biller's top item on an appeal route (the top one may be a
		// claim the payer gives no appeal rights) is past its appeal
		// deadline: refused with the deadline named, then accepted with
		// the biller's reason.
		// None of the six may be: the supervisor then gives the biller the
		// top such item of practice 1, through the API.
		var appeal string
		if err := s.db.Get(&appeal, `SELECT id::text FROM work_items WHERE practice_id = $2 AND status IN ('new', 'assigned', 'in_progress')
			AND appeal_deadline < current_date AND text ~ '; (appeal|dispute)[^;]* by \d{4}-\d{2}-\d{2}'
			AND action !~* '^(write off|correct|send a corrected|resubmit)'
			ORDER BY assignee_id IS NOT DISTINCT FROM $1 DESC, priority DESC, id LIMIT 1`, s.users["biller"].ID, s.practices[0].ID); err != nil {
			t.Fatalf("no overdue item on an appeal route in practice 1: %v", err)
		}
		_, v := s.status(appeal)
		s.apiJSON("sup", "PUT", "/v1/work-items/"+appeal+"/assignee", map[string]any{"assignee_id": s.users["biller"].ID, "version": v}, nil)
		b.open("/console/items/" + appeal)
		b.do(submit("#act-appeal"), chromedp.WaitVisible(chromedp.CSS(".problem")))
		if got := b.text(".problem"); !strings.Contains(got, "appeal deadline was") {
			t.Fatalf("a late appeal without a reason: %q", got)
		}
		if st, _ := s.status(appeal); st == "appealed" {
			t.Fatal("a late appeal without a reason was recorded")
		}
		b.do(chromedp.SendKeys(chromedp.ID("override_reason"), "Payer confirmed by phone the deadline is extended."),
			submit("#act-appeal"), chromedp.WaitVisible(chromedp.CSS(".flash")))
		if got := b.text(".flash"); got != "Marked appealed." {
			t.Fatalf("after the appeal: %q", got)
		}
		if st, _ := s.status(appeal); st != "appealed" {
			t.Fatalf("the item is %s after the appeal", st)
		}
		b.shot("04-biller-item-appealed")
		// Write off the next item with a reason code.
		var next string
		if err := s.db.Get(&next, `SELECT id::text FROM work_items WHERE assignee_id = $1 AND status <> 'appealed' ORDER BY priority DESC, id LIMIT 1`, s.users["biller"].ID); err != nil {
			t.Fatal(err)
		}
		b.open("/console/items/" + next)
		b.do(chromedp.SetValue(chromedp.ID("reason"), "contractual"),
			chromedp.SendKeys(chromedp.ID("wo-text"), "below threshold"),
			submit("#act-writeoff"), chromedp.WaitVisible(chromedp.CSS(".flash")))
		if got := b.text(".flash"); got != "Written off." {
			t.Fatalf("after the write-off: %q", got)
		}
		var res string
		if err := s.db.Get(&res, `SELECT status || ' ' || resolution FROM work_items WHERE id = $1`, next); err != nil {
			t.Fatal(err)
		}
		if res != "written_off written off: contractual" {
			t.Fatalf("written-off item: %q", res)
		}
		b.shot("05-biller-item-written-off")
		b.open("/console/items/" + next)
		if n := eval[int](b, `document.querySelectorAll('#appeal-pdf, #act-start').length`); n != 0 {
			t.Errorf("a written-off item offers an appeal packet or Start work (%d links and buttons)", n)
		}
		// Sign out: the session is gone and pages ask to sign in again.
		b.do(submit(".signout button"), chromedp.WaitVisible(chromedp.ID("email")))
		if n := s.count(`SELECT count(*) FROM console_sessions WHERE user_id = $1`, s.users["biller"].ID); n != 0 {
			t.Fatalf("%d sessions after sign-out", n)
		}
	})

	t.Run("StaleEditShowsConflict", func(t *testing.T) {
		b := s.newTab(t, root)
		b.signIn("biller")
		var id string
		if err := s.db.Get(&id, `SELECT id::text FROM work_items WHERE assignee_id = $1 AND status = 'assigned' ORDER BY id LIMIT 1`, s.users["biller"].ID); err != nil {
			t.Fatal(err)
		}
		b.open("/console/items/" + id)
		_, v := s.status(id)
		// Someone else changes the item meanwhile (the supervisor, by API).
		s.apiJSON("sup", "PATCH", "/v1/work-items/"+id, map[string]any{"status": "in_progress", "version": v}, nil)
		b.do(submit("#act-start"), chromedp.WaitVisible(chromedp.ID("conflict")))
		if got := b.text("#conflict"); !strings.Contains(got, "not saved") || !strings.Contains(got, fmt.Sprintf("version %d", v+1)) {
			t.Fatalf("conflict message: %q", got)
		}
		if st, nv := s.status(id); st != "in_progress" || nv != v+1 {
			t.Fatalf("after the refused stale edit: %s v%d, want in_progress v%d", st, nv, v+1)
		}
		b.shot("06-biller-conflict")
	})

	t.Run("CSRFRefused", func(t *testing.T) {
		b := s.newTab(t, root)
		b.signIn("biller")
		var id string
		if err := s.db.Get(&id, `SELECT id::text FROM work_items WHERE assignee_id = $1 AND status NOT IN ('resolved', 'written_off') ORDER BY id LIMIT 1`, s.users["biller"].ID); err != nil {
			t.Fatal(err)
		}
		before := s.count(`SELECT count(*) FROM work_item_notes WHERE work_item_id = $1`, id)
		b.open("/console/items/" + id)
		// A form whose token is not the session's.
		b.do(chromedp.SetAttributeValue(chromedp.CSS(`form[action$="/note"] input[name=csrf]`), "value", "forged-token"),
			chromedp.SendKeys(chromedp.ID("note"), "forged"),
			submit("#add-note"), chromedp.WaitVisible(chromedp.CSS("p.problem")))
		if got := b.text("h1"); got != "Form refused" {
			t.Fatalf("forged token: %q", got)
		}
		b.shot("07-csrf-refused")
		// A form on another site posting to the console: the SameSite=Strict
		// cookie stays home, so the console sees no session.
		evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprintf(w, `<form method="post" action="%s/console/items/%s/note"><input name="body" value="cross-site"><input name="csrf" value="x"></form><script>document.forms[0].submit()</script>`, s.url, id)
		}))
		defer evil.Close()
		b.do(chromedp.Navigate(strings.Replace(evil.URL, "127.0.0.1", "localhost", 1)), chromedp.WaitVisible(chromedp.CSS("p.problem")))
		if got := b.text("h1"); got != "Signed out" && got != "Form refused" {
			t.Fatalf("cross-site post: %q", got)
		}
		if n := s.count(`SELECT count(*) FROM work_item_notes WHERE work_item_id = $1`, id); n != before {
			t.Fatalf("notes went from %d to %d through refused forms", before, n)
		}
	})

	t.Run("SupervisorAssignsByFilter", func(t *testing.T) {
		b := s.newTab(t, root)
		b.signIn("sup")
		loc, _ := chromedp.Run(b.ctx, chromedp.Location())
		if !strings.HasSuffix(loc, "/console/queues") {
			t.Fatalf("a supervisor lands on %s", loc)
		}
		b.shot("08-supervisor-queues")
		p1 := s.practices[0].ID
		want := s.count(`SELECT count(*) FROM work_items WHERE practice_id = $1 AND assignee_id IS NULL AND status NOT IN ('resolved', 'written_off')`, p1)
		if want == 0 {
			t.Fatal("no unassigned open items in practice 1 to assign")
		}
		b.do(chromedp.SetValue(chromedp.ID("a-practice"), fmt.Sprint(p1)),
			chromedp.Click(chromedp.ID("a-unassigned")),
			chromedp.SetValue(chromedp.ID("a-who"), fmt.Sprint(s.users["biller2"].ID)),
			submit("#preview-btn"), chromedp.WaitVisible(chromedp.ID("preview")))
		if got := b.text("#preview"); !strings.HasPrefix(got, fmt.Sprintf("%d items", want)) {
			t.Fatalf("preview %q, want %d items", got, want)
		}
		if n := s.count(`SELECT count(*) FROM work_items WHERE assignee_id = $1`, s.users["biller2"].ID); n != 0 {
			t.Fatalf("the preview moved %d items", n)
		}
		b.shot("09-supervisor-preview")
		b.do(submit("#assign-btn"), chromedp.WaitVisible(chromedp.ID("assigned")))
		if got := b.text("#assigned"); got != fmt.Sprintf("Assigned %d items.", want) {
			t.Fatalf("after assigning: %q", got)
		}
		if n := s.count(`SELECT count(*) FROM work_items WHERE assignee_id = $1 AND practice_id = $2`, s.users["biller2"].ID, p1); n != want {
			t.Fatalf("biller 2 holds %d items, want %d", n, want)
		}
		b.shot("10-supervisor-assigned")
	})

	t.Run("AnalystDownloadsReport", func(t *testing.T) {
		b := s.newTab(t, root)
		b.signIn("analyst")
		loc, _ := chromedp.Run(b.ctx, chromedp.Location())
		if !strings.HasSuffix(loc, "/console/reports") {
			t.Fatalf("an analyst lands on %s", loc)
		}
		b.open("/console/reports?kpi=denial_rate&from=2020-01-01&to=2027-12-31")
		b.do(chromedp.WaitVisible(chromedp.CSS("img.chart")))
		if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](`(() => { const i = document.querySelector("img.chart"); return i.complete && i.naturalWidth > 0; })()`,
			chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			st := evalAwait[string](b, `fetch(document.querySelector("img.chart").src).then(r => r.status + " " + r.headers.get("content-type"))`)
			t.Fatalf("the chart did not load (%s): %v", st, err)
		}
		b.shot("11-analyst-report")
		dir := t.TempDir()
		bctx := chromedp.FromContext(b.ctx).BrowserContextID
		progress := chromedp.BrowserEvents(b.ctx, browser.DownloadProgress)
		b.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, BrowserContextID: bctx, DownloadPath: dir, EventsEnabled: ptr(true)})
			return err
		}), chromedp.Click(chromedp.ID("dl-csv")))
		var got []byte
		for ev, err := range progress {
			if err != nil {
				t.Fatal(err)
			}
			if ev.State == browser.DownloadProgressStateCanceled {
				t.Fatal("the download was cancelled")
			}
			if ev.State == browser.DownloadProgressStateCompleted {
				if got, err = os.ReadFile(filepath.Join(dir, ev.GUID)); err != nil {
					t.Fatal(err)
				}
				break
			}
		}
		// The file is the API's export of the same report.
		r := httptest.NewRequest("GET", "/v1/reports/denial_rate?format=csv&from=2020-01-01&to=2027-12-31", nil)
		r.Header.Set("Authorization", "Bearer "+s.keys["analyst"])
		rec := httptest.NewRecorder()
		s.h.ServeHTTP(rec, r)
		if rec.Code != 200 || len(got) == 0 || !bytes.Equal(got, rec.Body.Bytes()) {
			t.Fatalf("downloaded %d bytes, the API answers %d with %d bytes", len(got), rec.Code, rec.Body.Len())
		}
		if lines := strings.Count(string(got), "\n"); lines < 2 {
			t.Fatalf("the CSV holds %d lines", lines)
		}
	})

	t.Run("AdminAddsScopedUser", func(t *testing.T) {
		b := s.newTab(t, root)
		b.signIn("admin")
		b.shot("12-admin-users")
		p1, p2 := s.practices[0], s.practices[1]
		b.do(chromedp.SendKeys(chromedp.ID("u-email"), "nina@e2e.test"),
			chromedp.SendKeys(chromedp.ID("u-name"), "Nina Newhire"),
			chromedp.SetValue(chromedp.ID("u-role"), "supervisor"),
			chromedp.SendKeys(chromedp.ID("u-scopes"), fmt.Sprint(p2.ID)),
			chromedp.SendKeys(chromedp.ID("u-password"), "a long new password"),
			submit("#add-user"), chromedp.WaitVisible(chromedp.CSS(".flash")))
		if got := b.text(".flash"); got != "User saved." {
			t.Fatalf("after adding the user: %q", got)
		}
		if n := s.count(`SELECT count(*) FROM audit_log WHERE action IN ('user.save', 'user.password.set') AND user_id = $1`, s.users["admin"].ID); n != 2 {
			t.Fatalf("%d audit rows for the new user, want 2", n)
		}
		b.open("/console/admin/audit")
		b.shot("13-admin-audit")
		b.open("/console/remittances")
		b.do(chromedp.SetUploadFiles(chromedp.ID("file"), []string{writeFile(t, "not-an-835.txt", "this is not an 835 file")}),
			submit("#upload button[type=submit]"), chromedp.WaitVisible(chromedp.CSS("main p.flash")))
		if got := b.text("main p.flash"); !strings.Contains(got, "quarantined") {
			t.Fatalf("after uploading a file that is not an 835: %q", got)
		}
		if n := s.count(`SELECT count(*) FROM remittance_files WHERE filename = 'not-an-835.txt'`); n != 1 {
			t.Fatalf("%d files stored by the upload", n)
		}
		b.open("/console/remittances")
		if got := b.text("table.list tbody tr:first-child"); !strings.Contains(got, "not-an-835.txt") || !strings.Contains(got, "quarantined") {
			t.Fatalf("the uploaded file shows as %q", got)
		}
		b.shot("14-admin-remittances")

		// The new user sees only practice 2.
		u, err := auth.UserByEmail(context.Background(), s.db, "nina@e2e.test")
		if err != nil {
			t.Fatal(err)
		}
		s.users["nina"] = u
		b2 := s.newTab(t, root)
		b2.open("/console/signin")
		b2.do(chromedp.SendKeys(chromedp.ID("email"), "nina@e2e.test"), chromedp.SendKeys(chromedp.ID("password"), "a long new password"),
			submit("form button[type=submit]"), chromedp.WaitVisible(chromedp.CSS("header .who")))
		b2.shot("15-scoped-user-queues")
		queues := eval[[]string](b2, `Array.from(document.querySelectorAll("table.list")[0].querySelectorAll("tbody tr td:nth-child(2)")).map(td => td.textContent)`)
		if want := s.count(`SELECT count(*) FROM queues WHERE practice_id = $1`, p2.ID); len(queues) != want || want == 0 {
			t.Fatalf("the new user sees %d queues, practice 2 has %d", len(queues), want)
		}
		for _, q := range queues {
			if q != p2.Name {
				t.Fatalf("the new user sees a queue of %q", q)
			}
		}
		var other string
		if err := s.db.Get(&other, `SELECT id::text FROM work_items WHERE practice_id = $1 LIMIT 1`, p1.ID); err != nil {
			t.Fatal(err)
		}
		b2.open("/console/items/" + other)
		if got := b2.text("h1"); got != "Not found" {
			t.Fatalf("an item of practice 1 shows %q to a user of practice 2", got)
		}
		b2.shot("16-scoped-user-other-practice")
	})

	consolePages(t, s, root)
	consoleFinish(t, s, root)
}

func ptr[T any](v T) *T { return &v }

// submit clicks the element sel and waits for the page it leads to.
func submit(sel string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		loads := chromedp.Events(ctx, page.LoadEventFired)
		if _, err := chromedp.Click(chromedp.CSS(sel))(ctx, t); err != nil {
			return chromedp.Void{}, err
		}
		for _, err := range loads {
			return chromedp.Void{}, err
		}
		return chromedp.Void{}, ctx.Err()
	}
}

func writeFile(t *testing.T, name, content string) string {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
