package kpistore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/devenv/devtest"
	"github.com/remitq/remitq/pkg/kpi"
)

func TestMain(m *testing.M) { devtest.Main(m) }

// hand is a small data set written straight into the tables the ingest,
// matcher, billing loader and router write (one practice, one payer,
// October 2026), with the KPIs worked out by hand.
type hand struct {
	t        testing.TB
	db       *sqlx.DB
	practice int64
	second   int64 // the second practice
	seq      int
}

func (h *hand) id(q string, args ...any) int64 {
	h.t.Helper()
	var id int64
	if err := h.db.QueryRow(q, args...).Scan(&id); err != nil {
		h.t.Fatalf("%s: %v", strings.Fields(q)[2], err)
	}
	return id
}

func (h *hand) exec(q string, args ...any) {
	h.t.Helper()
	if _, err := h.db.Exec(q, args...); err != nil {
		h.t.Fatalf("%v: %s", err, q)
	}
}

// remit stores a file with one transaction paid on date.
func (h *hand) remit(date string) (file, tx int64) {
	h.seq++
	sum := sha256.Sum256([]byte(fmt.Sprint("file", h.seq)))
	file = h.id(`INSERT INTO remittance_files (sha256, size, raw, status, practice_id) VALUES ($1, 0, '', 'ingested', $2) RETURNING id`,
		sum[:], h.practice)
	tx = h.id(`INSERT INTO remittance_transactions (file_id, seq, segment_index, st_control, practice_id, payment_date)
		VALUES ($1, 1, 3, '0001', $2, $3) RETURNING id`, file, h.practice, date)
	return file, tx
}

func (h *hand) billed(pcn string, charge string, lines int, billedDate string) int64 {
	return h.id(`INSERT INTO billed_claims (practice_id, source, patient_control_number, payer_code, rendering_npi, total_charge,
		billed_date, service_date_from, line_count, content_sha256) VALUES ($1, '837', $2, 'PAY1', '1234567893', $3, $4, $4, $5, '\x00')
		RETURNING id`, h.practice, pcn, charge, billedDate, lines)
}

type claimSpec struct {
	file, tx     int64
	seg          int
	status       string
	billed       int64 // 0: none
	flags        []string
	nets         [2]int64 // file, segment of the claim it nets against
	charge, paid string
}

// claim stores a CLP (claim_payments + match_claims) and returns its id.
func (h *hand) claim(c claimSpec) int64 {
	id := h.id(`INSERT INTO claim_payments (file_id, transaction_id, practice_id, segment_index, patient_control_number, status,
		charge, paid, service_date_from) VALUES ($1, $2, $3, $4, 'PCN', $5, $6, $7, '2026-09-14') RETURNING id`,
		c.file, c.tx, h.practice, c.seg, c.status, c.charge, c.paid)
	var billed, nf, ns any
	if c.billed != 0 {
		billed = c.billed
	}
	if c.nets[0] != 0 {
		nf, ns = c.nets[0], c.nets[1]
	}
	h.exec(`INSERT INTO match_claims (file_id, segment_index, practice_id, payer_code, patient_control_number, status, claim_key,
		payment_key, service_date, billed_claim_id, method, confidence, flags, nets_against_file, nets_against_segment, charge, paid,
		patient_responsibility, review) VALUES ($1, $2, $3, 'PAY1', 'PCN', $4, 'k', 'p', '2026-09-14', $5, 'line_control', 1, $6,
		$7, $8, $9, $10, 0, false)`, c.file, c.seg, h.practice, c.status, billed, pq.Array(append([]string{}, c.flags...)), nf, ns, c.charge, c.paid)
	return id
}

type lineSpec struct {
	file, claimID int64
	claimSeg      int
	seg, svc      int
	code          string
	charge, paid  string
	pr            string
	flags         []string
	method        string
	expected      any
	nets          [2]int64
	adjs          [][3]string // group, reason, amount
	remarks       []string
}

func (h *hand) line(l lineSpec) {
	sl := h.id(`INSERT INTO service_line_payments (claim_payment_id, file_id, practice_id, segment_index, line_number,
		procedure_qualifier, procedure_code, charge, paid, service_date_from) VALUES ($1, $2, $3, $4, $5, 'HC', $6, $7, $8, '2026-09-14')
		RETURNING id`, l.claimID, l.file, h.practice, l.seg, l.svc, l.code, l.charge, l.paid)
	if l.method == "" {
		l.method = "line_control"
	}
	var nf, ns any
	if l.nets[0] != 0 {
		nf, ns = l.nets[0], l.nets[1]
	}
	h.exec(`INSERT INTO line_matches (file_id, segment_index, claim_segment, practice_id, svc_index, procedure_code, service_date,
		method, confidence, review, flags, billed_charge, charge, paid, allowed, patient_responsibility, expected_allowed, net_paid,
		nets_against_file, nets_against_segment) VALUES ($1, $2, $3, $4, $5, $6, '2026-09-14', $7, 1, false, $8, $9, $9, $10, 0, $11,
		$12, $10, $13, $14)`, l.file, l.seg, l.claimSeg, h.practice, l.svc, l.code, l.method, pq.Array(append([]string{}, l.flags...)), l.charge, l.paid,
		l.pr, l.expected, nf, ns)
	for i, a := range l.adjs {
		h.exec(`INSERT INTO adjustments (file_id, claim_payment_id, service_line_id, segment_index, position, group_code, reason_code,
			amount) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, l.file, l.claimID, sl, l.seg+1, i+1, a[0], a[1], a[2])
	}
	for i, r := range l.remarks {
		h.exec(`INSERT INTO remarks (file_id, claim_payment_id, service_line_id, segment_index, position, qualifier, code)
			VALUES ($1, $2, $3, $4, $5, 'HE', $6)`, l.file, l.claimID, sl, l.seg, i+1, r)
	}
}

// newHand writes the data set:
//
//	practice 1, billed: BA $300 (2 lines), BB $500, BC $400, billed 2026-09-15/20/25
//	remit of 2026-10-05:
//	  A  CLP02 1 for BA: 99214 charge 100 paid 60, CO-45 20, PR-2 20, fee schedule 110 (underpaid by 30);
//	                     64483 charge 200 paid 0, CO-197 200 + N54 (denied: authorization)
//	  B  CLP02 1 for BB: 64493 charge 500 paid 300, CO-45 100, PR-1 100
//	  C  CLP02 4 for BC: 62323 charge 400 paid 0, CO-50 400 + N115 (denied: medical necessity), fee schedule 380
//	remit of 2026-10-20:
//	  D  CLP02 22 reverses B: 64493 charge -500 paid -300, CO-45 -100, PR-1 -100
//	  E  CLP02 1 corrects B: 64493 charge 500 paid 350, CO-45 100, PR-1 50
//	  F  duplicate remittance of A (counts nowhere)
//	  G  CLP02 2 (secondary) for BA: 99214 charge 100 paid 20, OA-23 80
//	remit of 2026-10-28:
//	  H  CLP02 1 for BC again after the appeal (a re-adjudication, no correction flag): 62323 charge 400 paid 300, CO-45 100
//	practice 2, billed: BZ $100 billed 2026-09-30; remit of 2026-10-07: Z CLP02 1: 99213 charge 100 paid 80, CO-45 20
//	work items (practice 1):
//	  W1 denial (A's 64483, authorization) created 10-05, appealed 10-10 with $200 at risk, $150 recovered, resolved 10-25
//	  W2 underpayment (A's 99214) created 10-06 from the remit of 10-05, open
//	  W3 denial (C's 62323, medical necessity) created 10-05, appealed 10-12 with $400 at risk, $300 recovered, resolved 10-28
//	  W4 denial (coding_bundling) created 10-07 from the remit of 10-05, appealed 10-15 with $90 at risk: pending
//	  W5 denial (coding_bundling, billed $150) created 10-06, appealed 10-08 with $120 at risk, written off 10-30 ($120)
//	patient payments (import): 10-22 $15 for BB, 10-25 $30 for BB, 10-26 a $5 refund on account (no claim)
func newHand(t testing.TB) *hand {
	h := &hand{t: t, db: devtest.DB(t)}
	h.practice = h.id(`INSERT INTO practices (name, npi) VALUES ('Hand Pain', '1234567893') RETURNING id`)
	h.id(`INSERT INTO payers (name, payer_id_code) VALUES ('Hand Payer', 'PAY1') RETURNING id`)
	ba := h.billed("BA", "300.00", 2, "2026-09-15")
	bb := h.billed("BB", "500.00", 1, "2026-09-20")
	bc := h.billed("BC", "400.00", 1, "2026-09-25")

	f1, t1 := h.remit("2026-10-05")
	a := h.claim(claimSpec{file: f1, tx: t1, seg: 10, status: "1", billed: ba, charge: "300", paid: "60"})
	h.line(lineSpec{file: f1, claimID: a, claimSeg: 10, seg: 11, svc: 1, code: "99214", charge: "100", paid: "60", pr: "20",
		flags: []string{"underpaid"}, expected: "110.00", adjs: [][3]string{{"CO", "45", "20"}, {"PR", "2", "20"}}})
	h.line(lineSpec{file: f1, claimID: a, claimSeg: 10, seg: 14, svc: 2, code: "64483", charge: "200", paid: "0", pr: "0",
		flags: []string{"denied"}, adjs: [][3]string{{"CO", "197", "200"}}, remarks: []string{"N54"}})
	b := h.claim(claimSpec{file: f1, tx: t1, seg: 20, status: "1", billed: bb, charge: "500", paid: "300"})
	h.line(lineSpec{file: f1, claimID: b, claimSeg: 20, seg: 21, svc: 1, code: "64493", charge: "500", paid: "300", pr: "100",
		adjs: [][3]string{{"CO", "45", "100"}, {"PR", "1", "100"}}})
	c := h.claim(claimSpec{file: f1, tx: t1, seg: 30, status: "4", billed: bc, charge: "400", paid: "0"})
	h.line(lineSpec{file: f1, claimID: c, claimSeg: 30, seg: 31, svc: 1, code: "62323", charge: "400", paid: "0", pr: "0",
		flags: []string{"denied"}, expected: "380.00", adjs: [][3]string{{"CO", "50", "400"}}, remarks: []string{"N115"}})

	f2, t2 := h.remit("2026-10-20")
	d := h.claim(claimSpec{file: f2, tx: t2, seg: 10, status: "22", billed: bb, flags: []string{"reversal"}, nets: [2]int64{f1, 20},
		charge: "-500", paid: "-300"})
	h.line(lineSpec{file: f2, claimID: d, claimSeg: 10, seg: 11, svc: 1, code: "64493", charge: "-500", paid: "-300", pr: "-100",
		method: "reversal", flags: []string{"reversal"}, nets: [2]int64{f1, 21},
		adjs: [][3]string{{"CO", "45", "-100"}, {"PR", "1", "-100"}}})
	e := h.claim(claimSpec{file: f2, tx: t2, seg: 20, status: "1", billed: bb, flags: []string{"correction"}, nets: [2]int64{f1, 20},
		charge: "500", paid: "350"})
	h.line(lineSpec{file: f2, claimID: e, claimSeg: 20, seg: 21, svc: 1, code: "64493", charge: "500", paid: "350", pr: "50",
		flags: []string{"correction"}, adjs: [][3]string{{"CO", "45", "100"}, {"PR", "1", "50"}}})
	f := h.claim(claimSpec{file: f2, tx: t2, seg: 30, status: "1", billed: ba, flags: []string{"duplicate_remit"}, charge: "300", paid: "60"})
	h.line(lineSpec{file: f2, claimID: f, claimSeg: 30, seg: 31, svc: 1, code: "99214", charge: "100", paid: "60", pr: "20",
		flags: []string{"duplicate_remit"}, adjs: [][3]string{{"CO", "45", "20"}, {"PR", "2", "20"}}})
	g := h.claim(claimSpec{file: f2, tx: t2, seg: 40, status: "2", billed: ba, flags: []string{"secondary"}, charge: "100", paid: "20"})
	h.line(lineSpec{file: f2, claimID: g, claimSeg: 40, seg: 41, svc: 1, code: "99214", charge: "100", paid: "20", pr: "0",
		method: "claim_and_procedure", flags: []string{"secondary"}, adjs: [][3]string{{"OA", "23", "80"}}})

	f3, t3 := h.remit("2026-10-28")
	hc := h.claim(claimSpec{file: f3, tx: t3, seg: 10, status: "1", billed: bc, charge: "400", paid: "300"})
	h.line(lineSpec{file: f3, claimID: hc, claimSeg: 10, seg: 11, svc: 1, code: "62323", charge: "400", paid: "300", pr: "0",
		adjs: [][3]string{{"CO", "45", "100"}}})

	p1 := h.practice
	h.practice = h.id(`INSERT INTO practices (name, npi) VALUES ('Second Spine', '1245319599') RETURNING id`)
	bz := h.billed("BZ", "100.00", 1, "2026-09-30")
	f4, t4 := h.remit("2026-10-07")
	z := h.claim(claimSpec{file: f4, tx: t4, seg: 10, status: "1", billed: bz, charge: "100", paid: "80"})
	h.line(lineSpec{file: f4, claimID: z, claimSeg: 10, seg: 11, svc: 1, code: "99213", charge: "100", paid: "80", pr: "0",
		adjs: [][3]string{{"CO", "45", "20"}}})
	h.second, h.practice = h.practice, p1

	var sl64483, sl62323 int64
	h.db.QueryRow(`SELECT id FROM service_line_payments WHERE file_id = $1 AND segment_index = 14`, f1).Scan(&sl64483)
	h.db.QueryRow(`SELECT id FROM service_line_payments WHERE file_id = $1 AND segment_index = 31`, f1).Scan(&sl62323)
	item := func(key, kind, cat, cpt, risk, billed, created, remit string, sl int64) int64 {
		var slv any
		if sl != 0 {
			slv = sl
		}
		return h.id(`INSERT INTO work_items (dedupe_key, practice_id, provider_npi, kind, disposition, category, procedure_code,
			amount_at_risk, billed_amount, created_at, remit_date, service_date, service_line_id) VALUES ($1, $2, '1234567893', $3,
			'denied', $4, $5, $6, $7, $8, $9, '2026-09-14', $10) RETURNING id`, key, h.practice, kind, cat, cpt, risk, billed,
			created, remit, slv)
	}
	w1 := item("billed_line:1", "denial", "authorization", "64483", "200", "200", "2026-10-05 12:00Z", "2026-10-05", sl64483)
	item("billed_line:2", "underpayment", "underpayment", "99214", "30", "100", "2026-10-06 12:00Z", "2026-10-05", 0)
	w3 := item("billed_line:3", "denial", "medical_necessity", "62323", "400", "400", "2026-10-05 12:00Z", "2026-10-05", sl62323)
	w4 := item("billed_line:4", "denial", "coding_bundling", "64484", "90", "90", "2026-10-07 12:00Z", "2026-10-05", 0)
	w5 := item("billed_line:5", "denial", "coding_bundling", "64494", "120", "150", "2026-10-06 12:00Z", "2026-10-06", 0)
	for w, on := range map[int64]string{w1: "2026-10-10", w3: "2026-10-12", w4: "2026-10-15", w5: "2026-10-08"} {
		h.exec(`UPDATE work_items SET status = 'appealed', appealed_on = $2 WHERE id = $1`, w, on)
	}
	h.exec(`UPDATE work_items SET status = 'resolved', recovered_amount = 150, amount_at_risk = 0, resolved_at = '2026-10-25 09:00Z'
		WHERE id = $1`, w1)
	h.exec(`UPDATE work_items SET status = 'resolved', recovered_amount = 300, amount_at_risk = 0, resolved_at = '2026-10-28 09:00Z'
		WHERE id = $1`, w3)
	h.exec(`UPDATE work_items SET status = 'written_off', resolution = 'timely filing', resolved_at = '2026-10-30 09:00Z'
		WHERE id = $1`, w5)

	res, err := ImportPayments(context.Background(), h.db, []byte(handPayments), ImportOptions{FileName: "pm.csv", By: "test",
		Now: func() time.Time { return time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatalf("import patient payments: %v", err)
	}
	if res.Rows != 3 || res.Inserted != 3 || res.Total != -500+1500+3000 {
		t.Fatalf("import: %+v", res)
	}
	return h
}

// handPayments is the patient-payments export of the hand data set.
const handPayments = "payment_id,practice_npi,account,claim_id,service_date,amount,paid_date,method\n" +
	"PM-1,1234567893,ACCT-77,BB,2026-09-14,15.00,2026-10-22,card\n" +
	"PM-2,1234567893,ACCT-77,BB,,30,10/25/2026,check\n" +
	"PM-3,1234567893,ACCT-78,,,-5.00,2026-10-26,other\n"

func october() (day.Day, day.Day) { return day.New(2026, 10, 1), day.New(2026, 10, 31) }

// value computes a KPI for October 2026, one bucket, no grouping.
func value(t *testing.T, db *sqlx.DB, name string, group ...kpi.Dim) []kpi.Point {
	t.Helper()
	def, ok := kpi.Lookup(name)
	if !ok {
		t.Fatalf("no KPI %s", name)
	}
	from, to := october()
	if group == nil {
		group = []kpi.Dim{}
	}
	rep, err := Report(context.Background(), db, kpi.Request{Def: def, GroupBy: group, Bucket: kpi.ByMonth, From: from, To: to}, Scope{})
	if err != nil {
		t.Fatal(err)
	}
	return rep.Points
}

func TestHandComputed(t *testing.T) {
	h := newHand(t)
	ctx := context.Background()
	st, err := Refresh(ctx, h.db)
	if err != nil {
		t.Fatal(err)
	}
	if st.Claims != 9 || st.Items != 5 || st.Billed != 4 || st.Payments != 3 {
		t.Fatalf("refreshed %+v, want 9 claims, 5 items, 4 billed claims, 3 patient payments", st)
	}
	tests := []struct {
		kpi      string
		num, den int64
		text     string
	}{
		// First adjudications: A, B, C, Z (D reversal, E correction, F duplicate, G secondary, H a
		// re-adjudication of BC); denied in full or in part: A (64483), C → 2 / 4.
		{"denial_rate", 2, 4, "50.00"},
		// Lines of first adjudications: A 2 + B 1 + C 1 + Z 1 = 5; denied: A's 64483, C's 62323.
		{"denial_rate_lines", 2, 5, "40.00"},
		// Charges 100 + 200 + 500 + 400 + 100 = 1300; denied 200 + 400 = 600.
		{"denial_rate_dollars", 60000, 130000, "46.15"},
		// Paid in full on first adjudication: B and Z (A has a denial and an underpayment, C is CLP02 4).
		{"first_pass_resolution_rate", 2, 4, "50.00"},
		// Payer payments 60 + 300 + 0 − 300 + 350 + 20 + 300 + 80 = 810, patient 15 + 30 − 5 = 40;
		// charges of adjudicated lines 300 + 500 + 400 − 500 + 500 + 400 + 100 = 1700, contractual
		// 20 + 100 − 100 + 100 + 100 + 20 = 240: 850 / 1460.
		{"net_collection_rate", 85000, 146000, "58.22"},
		// Posted A 2, B, C, D, E, G, H, Z = 9; touchless B, D, E, G, H, Z = 6.
		{"touchless_rate", 6, 9, "66.67"},
		// A's 99214: expected 110 − (60 + 20) = 30, one line.
		{"underpayment_dollars", 3000, 1, "30.00"},
		// Payer A/R at 10-31: billed 1300 − (A 100 + B 500 − D 500 + E 500 + H 400 + Z 100 = 1100) − W5
		// written off 120 = 80; patient A/R: shares moved A 20 + B 100 − D 100 + E 50 = 70, less G's
		// secondary 20 and patient payments 40 = 10. Charges of the last 90 days 1300.
		{"days_in_ar", 9000, 130000, "6.2"},
		{"days_in_ar_payer", 8000, 130000, "5.5"},
		{"days_in_ar_patient", 1000, 130000, "0.7"},
		// Decided: W1 and W3 won, W5 lost (W4 pending counts in neither).
		{"appeal_overturn_rate", 2, 3, "66.67"},
		// Recovered 150 + 300 + 0; expected: W1 the charge 200 (no fee schedule), W3 the fee schedule
		// 380, W5 its billed 150: 450 / 730.
		{"appeal_recovery_rate", 45000, 73000, "61.64"},
		// Closed in October: W1, W3, W5; created: all five.
		{"work_throughput", 3, 5, "3"},
		// Open at 10-31: W2 and W4, both from the remit of 10-05: 26 days each.
		{"work_aging", 52, 2, "26.0"},
	}
	for _, tc := range tests {
		ps := value(t, h.db, tc.kpi)
		if len(ps) != 1 {
			t.Errorf("%s: %d points, want 1: %+v", tc.kpi, len(ps), ps)
			continue
		}
		def, _ := kpi.Lookup(tc.kpi)
		p := ps[0]
		if p.Num != tc.num || p.Den != tc.den || p.Text(placesOf(def)) != tc.text {
			t.Errorf("%s: %d / %d = %s, want %d / %d = %s", tc.kpi, p.Num, p.Den, p.Text(placesOf(def)), tc.num, tc.den, tc.text)
		}
	}
	// The clean-claim rate needs 999/277CA acknowledgements: without any
	// it is served with its definition and why it has no value, never a
	// stand-in figure.
	if rep := report(t, h.db, "clean_claim_rate", Scope{}); len(rep.Points) != 0 || !strings.Contains(rep.Def.Unavailable, "999/277CA") {
		t.Errorf("clean_claim_rate: %+v (unavailable %q)", rep.Points, rep.Def.Unavailable)
	}
	// Patient payments are on file: the net collection rate is the full
	// one, with its target.
	if rep := report(t, h.db, "net_collection_rate", Scope{}); rep.Def.Variant != "" || rep.Def.Target == nil {
		t.Errorf("net collection with patient payments reads %q", rep.Def.Title)
	}
	// Practice 2 has none: payer-only, no target.
	if rep := report(t, h.db, "net_collection_rate", Scope{Practices: []int64{h.second}}); rep.Def.Variant != "payer_only" ||
		rep.Def.Target != nil || !strings.Contains(rep.Def.Title, "payer payments only") {
		t.Errorf("net collection without patient payments: %q %+v", rep.Def.Title, rep.Def.Target)
	}

	// Groupings, by hand.
	grouped := func(name string, dim kpi.Dim) map[string]string {
		def, _ := kpi.Lookup(name)
		out := map[string]string{}
		for _, p := range value(t, h.db, name, dim) {
			v := p.Text(placesOf(def))
			if !p.Defined() {
				v = "undefined"
			}
			out[p.Group[0]] = fmt.Sprintf("%d/%d=%s", p.Num, p.Den, v)
		}
		return out
	}
	p1, p2 := fmt.Sprint(h.practice), fmt.Sprint(h.practice+1)
	for _, tc := range []struct {
		kpi  string
		dim  kpi.Dim
		want map[string]string
	}{
		{"denial_rate", kpi.DimPractice, map[string]string{p1: "2/3=66.67", p2: "0/1=0.00"}},
		{"denial_rate", kpi.DimPayer, map[string]string{"PAY1": "2/4=50.00"}},
		{"denial_rate", kpi.DimProvider, map[string]string{"1234567893": "2/4=50.00"}},
		{"denial_rate_lines", kpi.DimCPT, map[string]string{"99214": "0/1=0.00", "64483": "1/1=100.00", "64493": "0/1=0.00",
			"62323": "1/1=100.00", "99213": "0/1=0.00"}},
		{"denial_rate_dollars", kpi.DimCategory, map[string]string{"": "0/60000=0.00", "authorization": "20000/20000=100.00",
			"medical_necessity": "40000/40000=100.00", "underpayment": "0/10000=0.00"}},
		{"first_pass_resolution_rate", kpi.DimPractice, map[string]string{p1: "1/3=33.33", p2: "1/1=100.00"}},
		// The refund on account names no claim, so it has no payer; the
		// claim-linked payments are PAY1's.
		{"net_collection_rate", kpi.DimPayer, map[string]string{"PAY1": "85500/146000=58.56", "": "-500/0=undefined"}},
		{"net_collection_rate", kpi.DimPractice, map[string]string{p1: "77000/138000=55.80", p2: "8000/8000=100.00"}},
		{"days_in_ar", kpi.DimPractice, map[string]string{p1: "9000/120000=6.8", p2: "0/10000=0.0"}},
		// Patient A/R of PAY1's claims: 70 moved − 20 secondary − 45 paid = 5; the $5 refund on account puts 5 back.
		{"days_in_ar_patient", kpi.DimPayer, map[string]string{"PAY1": "500/130000=0.3", "": "500/0=undefined"}},
		{"appeal_overturn_rate", kpi.DimCategory, map[string]string{"authorization": "1/1=100.00", "medical_necessity": "1/1=100.00",
			"coding_bundling": "0/1=0.00"}},
		{"appeal_recovery_rate", kpi.DimCPT, map[string]string{"64483": "15000/20000=75.00", "62323": "30000/38000=78.95",
			"64494": "0/15000=0.00"}},
		{"work_throughput", kpi.DimCategory, map[string]string{"authorization": "1/1=1", "medical_necessity": "1/1=1",
			"coding_bundling": "1/2=1", "underpayment": "0/1=0"}},
		// Categories whose items are all closed have no mean age.
		{"work_aging", kpi.DimCategory, map[string]string{"underpayment": "26/1=26.0", "coding_bundling": "26/1=26.0",
			"authorization": "0/0=undefined", "medical_necessity": "0/0=undefined"}},
		{"touchless_rate", kpi.DimPractice, map[string]string{p1: "5/8=62.50", p2: "1/1=100.00"}},
		{"underpayment_dollars", kpi.DimCPT, map[string]string{"99214": "3000/1=30.00"}},
	} {
		got := grouped(tc.kpi, tc.dim)
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s by %s:\n got %v\nwant %v", tc.kpi, tc.dim, got, tc.want)
		}
	}
	// Denials by category: authorization $200 (1 line), medical necessity $400 (1 line).
	got := map[string][2]int64{}
	for _, p := range value(t, h.db, "denials_by_category", kpi.DimCategory) {
		got[p.Group[0]] = [2]int64{p.Num, p.Den}
	}
	if len(got) != 2 || got["authorization"] != [2]int64{20000, 1} || got["medical_necessity"] != [2]int64{40000, 1} {
		t.Errorf("denials by category: %v", got)
	}
	// Top CARCs and RARCs: one line each.
	for kpiName, want := range map[string]map[string]int64{
		"top_carc": {"CO-197": 20000, "CO-50": 40000},
		"top_rarc": {"N54": 20000, "N115": 40000},
	} {
		ps := value(t, h.db, kpiName, kpi.DimCode)
		if len(ps) != len(want) {
			t.Errorf("%s: %+v", kpiName, ps)
		}
		for _, p := range ps {
			if p.Num != 1 || p.Den != want[p.Group[0]] {
				t.Errorf("%s %s: %d lines, %d cents", kpiName, p.Group[0], p.Num, p.Den)
			}
		}
	}

	// Idempotent: a rebuild of everything changes no summary row.
	before := digest(t, h.db)
	if _, err := Rebuild(ctx, h.db); err != nil {
		t.Fatal(err)
	}
	if after := digest(t, h.db); after != before {
		t.Errorf("rebuild changed the summary:\n%s\n%s", before, after)
	}
	// A change is folded in: the duplicate F is re-matched as a real
	// payment (flags cleared). It is a second adjudication of BA by the
	// same payer: one more posted line and payment, no new first
	// adjudication.
	h.exec(`UPDATE match_claims SET flags = '{}' WHERE segment_index = 30 AND status = '1' AND 'duplicate_remit' = ANY(flags)`)
	h.exec(`UPDATE line_matches SET flags = '{}' WHERE 'duplicate_remit' = ANY(flags)`)
	if _, err := Refresh(ctx, h.db); err != nil {
		t.Fatal(err)
	}
	if ps := value(t, h.db, "denial_rate"); len(ps) != 1 || ps[0].Den != 4 || ps[0].Num != 2 {
		t.Errorf("after the change, denial rate: %+v", ps)
	}
	if ps := value(t, h.db, "touchless_rate"); len(ps) != 1 || ps[0].Den != 10 {
		t.Errorf("after the change, lines posted: %+v", ps)
	}
	// A re-import of the same export changes nothing; a corrected amount
	// replaces the payment.
	res, err := ImportPayments(ctx, h.db, []byte(handPayments), ImportOptions{Now: func() time.Time { return time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) }})
	if err != nil || res.Unchanged != 3 {
		t.Fatalf("re-import: %+v %v", res, err)
	}
	res, err = ImportPayments(ctx, h.db, []byte(strings.Replace(handPayments, ",30,", ",35.50,", 1)),
		ImportOptions{Now: func() time.Time { return time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) }})
	if err != nil || res.Updated != 1 || res.Unchanged != 2 {
		t.Fatalf("corrected import: %+v %v", res, err)
	}
	if _, err := Refresh(ctx, h.db); err != nil {
		t.Fatal(err)
	}
	if ps := value(t, h.db, "net_collection_rate"); len(ps) != 1 || ps[0].Num != 85000+6000+550 {
		t.Errorf("after the corrected import (and F's $60): %+v", ps)
	}
}

func report(t *testing.T, db *sqlx.DB, name string, s Scope) *kpi.Report {
	t.Helper()
	def, _ := kpi.Lookup(name)
	from, to := october()
	rep, err := Report(context.Background(), db, kpi.Request{Def: def, GroupBy: []kpi.Dim{}, Bucket: kpi.ByMonth, From: from, To: to}, s)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func placesOf(d *kpi.Def) int {
	switch d.Unit {
	case kpi.Count:
		return 0
	case kpi.Days:
		return 1
	}
	return 2
}

func digest(t *testing.T, db *sqlx.DB) string {
	t.Helper()
	var s string
	if err := db.Get(&s, `SELECT coalesce(md5(string_agg(x, '|' ORDER BY x)), '') FROM (
		SELECT concat_ws(',', basis, day, practice_id, payer_code, provider_npi, cpt, category, code,
			(SELECT string_agg(v::text, ' ') FROM unnest(m) v WHERE true)) AS x
		FROM kpi_daily WHERE EXISTS (SELECT 1 FROM unnest(m) v WHERE v <> 0)) t`); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestMonthlyPack builds the one-page pack of the hand data set's practice
// for October 2026, writes it as PDF and PNG, and checks the page: one
// PDF page of US Letter landscape, the table's hand-computed values, the
// charts' titles, readable labels.
func TestMonthlyPack(t *testing.T) {
	h := newHand(t)
	ctx := context.Background()
	if _, err := Refresh(ctx, h.db); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	p, err := MonthlyPack(ctx, h.db, h.practice, time.Date(2026, 10, 15, 0, 0, 0, 0, time.UTC), now, Scope{})
	if err != nil {
		t.Fatal(err)
	}
	page := p.Page()
	texts := strings.Join(page.Texts(), "\n")
	for _, want := range []string{
		"Hand Pain · Monthly revenue-cycle KPIs · October 2026",
		"Initial denial rate (claims)", "66.7 %", // 2 of 3 claims of practice 1
		"Net collection rate", "55.8 %", "96–98 %", // 770 / 1380, patient payments on file
		"Days in A/R", "6.8 days", // 90 × 90 / 1200
		"Appeal recovery rate", "61.6 %",
		"Clean-claim rate (HFMA CL-1)", "needs 999/277CA",
		"From charges to payments · October 2026", "$1,600.00", "Collected", "$40.00",
		"Denials by root-cause category · October 2026", "Medical necessity",
		"Initial denial rate (claims) · November 2025 – October 2026",
	} {
		if !strings.Contains(texts, want) {
			t.Errorf("the pack has no %q:\n%s", want, texts)
		}
	}
	if strings.Contains(texts, "$-") || strings.Contains(texts, "medical_necessity") {
		t.Errorf("money or keys printed raw:\n%s", texts)
	}
	var pdf, png bytes.Buffer
	if err := kpi.WritePackPDF(&pdf, now, p); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf.Bytes(), []byte("%PDF-")) || bytes.Count(pdf.Bytes(), []byte("/Type /Page\n"))+
		bytes.Count(pdf.Bytes(), []byte("/Type /Page ")) != 1 || !bytes.Contains(pdf.Bytes(), []byte("/MediaBox [0 0 792.00 612.00]")) {
		t.Errorf("PDF: %d bytes, not one Letter landscape page", pdf.Len())
	}
	img, err := page.Image(2)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 1584 || b.Dy() != 1224 {
		t.Errorf("PNG %v", b)
	}
	if err := page.WritePNG(&png, 2); err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("KPI_CHART_DIR"); dir != "" {
		_ = os.WriteFile(dir+"/pack.pdf", pdf.Bytes(), 0o644)
		_ = os.WriteFile(dir+"/pack.png", png.Bytes(), 0o644)
	}
}

// TestReadjudicationOutOfOrder: a re-adjudication stored before the first
// adjudication of its claim is recomputed when the first one arrives, so
// the claim counts once, by its first decision.
func TestReadjudicationOutOfOrder(t *testing.T) {
	h := &hand{t: t, db: devtest.DB(t)}
	h.practice = h.id(`INSERT INTO practices (name, npi) VALUES ('Late Pain', '1234567893') RETURNING id`)
	bx := h.billed("BX", "400.00", 1, "2026-09-25")
	ctx := context.Background()
	f2, t2 := h.remit("2026-10-20")
	again := h.claim(claimSpec{file: f2, tx: t2, seg: 10, status: "1", billed: bx, charge: "400", paid: "300"})
	h.line(lineSpec{file: f2, claimID: again, claimSeg: 10, seg: 11, svc: 1, code: "62323", charge: "400", paid: "300", pr: "0",
		adjs: [][3]string{{"CO", "45", "100"}}})
	if _, err := Refresh(ctx, h.db); err != nil {
		t.Fatal(err)
	}
	if ps := value(t, h.db, "denial_rate"); len(ps) != 1 || ps[0].Num != 0 || ps[0].Den != 1 {
		t.Fatalf("before the first adjudication arrives: %+v", ps)
	}
	f1, t1 := h.remit("2026-10-05")
	first := h.claim(claimSpec{file: f1, tx: t1, seg: 10, status: "4", billed: bx, charge: "400", paid: "0"})
	h.line(lineSpec{file: f1, claimID: first, claimSeg: 10, seg: 11, svc: 1, code: "62323", charge: "400", paid: "0", pr: "0",
		flags: []string{"denied"}, adjs: [][3]string{{"CO", "50", "400"}}})
	if _, err := Refresh(ctx, h.db); err != nil {
		t.Fatal(err)
	}
	// One claim, first adjudicated on 10-05 as denied; the paid 10-20
	// decision is a re-adjudication.
	if ps := value(t, h.db, "denial_rate"); len(ps) != 1 || ps[0].Num != 1 || ps[0].Den != 1 {
		t.Errorf("after it arrives: %+v", ps)
	}
	if ps := value(t, h.db, "first_pass_resolution_rate"); len(ps) != 1 || ps[0].Num != 0 || ps[0].Den != 1 {
		t.Errorf("first pass after it arrives: %+v", ps)
	}
}

// TestImportPaymentsRejects: a file with one bad row stores nothing; a
// practice unknown or outside the caller's scope is refused by line, and
// no error names a value.
func TestImportPaymentsRejects(t *testing.T) {
	h := &hand{t: t, db: devtest.DB(t)}
	p1 := h.id(`INSERT INTO practices (name, npi) VALUES ('One', '1234567893') RETURNING id`)
	h.id(`INSERT INTO practices (name, npi) VALUES ('Two', '1245319599') RETURNING id`)
	ctx := context.Background()
	now := func() time.Time { return time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) }
	head := "practice_npi,payment_id,account,claim_id,service_date,amount,paid_date,method\n"
	for _, tc := range []struct {
		name, csv string
		scope     []int64
		want      string
	}{
		{"bad amount", head + "1234567893,P1,ACCT-SECRET,,,10.00,2026-10-01,cash\n1234567893,P2,ACCT-SECRET,,,ten,2026-10-01,cash\n",
			nil, "line 3, amount"},
		{"unknown practice", head + "1234567893,P1,ACCT-SECRET,,,10.00,2026-10-01,cash\n1993999998,P2,ACCT-SECRET,,,5,2026-10-01,cash\n",
			nil, "line 3, practice_npi"},
		{"outside the scope", head + "1245319599,P1,ACCT-SECRET,,,10.00,2026-10-01,cash\n", []int64{p1}, "line 2, practice_npi"},
	} {
		_, err := ImportPayments(ctx, h.db, []byte(tc.csv), ImportOptions{Practices: tc.scope, Now: now})
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	var n int
	if err := h.db.Get(&n, `SELECT count(*) FROM patient_payments`); err != nil || n != 0 {
		t.Errorf("%d payments stored from refused files (%v)", n, err)
	}
	res, err := ImportPayments(ctx, h.db, []byte(head+"1234567893,P1,ACCT-1,,,10.00,2026-10-01,cash\n"),
		ImportOptions{Practices: []int64{p1}, Now: now, By: "biller@example.com", FileName: "oct.csv"})
	if err != nil || res.Inserted != 1 || len(res.Practices) != 1 || res.Practices[0] != p1 {
		t.Fatalf("%+v %v", res, err)
	}
	var by string
	if err := h.db.Get(&by, `SELECT imported_by || ' ' || file_name || ' ' || rows FROM patient_payment_imports WHERE id = $1`, res.ImportID); err != nil ||
		by != "biller@example.com oct.csv 1" {
		t.Errorf("import row %q %v", by, err)
	}
}
