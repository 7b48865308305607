package rules

import (
	"slices"

	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/x12"
)

// Status is what became of a billed line.
type Status uint8

// Line statuses. Billed (the zero value) is a line sent and not yet
// adjudicated; checks count billed and paid lines, never denied ones.
const (
	Billed Status = iota
	Paid
	Denied
)

// String returns billed, paid or denied.
func (s Status) String() string {
	switch s {
	case Paid:
		return "paid"
	case Denied:
		return "denied"
	}
	return "billed"
}

// Line is one billed service line: a line to check, or a prior line in a
// patient's history. It holds no PHI: the patient is a PatientKey.
type Line struct {
	Claim     string       // claim ID in the practice (837 CLM01)
	Number    int          // line number in the claim (LX01)
	Patient   PatientKey   // see Keyer
	Practice  string       // practice ID (the billing provider NPI by default)
	TIN       string       // practice tax ID, for Sharing.SameTIN
	Rendering string       // rendering provider NPI
	Payer     string       // payer ID (2010BB NM109)
	Filing    string       // claim filing indicator (SBR09: MB Medicare Part B, MC Medicaid, CI commercial, ...)
	State     string       // state of the service (2310C N4, else the billing provider's)
	Taxonomy  string       // billing provider taxonomy (PRV*BI): an ASC's own claim is 261QA1903X
	Date      day.Day      // date of service
	Procedure string       // CPT/HCPCS code
	Modifiers []string     // SV101-3..6
	Units     x12.Quantity // thousandths: 1 unit = 1000
	POS       string       // place of service (SV105, else CLM05-1)
	Diagnoses []string     // ICD-10 codes pointed at by the line
	Auth      string       // prior authorization number (REF*G1 of the line, else of the claim)
	Level     string       // spinal level when known ("L4-L5"), else ""
	Status    Status       // for history lines
}

// HasModifier reports whether the line carries modifier m.
func (l *Line) HasModifier(m string) bool { return slices.Contains(l.Modifiers, m) }

// hasAny reports whether the line carries one of the modifiers in set.
func (l *Line) hasAny(set map[string]bool) bool {
	for _, m := range l.Modifiers {
		if set[m] {
			return true
		}
	}
	return false
}

// Ref returns the reference of the line.
func (l *Line) Ref() LineRef { return LineRef{Claim: l.Claim, Line: l.Number} }

// Claim is a group of lines billed together (one 837 claim). Lines carry
// their own patient, practice, payer and dates; a claim's lines share them
// in practice but the checks do not rely on it.
type Claim struct {
	ID    string // CLM01
	Lines []Line
}

// Severity says how sure a finding is: deny (the payer will deny or cut the
// line) or warn (a risk to look at).
type Severity string

// Severities.
const (
	Deny Severity = "deny"
	Warn Severity = "warn"
)

// LineRef names a line of a claim of the practice. Lines of another
// practice are never named: messages say "at another practice".
type LineRef struct {
	Claim string `json:"clm01"`
	Line  int    `json:"line"`
}

// Finding is one risk on one line: what rule, how sure, a message a biller
// can read (no names, no member IDs, no birth dates) and where the rule
// comes from.
type Finding struct {
	Claim     string    `json:"clm01"`
	Line      int       `json:"line"`
	Procedure string    `json:"procedure"`
	Date      day.Day   `json:"date"`
	Rule      string    `json:"rule"`     // snake_case rule key (rules.csv)
	Category  string    `json:"category"` // root-cause category key (DESIGN.md)
	Severity  Severity  `json:"severity"`
	Message   string    `json:"message"`
	Source    string    `json:"source"`            // e.g. "NCCI PTP 2024-07", "LCD L38801 (facet) [LCD-CHECKLIST]"
	Profile   string    `json:"profile"`           // payer profile applied ("medicare_part_b (JF Noridian) 2026-01-01", "default")
	Related   []LineRef `json:"related,omitempty"` // other lines of the practice involved
}
