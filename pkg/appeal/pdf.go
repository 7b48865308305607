package appeal

import (
	"fmt"
	"io"
	"strings"

	"codeberg.org/go-pdf/fpdf"
	"github.com/remitq/remitq/carc"
)

// Page geometry: US Letter portrait in points, 0.75 in margins.
const (
	pageW, pageH = 612.0, 792.0
	margin       = 54.0
	bodyW        = pageW - 2*margin
)

// Colours of the house style (pkg/kpi's pack).
var (
	navy  = [3]int{0x1f, 0x3b, 0x73}
	band  = [3]int{0xf3, 0xf5, 0xf9}
	ink   = [3]int{0x22, 0x22, 0x22}
	muted = [3]int{0x66, 0x66, 0x66}
	red   = [3]int{0xb0, 0x20, 0x20}
)

// WritePDF writes the packet as a Letter-size PDF: the cover letter, the
// denied lines with the meanings of their codes, the checklist and, for a
// Medicare redetermination, the CMS-20027 fields. The output depends only
// on the packet: the document is dated the packet's day.
func (p *Packet) WritePDF(w io.Writer) error {
	pdf := fpdf.NewCustom(&fpdf.InitType{OrientationStr: "P", UnitStr: "pt", Size: fpdf.SizeType{Wd: pageW, Ht: pageH}})
	created := p.Today.Time()
	pdf.SetCreationDate(created)
	pdf.SetModificationDate(created)
	pdf.SetCatalogSort(true)
	pdf.SetCompression(true)
	pdf.SetTitle(p.Subject, true)
	pdf.SetSubject("Appeal packet", true)
	pdf.SetCreator("remitq", true)
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(true, margin)
	pdf.AliasNbPages("{nb}")
	r := &renderer{pdf: pdf, tr: pdf.UnicodeTranslatorFromDescriptor(""), p: p}
	pdf.SetFooterFunc(r.footer)
	r.letterPages()
	r.linePage()
	r.checklistPage()
	if p.Form != nil {
		r.formPage()
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("appeal: pdf: %w", err)
	}
	return nil
}

type renderer struct {
	pdf *fpdf.Fpdf
	tr  func(string) string
	p   *Packet
}

func (r *renderer) color(c [3]int) { r.pdf.SetTextColor(c[0], c[1], c[2]) }

func (r *renderer) font(style string, size float64, c [3]int) {
	r.pdf.SetFont("Helvetica", style, size)
	r.color(c)
}

// text writes wrapped text at the current position.
func (r *renderer) text(s string, lineH float64) {
	r.pdf.MultiCell(bodyW, lineH, r.tr(s), "", "L", false)
}

func (r *renderer) footer() {
	r.pdf.SetY(pageH - 36)
	r.font("", 7.5, muted)
	left := "Claim " + r.p.Facts.Claim.PatientControlNumber + " | " + r.p.Level.Name + " | " + r.p.Facts.Payer.Name
	r.pdf.CellFormat(bodyW/2, 10, r.tr(left), "", 0, "L", false, 0, "")
	r.pdf.CellFormat(bodyW/2, 10, fmt.Sprintf("Page %d of {nb}", r.pdf.PageNo()), "", 0, "R", false, 0, "")
}

// title draws a page title with a navy rule under it.
func (r *renderer) title(s string) {
	r.font("B", 14, navy)
	r.pdf.CellFormat(bodyW, 18, r.tr(s), "", 1, "L", false, 0, "")
	y := r.pdf.GetY() + 2
	r.pdf.SetDrawColor(navy[0], navy[1], navy[2])
	r.pdf.SetLineWidth(1)
	r.pdf.Line(margin, y, pageW-margin, y)
	r.pdf.SetY(y + 8)
}

func (r *renderer) letterPages() {
	r.pdf.AddPage()
	first := true
	for _, b := range r.p.letter() {
		switch b.kind {
		case bGap:
			r.pdf.Ln(7)
		case bLine:
			style, size := "", 10.0
			if first {
				style, size = "B", 13
				first = false
			}
			c := ink
			if strings.Contains(b.text, "LATE by") {
				c, style = red, "B"
			}
			r.font(style, size, c)
			r.text(b.text, size+3)
		case bHeading:
			if r.pdf.GetY() > pageH-margin-72 { // keep a heading with its first lines
				r.pdf.AddPage()
			}
			r.font("B", 10.5, navy)
			r.text(b.text, 14)
		case bPara:
			r.font("", 10, ink)
			r.text(b.text, 13)
			r.pdf.Ln(3)
		case bList:
			r.font("", 10, ink)
			for _, item := range strings.Split(b.text, "\n") {
				r.pdf.SetX(margin + 10)
				r.pdf.MultiCell(bodyW-10, 13, r.tr(strings.Replace(item, "- ", "\u2022 ", 1)), "", "L", false)
			}
			r.pdf.Ln(3)
		}
	}
}

// linePage draws the table of denied lines and the meanings of their codes.
func (r *renderer) linePage() {
	pdf := r.pdf
	pdf.AddPage()
	r.title("Denied lines")
	cols := []struct {
		head  string
		w     float64
		align string
	}{{"Line", 28, "C"}, {"DOS", 58, "L"}, {"Code", 72, "L"}, {"Units", 30, "C"}, {"Diagnoses", 86, "L"},
		{"Billed", 52, "R"}, {"Allowed", 52, "R"}, {"Paid", 46, "R"}, {"CARC / RARC", 80, "L"}}
	pdf.SetFillColor(navy[0], navy[1], navy[2])
	r.font("B", 8.5, [3]int{255, 255, 255})
	for _, c := range cols {
		pdf.CellFormat(c.w, 16, c.head, "", 0, c.align, true, 0, "")
	}
	pdf.Ln(-1)
	var cas []string
	var rarcs []string
	for i, l := range r.p.Facts.Lines {
		fill := i%2 == 1
		pdf.SetFillColor(band[0], band[1], band[2])
		r.font("", 8.5, ink)
		var codes []string
		for _, a := range l.Adjustment {
			codes = append(codes, a.Code())
			cas = appendNew(cas, a.Group+"-"+a.Reason)
		}
		codes = append(codes, l.Remarks...)
		rarcs = appendNew(rarcs, l.Remarks...)
		vals := []string{itoa(l.Number), l.Date.String(), codeLabel(l.Procedure, l.Modifiers), itoa(units(l.Units)),
			strings.Join(l.Diagnoses, " "), l.Billed.String(), l.Allowed.String(), l.Paid.String(), strings.Join(codes, " ")}
		for j, c := range cols {
			pdf.CellFormat(c.w, 15, r.tr(fitText(pdf, vals[j], c.w-4)), "", 0, c.align, fill, 0, "")
		}
		pdf.Ln(-1)
	}
	pdf.Ln(6)
	r.font("", 8, muted)
	r.text("Claim "+r.p.Facts.Claim.PatientControlNumber+": billed "+r.p.Facts.Claim.Billed.String()+", paid "+r.p.Facts.Claim.Paid.String()+
		". Amounts in US dollars. Codes as the remittance of "+r.p.Facts.denialDate().String()+" sent them.", 11)
	pdf.Ln(8)
	r.font("B", 11, navy)
	r.text("What the codes mean", 15)
	pdf.Ln(2)
	for _, gc := range cas {
		g, code, _ := strings.Cut(gc, "-")
		r.meaning(gc, groupName(g)+carcText(code))
	}
	for _, code := range rarcs {
		r.meaning("RARC "+code, rarcText(code))
	}
	pdf.Ln(6)
	r.font("", 7.5, muted)
	r.text("Code descriptions: X12 CARC and RARC lists retrieved "+carc.ListRetrieved+" (x12.org).", 10)
}

func (r *renderer) meaning(code, text string) {
	r.font("B", 9, ink)
	r.pdf.CellFormat(70, 12, r.tr(code), "", 0, "L", false, 0, "")
	r.font("", 9, ink)
	r.pdf.MultiCell(bodyW-70, 12, r.tr(text), "", "L", false)
	r.pdf.Ln(2)
}

func groupName(g string) string {
	if gc, ok := carc.Group(g); ok {
		return gc.Name + ": "
	}
	return ""
}

func carcText(code string) string {
	if c, ok := carc.CARC(code); ok {
		return c.Description
	}
	return "CARC " + code + " is not in the X12 list"
}

func rarcText(code string) string {
	if m, ok := carc.RARC(code); ok {
		return m.Description
	}
	return "RARC " + code + " is not in the X12 list"
}

// fitText shortens s with "..." to fit w points in the current font.
func fitText(pdf *fpdf.Fpdf, s string, w float64) string {
	if pdf.GetStringWidth(s) <= w {
		return s
	}
	for len(s) > 0 && pdf.GetStringWidth(s+"...") > w {
		s = s[:len(s)-1]
	}
	return s + "..."
}

// checklistPage draws the records to attach with a box to tick.
func (r *renderer) checklistPage() {
	pdf := r.pdf
	pdf.AddPage()
	r.title("Checklist: records to attach")
	r.font("", 9, muted)
	r.text("Tick each record as it is added to the packet. Send the packet by "+r.p.Deadline.Date.String()+" to "+r.p.Addressee.Name+".", 12)
	pdf.Ln(6)
	pdf.SetDrawColor(ink[0], ink[1], ink[2])
	pdf.SetLineWidth(0.8)
	for _, it := range r.p.Checklist {
		if pdf.GetY() > pageH-margin-30 {
			pdf.AddPage()
		}
		y := pdf.GetY()
		pdf.Rect(margin, y+1.5, 9, 9, "D")
		pdf.SetX(margin + 18)
		r.font("", 10, ink)
		pdf.MultiCell(bodyW-18, 13, r.tr(it.Text+lineRefs(it.Lines)), "", "L", false)
		pdf.Ln(5)
	}
}

// formPage draws the CMS-20027 fields as a two-column table.
func (r *renderer) formPage() {
	pdf := r.pdf
	pdf.AddPage()
	r.title("Form CMS-20027: Medicare Redetermination Request (fields)")
	r.font("", 8.5, muted)
	r.text("Copy these values onto form CMS-20027 or the MAC's own redetermination form, sign and date it.", 11)
	pdf.Ln(6)
	const labelW = 190.0
	for i, fl := range r.p.Form.Fields() {
		v := fl.Value
		if v == "" {
			v = " "
		}
		r.font("B", 9, navy)
		labels := len(pdf.SplitText(r.tr(fl.Label), labelW-8))
		r.font("", 9, ink)
		lines := pdf.SplitText(r.tr(v), bodyW-labelW-8)
		h := float64(max(len(lines), labels, 1))*12 + 6
		if pdf.GetY()+h > pageH-margin {
			pdf.AddPage()
		}
		y := pdf.GetY()
		if i%2 == 0 {
			pdf.SetFillColor(band[0], band[1], band[2])
			pdf.Rect(margin, y, bodyW, h, "F")
		}
		pdf.SetXY(margin+4, y+3)
		r.font("B", 9, navy)
		pdf.MultiCell(labelW-8, 12, r.tr(fl.Label), "", "L", false)
		pdf.SetXY(margin+labelW, y+3)
		r.font("", 9, ink)
		pdf.MultiCell(bodyW-labelW-4, 12, r.tr(v), "", "L", false)
		pdf.SetY(y + h)
	}
}
