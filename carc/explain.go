package carc

import (
	"fmt"
	"strings"
)

// Source says what decided an Explanation's category and text.
type Source string

// Explanation sources, most specific first.
const (
	FromCombination Source = "combination" // a curated CARC + RARC pair
	FromRemark      Source = "remark"      // a generic CARC refined by a RARC's category
	FromCARC        Source = "carc"        // the CARC alone
	FromUnknown     Source = "unknown"     // the CARC is not in the list
)

// Explanation is the reading of one CAS adjustment (group + CARC) in the
// light of the remark codes that came with it.
type Explanation struct {
	Group         string   `json:"group"`
	CARC          string   `json:"carc"`
	RARCs         []string `json:"rarcs,omitempty"`
	Known         bool     `json:"known"`       // the CARC is in the list
	Deactivated   bool     `json:"deactivated"` // the CARC is a deactivated code
	Class         Class    `json:"class"`       // after the group code is taken into account
	Category      Category `json:"category"`
	Reason        string   `json:"reason"` // short phrase for work-item text
	Text          string   `json:"text"`   // plain-language explanation
	Action        string   `json:"action"`
	Appealable    bool     `json:"appealable"`
	PatientLiable bool     `json:"patient_liable"` // group PR: the payer put the amount on the patient
	Source        Source   `json:"source"`
	DecidingRARC  string   `json:"deciding_rarc,omitempty"`
	// Warnings name unknown codes and odd group/CARC pairs; never a failure.
	Warnings []string `json:"warnings,omitempty"`
}

// Explain reads one adjustment: group code (CO, PR, ...), CARC, and the
// remark codes of the same line (or claim). The category and text come from
// the combination when one is curated (CO-16 + N290 is a missing rendering
// NPI, CO-16 + N54 an authorization problem), else from the first RARC with
// a category when the CARC is generic, else from the CARC. Unknown codes give
// an "unknown code" reading with a warning, never an error.
func Explain(group, code string, rarcs []string) Explanation {
	t := data()
	g, k := norm(group), norm(code)
	e := Explanation{Group: g, CARC: k, RARCs: rarcs}
	if _, ok := t.groups[g]; !ok {
		e.Warnings = append(e.Warnings, fmt.Sprintf("unknown claim adjustment group code %q: read as CO", g))
	}
	c, known := t.carcs[k]
	refine := true
	if known {
		e.Known, e.Deactivated = true, c.Deactivated
		e.Class, e.Category, e.Appealable = c.Class, c.Category, c.Appealable
		e.Reason, e.Text, e.Action = c.Reason, c.Plain, c.Action
		e.Source = FromCARC
		refine = c.Refine
	} else {
		e.Class, e.Category, e.Appealable = ClassDenial, Other, false
		e.Reason = "unknown adjustment reason code " + k
		e.Text = "CARC " + k + " is not in the X12 list retrieved " + ListRetrieved +
			" (a newer or payer-specific code); the remark codes and the payer's notes are the only guide."
		e.Action = "Look the code up on x12.org or ask the payer; work it as a denial until it is known"
		e.Source = FromUnknown
		e.Warnings = append(e.Warnings, fmt.Sprintf("unknown CARC %q (list retrieved %s)", k, ListRetrieved))
	}

	decided := -1
	if known {
		for i, r := range rarcs {
			if cb := t.combos[comboKey{k, norm(r)}]; cb != nil {
				e.Category, e.Appealable = cb.category, cb.appealable
				e.Reason, e.Text, e.Action = cb.reason, cb.plain, cb.action
				e.Source, e.DecidingRARC, decided = FromCombination, norm(r), i
				break
			}
		}
	}
	if decided < 0 && refine {
		for i, r := range rarcs {
			m := t.rarcs[norm(r)]
			if m == nil || m.Category == "" {
				continue
			}
			e.Category, e.Reason = m.Category, m.Reason
			if m.Action != "" {
				e.Action = m.Action
			}
			e.Text = e.Text + " " + m.Plain
			e.Source, e.DecidingRARC, decided = FromRemark, m.Code, i
			break
		}
	}

	var extra []string
	for i, r := range rarcs {
		m := t.rarcs[norm(r)]
		if m == nil {
			e.Warnings = append(e.Warnings, fmt.Sprintf("unknown RARC %q (list retrieved %s)", norm(r), ListRetrieved))
			continue
		}
		if i != decided && !m.Alert {
			extra = append(extra, m.Plain)
		}
	}
	if len(extra) > 0 {
		e.Text = e.Text + " " + strings.Join(extra, " ")
	}

	switch g {
	case "PR":
		e.PatientLiable = true
		if e.Class != ClassDenial || !known {
			e.Class = ClassPatient
		}
	case "CR":
		// Corrections keep the CARC's own class.
	default:
		if e.Class == ClassPatient && known && k != "100" && k != "187" {
			e.Class = ClassContractual
			e.Warnings = append(e.Warnings, fmt.Sprintf("patient cost-sharing CARC %s under group %s: the patient may not be billed", k, g))
		}
	}
	return e
}
