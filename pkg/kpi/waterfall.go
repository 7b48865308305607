package kpi

import (
	"io"
	"math"
	"strings"

	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/kpi/draw"
	"github.com/remitq/remitq/pkg/money"
)

// Step is one bar of a waterfall: a total (drawn from zero) or a change
// (drawn from the running level).
type Step struct {
	Label  string       `json:"label"`
	Amount money.Amount `json:"amount"`
	Total  bool         `json:"total"`
}

// Waterfall walks from the charges of the adjudicated lines to what was
// collected: charges, less contractual adjustments, denials, the patient's
// share and other adjustments, gives the primary payer payments; plus
// secondary payer and patient payments gives the total collected.
// Reversals are netted in each figure (a reversed payment lowers charges
// and payments alike), on the reversal's remit date.
type Waterfall struct {
	From, To day.Day
	Steps    []Step
	// PatientKnown: patient payments were imported for the scope and
	// period (otherwise the patient step is 0 because nothing is known).
	PatientKnown bool
}

// NewWaterfall builds the waterfall from the summed measures of the remit
// basis over From to To (code rows excluded).
func NewWaterfall(m *Measures, from, to day.Day) *Waterfall {
	charges := m[ChargeAdjudicated]
	contractual, denied, patient := m[Contractual], m[DenialAmount], m[PatientResp]
	primary := m[PaymentsPrimary]
	other := charges - contractual - denied - patient - primary
	secondary := m[Payments] - primary
	steps := []Step{
		{"Charges", money.Amount(charges), true},
		{"Contractual adjustments", money.Amount(-contractual), false},
		{"Denied", money.Amount(-denied), false},
		{"Patient responsibility", money.Amount(-patient), false},
	}
	if other != 0 {
		steps = append(steps, Step{"Other adjustments", money.Amount(-other), false})
	}
	steps = append(steps, Step{"Primary payer payments", money.Amount(primary), true},
		Step{"Secondary payer payments", money.Amount(secondary), false},
		Step{"Patient payments", money.Amount(m[PatientPaid]), false},
		Step{"Collected", money.Amount(primary + secondary + m[PatientPaid]), true})
	return &Waterfall{From: from, To: to, Steps: steps, PatientKnown: m[PatientPayRows] != 0}
}

// WaterfallRows sums the rows of the remit basis from From to To into a
// waterfall (rows of other days and code rows are ignored).
func WaterfallRows(rows []Row, from, to day.Day) *Waterfall {
	var m Measures
	for i := range rows {
		if r := &rows[i]; r.Day >= from && r.Day <= to && r.Code == "" {
			m.Add(&r.M)
		}
	}
	return NewWaterfall(&m, from, to)
}

// WriteSVG draws the waterfall as SVG.
func (w *Waterfall) WriteSVG(out io.Writer, o ChartOptions) error { return w.Chart(o).WriteSVG(out) }

// Chart draws the waterfall: totals from zero in dark blue, decreases in
// red and increases in green from the running level, joined by dashed
// connectors, each labelled with its amount ("-$5,000").
func (w *Waterfall) Chart(o ChartOptions) *draw.Scene {
	o.defaults(true)
	W, H := float64(o.Width), float64(o.Height)
	s := draw.New(W, H, "From charges to payments")
	s.Text(24, 30, "From charges to payments · "+RangeText(w.From, w.To), draw.TextStyle{Size: 18, Bold: true, Color: ink})
	sub := "Adjudicated charges less adjustments give the payer payments; with secondary and patient payments, what was collected"
	if !w.PatientKnown {
		sub = "Payer payments only: no patient payments imported for this scope and period"
	}
	if o.Subtitle != "" {
		sub = o.Subtitle + " — " + sub
	}
	s.Text(24, 50, fit(sub, 12, W-48), draw.TextStyle{Size: 12, Color: muted})
	// Levels: each bar spans [a, b].
	type bar struct{ a, b float64 }
	bars := make([]bar, len(w.Steps))
	level, lo, hi := 0.0, 0.0, 0.0
	for i, st := range w.Steps {
		v := float64(st.Amount) / 100
		if st.Total {
			bars[i] = bar{0, v}
			level = v
		} else {
			bars[i] = bar{level, level + v}
			level += v
		}
		lo = math.Min(lo, math.Min(bars[i].a, bars[i].b))
		hi = math.Max(hi, math.Max(bars[i].a, bars[i].b))
	}
	ax := newAxis(lo, hi, &Def{Unit: Dollars}, 5)
	left, right, top, bottom := 96.0, 24.0, 80.0, 70.0
	pw, ph := W-left-right, H-top-bottom
	y := func(v float64) float64 { return top + ph*(ax.hi-v)/(ax.hi-ax.lo) }
	for _, v := range ax.ticks() {
		s.Line(left, y(v), left+pw, y(v), draw.Style{Stroke: grid})
		s.Text(left-8, y(v)+4, tickText(v, ax.step, Dollars), draw.TextStyle{Size: 11, Color: "#333333", Anchor: draw.End})
	}
	s.Text(22, top+ph/2, "US dollars", draw.TextStyle{Size: 12, Anchor: draw.Middle, Up: true})
	slot := pw / float64(len(w.Steps))
	bw := slot * 0.62
	for i, st := range w.Steps {
		cx := left + slot*(float64(i)+0.5)
		b := bars[i]
		col := "#1f3b73"
		switch {
		case st.Total:
		case st.Amount < 0:
			col = bad
		default:
			col = good
		}
		hiV, loV := math.Max(b.a, b.b), math.Min(b.a, b.b)
		s.Rect(cx-bw/2, y(hiV), bw, math.Max(1, y(loV)-y(hiV)), draw.Style{Fill: col, Tip: st.Label + ": " + st.Amount.Dollars()})
		if i+1 < len(w.Steps) {
			next := left + slot*(float64(i+1)+0.5)
			s.Line(cx+bw/2, y(b.b), next-bw/2, y(b.b), draw.Style{Stroke: "#888888", Dash: []float64{3, 3}})
		}
		label := st.Amount.Dollars()
		if draw.TextWidth(label, 11, st.Total) > slot-6 {
			label = CompactMoney(st.Amount)
		}
		s.Text(cx, y(hiV)-6, label, draw.TextStyle{Size: 11, Color: ink, Anchor: draw.Middle, Bold: st.Total})
		for k, line := range wrap(st.Label, 11, slot-4) {
			s.Text(cx, top+ph+18+float64(k)*13, line, draw.TextStyle{Size: 11, Color: "#333333", Anchor: draw.Middle})
		}
	}
	s.Line(left, y(0), left+pw, y(0), draw.Style{Stroke: "#333333", Width: 1.5})
	s.Line(left, top, left, top+ph, draw.Style{Stroke: "#333333"})
	return s
}

// wrap breaks s into lines of at most width pixels at size.
func wrap(s string, size, width float64) []string {
	var lines []string
	cur := ""
	for _, word := range strings.Fields(s) {
		try := strings.TrimSpace(cur + " " + word)
		if cur != "" && draw.TextWidth(try, size, false) > width {
			lines = append(lines, cur)
			cur = word
			continue
		}
		cur = try
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}

// CompactMoney prints an amount in thousands or millions for a tight
// label: "$621K", "-$1.2M", "$950".
func CompactMoney(a money.Amount) string {
	v := float64(a) / 100
	switch av := math.Abs(v); {
	case av >= 1e6:
		return MoneyText(v/1e6, 1) + "M"
	case av >= 1e4:
		return MoneyText(v/1e3, 0) + "K"
	case av >= 1e3:
		return MoneyText(v/1e3, 1) + "K"
	}
	return MoneyText(v, 0)
}
