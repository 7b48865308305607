package appeal

import (
	"github.com/remitq/remitq/carc"
	"github.com/remitq/remitq/pkg/rules"
)

// Item is one record to attach to the packet.
type Item struct {
	Text string
	// Lines are the claim line numbers it supports (empty: the packet).
	Lines []int
}

// checklist lists the records the packet's arguments rest on, per category
// and procedure family, each once, in a stable order.
func checklist(f *Facts, set *rules.Set, form bool, lvl Level) []Item {
	var items []Item
	add := func(line int, texts ...string) {
	next:
		for _, t := range texts {
			for i := range items {
				if items[i].Text == t {
					if line > 0 && !containsInt(items[i].Lines, line) {
						items[i].Lines = append(items[i].Lines, line)
					}
					continue next
				}
			}
			it := Item{Text: t}
			if line > 0 {
				it.Lines = []int{line}
			}
			items = append(items, it)
		}
	}
	if form {
		add(0, "Form CMS-20027 (Medicare redetermination request), signed, or this letter with the same elements")
	}
	if lvl.Number > 1 {
		if isMedicare(&f.Profile) {
			switch lvl.Number {
			case 2:
				add(0, "Form CMS-20033 (Medicare reconsideration request), signed")
			case 3:
				add(0, "Form OMHA-100 (request for an ALJ hearing), signed")
			}
		}
		add(0, "Copy of the decision of the previous appeal level, dated "+f.PriorDecisionDate.String())
	}
	add(0, "Copy of the remittance advice (835/ERA) page showing the denial", "Copy of the claim as billed (CMS-1500 / 837P)")
	for i := range f.Lines {
		l := &f.Lines[i]
		n := l.Number
		p, _ := set.Procedure(l.Procedure)
		add(n, "Procedure (op) note for "+l.Procedure+" on "+l.Date.String()+", signed by the rendering provider")
		if p.Imaging == "included" || p.Family == rules.FamilyImaging {
			add(n, "Fluoroscopy/CT image documentation (saved images or the imaging statement in the note) for "+l.Procedure)
		}
		switch l.Cause.Category {
		case carc.Authorization:
			add(n, "Authorization approval letter or portal print-out showing the number, validity dates, codes and units")
		case carc.MedicalNecessity, carc.NonCovered:
			if p.Family == rules.FamilyRFA {
				add(n, "Records of the two diagnostic medial branch blocks (procedure notes with dates and levels)",
					"Pain diaries or post-block assessments with the percentage of relief after each block")
				if m := f.Profile.DiagnosticModifier; m != "" {
					add(n, "Remittances of the diagnostic blocks, billed with modifier "+m+" as diagnostic")
				}
			}
			add(n, "Office notes documenting the LCD criteria (pain duration, failed conservative care, pain/function scale)")
			if p.Family == rules.FamilyESIInterlaminar || p.Family == rules.FamilyESITransforaminal {
				add(n, "Imaging report (MRI/CT) concordant with the radicular symptoms")
			}
		case carc.CodingBundling, carc.Modifier:
			add(n, "Procedure note sections showing the separate site, session or side for the modifier used")
		case carc.FrequencyLimit:
			if p.Family == rules.FamilyUDTPresumptive || p.Family == rules.FamilyUDTDefinitive {
				add(n, "Physician's order and risk assessment for the drug test, and the lab result")
			} else {
				add(n, "List of the prior procedures in the region with their dates (and their notes when the payer asks)",
					"Documentation of relief after the prior session (percentage and duration) for a repeat procedure")
			}
		case carc.Underpayment:
			add(n, "Fee schedule or contract page with the allowed amount for "+l.Procedure)
		}
		for _, r := range l.Evidence.Records {
			add(n, r)
		}
	}
	if len(f.Notes) > 0 {
		add(0, "Any record named in the biller's notes")
	}
	return items
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
