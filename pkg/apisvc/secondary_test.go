package apisvc

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"net/http"
	"testing"

	"github.com/remitq/remitq/pkg/correct"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/x12"
)

// withSecondary gives a claim a second payer (2320/2330).
func withSecondary(c *x12.Claim) *x12.Claim {
	c.OtherSubscribers = []*x12.OtherSubscriber{{
		Coverage:           x12.Coverage{Responsibility: "S", Relationship: "18", FilingIndicator: "MC"},
		BenefitsAssignment: "Y", ReleaseOfInformation: "Y",
		Insured: &x12.Insured{EntityType: "1", LastName: "DOE", FirstName: "ALPHA", MemberIDQualifier: "MI", MemberID: "MCD-1"},
		Payer:   &x12.Payer{Name: "STATE MEDICAID", IDQualifier: "PI", PayerID: "MCD01"},
	}}
	return c
}

// remit835 stores a real 835 paying claim c (status, crossover carrier
// when tt) as a file of practice 1, matched to billed claim bc.
func (f *fx) remit835(c *x12.Claim, bc int64, name, status string, tt bool) {
	f.t.Helper()
	f.remit835In(f.p1, "1000000004", c, bc, name, status, tt)
}

// remit835In is remit835 for another practice (payee NPI payee).
func (f *fx) remit835In(practice int64, payee string, c *x12.Claim, bc int64, name, status string, tt bool) {
	f.t.Helper()
	cp := &x12.ClaimPayment{PatientControl: c.PatientControlNumber, Status: status, FilingIndicator: "CI", PayerControl: "ICN-" + name,
		FacilityType: "11", Frequency: "1", Names: []x12.Name{{Entity: "QC", Type: "1", Last: "DOE", First: "ALPHA", IDQualifier: "MI", ID: "M-1"}}}
	if tt {
		cp.Names = append(cp.Names, x12.Name{Entity: "TT", Type: "2", Last: "STATE MEDICAID", IDQualifier: "PI", ID: "MCD01"})
	}
	for i, l := range c.Lines {
		paid := l.Charge * 60 / 100
		co := l.Charge * 25 / 100
		pr := l.Charge - paid - co
		sp := &x12.ServicePayment{Number: i + 1, Procedure: l.Procedure, Charge: l.Charge, Paid: paid, DateFrom: l.ServiceFrom, DateTo: l.ServiceTo,
			Adjustments: []x12.Adjustment{{Group: "CO", Reason: "45", Amount: co}, {Group: "PR", Reason: "2", Amount: pr}},
			Refs:        []x12.Ref{{Qualifier: "6R", Value: l.LineControlNumber}}}
		cp.Lines = append(cp.Lines, sp)
		cp.Charge += l.Charge
		cp.Paid += paid
		cp.PatientResp += pr
	}
	rem := &x12.Remittance{Control: "0001", Implementation: "005010X221A1",
		Payment: x12.Payment{Handling: "I", Amount: cp.Paid, CreditDebit: "C", Method: "NON", Date: "2026-10-01"},
		Trace:   x12.Trace{Type: "1", Number: "TRC" + name, Originator: "1999999999"},
		Payer:   x12.Party{Entity: "PR", Name: "BIG PAYER", Refs: []x12.Ref{{Qualifier: "2U", Value: "BP1"}}},
		Payee:   x12.Party{Entity: "PE", Name: "SPINE ONE", IDQualifier: "XX", ID: payee}}
	var buf bytes.Buffer
	w := x12.NewWriter(&buf, x12.DefaultDelimiters)
	if err := w.BeginInterchange(x12.Interchange{SenderID: "BP1", ReceiverID: "SPINEONE", Date: f.now, Control: 5}); err != nil {
		f.t.Fatal(err)
	}
	if err := w.BeginGroup("HP", "BP1", "SPINEONE", f.now, 5, "005010X221A1"); err != nil {
		f.t.Fatal(err)
	}
	if err := x12.WriteRemittance(w, rem, []*x12.ClaimPayment{cp}); err != nil {
		f.t.Fatal(err)
	}
	if err := w.EndGroup(); err != nil {
		f.t.Fatal(err)
	}
	if err := w.EndInterchange(); err != nil {
		f.t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		f.t.Fatal(err)
	}
	raw := buf.Bytes()
	rf, err := x12.ReadRemittances(bytes.NewReader(raw))
	if err != nil || len(rf.Errors) != 0 {
		f.t.Fatalf("835: %v %v", err, rf.Errors)
	}
	seg := rf.Remittances[0].Claims[0].Segment
	sum := sha256.Sum256(raw)
	file := f.id(`INSERT INTO remittance_files (sha256, filename, size, status, practice_id, payer_id, raw, claims, service_lines)
		VALUES ($1, $2, $3, 'ingested', $4, $5, $6, 1, $7) RETURNING id`, sum[:], name+".835", len(raw), practice, f.payer, raw, len(cp.Lines))
	tx := f.id(`INSERT INTO remittance_transactions (file_id, seq, segment_index, st_control, practice_id, payer_id, payer_name, payment_date)
		VALUES ($1, 1, 3, '0001', $2, $3, 'Big Payer', '2026-10-01') RETURNING id`, file, practice, f.payer)
	f.exec(`INSERT INTO claim_payments (file_id, transaction_id, practice_id, segment_index, patient_control_number, status,
		charge, paid, payer_claim_control, rendering_npi, phi_patient_name, service_date_from)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'LOOP^PATIENT', '2026-09-01')`, file, tx, practice, seg, c.PatientControlNumber, status,
		cp.Charge, cp.Paid, cp.PayerControl, c.Rendering.NPI)
	f.exec(`INSERT INTO line_matches (file_id, segment_index, claim_segment, practice_id, svc_index, method, confidence, review,
		billed_claim_id, billed_charge, charge, paid, allowed, patient_responsibility, net_paid)
		VALUES ($1, $2, $3, $4, 1, 'line_control_number', 1, false, $5, 210, 210, 0, 0, 0, 0)`, file, seg+1, seg, practice, bc)
}

// Over HTTP: the sweep opens a bill-secondary item for a paid claim with
// a second payer and no crossover, marks a crossed-over one and gives it
// no item; the secondary claim's COB balances with the primary 835, and
// another practice cannot sweep, see or send it.
func TestSecondaryClaimOverHTTP(t *testing.T) {
	f := newFixture(t)
	f.exec(`UPDATE payers SET payer_id_code = 'BP1' WHERE id = $1`, f.payer)
	sec, cross, plain := withSecondary(loopClaim("SEC-1", "BP1", "CI")), withSecondary(loopClaim("SEC-X", "BP1", "CI")), loopClaim("SEC-0", "BP1", "CI")
	ids := f.loadLoopClaims(sec, cross, plain)
	f.remit835(sec, ids["SEC-1"], "sec1", "1", false)
	f.remit835(cross, ids["SEC-X"], "secx", "19", true)
	f.remit835(plain, ids["SEC-0"], "sec0", "1", false)

	if r := f.do("sup2", "POST", "/v1/submissions/secondary-sweep", map[string]int64{"practice_id": f.p1}); r.code != http.StatusNotFound {
		t.Fatalf("practice 2's supervisor swept practice 1: %d %s", r.code, r.body)
	}
	r := f.do("sup1", "POST", "/v1/submissions/secondary-sweep", map[string]int64{"practice_id": f.p1})
	var sw struct{ Checked, CrossedOver, Opened int }
	r.decode(t, &sw)
	if r.code != http.StatusOK || !bytes.Contains(r.body, []byte(`"checked":2`)) || !bytes.Contains(r.body, []byte(`"crossed_over":1`)) ||
		!bytes.Contains(r.body, []byte(`"opened":1`)) {
		t.Fatalf("sweep: %d %s", r.code, r.body)
	}
	// Sweeping again decides nothing twice.
	if r := f.do("sup1", "POST", "/v1/submissions/secondary-sweep", map[string]int64{"practice_id": f.p1}); !bytes.Contains(r.body, []byte(`"checked":0`)) {
		t.Fatalf("second sweep: %s", r.body)
	}
	if n := f.count(`SELECT count(*) FROM secondary_claims WHERE billed_claim_id = $1 AND state = 'crossed_over' AND work_item_id IS NULL`, ids["SEC-X"]); n != 1 {
		t.Fatal("the crossed-over claim is not marked crossed_over")
	}
	if n := f.count(`SELECT count(*) FROM work_items WHERE kind = 'bill_secondary'`); n != 1 {
		t.Fatalf("%d bill-secondary items", n)
	}
	item := f.id(`SELECT id FROM work_items WHERE kind = 'bill_secondary' AND billed_claim_id = $1 AND category = 'coordination_of_benefits'`, ids["SEC-1"])
	path := fmt.Sprintf("/v1/work-items/%d/secondary-claim", item)
	if r := f.do("bill2", "GET", path, nil); r.code != http.StatusNotFound {
		t.Fatalf("bill2 preview: %d", r.code)
	}
	if r := f.do("bill2", "POST", path, nil); r.code != http.StatusNotFound {
		t.Fatalf("bill2 create: %d", r.code)
	}
	// A corrected claim is not what a bill-secondary item takes.
	if r := f.do("bill1", "POST", fmt.Sprintf("/v1/work-items/%d/corrected-claim", item), nil); r.code != http.StatusConflict {
		t.Fatalf("corrected claim for a secondary item: %d %s", r.code, r.body)
	}
	if r := f.do("bill1", "GET", path, nil); r.code != http.StatusOK {
		t.Fatalf("preview: %d %s", r.code, r.body)
	}
	r = f.do("bill1", "POST", path, nil)
	if r.code != http.StatusCreated {
		t.Fatalf("create: %d %s", r.code, r.body)
	}
	var sub struct {
		ID   int64  `json:"id"`
		Kind string `json:"kind"`
	}
	r.decode(t, &sub)
	file := f.do("bill1", "GET", fmt.Sprintf("/v1/submissions/%d/file", sub.ID), nil)
	got := checkFile(t, file.body)
	if sub.Kind != "secondary" || len(got) != 1 {
		t.Fatalf("submission %+v, %d claims", sub, len(got))
	}
	c := got[0]
	if bad := correct.COBBalanced(c); len(bad) != 0 {
		t.Fatalf("COB does not balance at %v", bad)
	}
	cob := c.OtherSubscribers[0]
	var paid, cas money.Amount
	for _, l := range c.Lines {
		paid += l.Adjudications[0].Paid
		for _, a := range l.Adjudications[0].Adjustments {
			cas += a.Amount
		}
	}
	if c.Payer.PayerID != "MCD01" || cob.Payer.PayerID != "BP1" || *cob.PayerPaid != paid || c.TotalCharge != paid+cas ||
		cob.AdjudicationDate != "2026-10-01" || c.Subscriber.Responsibility != "S" {
		t.Fatalf("secondary claim: payer %s, COB payer %s, AMT*D %s, SVD %s, charge %s, CAS %s", c.Payer.PayerID, cob.Payer.PayerID, cob.PayerPaid, paid, c.TotalCharge, cas)
	}
	if n := f.count(`SELECT count(*) FROM work_items WHERE id = $1 AND status = 'resubmitted'`, item); n != 1 {
		t.Fatal("the item did not move to resubmitted")
	}
}
