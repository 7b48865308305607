package kpi

import (
	"encoding/csv"
	"fmt"
	"io"
	"iter"
	"math/big"
	"strconv"

	"github.com/xuri/excelize/v2"

	"github.com/remitq/remitq/pkg/export"
	"github.com/remitq/remitq/pkg/money"
)

// Labels name dimension values for people (practice ids, payer codes); a
// labelled dimension gets a "<dim>_name" column after its own.
type Labels map[Dim]map[string]string

// Columns returns the header of a report's table: the group dimensions
// (with name columns for labelled ones), the period, the value and the
// numerator and denominator, each with its unit.
func (rep *Report) Columns(labels Labels) []string {
	var cols []string
	for _, g := range rep.GroupBy {
		cols = append(cols, string(g))
		if labels[g] != nil {
			cols = append(cols, string(g)+"_name")
		}
	}
	d := rep.Def
	return append(cols, "period_start", "period_end", d.Name+" ("+d.Unit.Symbol()+")",
		d.NumLabel+" ("+d.NumUnit.Symbol()+")", d.DenLabel+" ("+d.DenUnit.Symbol()+")")
}

// places is how many decimals a KPI's values are printed with.
func places(u Unit) int {
	switch u {
	case Count:
		return 0
	case Days:
		return 1
	}
	return 2
}

// WriteCSV writes the report as CSV: a header row, then one row per point.
// Numbers are plain decimals (no currency sign, no thousands separator);
// dates are YYYY-MM-DD; an undefined value (a zero denominator) is empty;
// text cells go through export.Cell (no spreadsheet formulas).
func (rep *Report) WriteCSV(w io.Writer, labels Labels) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(rep.Columns(labels)); err != nil {
		return fmt.Errorf("kpi: csv: %w", err)
	}
	rec := make([]string, 0, 16)
	for i := range rep.Points {
		p := &rep.Points[i]
		rec = rec[:0]
		for j, g := range rep.GroupBy {
			rec = append(rec, export.Cell(p.Group[j]))
			if l := labels[g]; l != nil {
				rec = append(rec, export.Cell(l[p.Group[j]]))
			}
		}
		rec = append(rec, p.Start.String(), p.End.String(), p.Text(places(rep.Def.Unit)), p.NumText(rep.Def), p.DenText(rep.Def))
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("kpi: csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("kpi: csv: %w", err)
	}
	return nil
}

// xlsxStyles are the number formats of a workbook.
type xlsxStyles struct {
	header, date, money, percent, count, days int
}

func newStyles(f *excelize.File) (*xlsxStyles, error) {
	s := &xlsxStyles{}
	var err error
	mk := func(dst *int, st *excelize.Style) {
		if err == nil {
			*dst, err = f.NewStyle(st)
		}
	}
	money := `"$"#,##0.00;-"$"#,##0.00`
	pct, days := "0.00%", "0.0"
	mk(&s.header, &excelize.Style{Font: &excelize.Font{Bold: true}})
	mk(&s.date, &excelize.Style{NumFmt: 14, CustomNumFmt: strPtr("yyyy-mm-dd")})
	mk(&s.money, &excelize.Style{CustomNumFmt: &money})
	mk(&s.percent, &excelize.Style{CustomNumFmt: &pct})
	mk(&s.count, &excelize.Style{NumFmt: 1})
	mk(&s.days, &excelize.Style{CustomNumFmt: &days})
	if err != nil {
		return nil, fmt.Errorf("kpi: xlsx styles: %w", err)
	}
	return s, nil
}

func strPtr(s string) *string { return &s }

// cell is a typed XLSX cell for a value in unit u: dollars from cents,
// percents as fractions with a percent format, counts as integers.
func (s *xlsxStyles) cell(v int64, u Unit) excelize.Cell {
	switch u {
	case Dollars:
		return excelize.Cell{StyleID: s.money, Value: centsFloat(v)}
	case Days:
		return excelize.Cell{StyleID: s.days, Value: v}
	}
	return excelize.Cell{StyleID: s.count, Value: v}
}

// centsFloat is cents as dollars, correctly rounded to the nearest float64
// (exact to the cent for any amount below 2^53 cents).
func centsFloat(v int64) float64 {
	f, _ := new(big.Rat).SetFrac64(v, 100).Float64()
	return f
}

func (s *xlsxStyles) value(p *Point, u Unit) excelize.Cell {
	if !p.Defined() {
		return excelize.Cell{}
	}
	f := p.Float()
	switch u {
	case Percent:
		return excelize.Cell{StyleID: s.percent, Value: f / 100}
	case Dollars:
		return excelize.Cell{StyleID: s.money, Value: f}
	case Days:
		return excelize.Cell{StyleID: s.days, Value: f}
	}
	return excelize.Cell{StyleID: s.count, Value: p.Num}
}

// WriteXLSX writes the report as an XLSX workbook with one sheet named
// after the KPI, streamed row by row: numbers are numbers (dollars with a
// currency format, percents with a percent format), dates are dates, so a
// column of amounts sums in a spreadsheet.
func (rep *Report) WriteXLSX(w io.Writer, labels Labels) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := sheetName(rep.Def.Name)
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return fmt.Errorf("kpi: xlsx: %w", err)
	}
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return fmt.Errorf("kpi: xlsx: %w", err)
	}
	cols := rep.Columns(labels)
	if err := sw.SetColWidth(1, len(cols), 14); err != nil {
		return fmt.Errorf("kpi: xlsx: %w", err)
	}
	if err := sw.SetRow("A1", headerCells(cols, st.header)); err != nil {
		return fmt.Errorf("kpi: xlsx: %w", err)
	}
	row := make([]any, 0, len(cols))
	for i := range rep.Points {
		p := &rep.Points[i]
		row = row[:0]
		for j, g := range rep.GroupBy {
			row = append(row, p.Group[j])
			if l := labels[g]; l != nil {
				row = append(row, l[p.Group[j]])
			}
		}
		row = append(row, excelize.Cell{StyleID: st.date, Value: p.Start.Time()},
			excelize.Cell{StyleID: st.date, Value: p.End.Time()},
			st.value(p, rep.Def.Unit), st.cell(p.Num, rep.Def.NumUnit), st.cell(p.Den, rep.Def.DenUnit))
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, row); err != nil {
			return fmt.Errorf("kpi: xlsx: %w", err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("kpi: xlsx: %w", err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("kpi: xlsx: %w", err)
	}
	return nil
}

func headerCells(cols []string, style int) []any {
	out := make([]any, len(cols))
	for i, c := range cols {
		out[i] = excelize.Cell{StyleID: style, Value: c}
	}
	return out
}

// sheetName fits a name into Excel's 31 characters.
func sheetName(s string) string {
	if len(s) > 31 {
		return s[:31]
	}
	return s
}

// DetailColumns is the header of a detail export.
var DetailColumns = []string{"day", "practice", "payer", "provider", "cpt", "category", "code"}

// detailHeader returns the detail header with the KPI's numerator and
// denominator.
func detailHeader(d *Def) []string {
	return append(append([]string(nil), DetailColumns...), d.NumLabel+" ("+d.NumUnit.Symbol()+")",
		d.DenLabel+" ("+d.DenUnit.Symbol()+")")
}

// WriteDetailCSV streams source rows (one per paid claim, work item or
// billed claim and summary key: no PHI) with the KPI's numerator and
// denominator terms, skipping rows where both are zero.
func WriteDetailCSV(w io.Writer, d *Def, rows iter.Seq2[*Row, error]) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(detailHeader(d)); err != nil {
		return fmt.Errorf("kpi: csv: %w", err)
	}
	rec := make([]string, 10)
	var buf []byte
	for r, err := range rows {
		if err != nil {
			return err
		}
		num, den := sumTerms(d.Num, &r.M), sumTerms(d.Den, &r.M)
		if num == 0 && den == 0 {
			continue
		}
		rec[0] = r.Day.String()
		buf = strconv.AppendInt(buf[:0], r.Practice, 10)
		rec[1] = string(buf)
		rec[2], rec[3], rec[4] = export.Cell(r.Payer), export.Cell(r.Provider), export.Cell(r.CPT)
		rec[5], rec[6] = export.Cell(r.Category), export.Cell(r.Code)
		rec[7], rec[8] = unitText(num, d.NumUnit), unitText(den, d.DenUnit)
		if err := cw.Write(rec[:9]); err != nil {
			return fmt.Errorf("kpi: csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("kpi: csv: %w", err)
	}
	return nil
}

// WriteDetailXLSX is WriteDetailCSV as a streamed XLSX sheet. Excel holds
// at most 1,048,575 data rows; more is an error.
func WriteDetailXLSX(w io.Writer, d *Def, rows iter.Seq2[*Row, error]) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := sheetName(d.Name)
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return fmt.Errorf("kpi: xlsx: %w", err)
	}
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return fmt.Errorf("kpi: xlsx: %w", err)
	}
	if err := sw.SetRow("A1", headerCells(detailHeader(d), st.header)); err != nil {
		return fmt.Errorf("kpi: xlsx: %w", err)
	}
	n := 1
	row := make([]any, 9)
	for r, err := range rows {
		if err != nil {
			return err
		}
		num, den := sumTerms(d.Num, &r.M), sumTerms(d.Den, &r.M)
		if num == 0 && den == 0 {
			continue
		}
		n++
		if n > excelize.TotalRows {
			return fmt.Errorf("kpi: xlsx: more than %d rows; export CSV instead", excelize.TotalRows-1)
		}
		row[0] = excelize.Cell{StyleID: st.date, Value: r.Day.Time()}
		row[1], row[2], row[3], row[4], row[5], row[6] = r.Practice, r.Payer, r.Provider, r.CPT, r.Category, r.Code
		row[7], row[8] = st.cell(num, d.NumUnit), st.cell(den, d.DenUnit)
		cell, _ := excelize.CoordinatesToCellName(1, n)
		if err := sw.SetRow(cell, row); err != nil {
			return fmt.Errorf("kpi: xlsx: %w", err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("kpi: xlsx: %w", err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("kpi: xlsx: %w", err)
	}
	return nil
}

var _ = money.Amount(0)
