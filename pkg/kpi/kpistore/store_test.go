package kpistore

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

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
//	billed: BA $300 (2 lines), BB $500, BC $400, billed 2026-09-15/20/25
//	remit of 2026-10-05:
//	  A  CLP02 1 for BA: 99214 charge 100 paid 60, CO-45 20, PR-2 20, fee schedule 110 (underpaid by 30);
//	                     64483 charge 200 paid 0, CO-197 200 + N54 (denied: authorization)
//	  B  CLP02 1 for BB: 64493 charge 500 paid 300, CO-45 100, PR-1 100
//	  C  CLP02 4 for BC: 62323 charge 400 paid 0, CO-50 400 + N115 (denied: medical necessity)
//	remit of 2026-10-20:
//	  D  CLP02 22 reverses B: 64493 charge -500 paid -300, CO-45 -100, PR-1 -100
//	  E  CLP02 1 corrects B: 64493 charge 500 paid 350, CO-45 100, PR-1 50
//	  F  duplicate remittance of A (counts nowhere)
//	  G  CLP02 2 (secondary) for BA: 99214 charge 100 paid 20, OA-23 80
//	work items: W1 (A's denial) created 10-05, appealed 10-10 with $200 at risk, $150 recovered and resolved 10-25;
//	            W2 created 10-06, open.
func newHand(t testing.TB) *hand {
	h := &hand{t: t, db: devtest.DB(t)}
	h.practice = h.id(`INSERT INTO practices (name, npi) VALUES ('Hand Pain', '1000000001') RETURNING id`)
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
		flags: []string{"denied"}, adjs: [][3]string{{"CO", "50", "400"}}, remarks: []string{"N115"}})

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

	w1 := h.id(`INSERT INTO work_items (dedupe_key, practice_id, provider_npi, kind, disposition, category, procedure_code,
		amount_at_risk, created_at, service_date) VALUES ('billed_line:1', $1, '1234567893', 'denial', 'denied', 'authorization', '64483',
		200, '2026-10-05 12:00Z', '2026-09-14') RETURNING id`, h.practice)
	h.id(`INSERT INTO work_items (dedupe_key, practice_id, provider_npi, kind, disposition, category, procedure_code,
		amount_at_risk, created_at, service_date) VALUES ('billed_line:2', $1, '1234567893', 'underpayment', 'underpaid', 'underpayment',
		'99214', 30, '2026-10-06 12:00Z', '2026-09-14') RETURNING id`, h.practice)
	h.exec(`UPDATE work_items SET status = 'appealed', appealed_on = '2026-10-10' WHERE id = $1`, w1)
	h.exec(`UPDATE work_items SET status = 'resolved', recovered_amount = 150, amount_at_risk = 0, resolved_at = '2026-10-25 09:00Z'
		WHERE id = $1`, w1)
	return h
}

func october() (kpi.Day, kpi.Day) { return kpi.NewDay(2026, 10, 1), kpi.NewDay(2026, 10, 31) }

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
	if st.Claims != 7 || st.Items != 2 || st.Billed != 3 {
		t.Fatalf("refreshed %+v, want 7 claims, 2 items, 3 billed claims", st)
	}
	tests := []struct {
		kpi      string
		num, den int64
		text     string
	}{
		// Adjudicated lines: A 2 + B 1 + C 1 − D 1 + E 1 = 4 (F duplicate, G secondary);
		// denied: A's 64483 and C's 62323 = 2 → 2 / 4 = 50 %.
		{"denial_rate", 2, 4, "50.00"},
		// Charges: 100 + 200 + 500 + 400 − 500 + 500 = 1200; denied 200 + 400 = 600.
		{"denial_rate_dollars", 60000, 120000, "50.00"},
		// First adjudications A, B, C (D reversal, E correction, G secondary); clean: B only.
		{"clean_claim_rate", 1, 3, "33.33"},
		// Payments 60 + 0 + 300 + 0 − 300 + 350 + 20 = 430; contractual 20 + 100 − 100 + 100 = 120;
		// 430 / (1200 − 120) = 39.81 %.
		{"net_collection_rate", 43000, 108000, "39.81"},
		// Posted A 2, B, C, D, E, G = 7; touchless: B, D, E, G = 4 (A's 99214 underpaid, 64483 and C denied).
		{"touchless_rate", 4, 7, "57.14"},
		// A's 99214: expected 110 − (60 + 20) = 30, one line.
		{"underpayment_dollars", 3000, 1, "30.00"},
		// Open A/R at 10-31: billed 1200 − (A 60+20+20 + B 500 − D 500 + E 350+100+50) = 1200 − 600 = 600;
		// charges of the last 90 days 1200: 600 × 90 / 1200 = 45 days.
		{"days_in_ar", 60000, 120000, "45.0"},
		// W1 appealed with 200 at risk, 150 recovered.
		{"appeal_recovery_rate", 15000, 20000, "75.00"},
		// Closed in October: W1; created: W1, W2.
		{"work_throughput", 1, 2, "1"},
		// Open at 10-31: W2, created 10-06: 25 days.
		{"work_aging", 25, 1, "25.0"},
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
	// payment (flags cleared): one more adjudicated line, paid.
	h.exec(`UPDATE match_claims SET flags = '{}' WHERE segment_index = 30 AND status = '1' AND 'duplicate_remit' = ANY(flags)`)
	h.exec(`UPDATE line_matches SET flags = '{}' WHERE 'duplicate_remit' = ANY(flags)`)
	if _, err := Refresh(ctx, h.db); err != nil {
		t.Fatal(err)
	}
	if ps := value(t, h.db, "denial_rate"); len(ps) != 1 || ps[0].Den != 5 || ps[0].Num != 2 {
		t.Errorf("after the change: %+v", ps)
	}
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
