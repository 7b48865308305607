package kpi

import (
	"fmt"
	"html"
	"io"
	"math"
	"slices"
	"strings"
)

// ChartOptions shape a chart.
type ChartOptions struct {
	Width, Height int    // pixels (default 960 × 540)
	Subtitle      string // e.g. the practice or the scope; "" for none
	MaxSeries     int    // groups drawn, largest first (default 6)
	Labels        Labels // names for group values in the legend
}

var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf", "#7f7f7f"}

// WriteSVG draws the report over time as an SVG line chart: one line per
// group (the largest MaxSeries), the period on the x axis with the date
// basis named, the value on the y axis with its unit, the target as a
// dashed line (a shaded band for a range), a title, a legend and a note of
// the definition.
func (rep *Report) WriteSVG(w io.Writer, o ChartOptions) error {
	if o.Width <= 0 {
		o.Width = 960
	}
	if o.Height <= 0 {
		o.Height = 540
	}
	if o.MaxSeries <= 0 {
		o.MaxSeries = 6
	}
	d := rep.Def
	// The periods, from From to To.
	var periods []Day
	for s := rep.Bucket.Start(rep.From); s <= rep.To; s = rep.Bucket.Next(s) {
		periods = append(periods, s)
	}
	idx := map[Day]int{}
	for i, p := range periods {
		idx[p] = i
	}
	// The series, largest first.
	type series struct {
		key   string
		name  string
		vals  []float64
		ok    []bool
		total float64
	}
	byKey := map[string]*series{}
	var order []*series
	for i := range rep.Points {
		p := &rep.Points[i]
		k := strings.Join(p.Group, " · ")
		s := byKey[k]
		if s == nil {
			s = &series{key: k, name: rep.seriesName(p.Group, o.Labels), vals: make([]float64, len(periods)), ok: make([]bool, len(periods))}
			byKey[k] = s
			order = append(order, s)
		}
		j, found := idx[rep.Bucket.Start(p.Start)]
		if !found || !p.Defined() {
			continue
		}
		s.vals[j], s.ok[j] = p.Float(), true
		s.total += math.Abs(float64(p.Den)) + math.Abs(float64(p.Num))
	}
	slices.SortStableFunc(order, func(a, b *series) int {
		switch {
		case a.total > b.total:
			return -1
		case a.total < b.total:
			return 1
		}
		return strings.Compare(a.key, b.key)
	})
	dropped := 0
	if len(order) > o.MaxSeries {
		dropped = len(order) - o.MaxSeries
		order = order[:o.MaxSeries]
	}
	// The y range: values, the target, and zero.
	lo, hi := 0.0, 0.0
	for _, s := range order {
		for j, v := range s.vals {
			if s.ok[j] {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	if d.Target != nil {
		hi = math.Max(hi, d.Target.High)
	}
	if hi == lo {
		hi = lo + 1
	}
	step := niceStep((hi - lo) / 5)
	lo = math.Floor(lo/step) * step
	hi = math.Ceil(hi*1.05/step) * step
	if d.Unit == Percent && hi > 100 && lo >= 0 && hi-step < 100 {
		hi = 100
	}

	left, right, top, bottom := 90.0, 60.0, 70.0, 120.0
	pw, ph := float64(o.Width)-left-right, float64(o.Height)-top-bottom
	x := func(i int) float64 {
		if len(periods) == 1 {
			return left + pw/2
		}
		return left + pw*float64(i)/float64(len(periods)-1)
	}
	y := func(v float64) float64 { return top + ph*(hi-v)/(hi-lo) }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="DejaVu Sans, Arial, Helvetica, sans-serif" font-size="13">`+"\n",
		o.Width, o.Height, o.Width, o.Height)
	fmt.Fprintf(&b, `<title>%s</title>`+"\n", esc(d.Title))
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="#ffffff"/>`+"\n")
	title := fmt.Sprintf("%s, %s to %s", d.Title, rep.From, rep.To)
	fmt.Fprintf(&b, `<text x="%g" y="28" font-size="18" font-weight="bold" fill="#222">%s</text>`+"\n", left, esc(title))
	sub := d.Formula
	if o.Subtitle != "" {
		sub = o.Subtitle + " — " + sub
	}
	fmt.Fprintf(&b, `<text x="%g" y="50" font-size="12" fill="#555">%s</text>`+"\n", left, esc(sub))

	// Target band or line, under the data.
	if t := d.Target; t != nil && t.High >= lo && t.Low <= hi {
		if t.High > t.Low {
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#2ca02c" fill-opacity="0.12"/>`+"\n",
				left, y(t.High), pw, y(t.Low)-y(t.High))
		}
		for _, v := range uniq(t.Low, t.High) {
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#2ca02c" stroke-width="1.5" stroke-dasharray="6 4"/>`+"\n",
				left, y(v), left+pw, y(v))
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end" font-size="12" fill="#1a7a1a">target %s</text>`+"\n",
			left+pw-4, y(t.High)-6, esc(t.Text))
	}

	// Y grid, ticks and labels.
	for v := lo; v <= hi+step/2; v += step {
		yy := y(v)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e5e5e5"/>`+"\n", left, yy, left+pw, yy)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333"/>`+"\n", left-5, yy, left, yy)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end" fill="#333">%s</text>`+"\n", left-8, yy+4, esc(tickText(v, step, d.Unit)))
	}
	// Axes.
	fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="#333"/>`+"\n", left, top, left, top+ph)
	fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="#333"/>`+"\n", left, top+ph, left+pw, top+ph)
	// X ticks: at most about 12 labels.
	every := max(1, (len(periods)+11)/12)
	for i, p := range periods {
		xx := x(i)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333"/>`+"\n", xx, top+ph, xx, top+ph+5)
		if i%every == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="#333">%s</text>`+"\n", xx, top+ph+20, esc(periodLabel(p, rep.Bucket)))
		}
	}
	// Axis titles with units.
	basis := "Remit date"
	if rep.Basis == ServiceBasis {
		basis = "Service date"
	}
	switch d.Kind {
	case ARDays, Aging:
		basis = "As of the end of each period"
	}
	if d.Name == "appeal_recovery_rate" && rep.Basis == RemitBasis {
		basis = "Appeal date"
	}
	if strings.HasPrefix(d.Name, "work_") && rep.Basis == RemitBasis && d.Kind == Sum {
		basis = "Day closed"
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="13" fill="#222">%s (by %s)</text>`+"\n",
		left+pw/2, top+ph+42, esc(basis), rep.Bucket)
	fmt.Fprintf(&b, `<text transform="translate(22 %.1f) rotate(-90)" text-anchor="middle" font-size="13" fill="#222">%s (%s)</text>`+"\n",
		top+ph/2, esc(d.Title), esc(unitName(d.Unit)))

	// Data lines and markers.
	for si, s := range order {
		col := palette[si%len(palette)]
		var path strings.Builder
		pen := false
		for j, v := range s.vals {
			if !s.ok[j] {
				pen = false
				continue
			}
			if pen {
				fmt.Fprintf(&path, " L%.1f %.1f", x(j), y(v))
			} else {
				fmt.Fprintf(&path, " M%.1f %.1f", x(j), y(v))
				pen = true
			}
		}
		if path.Len() > 0 {
			fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="%s" stroke-width="2"/>`+"\n", strings.TrimSpace(path.String()), col)
		}
		for j, v := range s.vals {
			if s.ok[j] {
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s %s: %s</title></circle>`+"\n",
					x(j), y(v), col, esc(s.name), periodLabel(periods[j], rep.Bucket), esc(tickText(v, step/100, d.Unit)))
			}
		}
	}
	if len(order) == 0 {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="16" fill="#888">no data in this period</text>`+"\n", left+pw/2, top+ph/2)
	}
	// Legend.
	lx, ly := left, top+ph+64
	for si, s := range order {
		col := palette[si%len(palette)]
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="3"/>`+"\n", lx, ly-4, lx+18, ly-4, col)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="#222">%s</text>`+"\n", lx+24, ly, esc(s.name))
		lx += 24 + 7.5*float64(len([]rune(s.name))) + 24
		if lx > float64(o.Width)-200 {
			lx, ly = left, ly+20
		}
	}
	if dropped > 0 {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="#555">and %d smaller groups (see the CSV)</text>`+"\n", lx, ly, dropped)
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("kpi: svg: %w", err)
	}
	return nil
}

func (rep *Report) seriesName(group []string, labels Labels) string {
	if len(group) == 0 {
		return "All in scope"
	}
	parts := make([]string, len(group))
	for i, g := range rep.GroupBy {
		v := group[i]
		if n := labels[g][v]; n != "" {
			v = n
		}
		if v == "" {
			v = "(none)"
		}
		parts[i] = v
	}
	return strings.Join(parts, " · ")
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

func tickText(v, step float64, u Unit) string {
	// As many decimals as the step needs (2.5 → 1, 0.25 → 2), at most 2.
	dec := 0
	for dec < 2 && math.Abs(step*math.Pow(10, float64(dec))-math.Round(step*math.Pow(10, float64(dec)))) > 1e-9 {
		dec++
	}
	s := fmt.Sprintf("%.*f", dec, v)
	switch u {
	case Percent:
		return s + " %"
	case Dollars:
		return "$" + thousands(s)
	}
	return thousands(s)
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

func periodLabel(d Day, b Bucket) string {
	t := d.Time()
	switch b {
	case ByMonth:
		return t.Format("Jan 2006")
	case ByWeek:
		return t.Format("Jan 2")
	}
	return t.Format("Jan 2")
}

func esc(s string) string { return html.EscapeString(s) }
