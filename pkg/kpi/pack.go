package kpi

import (
	"io"
	"time"

	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/kpi/draw"
)

// PackKPIs are the KPIs of the monthly pack's table, in order.
var PackKPIs = []string{"denial_rate", "denial_rate_dollars", "first_pass_resolution_rate", "clean_claim_rate",
	"net_collection_rate", "days_in_ar", "days_in_ar_payer", "days_in_ar_patient", "appeal_overturn_rate",
	"appeal_recovery_rate", "underpayment_dollars", "touchless_rate", "work_aging"}

// Pack is a one-page monthly KPI pack for one practice: a table of the
// month's KPIs beside the prior month's and the targets, the waterfall
// from charges to payments, denials by category and the initial denial
// rate over the trailing twelve months.
type Pack struct {
	Practice  string    // the practice's name, as the client knows it
	Month     day.Day   // the month's first day
	Generated time.Time // when the pack was made
	// Month and Prior are the PackKPIs reports for the month and the month
	// before, ungrouped, one bucket each (same order; nil entries allowed).
	This, Prior []*Report
	Waterfall   *Waterfall
	Categories  *Report // denials_by_category for the month
	Trend       *Report // denial_rate by month over the trailing twelve months
	Labels      Labels
}

// PageSize is the pack's page: US Letter, landscape, in points.
const pageW, pageH = 792.0, 612.0

// Page draws the pack as one page.
func (p *Pack) Page() *draw.Scene {
	s := draw.New(pageW, pageH, p.Practice+" KPI pack")
	month := p.Month.Time()
	s.Text(28, 34, p.Practice+" · Monthly revenue-cycle KPIs · "+month.Format("January 2006"), draw.TextStyle{Size: 17, Bold: true, Color: ink})
	last := day.Of(month.AddDate(0, 1, -1))
	s.Text(28, 50, "Remits dated "+RangeText(p.Month, last)+" · generated "+p.Generated.UTC().Format("Jan 2, 2006")+
		" · definitions, edge cases and targets: remitq GET /v1/reports", draw.TextStyle{Size: 8.5, Color: muted})
	p.table(s, 28, 66)
	o := ChartOptions{Width: 600, Height: 360, Labels: p.Labels}
	const k = 0.625
	if p.Waterfall != nil {
		s.Place(p.Waterfall.Chart(o), 404, 60, k)
	}
	if p.Categories != nil {
		s.Place(p.Categories.Chart(o), 404, 60+360*k+6, k)
	}
	if p.Trend != nil {
		s.Place(p.Trend.Chart(o), 28, 322, k*0.98)
	}
	s.Line(28, 590, pageW-28, 590, draw.Style{Stroke: "#cccccc"})
	s.Text(28, 602, "Initial denial rates count first adjudications only (re-adjudications and reversals do not count again). "+
		"Net collection counts patient payments from the practice-management import; without them it is payer-only and has no target.",
		draw.TextStyle{Size: 6.5, Color: muted})
	return s
}

// table draws the KPI table with its top-left corner at (x, y).
func (p *Pack) table(s *draw.Scene, x, y float64) {
	cols := []float64{x, x + 170, x + 236, x + 300}
	const rowH = 15.5
	s.Rect(x-4, y, 376, rowH+2, draw.Style{Fill: "#1f3b73"})
	for i, h := range []string{"KPI", "This month", "Prior month", "Target"} {
		s.Text(cols[i], y+12, h, draw.TextStyle{Size: 9, Bold: true, Color: "#ffffff"})
	}
	yy := y + rowH + 2
	for i := range p.This {
		rep := p.This[i]
		if rep == nil {
			continue
		}
		if i%2 == 1 {
			s.Rect(x-4, yy, 376, rowH, draw.Style{Fill: "#f3f5f9"})
		}
		d := rep.Def
		s.Text(cols[0], yy+11, fit(d.Title, 8.5, 164), draw.TextStyle{Size: 8.5, Color: ink})
		val, col := headlineText(rep)
		s.Text(cols[1], yy+11, val, draw.TextStyle{Size: 8.5, Bold: true, Color: col})
		if i < len(p.Prior) && p.Prior[i] != nil {
			pv, _ := headlineText(p.Prior[i])
			s.Text(cols[2], yy+11, pv, draw.TextStyle{Size: 8.5, Color: muted})
		}
		t := "—"
		switch {
		case d.Unavailable != "":
			t = "needs 999/277CA"
		case d.Target != nil:
			t = d.Target.Text
		case d.Variant == "payer_only":
			t = "none (payer-only)"
		}
		s.Text(cols[3], yy+11, t, draw.TextStyle{Size: 8.5, Color: muted})
		yy += rowH
	}
}

// headlineText is the report's single value and the colour saying whether
// it meets the target (green), misses it (red) or has none (ink).
func headlineText(rep *Report) (string, string) {
	if rep.Def.Unavailable != "" {
		return "—", muted
	}
	if len(rep.Points) == 0 {
		return "no data", muted
	}
	pt := &rep.Points[len(rep.Points)-1]
	if rep.Def.Kind == Sum || rep.Def.Kind == Ratio {
		// One bucket expected; fold several just in case.
		pts := rep.totals()
		pt = &pts[0]
	}
	v := pt.ValueText()
	t := rep.Def.Target
	if t == nil || !pt.Defined() {
		return v, ink
	}
	f := pt.Float()
	ok := f >= t.Low && f <= t.High
	if t.Low == t.High {
		ok = (rep.Def.HigherIsBetter && f >= t.Low) || (!rep.Def.HigherIsBetter && f < t.High)
	}
	if ok {
		return v, "#1a7a1a"
	}
	return v, bad
}

// WritePackPDF writes the packs as one PDF, a page each.
func WritePackPDF(w io.Writer, created time.Time, packs ...*Pack) error {
	pages := make([]*draw.Scene, len(packs))
	for i, p := range packs {
		pages[i] = p.Page()
	}
	return draw.WritePDF(w, "remitq monthly KPI pack", created, pages...)
}
