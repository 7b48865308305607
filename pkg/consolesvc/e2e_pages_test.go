package consolesvc_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/kpi"
)

// unlabeled lists the form fields of the page (hidden ones aside) that
// have no label: every field of the console's pages is named for screen
// readers.
func (b *tab) unlabeled() []string {
	return eval[[]string](b, `Array.from(document.querySelectorAll("main input:not([type=hidden]), main select, main textarea")).
		filter(e => !e.labels || e.labels.length === 0).map(e => e.id || e.name)`)
}

// accessible opens path and fails the test when a field of the page has
// no label, when the page may be cached (the console's pages hold PHI:
// no-store) or when its CSP lets inline scripts or styles run, or the page
// holds any (every script and style is a file of the console's own).
func (b *tab) accessible(path string) {
	b.t.Helper()
	resp, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(b.s.url+path))
	if err != nil {
		b.t.Fatalf("open %s: %v", path, err)
	}
	if resp.Status != http.StatusOK {
		b.t.Fatalf("open %s: %d", path, resp.Status)
	}
	b.do(chromedp.WaitReady(chromedp.CSS("main")))
	header := func(k string) string {
		for hk, v := range resp.Headers {
			if strings.EqualFold(hk, k) {
				return fmt.Sprint(v)
			}
		}
		return ""
	}
	if cc := header("Cache-Control"); cc != "no-store" {
		b.t.Errorf("%s: Cache-Control %q, want no-store", path, cc)
	}
	if csp := header("Content-Security-Policy"); strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "script-src 'self'") ||
		!strings.Contains(csp, "style-src 'self'") {
		b.t.Errorf("%s: CSP %q", path, csp)
	}
	if u := b.unlabeled(); len(u) > 0 {
		b.t.Errorf("%s: fields without a label: %v", path, u)
	}
	if n := eval[int](b, `document.querySelectorAll("script:not([src]), style, [style], [onclick], [onsubmit], [onload]").length`); n != 0 {
		b.t.Errorf("%s: %d inline scripts or styles", path, n)
	}
}

// forge posts a form of fields to action from the page, as a page of
// the console would (the session's CSRF token, same origin), though the
// page offers no such form.
func (b *tab) forge(action string, fields [][2]string) {
	b.t.Helper()
	js := `(() => { const f = document.createElement("form"); f.method = "post"; f.action = ` + strconv.Quote(action) + `;
		const add = (k, v) => { const i = document.createElement("input"); i.type = "hidden"; i.name = k; i.value = v; f.appendChild(i); };
		add("csrf", document.querySelector("input[name=csrf]").value);`
	for _, kv := range fields {
		js += " add(" + strconv.Quote(kv[0]) + ", " + strconv.Quote(kv[1]) + ");"
	}
	js += ` document.body.appendChild(f); f.submit(); return true; })()`
	eval[bool](b, js)
}

// activeID is the id of the focused element.
func (b *tab) activeID() string {
	return eval[string](b, `document.activeElement ? document.activeElement.id : ""`)
}

// consolePages drives the pages of the supervisor, the reviewer, the admin
// and the analyst added for issue 19 (called by TestConsoleInChromium on
// its site, after the working days there).
func consolePages(t *testing.T, s *site, root context.Context) {
	p1, p2 := s.practices[0], s.practices[1]

	t.Run("SupervisorEditsRoutingRule", func(t *testing.T) {
		b := s.newTab(t, root)
		b.signIn("sup")
		path := fmt.Sprintf("/console/rules?practice=%d", p1.ID)
		b.accessible(path)
		b.shot("20-supervisor-rules")
		// Keyboard only: the fields come in reading order, and Enter in
		// a field submits the form.
		b.do(chromedp.Focus(chromedp.ID("r-position")), chromedp.KeyEvent("\t"))
		if got := b.activeID(); got != "r-kind" {
			t.Fatalf("Tab from the position goes to %q, want the kind", got)
		}
		b.do(chromedp.SetValue(chromedp.ID("r-practice"), fmt.Sprint(p1.ID)),
			chromedp.Clear(chromedp.ID("r-position")), chromedp.SendKeys(chromedp.ID("r-position"), "5"),
			chromedp.SetValue(chromedp.ID("r-category"), "authorization"),
			chromedp.SendKeys(chromedp.ID("r-min"), "250.00"),
			chromedp.SendKeys(chromedp.ID("r-queue"), "Auth desk"),
			chromedp.Focus(chromedp.ID("r-queue")))
		b.do(func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			return submitWith(ctx, tg, chromedp.KeyEvent("\r"))
		}, chromedp.WaitVisible(chromedp.CSS(".flash")))
		if got := b.text(".flash"); got != "Rule added." {
			t.Fatalf("after adding the rule: %q", got)
		}
		var id int64
		if err := s.db.Get(&id, `SELECT id FROM queue_rules WHERE practice_id = $1 AND queue_name = 'Auth desk' AND position = 5
			AND category = 'authorization' AND min_amount = 250 AND kind IS NULL AND payer_id IS NULL`, p1.ID); err != nil {
			t.Fatalf("the rule as stored: %v", err)
		}
		if n := s.count(`SELECT count(*) FROM audit_log WHERE action = 'queue_rule.create' AND entity_id = $1 AND user_id = $2`, fmt.Sprint(id), s.users["sup"].ID); n != 1 {
			t.Fatalf("%d audit rows of the new rule", n)
		}
		row := b.text(fmt.Sprintf("#rule-%d", id))
		if !strings.Contains(row, "Auth desk") || !strings.Contains(row, "authorization") || !strings.Contains(row, "$250.00") {
			t.Fatalf("the rule's row: %q", row)
		}
		// Edit: the form comes back with the rule's values.
		b.do(submit(fmt.Sprintf("#edit-%d", id)), chromedp.WaitVisible(chromedp.ID("r-queue")))
		if got := eval[string](b, `document.getElementById("r-queue").value + "|" + document.getElementById("r-category").value + "|" + document.getElementById("r-position").value`); got != "Auth desk|authorization|5" {
			t.Fatalf("the edit form holds %q", got)
		}
		// A position the router refuses: the reason on the page, nothing saved.
		b.do(chromedp.Clear(chromedp.ID("r-position")), chromedp.SendKeys(chromedp.ID("r-position"), "99999999"),
			submit("#save-rule"), chromedp.WaitVisible(chromedp.ID("rule-problem")))
		if got := b.text("#rule-problem"); !strings.Contains(got, "position is -1000000 to 1000000") {
			t.Fatalf("an out-of-range position: %q", got)
		}
		b.shot("21-supervisor-rule-refused")
		b.do(chromedp.Clear(chromedp.ID("r-position")), chromedp.SendKeys(chromedp.ID("r-position"), "7"),
			chromedp.Clear(chromedp.ID("r-queue")), chromedp.SendKeys(chromedp.ID("r-queue"), "Auth team"),
			chromedp.SetValue(chromedp.ID("r-category"), ""),
			chromedp.SetValue(chromedp.ID("r-kind"), "denial"),
			submit("#save-rule"), chromedp.WaitVisible(chromedp.CSS(".flash")))
		if got := b.text(".flash"); got != "Rule saved." {
			t.Fatalf("after editing the rule: %q", got)
		}
		if n := s.count(`SELECT count(*) FROM queue_rules WHERE id = $1 AND queue_name = 'Auth team' AND position = 7 AND kind = 'denial'
			AND category IS NULL AND practice_id = $2`, id, p1.ID); n != 1 {
			t.Fatal("the edited rule is not stored as edited")
		}
		b.shot("22-supervisor-rule-saved")
		b.do(submit(fmt.Sprintf("#delete-%d", id)), chromedp.WaitVisible(chromedp.CSS(".flash")))
		if got := b.text(".flash"); got != "Rule deleted." {
			t.Fatalf("after deleting the rule: %q", got)
		}
		if n := s.count(`SELECT count(*) FROM queue_rules WHERE id = $1`, id); n != 0 {
			t.Fatal("the deleted rule is still stored")
		}
		// A biller may not change rules: no menu entry, and the form is
		// refused by the API's permission check.
		b2 := s.newTab(t, root)
		b2.signIn("biller")
		if strings.Contains(b2.text("header nav"), "Routing rules") {
			t.Fatal("a biller's menu offers the routing rules")
		}
		b2.open("/console/rules")
		b2.do(chromedp.SendKeys(chromedp.ID("r-queue"), "Mine"), submit("#save-rule"), chromedp.WaitVisible(chromedp.ID("rule-problem")))
		if got := b2.text("#rule-problem"); !strings.Contains(got, "may not") {
			t.Fatalf("a biller's rule: %q", got)
		}
		if n := s.count(`SELECT count(*) FROM queue_rules WHERE queue_name = 'Mine'`); n != 0 {
			t.Fatal("a biller's rule was stored")
		}
	})

	t.Run("SupervisorEscalations", func(t *testing.T) {
		b := s.newTab(t, root)
		b.signIn("sup")
		b.accessible("/console/escalations")
		want := s.count(`SELECT count(*) FROM work_items WHERE status NOT IN ('resolved', 'written_off', 'appealed', 'resubmitted') AND appeal_deadline < current_date`)
		rows := eval[int](b, `document.querySelectorAll("#overdue tbody tr a").length`)
		if want == 0 || rows != min(want, 100) {
			t.Fatalf("the overdue table shows %d items, the database holds %d", rows, want)
		}
		if got := b.text("#overdue tbody tr:first-child"); !strings.Contains(got, "overdue") {
			t.Fatalf("the first overdue row: %q", got)
		}
		b.shot("23-supervisor-escalations")
		// The team's workload, a page of its own since the queues page
		// stopped waiting for it.
		b.accessible("/console/team")
		if got := b.text("#team tbody"); !strings.Contains(got, "Bea Biller") || !strings.Contains(got, "Ben Biller") {
			t.Fatalf("the team page: %q", got)
		}
	})

	t.Run("ItemShowsOverdueAndHidesAppeal", func(t *testing.T) {
		b := s.newTab(t, root)
		b.signIn("sup")
		// An item past its deadline whose route is an appeal: flagged, and
		// the appeal offered.
		var appealable string
		if err := s.db.Get(&appealable, `SELECT id::text FROM work_items WHERE status IN ('new', 'assigned', 'in_progress')
			AND appeal_deadline < current_date AND kind = 'denial' AND text ~ '; (appeal|dispute)[^;]* by \d{4}-\d{2}-\d{2}'
			AND action !~* '^(write off|correct|send a corrected|resubmit)' ORDER BY id LIMIT 1`); err != nil {
			t.Fatalf("no overdue item on an appeal route: %v", err)
		}
		b.open("/console/items/" + appealable)
		if got := b.text("#flag-overdue"); got != "Overdue" {
			t.Fatalf("the overdue flag: %q", got)
		}
		if n := eval[int](b, `document.querySelectorAll("#act-appeal").length`); n != 1 {
			t.Fatal("an item on an appeal route offers no appeal")
		}
		b.accessible("/console/items/" + appealable)
		b.shot("24-item-overdue-appeal")
		// An item whose route is not an appeal (a write-off, a corrected
		// claim, a payer with no appeal rights for it): no appeal offered,
		// and a forged appeal form is refused.
		var other string
		if err := s.db.Get(&other, `SELECT id::text FROM work_items WHERE status IN ('new', 'assigned', 'in_progress')
			AND (kind = 'unmatched_remittance' OR action ~* '^(write off|correct|send a corrected|resubmit)'
			     OR text ~ '; (act|resubmit|send the corrected claim|request the reopening|submit the new claim|bill)[^;]* by \d{4}-\d{2}-\d{2}')
			ORDER BY appeal_deadline < current_date DESC, id LIMIT 1`); err != nil {
			t.Fatalf("no open item on another route: %v", err)
		}
		b.open("/console/items/" + other)
		if n := eval[int](b, `document.querySelectorAll("#act-appeal").length`); n != 0 {
			t.Fatal("an item whose route is not an appeal offers the appeal")
		}
		if got := b.text("#no-appeal"); !strings.HasPrefix(got, "No appeal:") {
			t.Fatalf("the page says %q", got)
		}
		_, v := s.status(other)
		b.forge("/console/items/"+other+"/act", [][2]string{{"version", fmt.Sprint(v)}, {"action", "appeal"},
			{"appealed_on", "2026-01-01"}, {"override_reason", "forged"}})
		b.do(chromedp.WaitVisible(chromedp.CSS("p.problem")))
		if got := b.text("p.problem"); !strings.Contains(got, "Nothing was changed") {
			t.Fatalf("a forged appeal: %q", got)
		}
		if st, _ := s.status(other); st == "appealed" {
			t.Fatal("a forged appeal on a route without one was recorded")
		}
		b.shot("25-item-no-appeal")
		// A claim-level item (no service line): no "Procedure: on" line.
		var claimLevel string
		if err := s.db.Get(&claimLevel, `SELECT id::text FROM work_items WHERE procedure_code = '' ORDER BY id LIMIT 1`); err == nil {
			b.open("/console/items/" + claimLevel)
			if n := eval[int](b, `Array.from(document.querySelectorAll(".summary dt")).filter(d => d.textContent === "Procedure").length`); n != 0 {
				t.Fatal("a claim-level item prints a Procedure line")
			}
			if got := b.text("#claim-level"); !strings.HasPrefix(got, "The whole claim") {
				t.Fatalf("a claim-level item says %q", got)
			}
			b.shot("26-item-claim-level")
		} else {
			// The generated data holds none: make one of the other item.
			if _, err := s.db.Exec(`UPDATE work_items SET procedure_code = '', service_date = NULL, service_line_id = NULL WHERE id = $1`, other); err != nil {
				t.Fatal(err)
			}
			b.open("/console/items/" + other)
			if strings.Contains(b.text(".summary"), "Procedure") || !strings.HasPrefix(b.text("#claim-level"), "The whole claim") {
				t.Fatalf("a claim-level item: %q", b.text(".summary"))
			}
			b.shot("26-item-claim-level")
		}
	})

	t.Run("ReviewerConfirmsMatch", func(t *testing.T) {
		var pending []struct {
			File    int64 `db:"file_id"`
			Segment int32 `db:"segment_index"`
		}
		if err := s.db.Select(&pending, `SELECT lm.file_id, lm.segment_index FROM line_matches lm
			JOIN match_pending p ON p.file_id = lm.file_id AND p.segment_index = lm.claim_segment
			WHERE p.practice_id = $1 AND lm.review AND lm.billed_claim_id IS NOT NULL ORDER BY lm.file_id, lm.segment_index LIMIT 1`, p1.ID); err != nil {
			t.Fatal(err)
		}
		if len(pending) == 0 {
			// The generated remits match with confidence, or not at all (a
			// remit of a claim never billed): the claims that wait have no
			// proposal. Give one waiting line the proposal the matcher
			// writes below its threshold: a billed line of the practice
			// with the paid line's code.
			if err := s.db.Select(&pending, `UPDATE line_matches lm SET billed_claim_id = bl.billed_claim_id, billed_line_id = bl.id,
				billed_line_number = bl.line_number, method = 'code_and_date', confidence = 0.7, flags = '{manual_review}'
				FROM (SELECT lm2.file_id, lm2.segment_index, (SELECT b.id FROM billed_lines b WHERE b.practice_id = lm2.practice_id
					ORDER BY b.procedure_code = lm2.procedure_code DESC, b.id LIMIT 1) AS bid
					FROM line_matches lm2 JOIN match_pending p ON p.file_id = lm2.file_id AND p.segment_index = lm2.claim_segment
					WHERE p.practice_id = $1 AND lm2.review ORDER BY lm2.file_id, lm2.segment_index LIMIT 1) w
				JOIN billed_lines bl ON bl.id = w.bid
				WHERE lm.file_id = w.file_id AND lm.segment_index = w.segment_index RETURNING lm.file_id, lm.segment_index`, p1.ID); err != nil {
				t.Fatal(err)
			}
		}
		if len(pending) == 0 {
			t.Fatalf("no paid line waits for review in practice 1 (%d claims wait)", s.count(`SELECT count(*) FROM match_pending WHERE practice_id = $1`, p1.ID))
		}
		l := pending[0]
		b := s.newTab(t, root)
		b.signIn("biller")
		path := fmt.Sprintf("/console/match?practice_id=%d", p1.ID)
		b.accessible(path)
		b.shot("27-reviewer-match-queue")
		btn := fmt.Sprintf("#confirm-%d-%d", l.File, l.Segment)
		before := s.count(`SELECT count(*) FROM match_decisions`)
		b.do(chromedp.Focus(chromedp.CSS(btn)))
		b.do(func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			return submitWith(ctx, tg, chromedp.KeyEvent(" "))
		}, chromedp.WaitVisible(chromedp.CSS(".flash")))
		if got := b.text(".flash"); got != "Match confirmed." {
			t.Fatalf("after confirming: %q", got)
		}
		if n := s.count(`SELECT count(*) FROM match_decisions`); n != before+1 {
			t.Fatalf("%d decisions recorded, want 1", n-before)
		}
		if n := s.count(`SELECT count(*) FROM line_matches WHERE file_id = $1 AND segment_index = $2 AND method = 'manual' AND NOT review`, l.File, l.Segment); n != 1 {
			t.Fatal("the confirmed line is not a manual match")
		}
		if n := s.count(`SELECT count(*) FROM audit_log WHERE action = 'match.confirm' AND user_id = $1`, s.users["biller"].ID); n != 1 {
			t.Fatalf("%d audit rows of the confirmation", n)
		}
		if n := eval[int](b, fmt.Sprintf(`document.querySelectorAll(%q).length`, btn)); n != 0 {
			t.Fatal("the confirmed line still offers Confirm")
		}
		b.shot("28-reviewer-match-confirmed")
		// A pick of a billed claim that does not exist: the matcher's
		// reason on the page, nothing recorded.
		b.forge("/console/match", [][2]string{{"file", fmt.Sprint(l.File)}, {"segment", fmt.Sprint(l.Segment)}, {"action", "pick"},
			{"billed_claim_id", "999999999"}, {"billed_line_id", "999999999"}})
		b.do(chromedp.WaitVisible(chromedp.CSS("p.problem")))
		if got := b.text("p.problem"); !strings.HasPrefix(got, "Not recorded:") {
			t.Fatalf("a pick of no billed claim: %q", got)
		}
		if n := s.count(`SELECT count(*) FROM match_decisions`); n != before+1 {
			t.Fatalf("%d decisions after the refused pick, want 1", n-before)
		}
	})

	t.Run("FileAndClaimDrillDown", func(t *testing.T) {
		b := s.newTab(t, root)
		b.signIn("biller")
		var file int64
		if err := s.db.Get(&file, `SELECT file_id FROM claim_payments WHERE practice_id = $1 GROUP BY file_id ORDER BY count(*) DESC, file_id LIMIT 1`, p1.ID); err != nil {
			t.Fatal(err)
		}
		b.open("/console/remittances")
		b.do(submit(fmt.Sprintf(`a[href="/console/remittances/%d"]`, file)), chromedp.WaitVisible(chromedp.ID("file-claims")))
		want := s.count(`SELECT count(*) FROM claim_payments WHERE file_id = $1 AND practice_id = $2`, file, p1.ID)
		if n := eval[int](b, `document.querySelectorAll("#file-claims tbody tr a").length`); n != min(want, 100) {
			t.Fatalf("the file shows %d claims of practice 1, the database holds %d", n, want)
		}
		if n := s.count(`SELECT count(*) FROM claim_payments WHERE file_id = $1 AND practice_id <> $2`, file, p1.ID); n > 0 {
			if strings.Contains(b.text("#file-claims"), p2.Name) {
				t.Fatal("a biller of practice 1 sees practice 2's claims in the file")
			}
		}
		b.accessible(fmt.Sprintf("/console/remittances/%d", file))
		b.shot("29-file-drill-down")
		b.do(submit("#file-claims tbody tr:first-child a"), chromedp.WaitVisible(chromedp.ID("claim-lines")))
		if !strings.HasPrefix(b.text("h1"), "Claim ") {
			t.Fatalf("the claim page: %q", b.text("h1"))
		}
		if n := s.count(`SELECT count(*) FROM audit_log WHERE action = 'claim.view' AND user_id = $1`, s.users["biller"].ID); n != 1 {
			t.Fatalf("%d audit rows of the claim view", n)
		}
		b.shot("30-claim")
	})

	t.Run("AdminKeysSharingProfiles", func(t *testing.T) {
		b := s.newTab(t, root)
		b.signIn("admin")
		b.accessible("/console/admin/keys")
		b.do(chromedp.SendKeys(chromedp.ID("k-name"), "nightly export"), submit("#create-key"), chromedp.WaitVisible(chromedp.ID("new-key")))
		secret := eval[string](b, `document.getElementById("secret").value`)
		if len(secret) < 20 {
			t.Fatalf("the new key's secret is %d characters", len(secret))
		}
		var id int64
		if err := s.db.Get(&id, `SELECT id FROM api_keys WHERE user_id = $1 AND name = 'nightly export' AND revoked_at IS NULL`, s.users["admin"].ID); err != nil {
			t.Fatal(err)
		}
		// The key works, until revoked here.
		call := func() int {
			r := httptest.NewRequest("GET", "/v1/me", nil)
			r.Header.Set("Authorization", "Bearer "+secret)
			rec := httptest.NewRecorder()
			s.h.ServeHTTP(rec, r)
			return rec.Code
		}
		if c := call(); c != http.StatusOK {
			t.Fatalf("the new key answers %d", c)
		}
		b.shot("31-admin-key-created")
		b.open("/console/admin/keys")
		b.do(submit(fmt.Sprintf("#revoke-%d", id)), chromedp.WaitVisible(chromedp.CSS(".flash")))
		if got := b.text(fmt.Sprintf("#key-%d", id)); !strings.Contains(got, "revoked") {
			t.Fatalf("the revoked key's row: %q", got)
		}
		if c := call(); c != http.StatusUnauthorized {
			t.Fatalf("the revoked key answers %d", c)
		}
		b.accessible("/console/admin/sharing")
		// Turn the cross-practice switch the other way, with the keyboard
		// (Space on the focused box), and save.
		was := eval[bool](b, `document.getElementById("s-cross").checked`)
		b.do(chromedp.Focus(chromedp.ID("s-cross")), chromedp.KeyEvent(" "), submit("#save-sharing"), chromedp.WaitVisible(chromedp.CSS(".flash")))
		if n := s.count(`SELECT count(*) FROM audit_log WHERE action = 'sharing.update' AND user_id = $1`, s.users["admin"].ID); n != 1 {
			t.Fatalf("%d audit rows of the sharing change", n)
		}
		var policy struct {
			CrossPractice bool `json:"cross_practice"`
		}
		s.apiJSON("admin", "GET", "/v1/sharing", nil, &policy)
		if policy.CrossPractice == was || eval[bool](b, `document.getElementById("s-cross").checked`) == was {
			t.Fatalf("the cross-practice switch was %v and stays so (API: %v)", was, policy.CrossPractice)
		}
		b.shot("32-admin-sharing")
		b.accessible("/console/admin/payer-profiles")
		if n := eval[int](b, `document.querySelectorAll("#profiles tbody tr[id]").length`); n == 0 {
			t.Fatal("no payer profiles shown")
		}
		b.shot("33-admin-payer-profiles")
	})

	t.Run("AnalystPackAndChartPeriod", func(t *testing.T) {
		b := s.newTab(t, root)
		b.signIn("analyst")
		path := fmt.Sprintf("/console/reports?kpi=denial_rate&practice_id=%d&from=2026-01-01&to=2026-06-30", p1.ID)
		b.open(path)
		want := kpi.RangeText(mustDay(t, "2026-01-01"), mustDay(t, "2026-06-30"))
		if got := b.text("#chart-h"); !strings.HasSuffix(got, want) {
			t.Fatalf("the chart heading %q, want the filter's period %q", got, want)
		}
		svg := evalAwait[string](b, `fetch(document.querySelector("img.chart").src).then(r => r.text())`)
		if !strings.Contains(svg, want) {
			t.Fatalf("the chart's title does not name the filter's period %q: %.600s", want, svg)
		}
		href := eval[string](b, `document.getElementById("dl-pack").getAttribute("href")`)
		if href != fmt.Sprintf("/console/reports/pack.pdf?month=2026-06&practice_id=%d", p1.ID) {
			t.Fatalf("the pack link: %q", href)
		}
		pdf := evalAwait[string](b, `fetch(document.getElementById("dl-pack").href).then(async r => r.status + " " + r.headers.get("content-type") + " " + (await r.text()).slice(0, 5))`)
		if pdf != "200 application/pdf %PDF-" {
			t.Fatalf("the pack answers %q", pdf)
		}
		b.accessible(path)
		b.shot("34-analyst-report-period-pack")
	})
}

func mustDay(t *testing.T, s string) day.Day {
	d, err := day.ParseSet(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// submitWith runs act (a key press on a focused field or button) and waits
// for the page it leads to.
func submitWith(ctx context.Context, tg *chromedp.Target, act chromedp.Action[chromedp.Void]) (chromedp.Void, error) {
	loads := chromedp.Events(ctx, page.LoadEventFired)
	if _, err := act(ctx, tg); err != nil {
		return chromedp.Void{}, err
	}
	for _, err := range loads {
		return chromedp.Void{}, err
	}
	return chromedp.Void{}, ctx.Err()
}
