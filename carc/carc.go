package carc

import "strings"

// ListRetrieved is the date the CARC and RARC lists (data/carc.csv,
// data/rarc.csv) were retrieved from x12.org. Codes published later are
// "unknown" here until the lists are refreshed.
const ListRetrieved = "2026-08-17"

// Code is one claim adjustment reason code (CARC) with its official data and
// remitq's plain-language reading.
type Code struct {
	Code        string `json:"code"`
	Description string `json:"description"`     // official text, without the X12 usage note
	Usage       string `json:"usage,omitempty"` // X12 "Usage:" note, when the text has one
	Start       string `json:"start_date,omitempty"`
	Modified    string `json:"last_modified,omitempty"`
	Stop        string `json:"stop_date,omitempty"`
	Deactivated bool   `json:"deactivated"` // kept because old remits still carry it
	Notes       string `json:"notes,omitempty"`

	Class      Class    `json:"class"`
	Category   Category `json:"category"`
	Refine     bool     `json:"refine"` // generic code: the RARC decides the category
	Appealable bool     `json:"appealable"`
	Reason     string   `json:"reason"` // short phrase for work-item text
	Plain      string   `json:"plain"`  // sentence a biller understands
	Action     string   `json:"action"` // recommended action (never empty)
}

// Remark is one remittance advice remark code (RARC).
type Remark struct {
	Code        string `json:"code"`
	Description string `json:"description"`
	Start       string `json:"start_date,omitempty"`
	Modified    string `json:"last_modified,omitempty"`
	Stop        string `json:"stop_date,omitempty"`
	Deactivated bool   `json:"deactivated"`
	Notes       string `json:"notes,omitempty"`
	Alert       bool   `json:"alert"` // informational "Alert:" remark

	// Curated is set for the remarks remitq has plain-language text for.
	Curated  bool     `json:"curated"`
	Category Category `json:"category,omitempty"` // empty: does not decide a category
	Reason   string   `json:"reason,omitempty"`
	Plain    string   `json:"plain"` // curated sentence, else the official description
	Action   string   `json:"action,omitempty"`
}

// GroupCode is a claim adjustment group code (CAS01).
type GroupCode struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	Definition string `json:"definition"`
	In5010     bool   `json:"in_5010"` // valid in a 5010 835 (CR is legacy)
}

// ClaimStatusCode is a CLP02 claim status code.
type ClaimStatusCode struct {
	Code        string `json:"code"`
	Description string `json:"description"`
	In5010      bool   `json:"in_5010"`
	Notes       string `json:"notes,omitempty"`
}

// PLBCode is a provider-level adjustment reason code (PLB03-1).
type PLBCode struct {
	Code        string `json:"code"`
	Description string `json:"description"`
	Notes       string `json:"notes,omitempty"`
}

// combo is the reading of one CARC + RARC pair.
type combo struct {
	category   Category
	appealable bool
	reason     string
	plain      string
	action     string
}

type comboKey struct{ carc, rarc string }

type tables struct {
	carcs      map[string]*Code
	carcOrder  []string
	rarcs      map[string]*Remark
	rarcOrder  []string
	groups     map[string]*GroupCode
	statuses   map[string]*ClaimStatusCode
	plbs       map[string]*PLBCode
	combos     map[comboKey]*combo
	comboOrder []comboKey
}

// norm trims and upper-cases a code without allocating when it is already
// clean.
func norm(s string) string {
	s = strings.TrimSpace(s)
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'a' && c <= 'z' {
			return strings.ToUpper(s)
		}
	}
	return s
}

// CARC looks up a claim adjustment reason code ("197", "B7"). Deactivated
// codes are found too.
func CARC(code string) (Code, bool) {
	c, ok := data().carcs[norm(code)]
	if !ok {
		return Code{}, false
	}
	return *c, true
}

// RARC looks up a remittance advice remark code ("N54", "MA130").
func RARC(code string) (Remark, bool) {
	r, ok := data().rarcs[norm(code)]
	if !ok {
		return Remark{}, false
	}
	return *r, true
}

// Group looks up a claim adjustment group code (CO, OA, PI, PR, CR).
func Group(code string) (GroupCode, bool) {
	g, ok := data().groups[norm(code)]
	if !ok {
		return GroupCode{}, false
	}
	return *g, true
}

// ClaimStatus looks up a CLP02 claim status code.
func ClaimStatus(code string) (ClaimStatusCode, bool) {
	s, ok := data().statuses[norm(code)]
	if !ok {
		return ClaimStatusCode{}, false
	}
	return *s, true
}

// PLBReason looks up a PLB03-1 provider adjustment reason code.
func PLBReason(code string) (PLBCode, bool) {
	p, ok := data().plbs[norm(code)]
	if !ok {
		return PLBCode{}, false
	}
	return *p, true
}

// CARCs returns every CARC in list order, deactivated ones included.
func CARCs() []Code {
	t := data()
	out := make([]Code, len(t.carcOrder))
	for i, k := range t.carcOrder {
		out[i] = *t.carcs[k]
	}
	return out
}

// RARCs returns every RARC in list order, deactivated ones included.
func RARCs() []Remark {
	t := data()
	out := make([]Remark, len(t.rarcOrder))
	for i, k := range t.rarcOrder {
		out[i] = *t.rarcs[k]
	}
	return out
}

// Combination is a CARC + RARC pair with a reading of its own.
type Combination struct {
	CARC       string   `json:"carc"`
	RARC       string   `json:"rarc"`
	Category   Category `json:"category"`
	Appealable bool     `json:"appealable"`
	Reason     string   `json:"reason"`
	Plain      string   `json:"plain"`
	Action     string   `json:"action"`
}

// Combinations returns the curated CARC + RARC pairs in file order.
func Combinations() []Combination {
	t := data()
	out := make([]Combination, len(t.comboOrder))
	for i, k := range t.comboOrder {
		c := t.combos[k]
		out[i] = Combination{CARC: k.carc, RARC: k.rarc, Category: c.category, Appealable: c.appealable,
			Reason: c.reason, Plain: c.plain, Action: c.action}
	}
	return out
}
