package appeal

import (
	"strings"

	"github.com/remitq/remitq/pkg/day"
)

// blockKind is how a block of the letter is set.
type blockKind uint8

const (
	bLine    blockKind = iota // one line of a header block
	bGap                      // an empty line
	bHeading                  // a line's argument heading
	bPara                     // a paragraph
	bList                     // lines starting "- "
)

type block struct {
	kind blockKind
	text string
}

// letter is the cover letter as blocks, shared by Text and WritePDF.
func (p *Packet) letter() []block {
	f := &p.Facts
	var bs []block
	line := func(s string) {
		if s != "" {
			bs = append(bs, block{bLine, s})
		}
	}
	gap := func() { bs = append(bs, block{kind: bGap}) }
	para := func(s string) {
		k := bPara
		if strings.HasPrefix(s, "- ") {
			k = bList
		}
		bs = append(bs, block{k, s})
	}

	line(f.Practice.Name)
	for _, a := range f.Practice.Address {
		line(a)
	}
	line(joinNonEmpty(" | ", prefixed("NPI ", f.Practice.NPI), prefixed("Phone ", f.Practice.Phone), prefixed("Fax ", f.Practice.Fax)))
	gap()
	line(p.Today.String())
	gap()
	a := &p.Addressee
	line(a.Name)
	line(a.Address)
	line(joinNonEmpty(" | ", prefixed("Fax ", a.Fax), prefixed("Portal: ", a.Portal), prefixed("Phone ", a.Phone)))
	gap()
	line("Re: " + p.Subject)
	payer := f.Payer.Name
	if f.Payer.ID != "" {
		payer += " (payer ID " + f.Payer.ID + ")"
	}
	line("Payer: " + payer + " | profile " + f.Profile.Label())
	line("Patient: " + f.Patient.Name.Reveal() + " | Date of birth: " + f.Patient.DOB.Reveal() + " | Member ID: " + f.Patient.MemberID.Reveal())
	c := &f.Claim
	line(joinNonEmpty(" | ", "Claim: "+c.PatientControlNumber, prefixed("Payer claim number: ", c.PayerClaimControlNumber),
		"Dates of service: "+dateRange(c.From, c.Through, f.Lines)))
	line(joinNonEmpty(" | ", "Billed "+c.Billed.String(), "Paid "+c.Paid.String(), prefixed("Remittance ", c.RemitDate.String()),
		prefixed("Check/EFT ", c.CheckOrEFT)))
	line("Rendering provider: " + f.Provider.Name + ", NPI " + f.Provider.NPI)
	dl := "Deadline: " + p.Deadline.Date.String() + " (" + itoa(p.Level.Days) + " days from " + p.Deadline.Counted.String() + ")"
	if p.Deadline.Late {
		dl += " - LATE by " + itoa(-p.Deadline.DaysLeft) + " day(s)"
	}
	line(dl)
	gap()
	line("To the appeals reviewer:")
	gap()
	intro := f.Practice.Name + " requests a " + p.Level.Name + " (appeal level " + itoa(p.Level.Number) + ") of the determination of " +
		f.denialDate().String() + " on the claim above, for " + itoa(len(f.Lines)) + " service line(s) billed at " + p.deniedTotal().String() + "."
	limit := itoa(p.Level.Days) + "-day limit"
	if src, ok := citable(p.Level.Source); ok {
		limit += " (" + rule(src) + ")"
	}
	if p.Deadline.Late {
		intro += " The request is made after the " + limit + ", which ended on " + p.Deadline.Date.String() + "."
		if f.LateReason != "" {
			intro += " We ask that good cause for the late filing be found: " + strings.TrimSuffix(f.LateReason, ".") + "."
		} else {
			intro += " We ask that good cause for the late filing be considered."
		}
	} else {
		intro += " It is made within the " + limit + "."
	}
	if p.Form != nil {
		intro += " The fields of form CMS-20027 (Medicare Redetermination Request) are on the last page."
	}
	para(intro)
	for _, ar := range p.Arguments {
		gap()
		bs = append(bs, block{bHeading, ar.Heading})
		for _, s := range ar.Paragraphs {
			para(s)
		}
		if len(ar.Sources) > 0 {
			para("Policy: " + strings.Join(ar.Sources, "; ") + ".")
		}
	}
	if len(f.Notes) > 0 {
		gap()
		bs = append(bs, block{bHeading, "Notes from our review"})
		var b strings.Builder
		for i, n := range f.Notes {
			if i > 0 {
				b.WriteByte('\n')
			}
			b.WriteString("- " + n)
		}
		para(b.String())
	}
	gap()
	closing := "We ask that you reverse the denial of the line(s) above and reprocess the claim for payment. The records listed under Enclosures are attached."
	if f.Practice.Contact != "" || f.Practice.Phone != "" {
		closing += " For questions about this appeal, contact " + joinNonEmpty(" at ", firstNonEmpty(f.Practice.Contact, f.Practice.Name), f.Practice.Phone) + "."
	}
	para(closing)
	gap()
	bs = append(bs, block{bHeading, "Enclosures"})
	var b strings.Builder
	for i, it := range p.Checklist {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("- " + it.Text + lineRefs(it.Lines))
	}
	para(b.String())
	gap()
	line("Sincerely,")
	gap()
	gap()
	line(f.Provider.Name + ", NPI " + f.Provider.NPI)
	line(f.Practice.Name)
	return bs
}

// Text returns the cover letter as plain text: header lines together,
// each paragraph on one line followed by a blank line.
func (p *Packet) Text() string {
	var b strings.Builder
	blank := false
	for _, bl := range p.letter() {
		switch bl.kind {
		case bGap:
			if !blank {
				b.WriteByte('\n')
			}
			blank = true
		case bPara, bList:
			b.WriteString(bl.text + "\n\n")
			blank = true
		default:
			b.WriteString(bl.text + "\n")
			blank = false
		}
	}
	return b.String()
}

func lineRefs(ls []int) string {
	if len(ls) == 0 {
		return ""
	}
	var parts []string
	for _, n := range ls {
		parts = append(parts, itoa(n))
	}
	if len(ls) == 1 {
		return " (line " + parts[0] + ")"
	}
	return " (lines " + strings.Join(parts, ", ") + ")"
}

func dateRange(from, through day.Day, ls []DeniedLine) string {
	f, t := from.String(), through.String()
	if f == "" && len(ls) > 0 {
		f = firstDate(ls).String()
	}
	if t == "" || t == f {
		return f
	}
	return f + " to " + t
}

func prefixed(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}

func joinNonEmpty(sep string, ss ...string) string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, sep)
}
