package consolesvc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/money"
)

// apiGet is the status and body of a GET as the user key (beside the
// browser).
func (s *site) apiGet(key, path string) (int, string) {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	r.Header.Set("Authorization", "Bearer "+s.keys[key])
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, r)
	return rec.Code, rec.Body.String()
}

// giveBiller assigns item id to the biller through the API.
func (s *site) giveBiller(id string) {
	s.t.Helper()
	_, v := s.status(id)
	s.apiJSON("sup", "PUT", "/v1/work-items/"+id+"/assignee", map[string]any{"assignee_id": s.users["biller"].ID, "version": v}, nil)
}

// fetchInPage fetches path from the page (the session's cookie) and
// answers "status content-type".
func (b *tab) fetchInPage(path string) string {
	return evalAwait[string](b, `fetch(`+fmt.Sprintf("%q", path)+`).then(r => r.status + " " + r.headers.get("content-type"))`)
}

// download clicks sel and answers the file the browser saved.
func (b *tab) download(sel string) []byte {
	b.t.Helper()
	dir := b.t.TempDir()
	bctx := chromedp.FromContext(b.ctx).BrowserContextID
	progress := chromedp.BrowserEvents(b.ctx, browser.DownloadProgress)
	b.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, BrowserContextID: bctx, DownloadPath: dir, EventsEnabled: ptr(true)})
		return err
	}), chromedp.Click(chromedp.CSS(sel)))
	for ev, err := range progress {
		if err != nil {
			b.t.Fatal(err)
		}
		if ev.State == browser.DownloadProgressStateCanceled {
			b.t.Fatal("the download was cancelled")
		}
		if ev.State == browser.DownloadProgressStateCompleted {
			got, err := os.ReadFile(filepath.Join(dir, ev.GUID))
			if err != nil {
				b.t.Fatal(err)
			}
			return got
		}
	}
	b.t.Fatal("no download")
	return nil
}

// consoleFinish drives the pages of finishing a work item and onboarding
// (called by TestConsoleInChromium after consolePages).
func consoleFinish(t *testing.T, s *site, root context.Context) {
	p1 := s.practices[0]

	t.Run("AdminOnboardsPracticeWithProvider", func(t *testing.T) {
		b := s.newTab(t, root)
		b.signIn("admin")
		if !strings.Contains(b.text("header nav"), "Practices") {
			t.Fatal("an admin's menu offers no practices")
		}
		b.accessible("/console/admin/practices")
		// A bad NPI: the API's reason, nothing stored.
		b.do(chromedp.SendKeys(chromedp.ID("p-name"), "Lakeside Spine & Pain"),
			chromedp.SendKeys(chromedp.ID("p-npi"), "123"), chromedp.SendKeys(chromedp.ID("p-tin"), "987650001"))
		b.do(chromedp.SetAttributeValue(chromedp.ID("p-npi"), "pattern", ".*"), submit("#add-practice"), chromedp.WaitVisible(chromedp.ID("problem")))
		if got := b.text("#problem"); !strings.Contains(got, "NPI") {
			t.Fatalf("a bad NPI: %q", got)
		}
		if n := s.count(`SELECT count(*) FROM practices WHERE name = 'Lakeside Spine & Pain'`); n != 0 {
			t.Fatal("a practice with a bad NPI was stored")
		}
		b.do(chromedp.Clear(chromedp.ID("p-npi")), chromedp.SendKeys(chromedp.ID("p-npi"), "1234567893"),
			submit("#add-practice"), chromedp.WaitVisible(chromedp.CSS(".flash")))
		if got := b.text(".flash"); got != "Practice added." {
			t.Fatalf("after adding the practice: %q", got)
		}
		if got := b.text("#files-ingested"); !strings.Contains(got, "0 ingested now") {
			t.Fatalf("the files of the new practice: %q", got)
		}
		var pid int64
		if err := s.db.Get(&pid, `SELECT id FROM practices WHERE name = 'Lakeside Spine & Pain' AND npi = '1234567893' AND tin = '987650001'`); err != nil {
			t.Fatalf("the practice as stored: %v", err)
		}
		path := fmt.Sprintf("/console/admin/practices/%d", pid)
		b.accessible(path)
		// Keyboard: Tab from the provider's NPI goes to its name.
		b.do(chromedp.Focus(chromedp.ID("pv-npi")), chromedp.KeyEvent("\t"))
		if got := b.activeID(); got != "pv-name" {
			t.Fatalf("Tab from the provider NPI goes to %q", got)
		}
		b.do(chromedp.SendKeys(chromedp.ID("pv-npi"), "1998877660"), chromedp.SendKeys(chromedp.ID("pv-name"), "Dr. Rosa Diaz"),
			submit("#add-provider"), chromedp.WaitVisible(chromedp.CSS(".flash")))
		if got := b.text(".flash"); got != "Provider saved." {
			t.Fatalf("after adding the provider: %q", got)
		}
		if got := b.text("#providers tbody"); !strings.Contains(got, "1998877660") {
			t.Fatalf("the providers: %q", got)
		}
		var prov int64
		if err := s.db.Get(&prov, `SELECT id FROM providers WHERE practice_id = $1 AND npi = '1998877660' AND name = 'Dr. Rosa Diaz'`, pid); err != nil {
			t.Fatalf("the provider as stored: %v", err)
		}
		// Rename.
		sel := fmt.Sprintf("#prov-%d", prov)
		b.do(chromedp.Clear(chromedp.CSS(sel)), chromedp.SendKeys(chromedp.CSS(sel), "Dr. Rosa Diaz-Moreno"),
			submit(sel+" + button"), chromedp.WaitVisible(chromedp.CSS(".flash")))
		if n := s.count(`SELECT count(*) FROM providers WHERE id = $1 AND name = 'Dr. Rosa Diaz-Moreno'`, prov); n != 1 {
			t.Fatal("the provider was not renamed")
		}
		// A payer: enroll, then remove.
		b.do(chromedp.SendKeys(chromedp.ID("py-code"), "E2EHEALTH"), chromedp.SendKeys(chromedp.ID("py-name"), "E2E Health Plan"),
			submit("#add-payer"), chromedp.WaitVisible(chromedp.CSS(".flash")))
		if got := b.text("#payers tbody"); !strings.Contains(got, "E2EHEALTH") || !strings.Contains(got, "yes") {
			t.Fatalf("the payers after enrolling: %q", got)
		}
		b.shot("40-admin-practice-onboarded")
		b.do(submit("#payers tbody button"), chromedp.WaitVisible(chromedp.CSS(".flash")))
		if got := b.text(".flash"); got != "Payer enrollment ended." {
			t.Fatalf("after removing the payer: %q", got)
		}
		// The threshold.
		b.do(chromedp.Clear(chromedp.ID("approval_over")), chromedp.SendKeys(chromedp.ID("approval_over"), "300.00"),
			submit("#save-threshold"), chromedp.WaitVisible(chromedp.CSS(".flash")))
		if n := s.count(`SELECT count(*) FROM write_off_settings WHERE practice_id = $1 AND approval_over = 300`, pid); n != 1 {
			t.Fatal("the threshold was not stored")
		}
		// A biller has no practices page: the API refuses the form.
		b2 := s.newTab(t, root)
		b2.signIn("biller")
		if strings.Contains(b2.text("header nav"), "Practices") {
			t.Fatal("a biller's menu offers the practices")
		}
	})

	t.Run("WriteOffAboveThresholdApproved", func(t *testing.T) {
		// Practice 1 asks approval above $20.00.
		s.apiJSON("admin", "PUT", fmt.Sprintf("/v1/practices/%d/write-off-settings", p1.ID), map[string]any{"approval_over": "20.00"}, nil)
		var id string
		if err := s.db.Get(&id, `SELECT w.id::text FROM work_items w WHERE w.practice_id = $1 AND w.status IN ('new', 'assigned', 'in_progress')
			AND w.amount_at_risk > 20 AND NOT EXISTS (SELECT 1 FROM write_offs o WHERE o.work_item_id = w.id) ORDER BY w.id LIMIT 1`, p1.ID); err != nil {
			t.Fatalf("no open item above the threshold: %v", err)
		}
		s.giveBiller(id)
		b := s.newTab(t, root)
		b.signIn("biller")
		b.accessible("/console/items/" + id)
		// The reasons come from the API, not a list of the console's.
		if n := eval[int](b, `document.querySelectorAll("#reason option[value=contractual]").length`); n != 1 {
			t.Fatal("the write-off reasons are not the API's")
		}
		b.do(chromedp.SetValue(chromedp.ID("reason"), "contractual"), chromedp.SendKeys(chromedp.ID("wo-text"), "payer contract rate"),
			submit("#act-writeoff"), chromedp.WaitVisible(chromedp.CSS(".flash")))
		if got := b.text(".flash"); !strings.Contains(got, "supervisor's approval") {
			t.Fatalf("after a write-off above the threshold: %q", got)
		}
		if got := b.text("#write-offs .wo-status"); got != "Pending a supervisor's approval" {
			t.Fatalf("the write-off's status: %q", got)
		}
		// While it waits, the page shows the request, not a second form.
		if n := eval[int](b, `document.querySelectorAll("#act-writeoff, form[action$='/write-off']").length`); n != 0 {
			t.Fatal("the write-off form is still offered while a write-off waits for approval")
		}
		var amount, label string
		if err := s.db.Get(&amount, `SELECT amount::text FROM write_offs WHERE work_item_id = $1 AND status = 'pending_approval'`, id); err != nil {
			t.Fatal(err)
		}
		if err := s.db.Get(&label, `SELECT label FROM write_off_reasons WHERE code = 'contractual'`); err != nil {
			t.Fatal(err)
		}
		a, err := money.Parse(amount)
		if err != nil {
			t.Fatal(err)
		}
		pending := b.text("#wo-pending")
		for _, want := range []string{"Write-off of " + a.Dollars(), "asked by Bea Biller", "reason: " + label, "payer contract rate", time.Now().UTC().Format("2006-01-02")} {
			if !strings.Contains(pending, want) {
				t.Fatalf("the pending write-off reads %q, want %q in it", pending, want)
			}
		}
		// The history says what happened in plain words.
		hist := b.text("#history")
		if want := "Bea Biller · Write-off of " + a.Dollars() + " requested (reason: " + label + ")"; !strings.Contains(hist, want) {
			t.Fatalf("the history reads %q, want %q", hist, want)
		}
		if strings.Contains(hist, "user:") || strings.Contains(hist, "from Assigned to Assigned") {
			t.Fatalf("the history still reads like a log: %q", hist)
		}
		var wo int64
		if err := s.db.Get(&wo, `SELECT id FROM write_offs WHERE work_item_id = $1 AND status = 'pending_approval' AND reason_code = 'contractual'`, id); err != nil {
			t.Fatalf("the pending write-off: %v", err)
		}
		if st, _ := s.status(id); st == "written_off" {
			t.Fatal("the item was written off before the approval")
		}
		b.shot("41-biller-writeoff-pending")
		sup := s.newTab(t, root)
		sup.signIn("sup")
		sup.accessible("/console/approvals")
		if got := sup.text("#approvals tbody"); !strings.Contains(got, "#"+id) || !strings.Contains(got, label) {
			t.Fatalf("the approvals page: %q", got)
		}
		// Who asked, and when.
		var asked time.Time
		if err := s.db.Get(&asked, `SELECT requested_at FROM write_offs WHERE id = $1`, wo); err != nil {
			t.Fatal(err)
		}
		row := eval[string](sup, fmt.Sprintf(`document.querySelector("#approve-%d").closest("tr").querySelector("td.asked").textContent`, wo))
		if !strings.Contains(row, "Bea Biller") || !strings.Contains(row, asked.UTC().Format("2006-01-02 15:04")) {
			t.Fatalf("the approvals row says it was asked %q, want Bea Biller at %s", row, asked.UTC().Format("2006-01-02 15:04"))
		}
		sup.shot("42-supervisor-approvals")
		sup.do(chromedp.SendKeys(chromedp.ID(fmt.Sprintf("note-%d", wo)), "ok per contract"),
			submit(fmt.Sprintf("#approve-%d", wo)), chromedp.WaitVisible(chromedp.CSS(".flash")))
		if got := sup.text(".flash"); got != "Write-off approved." {
			t.Fatalf("after the approval: %q", got)
		}
		if n := s.count(`SELECT count(*) FROM write_offs WHERE id = $1 AND status = 'approved' AND decided_by = $2`, wo, s.users["sup"].ID); n != 1 {
			t.Fatal("the write-off is not approved by the supervisor")
		}
		if st, _ := s.status(id); st != "written_off" {
			t.Fatalf("the item is %s after the approval of its whole balance", st)
		}
		if got := sup.text("#approvals tbody"); strings.Contains(got, "#"+id) {
			t.Fatal("an approved write-off is still listed")
		}
		sup.open("/console/items/" + id)
		if hist := sup.text("#history"); !strings.Contains(hist, "Sam Supervisor · Write-off of "+a.Dollars()+" approved") ||
			!strings.Contains(hist, "Status Assigned → Written off") {
			t.Fatalf("the history after the approval: %q", hist)
		}
		sup.shot("42b-item-history-after-approval")
		s.apiJSON("admin", "PUT", fmt.Sprintf("/v1/practices/%d/write-off-settings", p1.ID), map[string]any{"approval_over": "100000.00"}, nil)
	})

	t.Run("BillerAppealPacketAndRecord", func(t *testing.T) {
		var cands []string
		if err := s.db.Select(&cands, `SELECT id::text FROM work_items WHERE practice_id = $1 AND status IN ('new', 'assigned', 'in_progress')
			AND kind IN ('denial', 'underpayment') AND (kind = 'underpayment' OR text ~ '; (appeal|dispute)[^;]* by \d{4}-\d{2}-\d{2}')
			AND action !~* '^(write off|correct|send a corrected|resubmit)'
			ORDER BY category IN ('authorization', 'frequency_limit', 'modifier', 'underpayment') DESC, id LIMIT 300`, p1.ID); err != nil {
			t.Fatal(err)
		}
		// The generated practices name no rendering providers; the letter
		// needs them: the admin registers them, as onboarding does.
		var npis []string
		if err := s.db.Select(&npis, `SELECT DISTINCT provider_npi FROM work_items WHERE practice_id = $1 AND provider_npi <> ''`, p1.ID); err != nil {
			t.Fatal(err)
		}
		for i, n := range npis {
			s.apiJSON("admin", "POST", fmt.Sprintf("/v1/practices/%d/providers", p1.ID), map[string]string{"npi": n, "name": fmt.Sprintf("Dr. Provider %d", i+1)}, nil)
		}
		// The generated claims hold few of the facts a packet argues from
		// (an LCD and the criteria met, an NCCI pair, an auth on file, a
		// biller's note): the API refuses such a packet (409
		// appeal_missing_fact), and the console says so in plain words.
		id, refused := "", ""
		why := map[string]int{}
		// An authorization denial argues from the auth on file: the
		// practice loads one for the line (POST /v1/auths, by the claim's
		// patient key), and its packet builds.
		// The auth lists every procedure of the claim: a packet argues
		// for each denied line, and one the auth does not list would be
		// refused as unsupported (which line is denied depends on the
		// generated data and on the order the router took the claims).
		var authItem struct {
			ID    string         `db:"id"`
			Key   string         `db:"key"`
			Payer string         `db:"payer_code"`
			Procs pq.StringArray `db:"procedures"`
			Date  string         `db:"service_date"`
		}
		if err := s.db.Get(&authItem, `SELECT w.id::text AS id, encode(b.patient_key, 'hex') AS key, b.payer_code,
			ARRAY(SELECT DISTINCT l.procedure_code FROM billed_lines l WHERE l.billed_claim_id = b.id) AS procedures,
			to_char(w.service_date, 'YYYY-MM-DD') AS service_date
			FROM work_items w JOIN billed_claims b ON b.id = w.billed_claim_id
			WHERE w.id = ANY($1::bigint[]) AND w.category = 'authorization' AND b.patient_key IS NOT NULL AND w.procedure_code <> ''
			AND w.service_date IS NOT NULL ORDER BY w.id LIMIT 1`, pq.Array(cands)); err != nil {
			t.Fatalf("no authorization denial among the appeal items: %v", err)
		}
		sd := mustDay(t, authItem.Date)
		var loaded struct {
			Inserted int `json:"inserted"`
		}
		s.apiJSON("sup", "POST", fmt.Sprintf("/v1/auths?practice_id=%d", p1.ID), []map[string]any{{"auth_number": "E2E-AUTH-1",
			"patient_key": authItem.Key, "cpt_codes": []string(authItem.Procs), "payer_id": authItem.Payer,
			"valid_from": sd.AddDays(-30).String(), "valid_to": sd.AddDays(30).String()}}, &loaded)
		if loaded.Inserted != 1 {
			t.Fatalf("the auth was not loaded: %+v", loaded)
		}
		cands = append([]string{authItem.ID}, cands...)
		for _, c := range cands {
			code, body := s.apiGet("sup", "/v1/work-items/"+c+"/appeal?format=text")
			if code != http.StatusOK { // a letter holds PHI: only refusals are kept
				why[fmt.Sprint(code)+" "+body]++
			}
			if code == http.StatusOK && id == "" {
				id = c
			}
			// The refusal whose wording the console is checked against: a
			// fact the claim does not have.
			if code == http.StatusConflict && refused == "" && strings.Contains(body, "appeal_missing_fact") {
				refused = c
			}
			if id != "" && refused != "" {
				break
			}
		}
		if id == "" || refused == "" {
			t.Fatalf("of %d items on an appeal route, none builds a packet (%q) or none is refused (%q): %v", len(cands), id, refused, why)
		}
		s.giveBiller(id)
		s.giveBiller(refused)
		b := s.newTab(t, root)
		b.signIn("biller")
		b.open("/console/items/" + refused)
		b.do(submit("#appeal-pdf"), chromedp.WaitVisible(chromedp.CSS("main p")))
		if got := b.text("main h1"); got != "Not available" {
			t.Fatalf("a packet the API refuses shows %q", got)
		}
		if got := b.text("main"); !strings.Contains(got, "needs a fact the claim does not have") {
			t.Fatalf("the refusal in plain words: %q", got)
		}
		b.shot("43-biller-appeal-packet-refused")
		b.accessible("/console/items/" + id)
		if got := b.text("#route"); got != "appeal" && got != "dispute" {
			t.Fatalf("the route shown: %q", got)
		}
		if n := eval[int](b, `document.querySelectorAll("#appeal-pdf[href$='/appeal.pdf'], #appeal-text[href$='/appeal.txt']").length`); n != 2 {
			t.Fatal("an appealable item links no packet and letter")
		}
		// The packet, downloaded as a person would: a PDF.
		pdf := b.download("#appeal-pdf")
		if !bytes.HasPrefix(pdf, []byte("%PDF")) {
			t.Fatalf("the downloaded packet starts %.20q, not %%PDF", pdf)
		}
		// The letter names the claim's facts.
		var facts struct {
			PCN   string `db:"patient_control_number"`
			Proc  string `db:"procedure_code"`
			Payer string `db:"payer_claim_control"`
		}
		if err := s.db.Get(&facts, `SELECT patient_control_number, procedure_code, coalesce(payer_claim_control, '') AS payer_claim_control
			FROM work_items WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		letter := evalAwait[string](b, `fetch("/console/items/`+id+`/appeal.txt").then(r => r.text())`)
		for _, want := range []string{facts.PCN, facts.Proc, facts.Payer} {
			if want != "" && !strings.Contains(letter, want) {
				t.Fatalf("the letter does not name %q: %.600q", want, letter)
			}
		}
		if !strings.Contains(strings.ToLower(letter), "appeal") {
			t.Fatalf("the letter text: %.200q", letter)
		}
		if n := s.count(`SELECT count(*) FROM audit_log WHERE action = 'work_item.appeal_packet' AND entity_id = $1 AND user_id = $2`, id, s.users["biller"].ID); n < 1 {
			t.Fatalf("%d audit rows of the biller's packet requests", n)
		}
		b.do(chromedp.SendKeys(chromedp.ID("appeal-ref"), "FAX-20261207"),
			chromedp.SendKeys(chromedp.ID("override_reason"), "Payer extended the deadline by phone."),
			submit("#act-appeal"), chromedp.WaitVisible(chromedp.CSS(".flash")))
		if got := b.text(".flash"); got != "Marked appealed." {
			t.Fatalf("after recording the appeal: %q", got)
		}
		var aid int64
		if err := s.db.Get(&aid, `SELECT id FROM work_item_appeals WHERE work_item_id = $1 AND reference = 'FAX-20261207' AND level = 1`, id); err != nil {
			t.Fatalf("the appeal as stored: %v", err)
		}
		if st, _ := s.status(id); st != "appealed" {
			t.Fatalf("the item is %s after the appeal", st)
		}
		b.shot("44-biller-appeal-recorded")
		b.open("/console/items/" + id)
		if n := eval[int](b, `document.querySelectorAll('#act-start').length`); n != 0 {
			t.Errorf("an appealed item offers Start work (%d buttons)", n)
		}
		b.do(chromedp.SetValue(chromedp.ID(fmt.Sprintf("outcome-%d", aid)), "partial"),
			chromedp.SendKeys(chromedp.ID(fmt.Sprintf("recovered-%d", aid)), "1.00"),
			submit(fmt.Sprintf("#outcome-save-%d", aid)), chromedp.WaitReady(chromedp.CSS("main h1")))
		if got := b.text("main"); !strings.Contains(got, "Appeal outcome recorded.") {
			t.Fatalf("after the outcome: %q", got)
		}
		if n := s.count(`SELECT count(*) FROM work_item_appeals WHERE id = $1 AND outcome = 'partial' AND amount_recovered = 1`, aid); n != 1 {
			t.Fatal("the outcome is not stored")
		}
		if got := b.text("#appeals tbody"); !strings.Contains(got, "partial") || !strings.Contains(got, "$1.00") {
			t.Fatalf("the appeals table: %q", got)
		}
	})

	t.Run("CorrectionPreviewAndCreate", func(t *testing.T) {
		var cands []string
		if err := s.db.Select(&cands, `SELECT id::text FROM work_items WHERE practice_id = $1 AND status IN ('new', 'assigned', 'in_progress')
			AND billed_claim_id IS NOT NULL AND (action ~* '^(correct|send a corrected|resubmit)'
			     OR text ~ '; (resubmit|send the corrected claim)[^;]* by \d{4}-\d{2}-\d{2}') ORDER BY id LIMIT 40`, p1.ID); err != nil {
			t.Fatal(err)
		}
		id := ""
		for _, c := range cands {
			// The item's route, as the API computes it, is a correction,
			// and the API previews its corrected claim.
			_, detail := s.apiGet("sup", "/v1/work-items/"+c)
			if !strings.Contains(detail, `"route":"corrected_claim"`) && !strings.Contains(detail, `"route":"resubmit"`) {
				continue
			}
			// A payer that takes corrections as reopenings (Medicare Part
			// B) gets no claim to create: the test wants one that does.
			if code, prev := s.apiGet("sup", "/v1/work-items/"+c+"/corrected-claim"); code == http.StatusOK &&
				!strings.Contains(prev, `"reopening":true`) {
				id = c
				break
			}
		}
		if id == "" {
			t.Fatalf("no corrected claim previews for any of %d correction items", len(cands))
		}
		s.giveBiller(id)
		b := s.newTab(t, root)
		b.signIn("biller")
		b.accessible("/console/items/" + id)
		if n := eval[int](b, `document.querySelectorAll("#act-appeal").length`); n != 0 {
			t.Fatal("a correction item offers an appeal")
		}
		if n := eval[int](b, `document.querySelectorAll("#corrected-link").length`); n != 1 {
			t.Fatalf("a correction item links no corrected claim (%s)", b.text("main .cause"))
		}
		b.do(submit("#corrected-link"), chromedp.WaitReady(chromedp.CSS("main h1")))
		if n := eval[int](b, `document.querySelectorAll("#changes").length`); n != 1 {
			t.Fatalf("the preview: %q", b.text("main"))
		}
		b.accessible("/console/items/" + id + "/corrected")
		if rows := eval[int](b, `document.querySelectorAll("#changes tbody tr").length`); rows == 0 {
			t.Fatal("the preview lists no changes")
		}
		b.shot("45-biller-corrected-preview")
		if n := eval[int](b, `document.querySelectorAll("form[action$='/corrected'] #create-corrected").length`); n != 1 {
			t.Fatal("the preview offers no create")
		}
		// The void preview: frequency 8, the same claim.
		b.accessible("/console/items/" + id + "/corrected?type=void")
		if got := b.text("main h1"); got != "Void claim for item #"+id {
			t.Fatalf("the void preview: %q", got)
		}
		// A denied claim was never paid: the API refuses its void, and the
		// page says why; a paid one previews frequency 8.
		if code, body := s.apiGet("biller", "/v1/work-items/"+id+"/corrected-claim?type=void"); code == http.StatusOK {
			if got := b.text("main"); !strings.Contains(got, "Frequency code 8") {
				t.Fatalf("the void preview names no frequency 8: %q", got)
			}
		} else {
			var e struct {
				Error struct {
					Message string `json:"message"`
				} `json:"error"`
			}
			if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Message == "" {
				t.Fatalf("the API's void refusal %d: %q", code, body)
			}
			if got := b.text("#problem"); !strings.Contains(got, e.Error.Message) {
				t.Fatalf("the void preview says %q, the API %q", got, e.Error.Message)
			}
			if n := eval[int](b, `document.querySelectorAll("#create-corrected").length`); n != 0 {
				t.Fatal("a void the API refuses is offered")
			}
		}
		b.shot("45b-biller-void-preview")
		// Create the corrected claim: its submission is listed, marked.
		b.open("/console/items/" + id + "/corrected")
		before := s.count(`SELECT count(*) FROM submissions`)
		cctx, ccancel := context.WithTimeout(b.ctx, 40*time.Second)
		err := chromedp.Do(cctx, submit("#create-corrected"), chromedp.WaitVisible(chromedp.CSS("main h1")))
		ccancel()
		if err != nil {
			var waits []string
			_ = s.db.Select(&waits, `SELECT coalesce(state, '') || ' ' || coalesce(wait_event_type, '') || ':' || coalesce(wait_event, '') || ' ' || left(query, 200)
				FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)
			loc, _ := chromedp.Run(b.ctx, chromedp.Location())
			page := eval[string](b, `document.body ? document.body.innerText : ""`)
			t.Fatalf("creating the corrected claim: %v at %s (%.500q); database sessions: %q", err, loc, page, waits)
		}
		if n := eval[int](b, `document.querySelectorAll(".flash").length`); n != 1 {
			t.Fatalf("after creating the corrected claim the page reads %q", b.text("main"))
		}
		if got := b.text(".flash"); got != "Claim created: its submission is listed below." {
			t.Fatalf("after creating the corrected claim: %q", got)
		}
		if n := s.count(`SELECT count(*) FROM submissions`); n != before+1 {
			t.Fatalf("%d submissions after creating one, %d before", n, before)
		}
		var sub int64
		if err := s.db.Get(&sub, `SELECT max(id) FROM submissions`); err != nil {
			t.Fatal(err)
		}
		row := b.text("#submissions tbody tr.focus")
		if !strings.Contains(row, fmt.Sprint(sub)) || !strings.Contains(row, "#"+id) || !strings.Contains(row, "by Bea Biller") {
			t.Fatalf("the new submission's row: %q", row)
		}
		if st, _ := s.status(id); st != "resubmitted" {
			t.Fatalf("the item is %s after its corrected claim", st)
		}
		if got := b.fetchInPage(fmt.Sprintf("/console/submissions/%d/file", sub)); !strings.HasPrefix(got, "200 ") {
			t.Fatalf("the submission's 837P: %q", got)
		}
		if got := b.text("#submissions caption"); !strings.Contains(got, "837P files") {
			t.Fatalf("the submissions page: %q", got)
		}
		b.shot("46-biller-submissions")
	})

	t.Run("ItemEvidenceOncePayerNamed", func(t *testing.T) {
		var cands []string
		if err := s.db.Select(&cands, `SELECT id::text FROM work_items WHERE practice_id = $1 AND procedure_code <> ''
			ORDER BY category IN ('authorization', 'frequency_limit') DESC, id LIMIT 50`, p1.ID); err != nil {
			t.Fatal(err)
		}
		id := ""
		for _, c := range cands {
			if _, detail := s.apiGet("sup", "/v1/work-items/"+c); strings.Contains(detail, `"evidence":{`) {
				id = c
				break
			}
		}
		if id == "" {
			t.Fatalf("none of %d line items has evidence", len(cands))
		}
		b := s.newTab(t, root)
		b.signIn("sup")
		b.accessible("/console/items/" + id)
		// The prior procedures are shown once: in the evidence.
		heads := eval[[]string](b, `Array.from(document.querySelectorAll("main h2")).map(h => h.textContent).filter(t => /^(Evidence|Prior procedures)/.test(t))`)
		if len(heads) != 1 || !strings.HasPrefix(heads[0], "Evidence") {
			t.Fatalf("the item shows its evidence as %q, want one section", heads)
		}
		if strings.Contains(heads[0], "_") {
			t.Fatalf("the evidence heading reads like a code: %q", heads[0])
		}
		// The payer: the name its 835 gives, with its code, the same on the
		// item, the my-work and escalation lists and the billed claim.
		var payer struct {
			Code string `db:"code"`
			Name string `db:"name"`
		}
		if err := s.db.Get(&payer, `SELECT p.payer_id_code AS code, t.payer_name AS name FROM work_items w JOIN payers p ON p.id = w.payer_id
			JOIN remittance_transactions t ON t.payer_id = p.id WHERE w.id = $1 ORDER BY t.id DESC LIMIT 1`, id); err != nil {
			t.Fatal(err)
		}
		want := payer.Name + " (" + payer.Code + ")"
		if payer.Name == payer.Code {
			want = payer.Code
		}
		got := eval[string](b, `Array.from(document.querySelectorAll(".summary dt")).find(d => d.textContent === "Payer").nextElementSibling.textContent`)
		if got != want {
			t.Fatalf("the item names its payer %q, want %q", got, want)
		}
		if h := b.text("section[aria-label=Claim] h2"); h != "Claim as remitted by "+want {
			t.Fatalf("the remitted claim's heading: %q, want the payer %q", h, want)
		}
		if strings.Contains(b.text("main table.lines"), ".000") {
			t.Fatal("the line table shows units as 1.000")
		}
		b.shot("47-item-evidence-once")
		// The billed claim, line by line, names the payer the same way.
		b.do(submit("#billed-claim-link a"), chromedp.WaitVisible(chromedp.ID("billed-lines")))
		var bc int64
		if err := s.db.Get(&bc, `SELECT billed_claim_id FROM work_items WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		b.accessible(fmt.Sprintf("/console/billed-claims/%d", bc))
		got = eval[string](b, `Array.from(document.querySelectorAll(".summary dt")).find(d => d.textContent === "Payer").nextElementSibling.textContent`)
		if got != want {
			t.Fatalf("the billed claim names its payer %q, want %q", got, want)
		}
		lines := s.count(`SELECT count(*) FROM billed_lines WHERE billed_claim_id = $1`, bc)
		if n := eval[int](b, `document.querySelectorAll("#billed-lines tbody tr").length`); n != lines || n == 0 {
			t.Fatalf("the billed claim shows %d lines, it has %d", n, lines)
		}
		if n := eval[int](b, `document.querySelectorAll("#billed-lines tbody a[href^='/console/claims/']").length`); n == 0 {
			t.Fatal("the billed claim links none of the remits that paid it")
		}
		b.shot("48-billed-claim")
		// Any list with the item's payer names it the same way.
		b.open("/console/escalations")
		if got := b.text("main"); strings.Contains(got, "payer #") {
			t.Fatal("the escalations name a payer by its id")
		}
	})

	t.Run("SupervisorRejectsWriteOff", func(t *testing.T) {
		s.apiJSON("admin", "PUT", fmt.Sprintf("/v1/practices/%d/write-off-settings", p1.ID), map[string]any{"approval_over": "20.00"}, nil)
		defer s.apiJSON("admin", "PUT", fmt.Sprintf("/v1/practices/%d/write-off-settings", p1.ID), map[string]any{"approval_over": "100000.00"}, nil)
		var id string
		if err := s.db.Get(&id, `SELECT w.id::text FROM work_items w WHERE w.practice_id = $1 AND w.status IN ('new', 'assigned', 'in_progress')
			AND w.amount_at_risk > 20 AND NOT EXISTS (SELECT 1 FROM write_offs o WHERE o.work_item_id = w.id) ORDER BY w.id DESC LIMIT 1`, p1.ID); err != nil {
			t.Fatalf("no open item above the threshold: %v", err)
		}
		s.giveBiller(id)
		_, v := s.status(id)
		var out struct {
			WriteOff struct {
				ID     int64  `json:"id"`
				Status string `json:"status"`
			} `json:"write_off"`
		}
		s.apiJSON("biller", "POST", "/v1/work-items/"+id+"/write-offs", map[string]any{"reason_code": "contractual", "amount": "21.00", "note": "small", "version": v}, &out)
		if out.WriteOff.Status != "pending_approval" {
			t.Fatalf("the biller's write-off is %s", out.WriteOff.Status)
		}
		wo := out.WriteOff.ID
		sup := s.newTab(t, root)
		sup.signIn("sup")
		sup.accessible("/console/approvals")
		sup.do(chromedp.SendKeys(chromedp.ID(fmt.Sprintf("note-%d", wo)), "appeal it instead"),
			submit(fmt.Sprintf("#reject-%d", wo)), chromedp.WaitVisible(chromedp.CSS(".flash")))
		if got := sup.text(".flash"); got != "Write-off rejected." {
			t.Fatalf("after the rejection: %q", got)
		}
		if n := s.count(`SELECT count(*) FROM write_offs WHERE id = $1 AND status = 'rejected' AND decided_by = $2 AND decision_note = 'appeal it instead'`, wo, s.users["sup"].ID); n != 1 {
			t.Fatal("the write-off is not rejected by the supervisor with the note")
		}
		if st, _ := s.status(id); st == "written_off" {
			t.Fatal("a rejected write-off wrote the item off")
		}
		if n := eval[int](sup, fmt.Sprintf(`document.querySelectorAll("#reject-%d").length`, wo)); n != 0 {
			t.Fatal("a rejected write-off is still listed")
		}
		sup.shot("49-supervisor-rejected")
		// The biller's item: the form again, the rejection in the table and history.
		b := s.newTab(t, root)
		b.signIn("biller")
		b.open("/console/items/" + id)
		if n := eval[int](b, `document.querySelectorAll("#act-writeoff").length`); n != 1 {
			t.Fatal("after the rejection the item offers no write-off")
		}
		if got := b.text("#write-offs tbody"); !strings.Contains(got, "rejected") || !strings.Contains(got, "appeal it instead") {
			t.Fatalf("the write-offs after the rejection: %q", got)
		}
		if got := b.text("#history"); !strings.Contains(got, "Sam Supervisor · Write-off of $21.00 rejected") {
			t.Fatalf("the history after the rejection: %q", got)
		}
	})

	t.Run("PatientSharePage", func(t *testing.T) {
		b := s.newTab(t, root)
		b.signIn("biller")
		b.accessible("/console/patient-share")
		if n := eval[int](b, `document.querySelectorAll("#patient-share").length`); n != 0 {
			t.Fatal("the patient share lists rows before a practice is chosen")
		}
		b.do(chromedp.SetValue(chromedp.ID("ps-practice"), fmt.Sprint(p1.ID)), submit("form[action='/console/patient-share'] button"),
			chromedp.WaitVisible(chromedp.ID("patient-share")))
		var api struct {
			Items []struct {
				ClaimPaymentID int64  `json:"claim_payment_id"`
				LineKey        int64  `json:"line_key"`
				Total          string `json:"total"`
			} `json:"items"`
			Total string `json:"total"`
		}
		s.apiJSON("biller", "GET", fmt.Sprintf("/v1/patient-share?practice_id=%d&exported=false", p1.ID), nil, &api)
		if len(api.Items) == 0 {
			t.Fatal("practice 1 has no patient share to show")
		}
		rows := eval[int](b, `document.querySelectorAll("#patient-share tbody input[type=checkbox]").length`)
		if rows != len(api.Items) {
			t.Fatalf("the page lists %d rows, the API %d", rows, len(api.Items))
		}
		total, err := money.Parse(api.Total)
		if err != nil {
			t.Fatal(err)
		}
		if got := b.text("main"); !strings.Contains(got, "total not exported "+total.Dollars()) {
			t.Fatalf("the page's total, want %s: %.300q", total.Dollars(), got)
		}
		b.shot("50-patient-share")
		// Mark the first two rows exported (the others unchecked).
		eval[bool](b, `(() => { document.querySelectorAll("#patient-share tbody input[type=checkbox]").forEach((c, i) => { c.checked = i < 2; }); return true; })()`)
		b.do(chromedp.SendKeys(chromedp.ID("batch"), "STMT-E2E-1"), submit("#mark-exported"), chromedp.WaitVisible(chromedp.CSS(".flash")))
		if got := b.text(".flash"); got != "Rows marked exported." {
			t.Fatalf("after marking: %q", got)
		}
		marked := min(2, len(api.Items))
		if n := s.count(`SELECT count(*) FROM patient_share_exports WHERE batch = 'STMT-E2E-1' AND practice_id = $1`, p1.ID); n != marked {
			t.Fatalf("%d rows exported, want %d", n, marked)
		}
		if n := eval[int](b, `document.querySelectorAll("#patient-share tbody input[type=checkbox]").length`); n != len(api.Items)-marked {
			t.Fatalf("after marking %d, the page lists %d of %d", marked, n, len(api.Items))
		}
		// The CSV: the API's export of the rows left.
		if got := b.fetchInPage(fmt.Sprintf("/console/patient-share/csv?practice_id=%d", p1.ID)); !strings.HasPrefix(got, "200 text/csv") {
			t.Fatalf("the CSV: %q", got)
		}
	})

	t.Run("AdminWriteOffReasons", func(t *testing.T) {
		b := s.newTab(t, root)
		b.signIn("admin")
		b.accessible("/console/admin/write-off-reasons")
		b.shot("51-admin-reasons")
		b.do(chromedp.SendKeys(chromedp.ID("n-code"), "e2e_courtesy"), chromedp.SendKeys(chromedp.ID("n-label"), "Courtesy adjustment"),
			chromedp.SendKeys(chromedp.ID("n-amt"), "50.00"), submit("#add-reason"), chromedp.WaitVisible(chromedp.CSS(".flash")))
		if got := b.text(".flash"); got != "Reason saved." {
			t.Fatalf("after adding the reason: %q (%s)", got, b.text("main"))
		}
		if n := s.count(`SELECT count(*) FROM write_off_reasons WHERE code = 'e2e_courtesy' AND label = 'Courtesy adjustment' AND requires_approval_over = 50 AND active`); n != 1 {
			t.Fatal("the reason is not stored")
		}
		// Deactivate it: billers no longer get it.
		b.do(chromedp.Click(chromedp.ID("c-e2e_courtesy")), submit("form:has(#c-e2e_courtesy) button"), chromedp.WaitVisible(chromedp.CSS(".flash")))
		if n := s.count(`SELECT count(*) FROM write_off_reasons WHERE code = 'e2e_courtesy' AND NOT active`); n != 1 {
			t.Fatal("the reason is still active")
		}
		var id string
		if err := s.db.Get(&id, `SELECT id::text FROM work_items WHERE practice_id = $1 AND status IN ('new', 'assigned', 'in_progress')
			AND NOT EXISTS (SELECT 1 FROM write_offs o WHERE o.work_item_id = work_items.id AND o.status = 'pending_approval') ORDER BY id LIMIT 1`, p1.ID); err != nil {
			t.Fatal(err)
		}
		b.open("/console/items/" + id)
		if n := eval[int](b, `document.querySelectorAll("#reason option[value=e2e_courtesy]").length`); n != 0 {
			t.Fatal("an inactive reason is offered")
		}
	})
}
