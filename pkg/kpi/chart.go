package kpi

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/remitq/remitq/carc"
	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/kpi/draw"
	"github.com/remitq/remitq/pkg/money"
)

// ChartOptions shape a chart.
type ChartOptions struct {
	Width, Height int    // pixels (default 960 × 540)
	Subtitle      string // e.g. the practice or the scope; "" for none
	MaxSeries     int    // groups drawn, largest first (default 6 lines, 12 bars)
	Labels        Labels // names for group values in legends and bar labels
}

func (o *ChartOptions) defaults(bars bool) {
	if o.Width <= 0 {
		o.Width = 960
	}
	if o.Height <= 0 {
		o.Height = 540
	}
	if o.MaxSeries <= 0 {
		o.MaxSeries = 6
		if bars {
			o.MaxSeries = 12
		}
	}
}

var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf", "#7f7f7f"}

const (
	ink     = "#222222"
	muted   = "#555555"
	grid    = "#e5e5e5"
	good    = "#2ca02c"
	bad     = "#d62728"
	neutral = "#1f77b4"
)

// WriteSVG draws the report as an SVG chart in the form that suits it (see
// Chart).
func (rep *Report) WriteSVG(w io.Writer, o ChartOptions) error { return rep.Chart(o).WriteSVG(w) }

// Chart draws the report in the form that suits it: lines over time for a
// time series (one line per group, the largest MaxSeries); horizontal bars
// for categories (Def.Chart bar, or any report of a single period), largest
// first, each labelled with its value and, for a ratio, its numerator and
// denominator; stacked bars per period for a KPI with Parts (reversals
// below zero). Every chart has a title with the period, the formula, axis
// titles with units, the target (a dashed line or a band) and readable
// group names (Labels, category and code names), money as money.
func (rep *Report) Chart(o ChartOptions) *draw.Scene {
	d := rep.Def
	periods := rep.periods()
	switch {
	case d.Unavailable != "":
		o.defaults(false)
		return rep.unavailableChart(o)
	case d.Chart == BarChart || len(periods) == 1:
		o.defaults(true)
		return rep.barChart(o)
	case d.Chart == StackedChart && len(rep.GroupBy) == 0:
		o.defaults(false)
		return rep.stackedChart(o, periods)
	}
	o.defaults(false)
	return rep.lineChart(o, periods)
}

func (rep *Report) periods() []day.Day {
	var out []day.Day
	for s := rep.Bucket.Start(rep.From); s <= rep.To; s = rep.Bucket.Next(s) {
		out = append(out, s)
	}
	return out
}

// frame draws the title, subtitle and formula of a chart.
func (rep *Report) frame(o ChartOptions) *draw.Scene {
	d := rep.Def
	s := draw.New(float64(o.Width), float64(o.Height), d.Title)
	s.Text(24, 30, d.Title+" · "+RangeText(rep.From, rep.To), draw.TextStyle{Size: 18, Bold: true, Color: ink})
	sub := d.Formula
	if o.Subtitle != "" {
		sub = o.Subtitle + " — " + sub
	}
	s.Text(24, 50, fit(sub, 12, float64(o.Width)-48), draw.TextStyle{Size: 12, Color: muted})
	return s
}

// RangeText prints a date range for people: "October 2026",
// "January – December 2026", "Oct 5 – Nov 3, 2026".
func RangeText(from, to day.Day) string {
	f, t := from.Time(), to.Time()
	monthStart := f.Day() == 1
	monthEnd := t.AddDate(0, 0, 1).Day() == 1
	switch {
	case monthStart && monthEnd && f.Year() == t.Year() && f.Month() == t.Month():
		return f.Format("January 2006")
	case monthStart && monthEnd && f.Year() == t.Year():
		return f.Format("January") + " – " + t.Format("January 2006")
	case monthStart && monthEnd:
		return f.Format("January 2006") + " – " + t.Format("January 2006")
	case f.Year() == t.Year():
		return f.Format("Jan 2") + " – " + t.Format("Jan 2, 2006")
	}
	return f.Format("Jan 2, 2006") + " – " + t.Format("Jan 2, 2006")
}

func (rep *Report) basisText() string {
	d := rep.Def
	switch {
	case d.Kind == ARDays || d.Kind == Aging:
		return "as of the end of each period"
	case strings.HasPrefix(d.Name, "appeal_") && rep.Basis == RemitBasis:
		return "by appeal date"
	case d.Name == "work_throughput" && rep.Basis == RemitBasis:
		return "by day closed"
	case rep.Basis == ServiceBasis:
		return "by service date"
	}
	return "by remit date"
}

// groupName is the readable name of a group: the Labels' names, category
// and code names, and a word for the empty value.
func (rep *Report) groupName(group []string, labels Labels) string {
	if len(group) == 0 {
		return "All in scope"
	}
	parts := make([]string, len(group))
	for i, g := range rep.GroupBy {
		parts[i] = DimValueName(g, group[i], labels)
	}
	return strings.Join(parts, " · ")
}

// DimValueName names one dimension value for people.
func DimValueName(g Dim, v string, labels Labels) string {
	if n := labels[g][v]; n != "" {
		return n
	}
	switch g {
	case DimCategory:
		if v == "" {
			return "No denial"
		}
		if l := carc.Category(v).Label(); l != "" {
			return strings.ToUpper(l[:1]) + l[1:]
		}
	case DimCode:
		if g, code, ok := strings.Cut(v, "-"); ok {
			if c, found := carc.CARC(code); found && c.Reason != "" {
				return g + "-" + code + " " + c.Reason
			}
		} else if r, found := carc.RARC(v); found && r.Description != "" {
			return v + " " + r.Description
		}
	case DimPayer:
		if v == "" {
			return "No payer (patient, on account)"
		}
	case DimProvider:
		if v == "" {
			return "Provider unknown"
		}
		return "NPI " + v
	case DimPractice:
		return "Practice " + v
	}
	if v == "" {
		return "Unattributed"
	}
	return v
}

// fit shortens s with an ellipsis to fit width pixels at size.
func fit(s string, size, width float64) string {
	if draw.TextWidth(s, size, false) <= width {
		return s
	}
	r := []rune(s)
	for len(r) > 1 && draw.TextWidth(string(r)+"…", size, false) > width {
		r = r[:len(r)-1]
	}
	return strings.TrimSpace(string(r)) + "…"
}

// axis is a value axis: its range and step.
type axis struct{ lo, hi, step float64 }

func newAxis(lo, hi float64, d *Def, ticks float64) axis {
	lo, hi = math.Min(lo, 0), math.Max(hi, 0)
	if t := d.Target; t != nil {
		hi = math.Max(hi, t.High)
	}
	if hi == lo {
		hi = lo + 1
	}
	step := niceStep((hi - lo) / ticks)
	lo = math.Floor(lo/step) * step
	hi = math.Ceil(hi*1.04/step) * step
	if d.Unit == Percent && hi > 100 && lo >= 0 && hi-step < 100 {
		hi = 100
	}
	return axis{lo, hi, step}
}

func (a axis) ticks() []float64 {
	var out []float64
	for v := a.lo; v <= a.hi+a.step/2; v += a.step {
		out = append(out, math.Round(v/a.step)*a.step)
	}
	return out
}

// niceStep rounds a raw step up to 1, 2, 2.5 or 5 × a power of ten.
func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if raw <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// decimals is how many places a step needs (2.5 → 1, 0.25 → 2), at most 2.
func decimals(step float64) int {
	dec := 0
	for dec < 2 && math.Abs(step*math.Pow(10, float64(dec))-math.Round(step*math.Pow(10, float64(dec)))) > 1e-9 {
		dec++
	}
	return dec
}

// tickText prints an axis value in the unit: "25 %", "-$5,000", "30 days".
func tickText(v, step float64, u Unit) string {
	dec := decimals(step)
	if math.Abs(v) < step/1e6 {
		v = 0
	}
	switch u {
	case Percent:
		return fmt.Sprintf("%.*f %%", dec, v)
	case Dollars:
		return MoneyText(v, dec)
	case Days:
		return thousands(fmt.Sprintf("%.*f", dec, v)) + " days"
	}
	return thousands(fmt.Sprintf("%.*f", dec, v))
}

// MoneyText prints dollars with the sign before the currency sign and
// thousands separators: "-$5,000", "$1,234.50" (dec places).
func MoneyText(v float64, dec int) string {
	s := thousands(fmt.Sprintf("%.*f", dec, math.Abs(v)))
	if v < 0 && strings.Trim(s, "0.,") != "" {
		return "-$" + s
	}
	return "$" + s
}

// thousands adds commas to the integer part of a decimal.
func thousands(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String()
	if hasFrac {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

// ValueText prints a point's value for people: "4.3 %", "$1,234.56",
// "31.2 days", "1,204"; "n/a" when undefined.
func (p *Point) ValueText() string {
	if !p.Defined() {
		return "n/a"
	}
	switch p.unit {
	case Percent:
		return p.Text(1) + " %"
	case Dollars:
		a, err := money.Parse(p.Text(2))
		if err != nil {
			return p.Text(2)
		}
		return a.Dollars()
	case Days:
		return p.Text(1) + " days"
	}
	return thousands(p.Text(0))
}

// AmountText prints a numerator or denominator in its unit for people.
func AmountText(v int64, u Unit) string {
	switch u {
	case Dollars:
		return money.Amount(v).Dollars()
	case Days:
		return thousands(itoa(v)) + " days"
	}
	return thousands(itoa(v))
}

// labelEvery is how many periods apart the x labels go so that they do
// not overlap in width pixels.
func labelEvery(periods []day.Day, b Bucket, width float64) int {
	if len(periods) < 2 {
		return 1
	}
	lw := draw.TextWidth(periodLabel(periods[0], b), 11, false) + 10
	slot := width / float64(len(periods))
	return max(1, int(math.Ceil(lw/slot)))
}

func periodLabel(d day.Day, b Bucket) string {
	t := d.Time()
	switch b {
	case ByMonth:
		return t.Format("Jan 2006")
	}
	return t.Format("Jan 2")
}

// totals folds the points of each group over the report's periods: sums
// for additive KPIs, the last period for balances. Groups come largest
// first (by |value| for sums, by denominator for ratios).
func (rep *Report) totals() []Point {
	byKey := map[string]*Point{}
	var order []string
	for i := range rep.Points {
		p := rep.Points[i]
		k := strings.Join(p.Group, "\x00")
		t := byKey[k]
		if t == nil {
			c := p
			c.Parts = slices.Clone(p.Parts)
			byKey[k] = &c
			order = append(order, k)
			continue
		}
		if rep.Cumulative() {
			if p.Start > t.Start {
				*t = p
			}
			continue
		}
		t.Num += p.Num
		t.Den += p.Den
		for j := range p.Parts {
			t.Parts[j] += p.Parts[j]
		}
		t.Start, t.End = min(t.Start, p.Start), max(t.End, p.End)
	}
	out := make([]Point, 0, len(order))
	for _, k := range order {
		out = append(out, *byKey[k])
	}
	weight := func(p *Point) float64 {
		if p.kind == Sum {
			return math.Abs(float64(p.Num))
		}
		return math.Abs(float64(p.Den))
	}
	slices.SortStableFunc(out, func(a, b Point) int {
		wa, wb := weight(&a), weight(&b)
		switch {
		case wa > wb:
			return -1
		case wa < wb:
			return 1
		}
		return slices.Compare(a.Group, b.Group)
	})
	return out
}

// barChart draws one horizontal bar per group over the whole report.
func (rep *Report) barChart(o ChartOptions) *draw.Scene {
	d := rep.Def
	s := rep.frame(o)
	pts := rep.totals()
	dropped := 0
	if len(pts) > o.MaxSeries {
		dropped = len(pts) - o.MaxSeries
		pts = pts[:o.MaxSeries]
	}
	W, H := float64(o.Width), float64(o.Height)
	if len(pts) == 0 {
		s.Text(W/2, H/2, "No data in this period", draw.TextStyle{Size: 16, Color: "#888888", Anchor: draw.Middle})
		return s
	}
	names := make([]string, len(pts))
	labelW := 0.0
	for i := range pts {
		names[i] = fit(rep.groupName(pts[i].Group, o.Labels), 12, math.Min(300, W*0.34))
		labelW = math.Max(labelW, draw.TextWidth(names[i], 12, false))
	}
	left, right, top, bottom := 24+labelW+12, 150.0, 74.0, 64.0
	pw, ph := W-left-right, H-top-bottom
	lo, hi := 0.0, 0.0
	for i := range pts {
		v := pts[i].Float()
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	ax := newAxis(lo, hi, d, 5)
	x := func(v float64) float64 { return left + pw*(v-ax.lo)/(ax.hi-ax.lo) }
	for _, v := range ax.ticks() {
		s.Line(x(v), top, x(v), top+ph, draw.Style{Stroke: grid})
		s.Text(x(v), top+ph+16, tickText(v, ax.step, d.Unit), draw.TextStyle{Size: 11, Color: "#333333", Anchor: draw.Middle})
	}
	s.Text(left+pw/2, top+ph+36, d.Title+" ("+unitName(d.Unit)+"), "+RangeText(rep.From, rep.To), draw.TextStyle{Size: 12, Anchor: draw.Middle})
	s.Line(x(0), top, x(0), top+ph, draw.Style{Stroke: "#333333"})
	if t := d.Target; t != nil && t.High >= ax.lo && t.Low <= ax.hi {
		if t.High > t.Low {
			s.Rect(x(t.Low), top, x(t.High)-x(t.Low), ph, draw.Style{Fill: good, Opacity: 0.12})
		}
		for _, v := range uniq(t.Low, t.High) {
			s.Line(x(v), top, x(v), top+ph, draw.Style{Stroke: good, Width: 1.5, Dash: []float64{6, 4}})
		}
		s.Text(x(t.High)+4, top-6, "target "+t.Text, draw.TextStyle{Size: 12, Color: "#1a7a1a"})
	}
	band := ph / float64(len(pts))
	bh := math.Min(28, band*0.66)
	for i := range pts {
		p := &pts[i]
		cy := top + band*(float64(i)+0.5)
		s.Text(left-10, cy+4, names[i], draw.TextStyle{Size: 12, Anchor: draw.End, Color: ink})
		if !p.Defined() {
			s.Text(x(0)+6, cy+4, "n/a (nothing to divide by)", draw.TextStyle{Size: 11, Color: "#888888"})
			continue
		}
		v := p.Float()
		col := neutral
		if v < 0 {
			col = bad
		}
		s.Rect(x(math.Min(0, v)), cy-bh/2, math.Abs(x(v)-x(0)), bh, draw.Style{Fill: col, Tip: names[i] + ": " + p.ValueText()})
		label := p.ValueText()
		if d.Kind != Sum {
			label += "  (" + AmountText(p.Num, d.NumUnit) + " of " + AmountText(p.Den, d.DenUnit) + ")"
		} else if p.Den != 0 {
			label += "  (" + d.DenLabel + ": " + AmountText(p.Den, d.DenUnit) + ")"
		}
		lx, anchor := x(math.Max(0, v))+6, draw.Start
		if v < 0 {
			lx, anchor = x(v)-6, draw.End
		}
		s.Text(lx, cy+4, label, draw.TextStyle{Size: 11, Color: ink, Anchor: anchor})
	}
	if dropped > 0 {
		s.Text(left, H-12, fmt.Sprintf("and %d smaller groups (see the CSV)", dropped), draw.TextStyle{Size: 11, Color: muted})
	}
	return s
}

// lineChart draws the report over time, one line per group.
func (rep *Report) lineChart(o ChartOptions, periods []day.Day) *draw.Scene {
	d := rep.Def
	s := rep.frame(o)
	W, H := float64(o.Width), float64(o.Height)
	idx := map[day.Day]int{}
	for i, p := range periods {
		idx[p] = i
	}
	type series struct {
		key, name string
		vals      []float64
		ok        []bool
		pts       []*Point
	}
	var order []*series
	byKey := map[string]*series{}
	for i := range rep.Points {
		p := &rep.Points[i]
		k := strings.Join(p.Group, "\x00")
		sr := byKey[k]
		if sr == nil {
			sr = &series{key: k, name: rep.groupName(p.Group, o.Labels), vals: make([]float64, len(periods)),
				ok: make([]bool, len(periods)), pts: make([]*Point, len(periods))}
			byKey[k] = sr
			order = append(order, sr)
		}
		j, found := idx[rep.Bucket.Start(p.Start)]
		if !found || !p.Defined() {
			continue
		}
		sr.vals[j], sr.ok[j], sr.pts[j] = p.Float(), true, p
	}
	// Largest first, by the totals' order.
	rank := map[string]int{}
	for i, p := range rep.totals() {
		rank[strings.Join(p.Group, "\x00")] = i
	}
	slices.SortStableFunc(order, func(a, b *series) int { return rank[a.key] - rank[b.key] })
	dropped := 0
	if len(order) > o.MaxSeries {
		dropped = len(order) - o.MaxSeries
		order = order[:o.MaxSeries]
	}
	lo, hi := 0.0, 0.0
	for _, sr := range order {
		for j, v := range sr.vals {
			if sr.ok[j] {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	ax := newAxis(lo, hi, d, 5)
	legendRows := 1 + len(order)/4
	left, right, top, bottom := 96.0, 40.0, 74.0, 70.0+18*float64(legendRows)
	pw, ph := W-left-right, H-top-bottom
	x := func(i int) float64 {
		if len(periods) == 1 {
			return left + pw/2
		}
		return left + pw*float64(i)/float64(len(periods)-1)
	}
	y := func(v float64) float64 { return top + ph*(ax.hi-v)/(ax.hi-ax.lo) }
	if t := d.Target; t != nil && t.High >= ax.lo && t.Low <= ax.hi {
		if t.High > t.Low {
			s.Rect(left, y(t.High), pw, y(t.Low)-y(t.High), draw.Style{Fill: good, Opacity: 0.12})
		}
		for _, v := range uniq(t.Low, t.High) {
			s.Line(left, y(v), left+pw, y(v), draw.Style{Stroke: good, Width: 1.5, Dash: []float64{6, 4}})
		}
		s.Text(left+pw-4, y(t.High)-6, "target "+t.Text, draw.TextStyle{Size: 12, Color: "#1a7a1a", Anchor: draw.End})
	}
	for _, v := range ax.ticks() {
		s.Line(left, y(v), left+pw, y(v), draw.Style{Stroke: grid})
		s.Text(left-8, y(v)+4, tickText(v, ax.step, d.Unit), draw.TextStyle{Size: 11, Color: "#333333", Anchor: draw.End})
	}
	s.Line(left, top, left, top+ph, draw.Style{Stroke: "#333333"})
	s.Line(left, y(math.Max(ax.lo, 0)), left+pw, y(math.Max(ax.lo, 0)), draw.Style{Stroke: "#333333"})
	every := labelEvery(periods, rep.Bucket, pw)
	for i, p := range periods {
		s.Line(x(i), top+ph, x(i), top+ph+5, draw.Style{Stroke: "#333333"})
		if i%every == 0 {
			s.Text(x(i), top+ph+20, periodLabel(p, rep.Bucket), draw.TextStyle{Size: 11, Color: "#333333", Anchor: draw.Middle})
		}
	}
	s.Text(left+pw/2, top+ph+40, strings.ToUpper(rep.basisText()[:1])+rep.basisText()[1:]+" (by "+string(rep.Bucket)+")",
		draw.TextStyle{Size: 12, Anchor: draw.Middle})
	s.Text(22, top+ph/2, d.Title+" ("+unitName(d.Unit)+")", draw.TextStyle{Size: 12, Anchor: draw.Middle, Up: true})
	for si, sr := range order {
		col := palette[si%len(palette)]
		var run []draw.Pt
		flush := func() {
			if len(run) > 1 {
				s.Polyline(run, draw.Style{Stroke: col, Width: 2})
			}
			run = nil
		}
		for j, v := range sr.vals {
			if !sr.ok[j] {
				flush()
				continue
			}
			run = append(run, draw.Pt{X: x(j), Y: y(v)})
		}
		flush()
		for j, v := range sr.vals {
			if sr.ok[j] {
				s.Circle(x(j), y(v), 3, draw.Style{Fill: col, Tip: sr.name + " " + periodLabel(periods[j], rep.Bucket) + ": " + sr.pts[j].ValueText()})
			}
		}
	}
	if len(order) == 0 {
		s.Text(left+pw/2, top+ph/2, "No data in this period", draw.TextStyle{Size: 16, Color: "#888888", Anchor: draw.Middle})
	}
	lx, ly := left, top+ph+64
	for si, sr := range order {
		col := palette[si%len(palette)]
		name := fit(sr.name, 12, 260)
		s.Line(lx, ly-4, lx+18, ly-4, draw.Style{Stroke: col, Width: 3})
		s.Text(lx+24, ly, name, draw.TextStyle{Size: 12, Color: ink})
		lx += 24 + draw.TextWidth(name, 12, false) + 24
		if lx > W-220 {
			lx, ly = left, ly+18
		}
	}
	if dropped > 0 {
		s.Text(lx, ly, fmt.Sprintf("and %d smaller groups (see the CSV)", dropped), draw.TextStyle{Size: 11, Color: muted})
	}
	return s
}

// stackedChart draws one bar per period stacked from the KPI's parts:
// positive parts above zero, negative ones (reversals) below, and the net
// as a marker with its value.
func (rep *Report) stackedChart(o ChartOptions, periods []day.Day) *draw.Scene {
	d := rep.Def
	s := rep.frame(o)
	W, H := float64(o.Width), float64(o.Height)
	byStart := map[day.Day]*Point{}
	for i := range rep.Points {
		byStart[rep.Bucket.Start(rep.Points[i].Start)] = &rep.Points[i]
	}
	lo, hi := 0.0, 0.0
	for _, p := range byStart {
		pos, neg := 0.0, 0.0
		for _, v := range p.Parts {
			if v > 0 {
				pos += float64(v) / 100
			} else {
				neg += float64(v) / 100
			}
		}
		lo, hi = math.Min(lo, neg), math.Max(hi, pos)
	}
	ax := newAxis(lo, hi, d, 5)
	left, right, top, bottom := 96.0, 40.0, 74.0, 96.0
	pw, ph := W-left-right, H-top-bottom
	y := func(v float64) float64 { return top + ph*(ax.hi-v)/(ax.hi-ax.lo) }
	slot := pw / float64(len(periods))
	bw := math.Min(48, slot*0.6)
	for _, v := range ax.ticks() {
		s.Line(left, y(v), left+pw, y(v), draw.Style{Stroke: grid})
		s.Text(left-8, y(v)+4, tickText(v, ax.step, d.Unit), draw.TextStyle{Size: 11, Color: "#333333", Anchor: draw.End})
	}
	cols := []string{"#1f77b4", "#ff7f0e", "#9467bd", "#8c564b"}
	every := labelEvery(periods, rep.Bucket, pw)
	for i, start := range periods {
		cx := left + slot*(float64(i)+0.5)
		if i%every == 0 {
			s.Text(cx, top+ph+20, periodLabel(start, rep.Bucket), draw.TextStyle{Size: 11, Color: "#333333", Anchor: draw.Middle})
		}
		p := byStart[start]
		if p == nil {
			continue
		}
		up, down := 0.0, 0.0
		for j, c := range p.Parts {
			v := float64(c) / 100
			if v == 0 {
				continue
			}
			base := up
			if v < 0 {
				base = down
				down += v
			} else {
				up += v
			}
			s.Rect(cx-bw/2, y(base+v), bw, y(base)-y(base+v), draw.Style{Fill: cols[j%len(cols)],
				Tip: d.Parts[j].Label + " " + periodLabel(start, rep.Bucket) + ": " + money.Amount(c).Dollars()})
		}
		net := float64(p.Num) / 100
		s.Circle(cx, y(net), 4, draw.Style{Fill: ink})
		s.Text(cx, y(math.Max(up, net))-8, money.Amount(p.Num).Dollars(), draw.TextStyle{Size: 10, Color: ink, Anchor: draw.Middle})
	}
	s.Line(left, top, left, top+ph, draw.Style{Stroke: "#333333"})
	s.Line(left, y(0), left+pw, y(0), draw.Style{Stroke: "#333333", Width: 1.5})
	s.Text(left+pw/2, top+ph+40, strings.ToUpper(rep.basisText()[:1])+rep.basisText()[1:]+" (by "+string(rep.Bucket)+")",
		draw.TextStyle{Size: 12, Anchor: draw.Middle})
	s.Text(22, top+ph/2, d.Title+" ("+unitName(d.Unit)+")", draw.TextStyle{Size: 12, Anchor: draw.Middle, Up: true})
	lx, ly := left, top+ph+66
	for j, pt := range d.Parts {
		s.Rect(lx, ly-10, 14, 10, draw.Style{Fill: cols[j%len(cols)]})
		s.Text(lx+20, ly, pt.Label, draw.TextStyle{Size: 12, Color: ink})
		lx += 20 + draw.TextWidth(pt.Label, 12, false) + 28
	}
	s.Circle(lx+5, ly-5, 4, draw.Style{Fill: ink})
	s.Text(lx+16, ly, "Net "+strings.ToLower(d.Title[:1])+d.Title[1:], draw.TextStyle{Size: 12, Color: ink})
	return s
}

func (rep *Report) unavailableChart(o ChartOptions) *draw.Scene {
	s := rep.frame(o)
	W, H := float64(o.Width), float64(o.Height)
	s.Rect(24, 74, W-48, H-110, draw.Style{Fill: "#f7f7f7", Stroke: "#cccccc"})
	s.Text(W/2, H/2-10, "Not available", draw.TextStyle{Size: 20, Bold: true, Color: muted, Anchor: draw.Middle})
	s.Text(W/2, H/2+16, fit(strings.ToUpper(rep.Def.Unavailable[:1])+rep.Def.Unavailable[1:], 13, W-80), draw.TextStyle{Size: 13, Color: muted, Anchor: draw.Middle})
	return s
}

func uniq(a, b float64) []float64 {
	if a == b {
		return []float64{a}
	}
	return []float64{a, b}
}

func unitName(u Unit) string {
	switch u {
	case Percent:
		return "%"
	case Dollars:
		return "US dollars"
	case Days:
		return "days"
	}
	return "count"
}
