package apisvc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/remitq/remitq/pkg/billedstore"
	"github.com/remitq/remitq/pkg/correct"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/store"
	"github.com/remitq/remitq/pkg/submissionstore"
	"github.com/remitq/remitq/x12"
)

// loopClaim is an 837P claim of practice 1 (billing NPI 1000000004) to
// payer payerID: an E/M without 25 and a bilateral facet.
func loopClaim(pcn, payerID, filing string) *x12.Claim {
	return loopClaimFor(pcn, payerID, filing, "1000000004", npiA)
}

// loopClaimFor is loopClaim of another billing provider and rendering NPI.
func loopClaimFor(pcn, payerID, filing, billing, rendering string) *x12.Claim {
	ln := func(n int, code string, mods []string, charge money.Amount) *x12.ServiceLine {
		return &x12.ServiceLine{Number: n, Procedure: x12.Procedure{Qualifier: "HC", Code: code, Modifiers: mods}, Charge: charge,
			UnitBasis: "UN", Units: 1000, DiagnosisPointers: []int{1}, ServiceFrom: "2026-09-01", ServiceTo: "2026-09-01",
			LineControlNumber: fmt.Sprintf("%s-L%d", pcn, n)}
	}
	c := &x12.Claim{
		BillingProvider: &x12.BillingProvider{Provider: x12.Provider{Name: x12.Name{Entity: "85", Type: "2", Last: "SPINE ONE", IDQualifier: "XX", ID: billing},
			NPI: billing, Address: &x12.Address{Lines: []string{"1 MAIN ST"}, City: "AUSTIN", State: "TX", PostalCode: "78701"}, TIN: "741234567"}},
		Subscriber: &x12.Subscriber{Coverage: x12.Coverage{Responsibility: "P", Relationship: "18", FilingIndicator: filing},
			Insured: x12.Insured{EntityType: "1", LastName: "DOE", FirstName: "ALPHA", MemberIDQualifier: "MI", MemberID: "M-" + pcn, BirthDate: "1960-02-03", Gender: "F"}},
		Payer:                &x12.Payer{Name: "BIG PAYER", IDQualifier: "PI", PayerID: payerID},
		PatientControlNumber: pcn, PlaceOfService: "11", FacilityCodeQualifier: "B", FrequencyCode: "1",
		ProviderSignature: "Y", Assignment: "A", BenefitsAssignment: "Y", ReleaseOfInformation: "Y",
		Diagnoses: []x12.Diagnosis{{Qualifier: "ABK", Code: "M5416"}, {Qualifier: "ABF", Code: "M47816"}},
		Rendering: &x12.Provider{Name: x12.Name{Entity: "82", Type: "1", Last: "DOC", First: "A", IDQualifier: "XX", ID: rendering}, NPI: rendering},
		Lines:     []*x12.ServiceLine{ln(1, "99214", nil, 21000), ln(2, "64493", []string{"50"}, 165000)},
	}
	c.TotalCharge = c.LineCharges()
	return c
}

// loadLoopClaims loads claims as an 837P of practice 1 and returns their
// billed claim ids by CLM01.
func (f *fx) loadLoopClaims(claims ...*x12.Claim) map[string]int64 {
	f.t.Helper()
	raw, err := correct.File(correct.Envelope{SenderID: "SPINEONE", ReceiverID: "BP1", Control: 1, Date: f.now}, claims)
	if err != nil {
		f.t.Fatal(err)
	}
	res, err := (&billedstore.Store{DB: f.db}).LoadFile(context.Background(), "billed.837", raw, "test")
	if err != nil || res.Loaded != len(claims) {
		f.t.Fatalf("load: %+v %v", res, err)
	}
	out := map[string]int64{}
	for _, c := range claims {
		out[c.PatientControlNumber] = f.id(`SELECT id FROM billed_claims WHERE patient_control_number = $1`, c.PatientControlNumber)
	}
	return out
}

// paid records an 835 claim payment of billed claim bc (CLP02 status,
// CLP07 icn) in practice 1's file, matched to the claim.
func (f *fx) paid(bc int64, seg int, pcn, status, icn string) {
	f.t.Helper()
	f.paidIn(f.p1, f.fileP1, npiA, bc, seg, pcn, status, icn)
}

// paidIn is paid in another practice's file.
func (f *fx) paidIn(practice, file int64, npi string, bc int64, seg int, pcn, status, icn string) {
	f.t.Helper()
	tx := f.id(`SELECT id FROM remittance_transactions WHERE file_id = $1`, file)
	f.exec(`INSERT INTO claim_payments (file_id, transaction_id, practice_id, segment_index, patient_control_number, status,
		charge, paid, payer_claim_control, rendering_npi, phi_patient_name, service_date_from)
		VALUES ($1, $2, $3, $4, $5, $6, 1860, 0, nullif($7, ''), $8, 'LOOP^PATIENT', '2026-09-01')`, file, tx, practice, seg, pcn, status, icn, npi)
	f.exec(`INSERT INTO line_matches (file_id, segment_index, claim_segment, practice_id, svc_index, method, confidence, review,
		billed_claim_id, billed_charge, charge, paid, allowed, patient_responsibility, net_paid)
		VALUES ($1, $2, $3, $4, 1, 'line_control_number', 1, false, $5, 210, 210, 0, 0, 0, 0)`, file, seg+1, seg, practice, bc)
}

// loopItem is a work item of practice 1 on line 1 of billed claim bc.
func (f *fx) loopItem(bc int64, pcn, category string) int64 {
	f.t.Helper()
	return f.loopItemIn(f.p1, npiA, f.queueP1, bc, pcn, category)
}

// loopItemIn is loopItem in another practice, provider and queue.
func (f *fx) loopItemIn(practice int64, npi string, queue, bc int64, pcn, category string) int64 {
	f.t.Helper()
	bl := f.id(`SELECT id FROM billed_lines WHERE billed_claim_id = $1 AND line_number = 1`, bc)
	return f.id(`INSERT INTO work_items (dedupe_key, practice_id, provider_npi, payer_id, queue_id, kind, disposition, category,
		billed_claim_id, billed_line_id, patient_control_number, procedure_code, carc, rarc, amount_at_risk, priority, appeal_deadline)
		VALUES ('loop:'||$5, $1, $2, $3, $4, 'denial', 'denied', $6, $7, $8, $5, '99214', '{CO-4}', '{N519}', 210, 100, '2026-12-30')
		RETURNING id`, practice, npi, f.payer, queue, pcn, category, bc, bl)
}

// checkFile reads a generated file back (zero errors) and runs the shared
// checker on it; it returns the claims.
func checkFile(t *testing.T, raw []byte) []*x12.Claim {
	t.Helper()
	r := x12.NewClaimReader(bytes.NewReader(raw))
	var out []*x12.Claim
	for {
		c, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the file does not read back: %v", err)
		}
		out = append(out, c)
	}
	if len(r.Warnings()) != 0 {
		t.Fatalf("warnings reading the file back: %v", r.Warnings())
	}
	p := filepath.Join(t.TempDir(), "sub.837")
	if err := os.WriteFile(p, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := exec.Command("python3", "../../x12/testdata/refcheck/x12check.py", p).Output()
	if err != nil {
		t.Fatalf("x12check: %v", err)
	}
	var chk struct {
		NISA, NGS, NST int      `json:"-"`
		SEErrors       []string `json:"se_count_errors"`
		Versions       []string `json:"versions"`
		CLM            struct {
			Balanced bool `json:"balanced"`
		} `json:"clm_balance"`
	}
	if err := json.Unmarshal(res, &chk); err != nil || len(chk.SEErrors) != 0 || !chk.CLM.Balanced ||
		len(chk.Versions) != 1 || chk.Versions[0] != "005010X222A1" {
		t.Fatalf("x12check: %s", res)
	}
	return out
}

// Over HTTP: preview, create, list and download a corrected claim; the
// attacker cases (another practice's item, a void of a claim never paid)
// and every 409 leave nothing stored.
func TestCorrectedClaimOverHTTP(t *testing.T) {
	f := newFixture(t)
	f.exec(`UPDATE payers SET payer_id_code = 'BP1' WHERE id = $1`, f.payer)
	ids := f.loadLoopClaims(loopClaim("LOOP-1", "BP1", "CI"), loopClaim("LOOP-2", "BP1", "CI"), loopClaim("LOOP-3", "BP1", "CI"),
		loopClaim("LOOP-MCR", "01112", "MB"), loopClaim("LOOP-NOICN", "BP1", "CI"))
	f.paid(ids["LOOP-1"], 100, "LOOP-1", "1", "ICN-0001")
	f.paid(ids["LOOP-2"], 110, "LOOP-2", "4", "ICN-0002") // denied: never paid
	f.paid(ids["LOOP-3"], 120, "LOOP-3", "1", "ICN-0003")
	f.paid(ids["LOOP-MCR"], 130, "LOOP-MCR", "1", "ICN-0004")
	item1 := f.loopItem(ids["LOOP-1"], "LOOP-1", "modifier")
	item2 := f.loopItem(ids["LOOP-2"], "LOOP-2", "modifier")
	item3 := f.loopItem(ids["LOOP-3"], "LOOP-3", "modifier")
	itemMCR := f.loopItem(ids["LOOP-MCR"], "LOOP-MCR", "modifier")
	itemNoICN := f.loopItem(ids["LOOP-NOICN"], "LOOP-NOICN", "modifier")
	// A claim loaded from CSV, and an item without a billed claim.
	csv := "practice,patient_control_number,payer,member_id,service_date,procedure,modifiers,units,charge,line_control_number,frequency_code,billed_date\n" +
		"1000000004,LOOP-CSV,BP1,M-CSV,2026-09-01,99214,,1,210.00,LOOP-CSV-L1,1,2026-09-02\n"
	if res, err := (&billedstore.Store{DB: f.db}).LoadFile(context.Background(), "billed.csv", []byte(csv), "test"); err != nil || res.Loaded != 1 {
		t.Fatalf("csv load: %+v %v", res, err)
	}
	csvID := f.id(`SELECT id FROM billed_claims WHERE patient_control_number = 'LOOP-CSV'`)
	f.paid(csvID, 140, "LOOP-CSV", "1", "ICN-0005")
	itemCSV := f.loopItem(csvID, "LOOP-CSV", "modifier")
	itemNone := f.id(`INSERT INTO work_items (dedupe_key, practice_id, provider_npi, payer_id, kind, disposition, category, patient_control_number)
		VALUES ('loop:none', $1, $2, $3, 'denial', 'denied', 'modifier', 'LOOP-NONE') RETURNING id`, f.p1, npiA, f.payer)
	path := func(id int64) string { return fmt.Sprintf("/v1/work-items/%d/corrected-claim", id) }
	stored := func() int { return f.count(`SELECT count(*) FROM submissions`) }

	// The preview: the fix, CLM05-3 7, REF*F8 from the 835; audited.
	r := f.do("bill1", "GET", path(item1), nil)
	if r.code != http.StatusOK {
		t.Fatalf("preview: %d %s", r.code, r.body)
	}
	var pv CorrectedClaim
	r.decode(t, &pv)
	if pv.Reopening || pv.FrequencyCode != "7" || pv.PayerClaimControl != "ICN-0001" || pv.Claim == nil ||
		pv.Claim.Lines[0].Procedure.Modifiers[0] != "25" || pv.Profile != "commercial" {
		t.Fatalf("preview %s", r.body)
	}
	if n := f.count(`SELECT count(*) FROM audit_log WHERE action = 'work_item.corrected_claim.view' AND entity_id = $1`, fmt.Sprint(item1)); n != 1 {
		t.Fatalf("%d audit rows for the preview", n)
	}

	// Attacker: another practice's biller neither sees nor creates it.
	if r := f.do("bill2", "GET", path(item1), nil); r.code != http.StatusNotFound || bytes.Contains(r.body, []byte("LOOP-1")) {
		t.Fatalf("bill2 preview: %d %s", r.code, r.body)
	}
	if r := f.do("bill2", "POST", path(item1), nil); r.code != http.StatusNotFound {
		t.Fatalf("bill2 create: %d %s", r.code, r.body)
	}
	if r := f.do("bill2", "POST", "/v1/submissions", map[string]any{"work_items": []int64{item3, f.itemC}}); r.code != http.StatusNotFound {
		t.Fatalf("bill2 batch with practice 1's item: %d %s", r.code, r.body)
	}
	// An analyst may read but not send.
	if r := f.do("an1", "POST", path(item1), nil); r.code != http.StatusForbidden {
		t.Fatalf("analyst create: %d", r.code)
	}
	// Attacker: a void of a claim never paid.
	if r := f.do("bill1", "POST", path(item2), map[string]string{"type": "void"}); r.code != http.StatusConflict || !bytes.Contains(r.body, []byte("never_paid")) {
		t.Fatalf("void never paid: %d %s", r.code, r.body)
	}
	// The 409s say what is missing.
	for _, tc := range []struct {
		item int64
		code string
	}{{itemNoICN, "payer_claim_unknown"}, {itemMCR, "reopening"}, {f.itemA, "not_correction"}, {itemCSV, "csv_source"},
		{itemNone, "billed_claim_missing"}} {
		if r := f.do("bill1", "POST", path(tc.item), nil); r.code != http.StatusConflict || !bytes.Contains(r.body, []byte(tc.code)) {
			t.Fatalf("item %d: %d %s, want 409 %s", tc.item, r.code, r.body, tc.code)
		}
	}
	// Medicare: the preview says to request a reopening, and builds no 7.
	r = f.do("bill1", "GET", path(itemMCR), nil)
	var mcr CorrectedClaim
	r.decode(t, &mcr)
	if r.code != http.StatusOK || !mcr.Reopening || mcr.Claim != nil || !strings.Contains(mcr.Note, "reopening") || len(mcr.Changes) == 0 {
		t.Fatalf("Medicare preview: %d %s", r.code, r.body)
	}
	// A batch with one claim that cannot be built stores none of them.
	if r := f.do("bill1", "POST", "/v1/submissions", map[string]any{"work_items": []int64{item3, itemNoICN}}); r.code != http.StatusConflict {
		t.Fatalf("half-buildable batch: %d %s", r.code, r.body)
	}
	if n := stored(); n != 0 {
		t.Fatalf("%d submissions stored by refused requests", n)
	}
	if n := f.count(`SELECT count(*) FROM work_items WHERE status = 'resubmitted'`); n != 0 {
		t.Fatalf("%d items moved by refused requests", n)
	}

	// Create: 201, the item resubmitted with an event, the file valid.
	r = f.do("bill1", "POST", path(item1), nil)
	if r.code != http.StatusCreated {
		t.Fatalf("create: %d %s", r.code, r.body)
	}
	var sub struct {
		ID                 int64   `json:"id"`
		Kind               string  `json:"kind"`
		InterchangeControl int     `json:"interchange_control"`
		WorkItems          []int64 `json:"work_items"`
	}
	r.decode(t, &sub)
	if sub.Kind != "corrected" || len(sub.WorkItems) != 1 || sub.WorkItems[0] != item1 || sub.InterchangeControl < 1 {
		t.Fatalf("submission %s", r.body)
	}
	if st := f.count(`SELECT count(*) FROM work_items WHERE id = $1 AND status = 'resubmitted'`, item1); st != 1 {
		t.Fatal("the item did not move to resubmitted")
	}
	if n := f.count(`SELECT count(*) FROM work_item_events WHERE work_item_id = $1 AND action = 'resubmitted'`, item1); n != 1 {
		t.Fatalf("%d resubmitted events", n)
	}
	if r := f.do("bill1", "POST", path(item1), nil); r.code != http.StatusConflict || !bytes.Contains(r.body, []byte("already_resubmitted")) {
		t.Fatalf("second create: %d %s", r.code, r.body)
	}
	file := f.do("bill1", "GET", fmt.Sprintf("/v1/submissions/%d/file", sub.ID), nil)
	if file.code != http.StatusOK {
		t.Fatalf("download: %d %s", file.code, file.body)
	}
	got := checkFile(t, file.body)
	if len(got) != 1 || got[0].FrequencyCode != "7" || got[0].PayerClaimControlNumber != "ICN-0001" || got[0].PatientControlNumber != "LOOP-1" {
		t.Fatalf("file claims %+v", got)
	}
	if !bytes.Contains(file.body, []byte(fmt.Sprintf("*%09d*", sub.InterchangeControl))) {
		t.Fatalf("ISA13 is not the submission's control number %d", sub.InterchangeControl)
	}
	// The lines differ from the billed claim exactly by the fix.
	orig := loopClaim("LOOP-1", "BP1", "CI")
	if m := got[0].Lines[0].Procedure.Modifiers; len(m) != 1 || m[0] != "25" || got[0].Lines[1].Procedure.Code != "64493" ||
		strings.Join(got[0].Lines[1].Procedure.Modifiers, ",") != "50" || got[0].Lines[1].Charge != orig.Lines[1].Charge ||
		got[0].Lines[0].LineControlNumber == orig.Lines[0].LineControlNumber {
		t.Fatalf("corrected lines %+v %+v", got[0].Lines[0], got[0].Lines[1])
	}
	if n := f.count(`SELECT count(*) FROM audit_log WHERE action = 'submission.download' AND entity_id = $1`, fmt.Sprint(sub.ID)); n != 1 {
		t.Fatalf("%d audit rows for the download", n)
	}
	// Another practice's user does not see the file.
	if r := f.do("bill2", "GET", fmt.Sprintf("/v1/submissions/%d/file", sub.ID), nil); r.code != http.StatusNotFound {
		t.Fatalf("bill2 download: %d", r.code)
	}
	var list struct {
		Submissions []struct {
			ID int64 `json:"id"`
		} `json:"submissions"`
	}
	f.do("bill2", "GET", "/v1/submissions", nil).decode(t, &list)
	if len(list.Submissions) != 0 {
		t.Fatalf("bill2 lists %+v", list)
	}
	f.do("bill1", "GET", "/v1/submissions", nil).decode(t, &list)
	if len(list.Submissions) != 1 || list.Submissions[0].ID != sub.ID {
		t.Fatalf("bill1 lists %+v", list)
	}
	// A void of the paid claim.
	vr := f.do("bill1", "GET", path(item3)+"?type=void", nil)
	var void CorrectedClaim
	vr.decode(t, &void)
	if vr.code != http.StatusOK || void.FrequencyCode != "8" || void.PayerClaimControl != "ICN-0003" {
		t.Fatalf("void preview: %d %s", vr.code, vr.body)
	}
}

// Two batches of one sender at once get different control numbers, and
// each file carries its own.
func TestConcurrentBatchesNeverRepeatControlNumbers(t *testing.T) {
	f := newFixture(t)
	f.exec(`UPDATE payers SET payer_id_code = 'BP1' WHERE id = $1`, f.payer)
	var claims []*x12.Claim
	for i := range 6 {
		claims = append(claims, loopClaim(fmt.Sprintf("CC-%d", i), "BP1", "CI"))
	}
	ids := f.loadLoopClaims(claims...)
	var items []int64
	for i, c := range claims {
		pcn := c.PatientControlNumber
		f.paid(ids[pcn], 200+10*i, pcn, "1", "ICN-C"+pcn)
		items = append(items, f.loopItem(ids[pcn], pcn, "modifier"))
	}
	var wg sync.WaitGroup
	codes := make([]int, 3)
	bodies := make([][]byte, 3)
	for g := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := f.do("bill1", "POST", "/v1/submissions", map[string]any{"work_items": items[2*g : 2*g+2]})
			codes[g], bodies[g] = r.code, r.body
		}()
	}
	wg.Wait()
	seen := map[int]bool{}
	for g := range 3 {
		if codes[g] != http.StatusCreated {
			t.Fatalf("batch %d: %d %s", g, codes[g], bodies[g])
		}
		var out struct {
			Submissions []struct {
				ID                 int64 `json:"id"`
				InterchangeControl int   `json:"interchange_control"`
				Claims             int   `json:"claims"`
			} `json:"submissions"`
		}
		if err := json.Unmarshal(bodies[g], &out); err != nil || len(out.Submissions) != 1 || out.Submissions[0].Claims != 2 {
			t.Fatalf("batch %d: %s", g, bodies[g])
		}
		s := out.Submissions[0]
		if seen[s.InterchangeControl] {
			t.Fatalf("control number %d repeated", s.InterchangeControl)
		}
		seen[s.InterchangeControl] = true
		file := f.do("bill1", "GET", fmt.Sprintf("/v1/submissions/%d/file", s.ID), nil)
		if got := checkFile(t, file.body); len(got) != 2 {
			t.Fatalf("batch %d file holds %d claims", g, len(got))
		}
		if !bytes.Contains(file.body, []byte(fmt.Sprintf("*%09d*", s.InterchangeControl))) {
			t.Fatalf("batch %d: ISA13 is not %d", g, s.InterchangeControl)
		}
	}
}

// loopTarget is what the matrices call the loop's routes at, per fixture
// and target: items whose claims can be built, a stored submission.
type loopTarget struct{ get, post, batch, sec, sub int64 }

var (
	loopTargetsMu sync.Mutex
	loopTargets   = map[*fx]map[string]*loopTarget{}
)

// loopTargetOf sets up (once per fixture and target) correctable items of
// the target's practice and provider, a bill-secondary item and a
// submission.
func (f *fx) loopTargetOf(t target) *loopTarget {
	loopTargetsMu.Lock()
	defer loopTargetsMu.Unlock()
	if lt := loopTargets[f][t.name]; lt != nil {
		return lt
	}
	f.t.Helper()
	billing := f.practiceNPI(t.practice)
	pcn := func(k string) string { return "MX-" + t.name + "-" + k }
	claims := []*x12.Claim{}
	for _, k := range []string{"G", "P", "B", "F"} {
		claims = append(claims, loopClaimFor(pcn(k), "BP1", "CI", billing, t.npi))
	}
	sec := withSecondary(loopClaimFor(pcn("S"), "BP1", "CI", billing, t.npi))
	ids := f.loadLoopClaims(append(claims, sec)...)
	items := map[string]int64{}
	for i, k := range []string{"G", "P", "B", "F"} {
		f.paidIn(t.practice, t.file, t.npi, ids[pcn(k)], 5000+int(ids[pcn(k)])*10+i, pcn(k), "1", "ICN-"+pcn(k))
		items[k] = f.loopItemIn(t.practice, t.npi, t.queue, ids[pcn(k)], pcn(k), "modifier")
	}
	f.remit835In(t.practice, billing, sec, ids[pcn("S")], "mx-"+t.name, "1", false)
	ctx := context.Background()
	if _, err := submissionstore.SweepSecondary(ctx, f.db, t.practice); err != nil {
		f.t.Fatal(err)
	}
	subs, err := (&submissionstore.Preparer{}).Submit(ctx, f.db, []int64{items["F"]}, submissionstore.TypeReplacement, "test", f.now, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	lt := &loopTarget{get: items["G"], post: items["P"], batch: items["B"], sub: subs[0].ID,
		sec: f.id(`SELECT id FROM work_items WHERE kind = 'bill_secondary' AND billed_claim_id = $1`, ids[pcn("S")])}
	if loopTargets[f] == nil {
		loopTargets[f] = map[string]*loopTarget{}
	}
	loopTargets[f][t.name] = lt
	return lt
}

// addLoopCases adds the loop's routes to the authorization and write
// matrices (matrix_test.go).
func (f *fx) addLoopCases(t target, m map[string]request) {
	lt := f.loopTargetOf(t)
	item := func(id int64, tail string) string { return fmt.Sprintf("/v1/work-items/%d/%s", id, tail) }
	m["GET /v1/work-items/{id}/corrected-claim"] = request{method: "GET", path: item(lt.get, "corrected-claim"), scope: scopeRow}
	m["POST /v1/work-items/{id}/corrected-claim"] = request{method: "POST", path: item(lt.post, "corrected-claim"), body: map[string]any{"type": "replacement"}, scope: scopeRow}
	m["GET /v1/submissions"] = request{method: "GET", path: "/v1/submissions"}
	m["POST /v1/submissions"] = request{method: "POST", path: "/v1/submissions", body: map[string]any{"work_items": []int64{lt.batch}}, scope: scopeRow}
	m["GET /v1/submissions/{id}"] = request{method: "GET", path: fmt.Sprintf("/v1/submissions/%d", lt.sub), scope: scopeFile}
	m["GET /v1/submissions/{id}/file"] = request{method: "GET", path: fmt.Sprintf("/v1/submissions/%d/file", lt.sub), scope: scopeFile}
	m["GET /v1/work-items/{id}/secondary-claim"] = request{method: "GET", path: item(lt.sec, "secondary-claim"), scope: scopeRow}
	m["POST /v1/work-items/{id}/secondary-claim"] = request{method: "POST", path: item(lt.sec, "secondary-claim"), scope: scopeRow}
	m["POST /v1/submissions/secondary-sweep"] = request{method: "POST", path: "/v1/submissions/secondary-sweep", body: map[string]any{"practice_id": t.practice}, scope: scopeFile}
}

// TestSubmitOnOneConnection: a batch is built, numbered and stored on the
// one connection of its transaction. With a pool of one connection the
// first batch of a new sender used to wait forever for a second connection
// (the control number was taken outside the transaction), which is how the
// console saw corrected-claim creates hang when the pool was busy.
func TestSubmitOnOneConnection(t *testing.T) {
	f := newFixture(t)
	f.exec(`UPDATE payers SET payer_id_code = 'BP1' WHERE id = $1`, f.payer)
	ids := f.loadLoopClaims(loopClaim("ONE-1", "BP1", "CI"))
	f.paid(ids["ONE-1"], 300, "ONE-1", "1", "ICN-ONE1")
	item := f.loopItem(ids["ONE-1"], "ONE-1", "modifier")
	f.db.SetMaxOpenConns(1)
	t.Cleanup(func() { f.db.SetMaxOpenConns(store.DefaultMaxOpenConns) })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	subs, err := (&submissionstore.Preparer{}).Submit(ctx, f.db, []int64{item}, submissionstore.TypeReplacement, "test", f.now, nil)
	if err != nil {
		t.Fatalf("a batch on a pool of one connection: %v", err)
	}
	if len(subs) != 1 || subs[0].InterchangeControl < 1 {
		t.Fatalf("submissions = %+v", subs)
	}
}
