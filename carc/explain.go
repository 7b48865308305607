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

	// MA130 says "unprocessable" and leaves the fields to the other
	// remark codes: with none, the remit names nothing to fix.
	if e.DecidingRARC == "MA130" && len(extra) == 0 {
		e.Action = "The remit names no missing field: find it in the claim's 277CA acknowledgment or ask the payer, fix it and submit a new claim within timely filing (an unprocessable claim has no appeal rights)"
	}

	var w string
	e.Class, e.PatientLiable, w = groupClass(g, k, e.Class, known)
	if w != "" {
		e.Warnings = append(e.Warnings, w)
	}
	// PR-204: the plan does not cover the service and the payer put it on
	// the patient: the patient owes it, with or without a signed waiver;
	// there is nothing to appeal for the practice.
	if e.PatientLiable && k == "204" && e.Class == ClassDenial {
		e.Appealable = false
		e.Action = "Bill the patient: the plan does not cover this service and the payer assigned it to the patient (PR), with or without a signed waiver; no appeal"
	}
	return e
}

// groupClass applies the group code to a CARC's class: under PR everything
// that is not a denial is the patient's; under CO/PI/OA a cost-sharing code
// cannot be billed to the patient and so is a write-off.
func groupClass(g, k string, c Class, known bool) (Class, bool, string) {
	switch g {
	case "PR":
		if c != ClassDenial || !known {
			c = ClassPatient
		}
		return c, true, ""
	case "CR":
		// Corrections keep the CARC's own class.
		return c, false, ""
	}
	if c == ClassPatient && known && k != "100" && k != "187" {
		return ClassContractual, false, fmt.Sprintf("patient cost-sharing CARC %s under group %s: the patient may not be billed", k, g)
	}
	return c, false, ""
}

// Classify gives the class and category of one adjustment from its group
// code and CARC alone (no remarks, no text): the router's per-adjustment
// triage. Unknown CARCs are denials (patient under PR) in category other,
// with known false.
func Classify(group, code string) (class Class, category Category, known bool) {
	g, k := norm(group), norm(code)
	c, known := data().carcs[k]
	class, category = ClassDenial, Other
	if known {
		class, category = c.Class, c.Category
	}
	class, _, _ = groupClass(g, k, class, known)
	return class, category, known
}
