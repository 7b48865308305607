package kpi

import (
	"bytes"
	"encoding/xml"
	"image"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/remitq/remitq/carc"
	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/kpi/draw"
	"github.com/remitq/remitq/pkg/money"
)

// chartRows is a year of generated claims with denials, an underpaid line
// reversed later, work items with appeals and patient payments.
func chartRows() []Row {
	claims := benchClaims(4000)
	exp := money.Amount(30000)
	claims = append(claims,
		PaidClaim{Practice: 1, Payer: "SYNMCR", Status: "1", RemitDate: day.New(2026, 3, 10), Billed: true, Lines: []PaidLine{{SVC: 1,
			Procedure: "64493", Charge: 50000, Paid: 20000, Expected: &exp, Flags: []string{"underpaid"}, Method: "line_control",
			Adjustments: []Adjustment{{"CO", "45", 30000}}}}},
		PaidClaim{Practice: 1, Payer: "SYNMCR", Status: "22", OrigStatus: "1", RemitDate: day.New(2026, 5, 12), Billed: true,
			Lines: []PaidLine{{SVC: 1, Procedure: "64493", Charge: -50000, Paid: -20000, Method: "reversal", ReversesUnderpaid: true,
				ReversedShortfall: 10000, Adjustments: []Adjustment{{"CO", "45", -30000}}}}})
	var cs []Contribution
	for i := range claims {
		cs = append(cs, claims[i].Contributions()...)
	}
	for i := 0; i < 60; i++ {
		w := &WorkItem{Practice: int64(1 + i%3), Payer: "SYNBCB", Kind: "denial", Category: []string{"authorization", "medical_necessity", "coding_bundling"}[i%3],
			CPT: "64483", Created: day.New(2026, 1, 5) + day.Day(i*5), Origin: day.New(2026, 1, 2) + day.Day(i*5), Appealed: day.New(2026, 1, 12) + day.Day(i*5),
			AppealedAmount: 20000, Expected: 15000}
		if i%2 == 0 {
			w.Closed, w.Recovered = w.Appealed+20, 12000
		}
		if i%3 == 1 { // tracked appeals on a third of them: level 1 won or upheld
			out := AppealUpheld
			if i%2 == 0 {
				out = AppealPaidInFull
			}
			w.Appeals = []Appeal{{Level: 1, Submitted: w.Appealed, Outcome: out, Decided: w.Appealed + 15, Amount: 20000}}
		}
		cs = append(cs, w.Contributions()...)
	}
	for i := 0; i < 40; i++ {
		p := &PatientPayment{Practice: int64(1 + i%3), Payer: "SYNAET", Paid: day.New(2026, 1, 3) + day.Day(i*9), Amount: money.Amount(2500 + 100*i)}
		cs = append(cs, p.Contributions()...)
	}
	// Every paid claim was billed 20 days before its remit.
	for i := range claims {
		c := &claims[i]
		if c.Status != "1" {
			continue
		}
		b := &BilledClaim{Practice: c.Practice, Payer: c.Payer, Provider: c.Provider, Frequency: "1", Billed: c.RemitDate - 20}
		for _, l := range c.Lines {
			b.Charge += l.Charge
		}
		cs = append(cs, b.Contributions()...)
	}
	var rows []Row
	for _, c := range cs {
		if c.Basis == RemitBasis {
			rows = append(rows, Row{Day: c.Day, Dims: c.Dims, M: c.M})
		}
	}
	return rows
}

// svgTexts parses an SVG and returns its <text> contents.
func svgTexts(t *testing.T, b []byte) []string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(b))
	var texts []string
	in := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return texts
		}
		if err != nil {
			t.Fatalf("not well-formed SVG: %v", err)
		}
		switch v := tok.(type) {
		case xml.StartElement:
			in = v.Name.Local == "text"
		case xml.CharData:
			if in {
				texts = append(texts, string(v))
			}
		case xml.EndElement:
			in = false
		}
	}
}

// inked counts the pixels darker than light grey.
func inked(img *image.RGBA) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := img.RGBAAt(x, y)
			if int(c.R)+int(c.G)+int(c.B) < 3*180 {
				n++
			}
		}
	}
	return n
}

type chartCase struct {
	name  string
	scene *draw.Scene
	want  []string // texts that must be there
}

// checkScene renders a scene to SVG and PNG and checks both.
func checkScene(t *testing.T, c chartCase) {
	t.Helper()
	var svg bytes.Buffer
	if err := c.scene.WriteSVG(&svg); err != nil {
		t.Fatal(err)
	}
	texts := svgTexts(t, svg.Bytes())
	if !slices.Equal(texts, c.scene.Texts()) {
		t.Errorf("%s: SVG texts differ from the scene's", c.name)
	}
	all := strings.Join(texts, "\n")
	for _, w := range c.want {
		if !strings.Contains(all, w) {
			t.Errorf("%s: no %q in the chart's texts:\n%s", c.name, w, all)
		}
	}
	// Money as money, no internal keys in legends or labels.
	if strings.Contains(all, "$-") {
		t.Errorf("%s: money printed as $-: %s", c.name, all)
	}
	for _, k := range texts {
		for _, cat := range carc.Categories() {
			if k == string(cat) {
				t.Errorf("%s: a raw category key %q", c.name, k)
			}
		}
		if strings.Contains(k, "_") && !strings.Contains(k, " ") {
			t.Errorf("%s: an internal key %q", c.name, k)
		}
	}
	img, err := c.scene.Image(1)
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dx() != int(c.scene.W) || img.Bounds().Dy() != int(c.scene.H) {
		t.Errorf("%s: PNG %v", c.name, img.Bounds())
	}
	if n := inked(img); n < 3000 {
		t.Errorf("%s: only %d inked pixels", c.name, n)
	}
	if dir := os.Getenv("KPI_CHART_DIR"); dir != "" {
		var b bytes.Buffer
		if err := c.scene.WritePNG(&b, 1); err != nil {
			t.Fatal(err)
		}
		_ = os.WriteFile(filepath.Join(dir, c.name+".png"), b.Bytes(), 0o644)
		_ = os.WriteFile(filepath.Join(dir, c.name+".svg"), svg.Bytes(), 0o644)
	}
}

// TestCharts renders every KPI's chart (over 2026 by month, and October
// grouped as categories) and the waterfall, to SVG and PNG, and checks
// them: the right form per KPI, titles, axis titles with units, targets,
// readable labels, money as money.
func TestCharts(t *testing.T) {
	rows := chartRows()
	labels := Labels{DimPayer: {"SYNMCR": "Medicare (synthetic)", "SYNBCB": "Blue Cross (synthetic)", "SYNAET": "Aetna (synthetic)", "SYNUHC": "United (synthetic)"}}
	year := Request{Bucket: ByMonth, From: day.New(2026, 1, 1), To: day.New(2026, 12, 31)}
	for _, def := range Defs() {
		r := year
		r.Def = def
		if def.Chart == BarChart {
			r.GroupBy = nil // the default grouping: categories or codes
		} else if def.Supports(DimPayer) {
			r.GroupBy = []Dim{DimPayer}
		}
		rep, err := Compute(r, rows)
		if err != nil {
			t.Fatal(err)
		}
		sc := rep.Chart(ChartOptions{Labels: labels})
		want := []string{rep.Def.Title + " · January – December 2026"}
		switch {
		case rep.Def.Unavailable != "":
			want = append(want, "Not available")
		case def.Chart == BarChart:
			want = append(want, rep.Def.Title+" ("+unitName(def.Unit)+"), January – December 2026")
		default:
			want = append(want, rep.Def.Title+" ("+unitName(def.Unit)+")", "(by month)", "Jan 2026")
			if def.Chart == LineChart && len(r.GroupBy) == 1 {
				want = append(want, " (synthetic)")
			}
		}
		if rep.Def.Target != nil && rep.Def.Unavailable == "" {
			want = append(want, "target "+rep.Def.Target.Text)
		}
		checkScene(t, chartCase{name: def.Name, scene: sc, want: want})
	}
	// Categories for one month: bars, with readable names and values.
	oct := Request{Bucket: ByMonth, From: day.New(2026, 10, 1), To: day.New(2026, 10, 31)}
	for _, tc := range []struct {
		kpi  string
		dims []Dim
		want []string
	}{
		{"denials_by_category", nil, []string{"Prior authorization"}},
		{"top_carc", nil, []string{"CO-197 "}},
		{"denial_rate", []Dim{DimPayer}, []string{"Aetna (synthetic)", " of "}},
		{"net_collection_rate", []Dim{DimPractice}, []string{"Practice 1", "target 96–98 %"}},
	} {
		def, _ := Lookup(tc.kpi)
		r := oct
		r.Def, r.GroupBy = def, tc.dims
		rep, err := Compute(r, rows)
		if err != nil {
			t.Fatal(err)
		}
		checkScene(t, chartCase{name: tc.kpi + "-october", scene: rep.Chart(ChartOptions{Labels: labels}), want: tc.want})
	}
	// The underpayment reversal in May shows below zero, money as money.
	def, _ := Lookup("underpayment_dollars")
	rep, _ := Compute(Request{Def: def, Bucket: ByMonth, From: day.New(2026, 1, 1), To: day.New(2026, 12, 31)}, rows)
	checkScene(t, chartCase{name: "underpayment_dollars-stacked", scene: rep.Chart(ChartOptions{}),
		want: []string{"-$100.00", "Taken back by reversals", "New underpayments", "-$50"}})
	// The waterfall from charges to payments.
	wf := WaterfallRows(rows, day.New(2026, 10, 1), day.New(2026, 10, 31))
	checkScene(t, chartCase{name: "waterfall", scene: wf.Chart(ChartOptions{}),
		want: []string{"From charges to payments · October 2026", "Charges", "Contractual", "-$", "Collected", "Patient"}})
	if got := wf.Steps[len(wf.Steps)-1].Amount; got <= 0 {
		t.Errorf("collected %s", got)
	}
}

// TestMoneyText: the sign goes before the currency sign.
func TestMoneyText(t *testing.T) {
	for v, want := range map[float64]string{-5000: "-$5,000", 1234.5: "$1,234.50", 0: "$0", -0.001: "$0"} {
		dec := 0
		if v == 1234.5 {
			dec = 2
		}
		if got := MoneyText(v, dec); got != want {
			t.Errorf("MoneyText(%v) = %q, want %q", v, got, want)
		}
	}
	for a, want := range map[money.Amount]string{-41873128: "-$419K", 62069500: "$621K", 123456789: "$1.2M", -150000: "-$1.5K", 95000: "$950"} {
		if got := CompactMoney(a); got != want {
			t.Errorf("CompactMoney(%s) = %q, want %q", a, got, want)
		}
	}
	if got := tickText(-5000, 2500, Dollars); got != "-$5,000" {
		t.Errorf("tick %q", got)
	}
}

// BenchmarkChart draws a year of initial denial rates by payer and
// renders it to SVG and to PNG.
func BenchmarkChart(b *testing.B) {
	def, _ := Lookup("denial_rate")
	rep, err := Compute(Request{Def: def, GroupBy: []Dim{DimPayer}, Bucket: ByMonth, From: day.New(2026, 1, 1), To: day.New(2026, 12, 31)}, chartRows())
	if err != nil {
		b.Fatal(err)
	}
	b.Run("svg", func(b *testing.B) {
		for b.Loop() {
			if err := rep.WriteSVG(io.Discard, ChartOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("png", func(b *testing.B) {
		for b.Loop() {
			if err := rep.Chart(ChartOptions{}).WritePNG(io.Discard, 1); err != nil {
				b.Fatal(err)
			}
		}
	})
}
