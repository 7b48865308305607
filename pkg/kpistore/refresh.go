// Package kpistore keeps the KPI summary tables of migration 0008 and reads
// them for reports: Refresh folds the source rows noted in kpi_dirty (paid
// claims, work items, billed claims, patient payments, and billed claims
// acknowledged by a 999 or a 277CA for the clean-claim rate, migration
// 0025) into kpi_facts and
// kpi_daily (the contributions are pkg/kpi's; a paid claim is recomputed
// with the other adjudications of its billed claim, so a first adjudication
// that arrives late still counts first), Rows and Detail read them for a
// report within the caller's scope, Waterfall and MonthlyPack build the
// charges-to-payments waterfall and the one-page pack, ImportPayments stores
// a practice-management patient-payments CSV (migration 0014), and
// Refresher is the component that refreshes after the router's batches.
package kpistore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/kpi"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/pgcopy"
)

// lockKey is the advisory lock two refreshers serialize on.
const lockKey = 0x6b7069 // "kpi"

// Stats say what a refresh did.
type Stats struct {
	Claims, Items, Billed int // source rows recomputed
	Payments              int // patient payments recomputed
	Acked                 int // acknowledged billed claims recomputed (clean-claim rate)
	Rows                  int // summary rows changed
}

// BatchSize is the most dirty marks one refresh transaction takes.
var BatchSize = 20000

// Refresh folds every source row changed since the last refresh into the
// summary tables, in transactions of at most BatchSize marks. It is
// idempotent (a row refreshed twice contributes once) and safe with several
// processes (an advisory lock serializes them).
func Refresh(ctx context.Context, db *sqlx.DB) (Stats, error) {
	var total Stats
	for {
		s, n, err := refreshBatch(ctx, db)
		total.Claims += s.Claims
		total.Items += s.Items
		total.Billed += s.Billed
		total.Payments += s.Payments
		total.Acked += s.Acked
		total.Rows += s.Rows
		if err != nil || n < BatchSize {
			return total, err
		}
	}
}

// Rebuild marks every source row dirty and refreshes: for a database whose
// rows predate the summary tables, or after a change of definitions.
func Rebuild(ctx context.Context, db *sqlx.DB) (Stats, error) {
	if _, err := db.ExecContext(ctx, `INSERT INTO kpi_dirty (kind, k1, k2)
		SELECT 'C', file_id, segment_index FROM match_claims
		UNION ALL SELECT 'W', id, 0 FROM work_items
		UNION ALL SELECT 'B', id, 0 FROM billed_claims
		UNION ALL SELECT 'P', id, 0 FROM patient_payments
		UNION ALL SELECT DISTINCT 'A', billed_claim_id, 0 FROM ack_claims WHERE billed_claim_id IS NOT NULL`); err != nil {
		return Stats{}, fmt.Errorf("kpistore: rebuild: %w", err)
	}
	return Refresh(ctx, db)
}

type srcKey struct {
	source string
	k1     int64
	k2     int32
}

type sumKey struct {
	basis kpi.Basis
	day   day.Day
	kpi.Dims
}

func refreshBatch(ctx context.Context, db *sqlx.DB) (Stats, int, error) {
	var st Stats
	tx, err := pgcopy.Begin(ctx, db)
	if err != nil {
		return st, 0, fmt.Errorf("kpistore: refresh: %w", err)
	}
	defer tx.Rollback()
	q := tx.Conn
	if _, err := q.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, lockKey); err != nil {
		return st, 0, fmt.Errorf("kpistore: lock: %w", err)
	}
	rows, err := q.QueryxContext(ctx, `DELETE FROM kpi_dirty WHERE ctid = ANY(ARRAY(SELECT ctid FROM kpi_dirty LIMIT $1))
		RETURNING kind, k1, k2`, BatchSize)
	if err != nil {
		return st, 0, fmt.Errorf("kpistore: dirty marks: %w", err)
	}
	seen := map[srcKey]bool{}
	var keys []srcKey
	n := 0
	for rows.Next() {
		var k srcKey
		if err := rows.Scan(&k.source, &k.k1, &k.k2); err != nil {
			rows.Close()
			return st, 0, err
		}
		n++
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return st, 0, err
	}
	if len(keys) == 0 {
		return st, 0, tx.Commit(ctx)
	}
	// A paid claim's first-adjudication reading depends on the other
	// adjudications of its billed claim: recompute them together.
	if keys, err = withSiblings(ctx, q, keys, seen); err != nil {
		return st, 0, err
	}
	var claimsF []int64
	var claimsS []int32
	var items, billed, payments, acked []int64
	for _, k := range keys {
		switch k.source {
		case "C":
			claimsF, claimsS = append(claimsF, k.k1), append(claimsS, k.k2)
		case "W":
			items = append(items, k.k1)
		case "B":
			billed = append(billed, k.k1)
		case "P":
			payments = append(payments, k.k1)
		case "A":
			acked = append(acked, k.k1)
		}
	}
	fresh := map[srcKey][]kpi.Contribution{}
	pcs, err := loadPaid(ctx, q, claimsF, claimsS)
	if err != nil {
		return st, 0, err
	}
	for k, pc := range pcs {
		fresh[k] = pc.Contributions()
	}
	wis, err := loadItems(ctx, q, items)
	if err != nil {
		return st, 0, err
	}
	for k, w := range wis {
		if w.Practice == 0 { // gone
			fresh[k] = nil
			continue
		}
		fresh[k] = w.Contributions()
	}
	bcs, err := loadBilled(ctx, q, billed)
	if err != nil {
		return st, 0, err
	}
	for k, b := range bcs {
		fresh[k] = b.Contributions()
	}
	pps, err := loadPayments(ctx, q, payments)
	if err != nil {
		return st, 0, err
	}
	for k, p := range pps {
		fresh[k] = p.Contributions()
	}
	acs, err := loadAcked(ctx, q, acked)
	if err != nil {
		return st, 0, err
	}
	for k, a := range acs {
		fresh[k] = a.Contributions()
	}
	st.Claims, st.Items, st.Billed, st.Payments, st.Acked = len(pcs), len(wis), len(bcs), len(pps), len(acs)

	// delta = new − old per summary row.
	delta := map[sumKey]*kpi.Measures{}
	add := func(c *kpi.Contribution, sign int64) {
		k := sumKey{c.Basis, c.Day, c.Dims}
		m := delta[k]
		if m == nil {
			m = &kpi.Measures{}
			delta[k] = m
		}
		for i := range m {
			m[i] += sign * c.M[i]
		}
	}
	old, err := loadFacts(ctx, q, keys)
	if err != nil {
		return st, 0, err
	}
	for i := range old {
		add(&old[i], -1)
	}
	facts := pgcopy.NewBuf("kpi_facts", "source", "k1", "k2", "basis", "day", "practice_id", "payer_code",
		"provider_npi", "cpt", "category", "code", "m")
	for k, cs := range fresh {
		for i := range cs {
			c := &cs[i]
			add(c, 1)
			facts.Text(k.source).Int(k.k1).Int(int64(k.k2)).Text(string(c.Basis)).Text(c.Day.String()).Int(c.Practice).
				Text(c.Payer).Text(c.Provider).Text(c.CPT).Text(c.Category).Text(c.Code).Text(arrayText(&c.M))
			facts.End()
		}
	}
	srcs, k1s, k2s := keyArrays(keys)
	if _, err := q.ExecContext(ctx, `DELETE FROM kpi_facts f USING unnest($1::text[], $2::bigint[], $3::int[]) AS k(s, a, b)
		WHERE f.source = k.s AND f.k1 = k.a AND f.k2 = k.b`, pq.Array(srcs), pq.Array(k1s), pq.Array(k2s)); err != nil {
		return st, 0, fmt.Errorf("kpistore: replace facts: %w", err)
	}
	if err := tx.Copy(ctx, facts); err != nil {
		return st, 0, fmt.Errorf("kpistore: facts: %w", err)
	}
	if _, err := q.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS kpi_delta (LIKE kpi_daily INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`); err != nil {
		return st, 0, fmt.Errorf("kpistore: delta: %w", err)
	}
	db2 := pgcopy.NewBuf("kpi_delta", "basis", "day", "practice_id", "payer_code", "provider_npi", "cpt", "category", "code", "m")
	for k, m := range delta {
		if m.Zero() {
			continue
		}
		db2.Text(string(k.basis)).Text(k.day.String()).Int(k.Practice).Text(k.Payer).Text(k.Provider).Text(k.CPT).
			Text(k.Category).Text(k.Code).Text(arrayText(m))
		db2.End()
		st.Rows++
	}
	if err := tx.Copy(ctx, db2); err != nil {
		return st, 0, fmt.Errorf("kpistore: delta: %w", err)
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO kpi_daily (basis, day, practice_id, payer_code, provider_npi, cpt, category, code, m)
		SELECT basis, day, practice_id, payer_code, provider_npi, cpt, category, code, m FROM kpi_delta
		ON CONFLICT (basis, practice_id, day, payer_code, provider_npi, cpt, category, code)
		DO UPDATE SET m = kpi_add(kpi_daily.m, EXCLUDED.m), updated_at = now()`); err != nil {
		return st, 0, fmt.Errorf("kpistore: summary: %w", err)
	}
	return st, n, tx.Commit(ctx)
}

// withSiblings adds to keys the other paid claims of the billed claims the
// dirty paid claims match.
func withSiblings(ctx context.Context, q *sqlx.Conn, keys []srcKey, seen map[srcKey]bool) ([]srcKey, error) {
	var fs []int64
	var ss []int32
	for _, k := range keys {
		if k.source == "C" {
			fs, ss = append(fs, k.k1), append(ss, k.k2)
		}
	}
	if len(fs) == 0 {
		return keys, nil
	}
	rows, err := q.QueryxContext(ctx, `SELECT DISTINCT o.file_id, o.segment_index
		FROM unnest($1::bigint[], $2::int[]) AS k(f, s)
		JOIN match_claims m ON m.file_id = k.f AND m.segment_index = k.s AND m.billed_claim_id IS NOT NULL
		JOIN match_claims o ON o.billed_claim_id = m.billed_claim_id`, pq.Array(fs), pq.Array(ss))
	if err != nil {
		return nil, fmt.Errorf("kpistore: sibling claims: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		k := srcKey{source: "C"}
		if err := rows.Scan(&k.k1, &k.k2); err != nil {
			return nil, fmt.Errorf("kpistore: sibling claims: %w", err)
		}
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	return keys, rows.Err()
}

func keyArrays(keys []srcKey) ([]string, []int64, []int32) {
	s, a, b := make([]string, len(keys)), make([]int64, len(keys)), make([]int32, len(keys))
	for i, k := range keys {
		s[i], a[i], b[i] = k.source, k.k1, k.k2
	}
	return s, a, b
}

// arrayText is the measures as a bigint[] literal.
func arrayText(m *kpi.Measures) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, v := range m {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprint(&b, v)
	}
	b.WriteByte('}')
	return b.String()
}

func loadFacts(ctx context.Context, q *sqlx.Conn, keys []srcKey) ([]kpi.Contribution, error) {
	srcs, k1s, k2s := keyArrays(keys)
	rows, err := q.QueryxContext(ctx, `SELECT f.basis, f.day::text, f.practice_id, f.payer_code, f.provider_npi, f.cpt,
		f.category, f.code, f.m FROM kpi_facts f JOIN unnest($1::text[], $2::bigint[], $3::int[]) AS k(s, a, b)
		ON f.source = k.s AND f.k1 = k.a AND f.k2 = k.b`, pq.Array(srcs), pq.Array(k1s), pq.Array(k2s))
	if err != nil {
		return nil, fmt.Errorf("kpistore: old facts: %w", err)
	}
	defer rows.Close()
	var out []kpi.Contribution
	for rows.Next() {
		var c kpi.Contribution
		var basis, dy string
		var m pq.Int64Array
		if err := rows.Scan(&basis, &dy, &c.Practice, &c.Payer, &c.Provider, &c.CPT, &c.Category, &c.Code, &m); err != nil {
			return nil, fmt.Errorf("kpistore: old facts: %w", err)
		}
		c.Basis = kpi.Basis(basis)
		if c.Day, err = day.ParseSet(dy); err != nil {
			return nil, err
		}
		c.M = kpi.MeasuresOf(m)
		out = append(out, c)
	}
	return out, rows.Err()
}

func dayOrZero(s string) day.Day {
	if s == "" {
		return 0
	}
	d, err := day.ParseSet(s)
	if err != nil {
		return 0
	}
	return d
}

// loadPaid reads the paid claims at the given positions with their lines,
// CAS and remarks. A position whose claim is gone (re-matched away) maps to
// an empty claim, so its old contributions are removed.
func loadPaid(ctx context.Context, q *sqlx.Conn, files []int64, segs []int32) (map[srcKey]*kpi.PaidClaim, error) {
	out := map[srcKey]*kpi.PaidClaim{}
	if len(files) == 0 {
		return out, nil
	}
	for i := range files {
		out[srcKey{"C", files[i], segs[i]}] = &kpi.PaidClaim{}
	}
	rows, err := q.QueryxContext(ctx, `SELECT m.file_id, m.segment_index, m.practice_id, m.payer_code, m.status, m.flags,
		coalesce(om.status, ''), coalesce(t.payment_date, t.production_date, cp.created_at::date)::text,
		coalesce(m.service_date, cp.service_date_from)::text, m.billed_claim_id IS NOT NULL, coalesce(b.frequency_code, ''),
		coalesce(b.line_count, 0), coalesce(nullif(b.rendering_npi, ''), nullif(cp.rendering_npi, ''), ''), cp.id,
		m.billed_claim_id IS NOT NULL AND EXISTS (SELECT 1 FROM match_claims o
			JOIN claim_payments ocp ON ocp.file_id = o.file_id AND ocp.segment_index = o.segment_index
			JOIN remittance_transactions ot ON ot.id = ocp.transaction_id
			WHERE o.billed_claim_id = m.billed_claim_id AND o.payer_code = m.payer_code AND o.file_id <> m.file_id
			AND o.status IN ('1', '4', '19') AND NOT 'duplicate_remit' = ANY(o.flags)
			AND (coalesce(ot.payment_date, ot.production_date, ocp.created_at::date), o.file_id)
				< (coalesce(t.payment_date, t.production_date, cp.created_at::date), m.file_id))
		FROM unnest($1::bigint[], $2::int[]) AS k(f, s)
		JOIN match_claims m ON m.file_id = k.f AND m.segment_index = k.s
		JOIN claim_payments cp ON cp.file_id = m.file_id AND cp.segment_index = m.segment_index
		JOIN remittance_transactions t ON t.id = cp.transaction_id
		LEFT JOIN billed_claims b ON b.id = m.billed_claim_id
		LEFT JOIN match_claims om ON om.file_id = m.nets_against_file AND om.segment_index = m.nets_against_segment`,
		pq.Array(files), pq.Array(segs))
	if err != nil {
		return nil, fmt.Errorf("kpistore: paid claims: %w", err)
	}
	byCP := map[int64]*kpi.PaidClaim{}
	weight := map[*kpi.PaidClaim]int{}
	var cpIDs []int64
	for rows.Next() {
		var f int64
		var s int32
		var remit, svc sql0
		var lineCount int
		var cpID int64
		c := &kpi.PaidClaim{}
		if err := rows.Scan(&f, &s, &c.Practice, &c.Payer, &c.Status, (*pq.StringArray)(&c.Flags), &c.OrigStatus, &remit,
			&svc, &c.Billed, &c.BilledFrequency, &lineCount, &c.Provider, &cpID, &c.Readjudication); err != nil {
			rows.Close()
			return nil, fmt.Errorf("kpistore: paid claims: %w", err)
		}
		c.RemitDate, c.ServiceDate = dayOrZero(string(remit)), dayOrZero(string(svc))
		out[srcKey{"C", f, s}] = c
		byCP[cpID] = c
		weight[c] = lineCount
		cpIDs = append(cpIDs, cpID)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Lines, with the line a reversal nets against.
	lr, err := q.QueryxContext(ctx, `SELECT cp.id, l.svc_index, l.procedure_code, coalesce(l.service_date::text, ''), l.charge,
		l.paid, l.patient_responsibility, l.expected_allowed, l.flags, l.method, l.review, coalesce(s.id, 0),
		coalesce('underpaid' = ANY(ol.flags), false), ol.expected_allowed, coalesce(ol.paid, 0), coalesce(ol.patient_responsibility, 0)
		FROM unnest($1::bigint[], $2::int[]) AS k(f, s)
		JOIN line_matches l ON l.file_id = k.f AND l.claim_segment = k.s
		JOIN claim_payments cp ON cp.file_id = l.file_id AND cp.segment_index = l.claim_segment
		LEFT JOIN service_line_payments s ON l.svc_index > 0 AND s.file_id = l.file_id AND s.segment_index = l.segment_index
		LEFT JOIN line_matches ol ON ol.file_id = l.nets_against_file AND ol.segment_index = l.nets_against_segment
		ORDER BY cp.id, l.svc_index`, pq.Array(files), pq.Array(segs))
	if err != nil {
		return nil, fmt.Errorf("kpistore: paid lines: %w", err)
	}
	type lineRef struct {
		c *kpi.PaidClaim
		i int
	}
	bySL := map[int64]lineRef{}
	claimLevel := map[int64][]lineRef{} // claim payment id → lines without their own CAS
	for lr.Next() {
		var cpID, slID int64
		var l kpi.PaidLine
		var sd string
		var origUnder bool
		var origExp *money.Amount
		var origPaid, origPR money.Amount
		if err := lr.Scan(&cpID, &l.SVC, &l.Procedure, &sd, &l.Charge, &l.Paid, &l.PatientResp, &l.Expected,
			(*pq.StringArray)(&l.Flags), &l.Method, &l.Review, &slID, &origUnder, &origExp, &origPaid, &origPR); err != nil {
			lr.Close()
			return nil, fmt.Errorf("kpistore: paid lines: %w", err)
		}
		c := byCP[cpID]
		if c == nil {
			continue
		}
		l.ServiceDate = dayOrZero(sd)
		if origUnder {
			l.ReversesUnderpaid = true
			if origExp != nil {
				l.ReversedShortfall = max(0, *origExp-origPaid-origPR)
			}
		}
		if l.SVC == 0 {
			l.Weight = weight[c]
		}
		c.Lines = append(c.Lines, l)
		ref := lineRef{c, len(c.Lines) - 1}
		if slID != 0 {
			bySL[slID] = ref
		}
		claimLevel[cpID] = append(claimLevel[cpID], ref)
	}
	lr.Close()
	if err := lr.Err(); err != nil {
		return nil, err
	}
	// CAS: the line's own, else the claim's.
	ar, err := q.QueryxContext(ctx, `SELECT claim_payment_id, coalesce(service_line_id, 0), group_code, reason_code, amount
		FROM adjustments WHERE claim_payment_id = ANY($1) ORDER BY claim_payment_id, segment_index, position`, pq.Array(cpIDs))
	if err != nil {
		return nil, fmt.Errorf("kpistore: adjustments: %w", err)
	}
	claimAdj := map[int64][]kpi.Adjustment{}
	for ar.Next() {
		var cpID, slID int64
		var a kpi.Adjustment
		if err := ar.Scan(&cpID, &slID, &a.Group, &a.Reason, &a.Amount); err != nil {
			ar.Close()
			return nil, fmt.Errorf("kpistore: adjustments: %w", err)
		}
		if slID == 0 {
			claimAdj[cpID] = append(claimAdj[cpID], a)
			continue
		}
		if ref, ok := bySL[slID]; ok {
			l := &ref.c.Lines[ref.i]
			l.Adjustments = append(l.Adjustments, a)
		}
	}
	ar.Close()
	if err := ar.Err(); err != nil {
		return nil, err
	}
	for cpID, refs := range claimLevel {
		for _, ref := range refs {
			if l := &ref.c.Lines[ref.i]; len(l.Adjustments) == 0 {
				l.Adjustments = claimAdj[cpID]
			}
		}
	}
	rr, err := q.QueryxContext(ctx, `SELECT claim_payment_id, coalesce(service_line_id, 0), code FROM remarks
		WHERE claim_payment_id = ANY($1) AND qualifier IN ('HE', 'MOA', 'MIA')
		ORDER BY claim_payment_id, service_line_id NULLS FIRST, qualifier, position`, pq.Array(cpIDs))
	if err != nil {
		return nil, fmt.Errorf("kpistore: remarks: %w", err)
	}
	defer rr.Close()
	for rr.Next() {
		var cpID, slID int64
		var code string
		if err := rr.Scan(&cpID, &slID, &code); err != nil {
			return nil, fmt.Errorf("kpistore: remarks: %w", err)
		}
		if slID != 0 {
			if ref, ok := bySL[slID]; ok {
				l := &ref.c.Lines[ref.i]
				l.Remarks = append(l.Remarks, code)
			}
			continue
		}
		for _, ref := range claimLevel[cpID] {
			if l := &ref.c.Lines[ref.i]; l.SVC == 0 {
				l.Remarks = append(l.Remarks, code)
			}
		}
	}
	return out, rr.Err()
}

// sql0 scans a nullable text as "".
type sql0 string

func (s *sql0) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*s = ""
	case string:
		*s = sql0(x)
	case []byte:
		*s = sql0(x)
	case time.Time:
		*s = sql0(x.Format(time.DateOnly))
	default:
		return fmt.Errorf("kpistore: unexpected %T", v)
	}
	return nil
}

func loadItems(ctx context.Context, q *sqlx.Conn, ids []int64) (map[srcKey]*kpi.WorkItem, error) {
	out := map[srcKey]*kpi.WorkItem{}
	if len(ids) == 0 {
		return out, nil
	}
	for _, id := range ids {
		out[srcKey{"W", id, 0}] = &kpi.WorkItem{}
	}
	// resolution_outcome and resolution_recovered are the current
	// resolution's: migration 0034 clears them when an item leaves resolved.
	rows, err := q.QueryxContext(ctx, `SELECT w.id, w.practice_id, coalesce(p.payer_id_code, ''), w.provider_npi,
		w.procedure_code, w.category, (w.created_at AT TIME ZONE 'UTC')::date::text,
		CASE WHEN w.status IN ('resolved', 'written_off') THEN (coalesce(w.resolved_at, w.updated_at) AT TIME ZONE 'UTC')::date::text END,
		w.service_date::text, coalesce(a.appealed_on, w.appealed_on)::text, coalesce(a.amount, w.amount_at_risk), w.recovered_amount,
		w.kind, w.remit_date::text, w.amount_at_risk,
		coalesce(lm.expected_allowed, nullif(lm.charge, 0), nullif(w.billed_amount, 0), 0),
		w.resolution_outcome, coalesce(w.resolution_recovered, 0)
		FROM work_items w LEFT JOIN payers p ON p.id = w.payer_id LEFT JOIN kpi_appeals a ON a.work_item_id = w.id
		LEFT JOIN service_line_payments sl ON sl.id = w.service_line_id
		LEFT JOIN line_matches lm ON lm.file_id = sl.file_id AND lm.segment_index = sl.segment_index
		WHERE w.id = ANY($1)`, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("kpistore: work items: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var created, closed, svc, appealed, origin sql0
		w := &kpi.WorkItem{}
		if err := rows.Scan(&id, &w.Practice, &w.Payer, &w.Provider, &w.CPT, &w.Category, &created, &closed, &svc, &appealed,
			&w.AppealedAmount, &w.Recovered, &w.Kind, &origin, &w.Balance, &w.Expected, &w.Outcome, &w.RecordedRecovery); err != nil {
			return nil, fmt.Errorf("kpistore: work items: %w", err)
		}
		w.Created, w.Closed, w.Service, w.Appealed = dayOrZero(string(created)), dayOrZero(string(closed)), dayOrZero(string(svc)), dayOrZero(string(appealed))
		w.Origin = dayOrZero(string(origin))
		out[srcKey{"W", id, 0}] = w
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("kpistore: work items: %w", err)
	}
	rows.Close()
	// The appeals tracked on them (0020): when an item has any, they decide
	// its appeal (kpi.WorkItem.AppealState).
	arows, err := q.QueryxContext(ctx, `SELECT work_item_id, level, submitted_on::text, outcome, coalesce(decided_on::text, ''),
		amount_appealed, amount_recovered FROM work_item_appeals WHERE work_item_id = ANY($1) ORDER BY work_item_id, level`, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("kpistore: work item appeals: %w", err)
	}
	defer arows.Close()
	for arows.Next() {
		var id int64
		var submitted, decided string
		var a kpi.Appeal
		if err := arows.Scan(&id, &a.Level, &submitted, &a.Outcome, &decided, &a.Amount, &a.Recovered); err != nil {
			return nil, fmt.Errorf("kpistore: work item appeals: %w", err)
		}
		a.Submitted, a.Decided = dayOrZero(submitted), dayOrZero(decided)
		if w := out[srcKey{"W", id, 0}]; w != nil && w.Created != 0 {
			w.Appeals = append(w.Appeals, a)
		}
	}
	return out, arows.Err()
}

// emptyBilled contributes nothing (a billed claim that is gone).
var emptyBilled = kpi.BilledClaim{Frequency: "-"}

func loadBilled(ctx context.Context, q *sqlx.Conn, ids []int64) (map[srcKey]*kpi.BilledClaim, error) {
	out := map[srcKey]*kpi.BilledClaim{}
	if len(ids) == 0 {
		return out, nil
	}
	for _, id := range ids {
		e := emptyBilled
		out[srcKey{"B", id, 0}] = &e
	}
	rows, err := q.QueryxContext(ctx, `SELECT id, practice_id, payer_code, coalesce(rendering_npi, ''), frequency_code, total_charge,
		coalesce(billed_date, service_date_from, (loaded_at AT TIME ZONE 'UTC')::date)::text,
		coalesce(service_date_from, billed_date, (loaded_at AT TIME ZONE 'UTC')::date)::text
		FROM billed_claims WHERE id = ANY($1)`, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("kpistore: billed claims: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var billed, svc sql0
		b := &kpi.BilledClaim{}
		if err := rows.Scan(&id, &b.Practice, &b.Payer, &b.Provider, &b.Frequency, &b.Charge, &billed, &svc); err != nil {
			return nil, fmt.Errorf("kpistore: billed claims: %w", err)
		}
		b.Billed, b.Service = dayOrZero(string(billed)), dayOrZero(string(svc))
		out[srcKey{"B", id, 0}] = b
	}
	return out, rows.Err()
}

// loadPayments reads patient payments with the payer and provider of the
// billed claim each names (by patient control number in its practice).
func loadPayments(ctx context.Context, q *sqlx.Conn, ids []int64) (map[srcKey]*kpi.PatientPayment, error) {
	out := map[srcKey]*kpi.PatientPayment{}
	if len(ids) == 0 {
		return out, nil
	}
	for _, id := range ids {
		out[srcKey{"P", id, 0}] = &kpi.PatientPayment{} // gone: contributes nothing
	}
	rows, err := q.QueryxContext(ctx, `SELECT pp.id, pp.practice_id, coalesce(b.payer_code, ''), coalesce(b.rendering_npi, ''),
		pp.paid_on::text, coalesce(pp.service_date, b.service_date_from)::text, pp.amount
		FROM patient_payments pp
		LEFT JOIN LATERAL (SELECT payer_code, rendering_npi, service_date_from FROM billed_claims b
			WHERE b.practice_id = pp.practice_id AND pp.patient_control_number <> '' AND b.patient_control_number = pp.patient_control_number
			ORDER BY (b.frequency_code = '1') DESC, b.id LIMIT 1) b ON true
		WHERE pp.id = ANY($1)`, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("kpistore: patient payments: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var paid, svc sql0
		p := &kpi.PatientPayment{}
		if err := rows.Scan(&id, &p.Practice, &p.Payer, &p.Provider, &paid, &svc, &p.Amount); err != nil {
			return nil, fmt.Errorf("kpistore: patient payments: %w", err)
		}
		p.Paid, p.Service = dayOrZero(string(paid)), dayOrZero(string(svc))
		out[srcKey{"P", id, 0}] = p
	}
	return out, rows.Err()
}

// loadAcked reads what the acknowledgments (ack_claims, migration 0025)
// said of each billed claim: the day of the first, whether a 277CA
// accepted it (A1/A2) and whether any rejected it. A claim with no
// acknowledgment left contributes nothing.
func loadAcked(ctx context.Context, q *sqlx.Conn, ids []int64) (map[srcKey]*kpi.AckedClaim, error) {
	out := map[srcKey]*kpi.AckedClaim{}
	if len(ids) == 0 {
		return out, nil
	}
	for _, id := range ids {
		out[srcKey{"A", id, 0}] = &kpi.AckedClaim{}
	}
	rows, err := q.QueryxContext(ctx, `SELECT a.billed_claim_id, b.practice_id, b.payer_code, coalesce(b.rendering_npi, ''),
		min(a.acknowledged_on)::text, coalesce(b.service_date_from::text, ''),
		bool_or(a.accepted AND a.source = '277CA' AND a.category IN ('A1', 'A2')), bool_or(NOT a.accepted)
		FROM ack_claims a JOIN billed_claims b ON b.id = a.billed_claim_id AND b.practice_id = a.practice_id
		WHERE a.billed_claim_id = ANY($1)
		GROUP BY a.billed_claim_id, b.practice_id, b.payer_code, b.rendering_npi, b.service_date_from`, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("kpistore: acknowledged claims: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var first, svc string
		a := &kpi.AckedClaim{}
		if err := rows.Scan(&id, &a.Practice, &a.Payer, &a.Provider, &first, &svc, &a.Accepted, &a.Rejected); err != nil {
			return nil, fmt.Errorf("kpistore: acknowledged claims: %w", err)
		}
		a.First, a.Service = dayOrZero(first), dayOrZero(svc)
		out[srcKey{"A", id, 0}] = a
	}
	return out, rows.Err()
}
