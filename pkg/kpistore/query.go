package kpistore

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/kpi"
)

// Scope limits what a report reads: the caller's identity (nil: every
// practice, for the command line run by an operator).
type Scope struct {
	ID *auth.Identity
	// Practices narrows to these practices (empty: all in scope).
	Practices []int64
}

func (s Scope) where(args *auth.Args) string {
	w := "TRUE"
	if s.ID != nil {
		w = s.ID.Where("practice_id", "provider_npi", args)
	}
	if len(s.Practices) > 0 {
		w += " AND practice_id = ANY(" + args.Add(pq.Array(s.Practices)) + "::bigint[])"
	}
	return w
}

// Rows reads the summary rows a report needs: the request's basis, From to
// To (from the beginning for balance KPIs), code rows or not, within scope.
func Rows(ctx context.Context, db sqlx.QueryerContext, r *kpi.Request, s Scope) ([]kpi.Row, error) {
	var args auth.Args
	q := `SELECT day::text, practice_id, payer_code, provider_npi, cpt, category, code, m FROM kpi_daily
		WHERE basis = ` + args.Add(string(r.Basis)) + ` AND day <= ` + args.Add(r.To.String())
	if !r.Cumulative() {
		q += ` AND day >= ` + args.Add(r.From.String())
	}
	if r.Def.Codes {
		q += ` AND code <> ''`
	} else {
		q += ` AND code = ''`
	}
	q += ` AND ` + s.where(&args)
	rows, err := db.QueryxContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("kpistore: report rows: %w", err)
	}
	defer rows.Close()
	var out []kpi.Row
	var d string
	var m pq.Int64Array
	for rows.Next() {
		var row kpi.Row
		if err := rows.Scan(&d, &row.Practice, &row.Payer, &row.Provider, &row.CPT, &row.Category, &row.Code, &m); err != nil {
			return nil, fmt.Errorf("kpistore: report rows: %w", err)
		}
		if row.Day, err = day.ParseSet(d); err != nil {
			return nil, err
		}
		row.M = kpi.MeasuresOf(m)
		out = append(out, row)
	}
	return out, rows.Err()
}

// Report reads the rows and computes the report.
func Report(ctx context.Context, db sqlx.QueryerContext, r kpi.Request, s Scope) (*kpi.Report, error) {
	if err := r.Check(); err != nil {
		return nil, err
	}
	rows, err := Rows(ctx, db, &r, s)
	if err != nil {
		return nil, err
	}
	return kpi.Compute(r, rows)
}

// Detail streams the source rows behind a report (kpi_facts: one row per
// paid claim, work item or billed claim and summary key; no PHI), From to
// To, in day order.
func Detail(ctx context.Context, db sqlx.QueryerContext, r *kpi.Request, s Scope) iter.Seq2[*kpi.Row, error] {
	return func(yield func(*kpi.Row, error) bool) {
		var args auth.Args
		q := `SELECT day::text, practice_id, payer_code, provider_npi, cpt, category, code, m FROM kpi_facts
			WHERE basis = ` + args.Add(string(r.Basis)) + ` AND day BETWEEN ` + args.Add(r.From.String()) + ` AND ` +
			args.Add(r.To.String())
		if r.Def.Codes {
			q += ` AND code <> ''`
		} else {
			q += ` AND code = ''`
		}
		q += ` AND ` + s.where(&args) + ` ORDER BY day, practice_id`
		rows, err := db.QueryxContext(ctx, q, args...)
		if err != nil {
			yield(nil, fmt.Errorf("kpistore: detail: %w", err))
			return
		}
		defer rows.Close()
		var row kpi.Row
		var d string
		var m pq.Int64Array
		for rows.Next() {
			if err := rows.Scan(&d, &row.Practice, &row.Payer, &row.Provider, &row.CPT, &row.Category, &row.Code, &m); err != nil {
				yield(nil, fmt.Errorf("kpistore: detail: %w", err))
				return
			}
			if row.Day, err = day.ParseSet(d); err != nil {
				yield(nil, err)
				return
			}
			row.M = kpi.MeasuresOf(m)
			if !yield(&row, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(nil, fmt.Errorf("kpistore: detail: %w", err))
		}
	}
}

// Labels names the practices and payers of a report.
func Labels(ctx context.Context, db sqlx.QueryerContext, rep *kpi.Report) (kpi.Labels, error) {
	l := kpi.Labels{}
	for _, g := range rep.GroupBy {
		var q string
		switch g {
		case kpi.DimPractice:
			q = `SELECT id::text, name FROM practices`
		case kpi.DimPayer:
			q = `SELECT payer_id_code, name FROM payers`
		default:
			continue
		}
		rows, err := db.QueryxContext(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("kpistore: labels: %w", err)
		}
		m := map[string]string{}
		for rows.Next() {
			var k, v string
			if err := rows.Scan(&k, &v); err != nil {
				rows.Close()
				return nil, err
			}
			m[k] = v
		}
		rows.Close()
		l[g] = m
	}
	return l, nil
}

// Waterfall sums the remit-basis summary of From to To within scope into
// the charges-to-payments waterfall.
func Waterfall(ctx context.Context, db sqlx.QueryerContext, from, to day.Day, s Scope) (*kpi.Waterfall, error) {
	var args auth.Args
	q := `SELECT coalesce(kpi_sum(m), '{}') FROM kpi_daily WHERE basis = 'remit' AND code = '' AND day BETWEEN ` +
		args.Add(from.String()) + ` AND ` + args.Add(to.String()) + ` AND ` + s.where(&args)
	var m pq.Int64Array
	if err := sqlx.GetContext(ctx, db, &m, q, args...); err != nil {
		return nil, fmt.Errorf("kpistore: waterfall: %w", err)
	}
	ms := kpi.MeasuresOf(m)
	return kpi.NewWaterfall(&ms, from, to), nil
}

// MonthlyPack computes the one-page pack of a practice for the month that
// holds month (see kpi.Pack), within scope s (nil identity: an operator).
func MonthlyPack(ctx context.Context, db sqlx.QueryerContext, practiceID int64, month time.Time, now time.Time, s Scope) (*kpi.Pack, error) {
	s.Practices = []int64{practiceID}
	first := day.Of(time.Date(month.Year(), month.Month(), 1, 0, 0, 0, 0, time.UTC))
	last := day.Of(first.Time().AddDate(0, 1, -1))
	prevFirst := day.Of(first.Time().AddDate(0, -1, 0))
	p := &kpi.Pack{Month: first, Generated: now}
	if err := sqlx.GetContext(ctx, db, &p.Practice, `SELECT name FROM practices WHERE id = $1`, practiceID); err != nil {
		return nil, fmt.Errorf("kpistore: pack: practice %d: %w", practiceID, err)
	}
	p.Labels = kpi.Labels{kpi.DimPractice: {fmt.Sprint(practiceID): p.Practice}}
	one := func(name string, from, to day.Day, b kpi.Bucket, group []kpi.Dim) (*kpi.Report, error) {
		def, ok := kpi.Lookup(name)
		if !ok {
			return nil, fmt.Errorf("kpistore: pack: no KPI %s", name)
		}
		return Report(ctx, db, kpi.Request{Def: def, GroupBy: group, Bucket: b, From: from, To: to}, s)
	}
	for _, name := range kpi.PackKPIs {
		this, err := one(name, first, last, kpi.ByMonth, []kpi.Dim{})
		if err != nil {
			return nil, err
		}
		prior, err := one(name, prevFirst, first-1, kpi.ByMonth, []kpi.Dim{})
		if err != nil {
			return nil, err
		}
		p.This, p.Prior = append(p.This, this), append(p.Prior, prior)
	}
	var err error
	if p.Categories, err = one("denials_by_category", first, last, kpi.ByMonth, nil); err != nil {
		return nil, err
	}
	yearStart := day.Of(first.Time().AddDate(0, -11, 0))
	if p.Trend, err = one("denial_rate", yearStart, last, kpi.ByMonth, []kpi.Dim{}); err != nil {
		return nil, err
	}
	if p.Waterfall, err = Waterfall(ctx, db, first, last, s); err != nil {
		return nil, err
	}
	return p, nil
}
