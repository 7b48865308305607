package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/consolesvc"
	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/demo"
	"github.com/remitq/remitq/pkg/devenv"
	"github.com/remitq/remitq/pkg/e2e"
	"github.com/remitq/remitq/pkg/kpi"
	"github.com/remitq/remitq/pkg/kpistore"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/practicestore"
	"github.com/remitq/remitq/pkg/remitstore"
	"github.com/remitq/remitq/pkg/svc"
	"github.com/remitq/remitq/pkg/synth"
	"github.com/remitq/remitq/pkg/work"
)

func init() {
	register(command{name: "demo", usage: "[--once] [--http ADDR] [--lines N]  run every service on the embedded default with generated data", run: runDemo})
	register(command{name: "serve", usage: "[--http ADDR]  run every service in one process (embedded servers unless DATABASE_URL/NATS_URL)", run: runServe})
}

func runDemo(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	var ef envFlags
	ef.register(fs, "127.0.0.1:8080")
	once := fs.Bool("once", false, "exit after printing the summary instead of serving")
	seed := fs.Uint64("seed", 1, "seed of the generated data (same seed, same data on the same day: it is dated relative to today)")
	lines := fs.Int("lines", 3000, "billed service lines to generate")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	external := ef.cfg.DatabaseURL != "" || ef.cfg.NATSURL != ""
	if !external {
		// The demo starts from nothing every time, in a folder of its own.
		ef.data = filepath.Join(ef.data, "demo")
		if err := os.RemoveAll(ef.data); err != nil {
			return err
		}
		if !ef.chosen {
			// A clone PostgreSQL's user cannot reach (under /root, as root)
			// keeps its cluster elsewhere: start that from nothing too.
			pg, moved, err := devenv.PostgresDirFor(ef.data)
			if err != nil {
				return err
			}
			if moved {
				if err := os.RemoveAll(pg); err != nil {
					return err
				}
			}
		}
	}
	out := os.Stdout
	start := time.Now()
	fmt.Fprintln(out, "remitq demo: synthetic pain-management billing data (generated, no real patient)")
	e, err := ef.open(ctx, "remitq")
	if err != nil {
		return err
	}
	defer e.Close()
	where := "embedded, data in " + ef.data
	if pg := e.dev.Postgres; pg != nil {
		if abs, _ := filepath.Abs(filepath.Join(ef.data, "pg")); pg.DataDir() != abs {
			where += ", the PostgreSQL cluster in " + pg.DataDir() + " (its server user cannot reach " + ef.data +
				"; --data DIR chooses another folder)"
		}
	}
	if external {
		where = "the servers named by DATABASE_URL / NATS_URL"
	}
	fmt.Fprintf(out, "PostgreSQL and NATS JetStream ready (%s)\n\n", where)

	truth, err := synth.GenerateTruth(synth.TruthOptions{Seed: *seed, Lines: *lines, Practices: 3, Start: demoStart(time.Now()),
		PaySpread: demoPaySpread})
	if err != nil {
		return err
	}
	app, err := newAllInOne(e.deps)
	if err != nil {
		return err
	}
	loader := &e2e.Loader{DB: e.deps.DB, NC: e.deps.NC, Ingest: app.ingest.Ingest, Actor: "demo"}
	practices, err := loader.Practices(ctx, truth)
	if err != nil {
		return err
	}
	if err := demo.NameProviders(ctx, e.deps.DB); err != nil {
		return err
	}
	// Every service runs from here on, as in production; the HTTP API only
	// when the demo keeps serving.
	addr := ef.cfg.HTTPAddr
	if *once {
		addr = ""
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	runErr := make(chan error, 1)
	go func() { runErr <- svc.Run(runCtx, e.deps, addr, app.components()...) }()

	billed, err := loader.BilledClaims(ctx, truth, false)
	if err != nil {
		return err
	}
	if err := loader.Fees(ctx, truth); err != nil {
		return err
	}
	auths, err := loader.Auths(ctx)
	if err != nil {
		return err
	}
	remits, err := loader.Remits(ctx, truth)
	if err != nil {
		return err
	}
	if err := e2e.WaitIdle(ctx, e.deps.DB, e.deps.JS, 5*time.Minute); err != nil {
		return err
	}
	late, err := loader.BilledClaims(ctx, truth, true)
	if err != nil {
		return err
	}
	if err := e2e.WaitIdle(ctx, e.deps.DB, e.deps.JS, 5*time.Minute); err != nil {
		return err
	}
	if _, err := kpistore.Refresh(ctx, e.deps.DB); err != nil {
		return err
	}

	s := &summary{ctx: ctx, deps: e.deps, out: out}
	s.loaded(practices, billed.Claims, billed.Lines, late.Claims, remits)
	fmt.Fprintf(out, "  %d prior authorizations on file (one in five lapsed before its date of service)\n", auths)
	s.matched()
	s.queues()
	s.kpis()
	if s.err != nil {
		return s.err
	}
	fmt.Fprintf(out, "\nEverything above went through the real services: ingest → JetStream → matcher → JetStream → router → PostgreSQL (%.1f s).\n",
		time.Since(start).Seconds())
	if *once {
		fmt.Fprintf(out, "\n`make serve` (remitq demo) keeps serving: the web console at http://%s/console/ with a login for each role.\n", ef.cfg.HTTPAddr)
		stop()
		return <-runErr
	}
	if err := demoUsers(ctx, e, ef.data, ef.cfg.HTTPAddr, practices, out, !external); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nServing on http://%s (OpenAPI at /openapi.json). Ctrl-C stops.\n", ef.cfg.HTTPAddr)
	return <-runErr
}

// demoStartDays is how long before today the demo's first date of service
// falls, and demoPaySpread how many days apart its first and last payer
// pay (synth.TruthOptions.PaySpread): the remits are 44 to 100 days old
// (their reversals and corrections 14 days younger), so under the default
// 90-day appeal window the deadlines spread from about 10 days past to 46
// days ahead of today: some overdue, some due soon, most open.
const (
	demoStartDays = 180
	demoPaySpread = 56
)

// demoStart is the first date of service of the demo's data: the data is
// dated relative to today (UTC), not to a fixed year.
func demoStart(now time.Time) time.Time {
	y, m, d := now.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -demoStartDays)
}

func runServe(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var ef envFlags
	ef.register(fs, "127.0.0.1:8080")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	e, err := ef.open(ctx, "remitq")
	if err != nil {
		return err
	}
	defer e.Close()
	fmt.Fprintf(os.Stderr, "remitq: serving on http://%s; Ctrl-C stops\n", ef.cfg.HTTPAddr)
	app, err := newAllInOne(e.deps)
	if err != nil {
		return err
	}
	return svc.Run(ctx, e.deps, ef.cfg.HTTPAddr, app.components()...)
}

// demoPassword is the console password of the demo users (generated
// data on a local address only).
const demoPassword = "remitq-demo-password"

// demoUsers creates a supervisor of every practice and a biller of the
// first, and prints their tokens, so the API can be tried at once.
func demoUsers(ctx context.Context, e *env, dataDir, addr string, practices []practicestore.Practice, out io.Writer, embedded bool) error {
	var ac auth.Config
	ac.FromEnv()
	key, err := ac.HS256Secret(dataDir)
	if err != nil {
		return err
	}
	sup := &auth.User{Email: "supervisor@demo.remitq", Name: "Demo Supervisor", Role: auth.Supervisor}
	for _, p := range practices {
		sup.Scopes = append(sup.Scopes, auth.Scope{PracticeID: p.ID})
	}
	biller := &auth.User{Email: "biller@demo.remitq", Name: "Demo Biller", Role: auth.Biller,
		Scopes: []auth.Scope{{PracticeID: practices[0].ID}}}
	admin := &auth.User{Email: demo.AdminEmail, Name: "Demo Admin", Role: auth.Admin}
	analyst := &auth.User{Email: "analyst@demo.remitq", Name: "Demo Analyst", Role: auth.Analyst, Scopes: sup.Scopes}
	fmt.Fprintf(out, "\nWeb console: http://%s/console/ (password of every demo user: %s)\n", addr, demoPassword)
	fmt.Fprintln(out, "Demo users (tokens valid 12 hours):")
	for _, u := range []*auth.User{sup, biller, admin, analyst} {
		if err := auth.AddUser(ctx, e.deps.DB, u); err != nil {
			return err
		}
		if err := consolesvc.SetPassword(ctx, e.deps.DB, u.ID, demoPassword); err != nil {
			return err
		}
		tok, err := auth.IssueHS256(key, u.Email, ac.Issuer, 12*time.Hour, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "  %-10s %s\n  export TOKEN=%s\n", u.Role, u.Email, tok)
	}
	// Give the biller the top of the first practice's queue, as a
	// supervisor would, so "my work" has something in it.
	res, err := e.deps.DB.ExecContext(ctx, `WITH picked AS (
			SELECT id, status FROM work_items WHERE practice_id = $2 AND status = 'new' ORDER BY priority DESC, id LIMIT 10),
		moved AS (
			UPDATE work_items w SET assignee_id = $1, status = 'assigned', assigned_at = now(), updated_at = now(),
				version = version + 1 FROM picked WHERE w.id = picked.id RETURNING w.id)
		INSERT INTO work_item_events (work_item_id, actor, action, from_status, to_status)
		SELECT id, 'demo', 'assigned', 'new', 'assigned' FROM moved`, biller.ID, practices[0].ID)
	if err != nil {
		return err
	}
	n, _ := res.RowsAffected()
	fmt.Fprintf(out, "  %d items of %s are assigned to the biller.\n", n, practices[0].Name)
	fmt.Fprintf(out, "  curl -H \"Authorization: Bearer $TOKEN\" http://%s/v1/my/work-items\n", addr)
	apiKey, err := demo.AdminKey(ctx, e.deps.DB, admin.ID, 12*time.Hour)
	if err != nil {
		return err
	}
	acc := demo.Access{URL: addr, Email: admin.Email, Password: demoPassword, APIKey: apiKey}
	if embedded && e.dev != nil {
		acc.DatabaseURL = e.dev.DatabaseURL
	}
	acc.Print(out)
	return nil
}

// summary prints what a billing company wants to see after a day's remits.
type summary struct {
	ctx  context.Context
	deps *svc.Deps
	out  io.Writer
	err  error
}

func (s *summary) query(dest any, q string, args ...any) bool {
	if s.err != nil {
		return false
	}
	if err := s.deps.DB.SelectContext(s.ctx, dest, q, args...); err != nil {
		s.err = fmt.Errorf("demo summary: %w", err)
		return false
	}
	return true
}

func (s *summary) loaded(practices []practicestore.Practice, claims, lines, lateClaims int, remits []*remitstore.Result) {
	fmt.Fprintf(s.out, "Practices: %d\n", len(practices))
	for _, p := range practices {
		fmt.Fprintf(s.out, "  #%d %-34s NPI %s\n", p.ID, p.Name, p.NPI)
	}
	var paidLines, quarantined int
	var paid money.Amount
	for _, r := range remits {
		paidLines += r.ServiceLines
		paid += r.TotalPaid
		if r.Status == remitstore.StatusQuarantined {
			quarantined++
		}
	}
	fmt.Fprintf(s.out, "\nBilled (837P): %d claims, %d lines; %d more claims arrived after their remits\n", claims, lines, lateClaims)
	fmt.Fprintf(s.out, "Remitted (835): %d files, %d paid lines, %s paid, %d quarantined\n",
		len(remits), paidLines, paid.Dollars(), quarantined)
}

func (s *summary) matched() {
	var rows []struct {
		Method string `db:"method"`
		N      int    `db:"n"`
	}
	if !s.query(&rows, `SELECT method, count(*) AS n FROM line_matches GROUP BY method ORDER BY n DESC`) {
		return
	}
	var parts []string
	total := 0
	for _, r := range rows {
		parts = append(parts, fmt.Sprintf("%s %d", r.Method, r.N))
		total += r.N
	}
	var review []int
	if !s.query(&review, `SELECT count(*) FROM match_pending`) {
		return
	}
	fmt.Fprintf(s.out, "\nMatched %d paid lines to billed lines: %s\n", total, strings.Join(parts, " · "))
	fmt.Fprintf(s.out, "  %d paid claims wait in the manual-match / unmatched queue (never dropped)\n", review[0])
}

func (s *summary) queues() {
	var cats []struct {
		Category string       `db:"category"`
		N        int          `db:"n"`
		Risk     money.Amount `db:"risk"`
	}
	if !s.query(&cats, `SELECT CASE WHEN kind = 'unmatched_remittance' THEN '(unmatched remittance)' ELSE category END AS category,
		count(*) AS n, sum(amount_at_risk) AS risk FROM work_items WHERE `+work.OpenSQL("")+`
		GROUP BY 1 ORDER BY risk DESC, n DESC`) {
		return
	}
	fmt.Fprintln(s.out, "\nWork queues: open items by root cause")
	tw := tabwriter.NewWriter(s.out, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  category\titems\tat risk\t")
	var n int
	var risk money.Amount
	for _, c := range cats {
		fmt.Fprintf(tw, "  %s\t%d\t%s\t\n", c.Category, c.N, c.Risk.Dollars())
		n += c.N
		risk += c.Risk
	}
	fmt.Fprintf(tw, "  total\t%d\t%s\t\n", n, risk.Dollars())
	if err := tw.Flush(); err != nil {
		s.err = err
		return
	}
	var resolved []int
	if !s.query(&resolved, `SELECT count(*) FROM work_items WHERE status = 'resolved'`) {
		return
	}
	fmt.Fprintf(s.out, "  %d more items were opened and then resolved by later remits (reversals, corrections)\n", resolved[0])
	var top []struct {
		ID       int64        `db:"id"`
		Practice string       `db:"practice"`
		Text     string       `db:"text"`
		Risk     money.Amount `db:"amount_at_risk"`
	}
	if !s.query(&top, `SELECT w.id, p.name AS practice, w.text, w.amount_at_risk FROM work_items w
		JOIN practices p ON p.id = w.practice_id WHERE `+work.OpenSQL("w")+`
		ORDER BY w.priority DESC, w.id LIMIT 5`) {
		return
	}
	fmt.Fprintln(s.out, "\nFirst in the queues (highest priority):")
	for _, t := range top {
		fmt.Fprintf(s.out, "  #%d  %s  %s\n      %s\n", t.ID, t.Risk.Dollars(), t.Practice, t.Text)
	}
}

// kpis prints the headline KPIs over every remit date.
func (s *summary) kpis() {
	if s.err != nil {
		return
	}
	// The window ends at the last remit: the generated data is dated in
	// the past, and balances (days in A/R) are read as of that day.
	var last []string
	if !s.query(&last, `SELECT coalesce(max(payment_date), current_date)::text FROM remittance_transactions`) {
		return
	}
	to, err := day.ParseSet(last[0])
	if err != nil {
		s.err = err
		return
	}
	fmt.Fprintf(s.out, "\nKPIs (all practices, remit dates through %s; the generated data is denial-heavy on purpose)\n", to)
	for _, name := range []string{"denial_rate", "denial_rate_dollars", "clean_claim_rate", "net_collection_rate", "days_in_ar", "touchless_rate"} {
		def, ok := kpi.Lookup(name)
		if !ok {
			continue
		}
		req := kpi.Request{Def: def, GroupBy: []kpi.Dim{}, Bucket: kpi.ByMonth, From: day.New(2020, 1, 1), To: to}
		rep, err := kpistore.Report(s.ctx, s.deps.DB, req, kpistore.Scope{})
		if err != nil {
			if errors.Is(err, kpi.ErrRequest) {
				continue
			}
			s.err = err
			return
		}
		val := headline(rep)
		if val == "" {
			continue
		}
		target := ""
		if t := def.Target; t != nil {
			target = "  (target " + t.Text + ")"
		}
		fmt.Fprintf(s.out, "  %-34s %s%s\n", def.Title, val, target)
	}
}

// headline folds a monthly report into one figure: the sums of numerators
// and denominators, or the last point for balances.
func headline(rep *kpi.Report) string {
	if len(rep.Points) == 0 {
		return ""
	}
	p := rep.Points[len(rep.Points)-1]
	if !rep.Cumulative() {
		for _, q := range rep.Points[:len(rep.Points)-1] {
			p.Num += q.Num
			p.Den += q.Den
		}
	}
	v := p.Text(1)
	if v == "" {
		return ""
	}
	return v + " " + rep.Def.Unit.Symbol()
}
