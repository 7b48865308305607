package kpi

import (
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/money"
)

// Row is one row of the daily summary (the basis is the request's).
type Row struct {
	Day day.Day
	Dims
	M Measures
}

// Request says what report to compute.
type Request struct {
	Def     *Def
	GroupBy []Dim
	Basis   Basis
	Bucket  Bucket
	From    day.Day // first day, inclusive
	To      day.Day // last day, inclusive
	Top     int     // for code KPIs: groups kept, largest first (0: the KPI's default; <0: all)
}

// ErrRequest reports a request the KPI cannot answer.
var ErrRequest = errors.New("kpi: bad request")

// Check validates the request and fills defaults (grouping, basis, bucket).
func (r *Request) Check() error {
	if r.Def == nil {
		return fmt.Errorf("%w: no KPI", ErrRequest)
	}
	if r.GroupBy == nil {
		r.GroupBy = slices.Clone(r.Def.DefaultGroup)
	}
	for i, g := range r.GroupBy {
		if !r.Def.Supports(g) {
			return fmt.Errorf("%w: %s cannot be grouped by %q (use %s)", ErrRequest, r.Def.Name, g, dimList(r.Def.Dims))
		}
		if slices.Contains(r.GroupBy[:i], g) {
			return fmt.Errorf("%w: group_by names %q twice", ErrRequest, g)
		}
	}
	if r.Basis == "" || r.Def.PeriodFixed {
		r.Basis = RemitBasis
	}
	if !r.Basis.Valid() {
		return fmt.Errorf("%w: period must be remit or service", ErrRequest)
	}
	if r.Bucket == "" {
		r.Bucket = ByMonth
	}
	if !r.Bucket.Valid() {
		return fmt.Errorf("%w: bucket must be day, week or month", ErrRequest)
	}
	if r.To < r.From {
		return fmt.Errorf("%w: to is before from", ErrRequest)
	}
	if r.Bucket == ByDay && r.To-r.From > 3660 {
		return fmt.Errorf("%w: at most 10 years of days", ErrRequest)
	}
	return nil
}

func dimList(ds []Dim) string {
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = string(d)
	}
	return strings.Join(s, ", ")
}

// Cumulative reports whether the KPI needs the summary rows from before
// From (balances at a day): the store then reads every row up to To.
func (r *Request) Cumulative() bool { return r.Def.Kind == ARDays || r.Def.Kind == Aging }

// Point is one value of a report: one group in one period.
type Point struct {
	Group []string // values of Request.GroupBy, in order
	Start day.Day  // the period's first day
	End   day.Day  // its last day (clipped to the request's To)
	// Num and Den are the numerator and denominator in their units (cents
	// for dollars).
	Num, Den int64
	// Parts are the numerator's components for a stacked chart, in the
	// order of Def.Parts (nil when the KPI has none).
	Parts []int64
	scale int64
	kind  Kind
	unit  Unit
}

// Defined reports whether the point has a value (a ratio with a zero
// denominator has none).
func (p *Point) Defined() bool {
	if p.kind == Sum {
		return true
	}
	return p.Den != 0
}

// Rat is the exact value in the KPI's unit (nil when undefined): a percent
// as 4.35, dollars as 1234.56, days as 31.2.
func (p *Point) Rat() *big.Rat {
	switch {
	case !p.Defined():
		return nil
	case p.kind == Sum && p.unit == Dollars:
		return big.NewRat(p.Num, 100)
	case p.kind == Sum:
		return big.NewRat(p.Num, 1)
	}
	n := new(big.Int).Mul(big.NewInt(p.Num), big.NewInt(p.scale))
	return new(big.Rat).SetFrac(n, big.NewInt(p.Den))
}

// Float is the value as a float64 for charts (0 when undefined).
func (p *Point) Float() float64 {
	r := p.Rat()
	if r == nil {
		return 0
	}
	f, _ := r.Float64()
	return f
}

// Text is the value rounded to places decimals ("" when undefined), half
// away from zero.
func (p *Point) Text(places int) string {
	r := p.Rat()
	if r == nil {
		return ""
	}
	return r.FloatString(places)
}

// Report is a computed report.
type Report struct {
	Request
	Points []Point
}

type groupKey struct {
	vals  [6]string
	start day.Day
}

// Compute builds the report from summary rows (rows of other days and of
// other code kinds are ignored).
func Compute(r Request, rows []Row) (*Report, error) {
	if err := r.Check(); err != nil {
		return nil, err
	}
	rep := &Report{Request: r}
	if r.Def.Unavailable != "" {
		return rep, nil
	}
	switch r.Def.Kind {
	case ARDays, Aging:
		rep.Points = r.cumulative(rows)
	default:
		rep.Points = r.additive(rows)
	}
	if len(r.Def.Needs) > 0 && !r.hasMeasures(rows, r.Def.Needs) {
		d := *r.Def
		d.Unavailable = r.Def.NeedsText
		rep.Def, rep.Points = &d, nil
		return rep, nil
	}
	if r.Def.needsPatient() && !r.hasPatientPayments(rows) {
		rep.Def = r.Def.payerOnly()
	}
	rep.order()
	return rep, nil
}

// hasMeasures reports whether any row of the request's period has one of
// the measures.
func (r *Request) hasMeasures(rows []Row, ms []Measure) bool {
	for i := range rows {
		if row := &rows[i]; row.Day >= r.From && row.Day <= r.To && row.Code == "" {
			for _, m := range ms {
				if row.M[m] != 0 {
					return true
				}
			}
		}
	}
	return false
}

// hasPatientPayments reports whether any patient payment record is among
// the rows of the request's period.
func (r *Request) hasPatientPayments(rows []Row) bool {
	for i := range rows {
		if row := &rows[i]; row.Day >= r.From && row.Day <= r.To && row.Code == "" && row.M[PatientPayRows] != 0 {
			return true
		}
	}
	return false
}

func (r *Request) wantRow(row *Row) bool {
	if !r.Def.Codes {
		return row.Code == ""
	}
	if row.Code == "" {
		return false
	}
	isCARC := strings.Contains(row.Code, "-")
	return isCARC == (r.Def.CodeKind == "carc")
}

func (r *Request) key(d *Dims) [6]string {
	var k [6]string
	for i, g := range r.GroupBy {
		k[i] = g.Of(d)
	}
	return k
}

func sumTerms(ts []Term, m *Measures) int64 {
	var s int64
	for _, t := range ts {
		s += t.Sign * m[t.M]
	}
	return s
}

func (r *Request) point(vals [6]string, start day.Day) Point {
	end := r.Bucket.Next(start) - 1
	if end > r.To {
		end = r.To
	}
	return Point{Group: slices.Clone(vals[:len(r.GroupBy)]), Start: start, End: end, scale: r.Def.Scale,
		kind: r.Def.Kind, unit: r.Def.Unit}
}

func (r *Request) additive(rows []Row) []Point {
	type acc struct {
		num, den int64
		parts    []int64
	}
	sums := map[groupKey]*acc{}
	for i := range rows {
		row := &rows[i]
		if row.Day < r.From || row.Day > r.To || !r.wantRow(row) {
			continue
		}
		k := groupKey{r.key(&row.Dims), r.Bucket.Start(row.Day)}
		a := sums[k]
		if a == nil {
			a = &acc{}
			if len(r.Def.Parts) > 0 {
				a.parts = make([]int64, len(r.Def.Parts))
			}
			sums[k] = a
		}
		a.num += sumTerms(r.Def.Num, &row.M)
		a.den += sumTerms(r.Def.Den, &row.M)
		for j, pt := range r.Def.Parts {
			a.parts[j] += sumTerms(pt.Terms, &row.M)
		}
	}
	out := make([]Point, 0, len(sums))
	for k, a := range sums {
		if a.num == 0 && a.den == 0 && !slices.ContainsFunc(a.parts, func(v int64) bool { return v != 0 }) {
			continue
		}
		p := r.point(k.vals, k.start)
		p.Num, p.Den, p.Parts = a.num, a.den, a.parts
		out = append(out, p)
	}
	return out
}

// cumulative computes balance KPIs from daily series per group.
func (r *Request) cumulative(rows []Row) []Point {
	type dayTotals struct{ a, b, c, d int64 }
	series := map[[6]string]map[day.Day]*dayTotals{}
	for i := range rows {
		row := &rows[i]
		if row.Day > r.To || row.Code != "" {
			continue
		}
		k := r.key(&row.Dims)
		s := series[k]
		if s == nil {
			s = map[day.Day]*dayTotals{}
			series[k] = s
		}
		v := s[row.Day]
		if v == nil {
			v = &dayTotals{}
			s[row.Day] = v
		}
		if r.Def.Kind == ARDays {
			// a: the balance's change that day; c: charges (window).
			v.a += sumTerms(r.Def.Num, &row.M)
			v.c += sumTerms(r.Def.Den, &row.M)
			v.d |= boolInt(anyTerm(r.Def.Num, &row.M) || anyTerm(r.Def.Den, &row.M))
		} else {
			v.a += row.M[ItemsCreated]
			v.b += row.M[ItemsClosed]
			v.c += row.M[CreatedDaySum]
			v.d += row.M[ClosedCreatedDaySum]
		}
	}
	var out []Point
	for k, s := range series {
		days := make([]day.Day, 0, len(s))
		for d := range s {
			days = append(days, d)
		}
		slices.Sort(days)
		// Running totals up to each period end; the 90-day window by a
		// second index.
		var cumA, cumB, cumC, cumD, win int64
		i, j := 0, 0
		for start := r.Bucket.Start(r.From); start <= r.To; start = r.Bucket.Next(start) {
			p := r.point(k, start)
			if p.Start < r.From {
				p.Start = r.From
			}
			end := p.End
			for ; i < len(days) && days[i] <= end; i++ {
				v := s[days[i]]
				if r.Def.Kind == ARDays {
					cumA, cumD, win = cumA+v.a, cumD|v.d, win+v.c
					continue
				}
				cumA, cumB, cumC, cumD = cumA+v.a, cumB+v.b, cumC+v.c, cumD+v.d
			}
			for ; r.Def.Kind == ARDays && j < i && days[j] <= end-90; j++ {
				win -= s[days[j]].c
			}
			if r.Def.Kind == ARDays {
				p.Num, p.Den = cumA, win
				if cumD == 0 {
					continue
				}
			} else {
				open := cumA - cumB
				p.Num, p.Den = open*int64(end)-(cumC-cumD), open
				if cumA == 0 {
					continue
				}
			}
			out = append(out, p)
		}
	}
	return out
}

// anyTerm reports whether a measure of ts is non-zero in m.
func anyTerm(ts []Term, m *Measures) bool {
	return slices.ContainsFunc(ts, func(t Term) bool { return m[t.M] != 0 })
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// order sorts points by group then period; for code KPIs the groups come
// largest first (by Σ Num over the report) and only the top ones stay.
func (rep *Report) order() {
	if !rep.Def.Codes {
		slices.SortFunc(rep.Points, func(a, b Point) int {
			if c := slices.Compare(a.Group, b.Group); c != 0 {
				return c
			}
			return int(a.Start - b.Start)
		})
		return
	}
	tot := map[string]int64{}
	for _, p := range rep.Points {
		tot[strings.Join(p.Group, "\x00")] += p.Num
	}
	slices.SortFunc(rep.Points, func(a, b Point) int {
		ka, kb := strings.Join(a.Group, "\x00"), strings.Join(b.Group, "\x00")
		if tot[ka] != tot[kb] {
			if tot[ka] > tot[kb] {
				return -1
			}
			return 1
		}
		if c := strings.Compare(ka, kb); c != 0 {
			return c
		}
		return int(a.Start - b.Start)
	})
	top := rep.Top
	if top == 0 {
		top = rep.Def.Top
	}
	if top < 0 {
		return
	}
	var kept []string
	out := rep.Points[:0]
	for _, p := range rep.Points {
		k := strings.Join(p.Group, "\x00")
		if !slices.Contains(kept, k) {
			if len(kept) == top {
				continue
			}
			kept = append(kept, k)
		}
		out = append(out, p)
	}
	rep.Points = out
}

// NumText and DenText print the numerator and denominator in their units
// (dollars with two places).
func (p *Point) NumText(d *Def) string { return unitText(p.Num, d.NumUnit) }

// DenText prints the denominator; see NumText.
func (p *Point) DenText(d *Def) string { return unitText(p.Den, d.DenUnit) }

func unitText(v int64, u Unit) string {
	if u == Dollars {
		return money.Amount(v).String()
	}
	return itoa(v)
}
