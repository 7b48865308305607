package draw

import (
	"fmt"
	"io"
	"time"

	"codeberg.org/go-pdf/fpdf"
)

// WritePDF writes the scenes as the pages of one PDF, each page the size
// of its scene in points, vector shapes and real (selectable) text in the
// embedded Go fonts. created stamps the document (fixed in tests).
func WritePDF(w io.Writer, title string, created time.Time, pages ...*Scene) error {
	if len(pages) == 0 {
		return fmt.Errorf("draw: pdf: no pages")
	}
	pdf := fpdf.NewCustom(&fpdf.InitType{UnitStr: "pt", Size: fpdf.SizeType{Wd: pages[0].W, Ht: pages[0].H}})
	pdf.SetTitle(title, true)
	pdf.SetCreator("remitq", true)
	pdf.SetCreationDate(created)
	pdf.SetModificationDate(created)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(0, 0, 0)
	pdf.AddUTF8FontFromBytes("go", "", regularBytes)
	pdf.AddUTF8FontFromBytes("go", "B", boldBy)
	for _, s := range pages {
		// "P" keeps the size as given (fpdf swaps width and height for "L").
		pdf.AddPageFormat("P", fpdf.SizeType{Wd: s.W, Ht: s.H})
		s.drawPDF(pdf)
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("draw: pdf: %w", err)
	}
	return nil
}

func setColor(set func(r, g, b int), c string) bool {
	r, g, b, ok := rgb(c)
	if ok {
		set(int(r), int(g), int(b))
	}
	return ok
}

func (s *Scene) drawPDF(pdf *fpdf.Fpdf) {
	style := func(st Style) string {
		f := st.Fill != "" && setColor(pdf.SetFillColor, st.Fill)
		d := st.Stroke != "" && setColor(pdf.SetDrawColor, st.Stroke)
		pdf.SetLineWidth(st.width())
		if len(st.Dash) > 0 {
			pdf.SetDashPattern(st.Dash, 0)
		} else {
			pdf.SetDashPattern(nil, 0)
		}
		pdf.SetAlpha(st.opacity(), "Normal")
		switch {
		case f && d:
			return "FD"
		case f:
			return "F"
		case d:
			return "D"
		}
		return ""
	}
	for _, it := range s.items {
		switch it.kind {
		case kRect:
			if op := style(it.st); op != "" {
				pdf.Rect(it.x, it.y, it.w, it.h, op)
			}
		case kLine:
			if style(it.st) != "" {
				pdf.SetAlpha(1, "Normal")
				pdf.Line(it.x, it.y, it.w, it.h)
			}
		case kPoly:
			if it.st.Stroke != "" {
				style(Style{Stroke: it.st.Stroke, Width: it.st.Width, Dash: it.st.Dash})
				for i := 1; i < len(it.pts); i++ {
					pdf.Line(it.pts[i-1].X, it.pts[i-1].Y, it.pts[i].X, it.pts[i].Y)
				}
			}
		case kCircle:
			if op := style(it.st); op != "" {
				pdf.Circle(it.x, it.y, it.w, op)
			}
		case kText:
			pdf.SetAlpha(1, "Normal")
			fs := ""
			if it.ts.Bold {
				fs = "B"
			}
			pdf.SetFont("go", fs, it.ts.size())
			setColor(pdf.SetTextColor, it.ts.color())
			wd := pdf.GetStringWidth(it.text)
			off := 0.0
			switch it.ts.Anchor {
			case Middle:
				off = wd / 2
			case End:
				off = wd
			}
			if it.ts.Up {
				pdf.TransformBegin()
				pdf.TransformRotate(90, it.x, it.y)
				pdf.Text(it.x-off, it.y, it.text)
				pdf.TransformEnd()
			} else {
				pdf.Text(it.x-off, it.y, it.text)
			}
		}
	}
	pdf.SetDashPattern(nil, 0)
	pdf.SetAlpha(1, "Normal")
}
