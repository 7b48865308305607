package correct

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/rules"
	"github.com/remitq/remitq/x12"
)

// Frequency codes (CLM05-3).
const (
	FrequencyReplacement = "7"
	FrequencyVoid        = "8"
)

// Errors. Messages name what is missing, never a value of the claim.
var (
	// ErrNotCorrection: the denial's category is not one a corrected claim
	// answers (an appeal, a write-off or the patient's bill does).
	ErrNotCorrection = errors.New("correct: the denial is not fixed by a corrected claim")
	// ErrNoPayerControl: no payer claim control number (CLP07) is known, so
	// the replacement or void cannot name the claim it replaces (REF*F8).
	ErrNoPayerControl = errors.New("correct: the payer claim control number (CLP07) of the original claim is unknown")
	// ErrNoLine: the denied line is not on the billed claim.
	ErrNoLine = errors.New("correct: the denied line is not on the billed claim")
	// ErrNoFix: the denial names nothing Fix knows how to change; a person
	// must edit the claim.
	ErrNoFix = errors.New("correct: no automatic fix for this denial")
)

// Denial is what a work item says of a denied line.
type Denial struct {
	Category string   `json:"category"` // DESIGN.md root-cause key
	CARC     []string `json:"carc"`     // "CO-4"
	RARC     []string `json:"rarc"`
	// Line is the billed line's LX number (1-based), 0 for the whole claim.
	Line int `json:"line"`
	// PayerControl is CLP07 of the latest 835 for the claim.
	PayerControl string `json:"payer_control"`
	// Revision numbers this correction among the claim's corrections
	// (1 for the first): the new REF*6R line ids carry it.
	Revision int `json:"revision"`
}

// Change is one difference between the billed claim and the generated one.
type Change struct {
	Line  int    `json:"line"`  // LX of the billed line (0: the claim)
	Field string `json:"field"` // modifiers, units, charge, line, diagnosis_pointers, rendering, note, frequency, ref_f8, line_control
	From  string `json:"from,omitempty"`
	To    string `json:"to,omitempty"`
	Why   string `json:"why"`
}

// Result is a generated claim and what changed.
type Result struct {
	// Claim is the claim to send; nil when Reopening.
	Claim   *x12.Claim `json:"-"`
	Changes []Change   `json:"changes"`
	// Reopening: the payer takes corrections as reopenings of its initial
	// determination (Medicare); no frequency-7 claim is sent.
	Reopening bool   `json:"reopening"`
	Note      string `json:"note,omitempty"`
}

// Fixes are the change fields that are the fix itself (the others are the
// bookkeeping of any replacement: frequency, REF*F8, REF*6R).
func (r *Result) Fixes() []Change {
	var out []Change
	for _, c := range r.Changes {
		switch c.Field {
		case "frequency", "ref_f8", "line_control":
		default:
			out = append(out, c)
		}
	}
	return out
}

// Correctable reports whether a category is answered by a corrected claim.
func Correctable(category string) bool {
	switch category {
	case "modifier", "coding_bundling", "missing_claim_data":
		return true
	}
	return false
}

// Fixer fixes claims with a rule set's procedure facts.
type Fixer struct {
	// Rules gives the procedure families and bilateral indicators; nil:
	// rules.Default().
	Rules *rules.Set
}

// Fix is (&Fixer{}).Fix.
func Fix(c *x12.Claim, d Denial, p *rules.Profile) (*Result, error) { return (&Fixer{}).Fix(c, d, p) }

// Fix returns the corrected claim of c for denial d under payer profile p
// (nil: remitq's defaults, a frequency-7 claim with 50 for bilateral). c is
// not changed.
func (f *Fixer) Fix(c *x12.Claim, d Denial, p *rules.Profile) (*Result, error) {
	if !Correctable(d.Category) {
		return nil, ErrNotCorrection
	}
	if d.Line < 0 || d.Line > len(c.Lines) {
		return nil, ErrNoLine
	}
	set := f.Rules
	if set == nil {
		set = rules.Default()
	}
	fx := &fixer{set: set, p: p, d: d, c: clone(c)}
	var err error
	switch d.Category {
	case "modifier":
		err = fx.modifier()
	case "coding_bundling":
		err = fx.bundling()
	case "missing_claim_data":
		err = fx.missing()
	}
	if err != nil {
		return nil, err
	}
	if len(fx.changes) == 0 {
		return nil, ErrNoFix
	}
	res := &Result{Changes: fx.changes}
	if p != nil && p.Correction == rules.CorrectionReopening {
		res.Reopening = true
		res.Note = "this payer takes corrections as a reopening of its initial determination (" + p.Label() +
			"): request a reopening with these changes instead of sending a corrected claim"
		return res, nil
	}
	if d.PayerControl == "" {
		return nil, ErrNoPayerControl
	}
	fx.replacement(FrequencyReplacement)
	res.Claim, res.Changes = fx.c, fx.changes
	return res, nil
}

// Void returns the void (frequency 8) of c: the claim as billed, naming the
// payer's claim (REF*F8 = payerControl) with new line ids.
func Void(c *x12.Claim, payerControl string, revision int) (*Result, error) {
	if payerControl == "" {
		return nil, ErrNoPayerControl
	}
	fx := &fixer{c: clone(c), d: Denial{PayerControl: payerControl, Revision: revision}}
	fx.replacement(FrequencyVoid)
	return &Result{Claim: fx.c, Changes: fx.changes}, nil
}

type fixer struct {
	set     *rules.Set
	p       *rules.Profile
	d       Denial
	c       *x12.Claim
	changes []Change
	// orig maps each line of c to its billed LX (0 for added lines' twins:
	// they keep their source's number).
}

func (f *fixer) change(line int, field, from, to, why string) {
	f.changes = append(f.changes, Change{Line: line, Field: field, From: from, To: to, Why: why})
}

// replacement makes the claim a replacement or void of the payer's claim.
func (f *fixer) replacement(freq string) {
	c := f.c
	f.change(0, "frequency", c.FrequencyCode, freq, map[string]string{
		FrequencyReplacement: "a replacement of the claim the payer processed",
		FrequencyVoid:        "a void of the claim the payer processed"}[freq])
	c.FrequencyCode = freq
	f.change(0, "ref_f8", c.PayerClaimControlNumber, f.d.PayerControl, "the payer claim control number of the claim replaced (CLP07 of the latest 835)")
	c.PayerClaimControlNumber = f.d.PayerControl
	rev := max(f.d.Revision, 1)
	for i, l := range c.Lines {
		l.Number = i + 1
		base := l.LineControlNumber
		if base == "" {
			base = c.PatientControlNumber + "-" + strconv.Itoa(i+1)
		} else if j := strings.LastIndex(base, ".R"); j > 0 {
			base = base[:j]
		}
		id := base + ".R" + strconv.Itoa(rev)
		if len(id) > 50 {
			id = id[len(id)-50:]
		}
		if i > 0 && c.Lines[i-1].LineControlNumber == id { // a split line's twin
			id = base + ".R" + strconv.Itoa(rev) + "B"
		}
		f.change(i+1, "line_control", l.LineControlNumber, id, "new line item control number (REF*6R) for the replacement's line")
		l.LineControlNumber = id
	}
	var total money.Amount
	for _, l := range c.Lines {
		total += l.Charge
	}
	c.TotalCharge = total
}

// lineAt is the line of c with billed LX n.
func (f *fixer) lineAt(n int) (int, *x12.ServiceLine) {
	for i, l := range f.c.Lines {
		if l.Number == n {
			return i, l
		}
	}
	return -1, nil
}

func (f *fixer) hasCARC(codes ...string) bool {
	for _, a := range f.d.CARC {
		_, r, _ := strings.Cut(a, "-")
		if slices.Contains(codes, r) {
			return true
		}
	}
	return false
}

func (f *fixer) hasRARC(codes ...string) bool {
	for _, r := range f.d.RARC {
		if slices.Contains(codes, r) {
			return true
		}
	}
	return false
}

func (f *fixer) proc(code string) rules.Proc {
	p, _ := f.set.Procedure(code)
	return p
}

func isEM(code string) bool {
	return len(code) == 5 && (strings.HasPrefix(code, "992") || strings.HasPrefix(code, "993"))
}

func mods(l *x12.ServiceLine) string { return strings.Join(l.Procedure.Modifiers, ",") }

func setMods(l *x12.ServiceLine, m []string) {
	if len(m) > 4 {
		m = m[:4]
	}
	l.Procedure.Modifiers = m
	if len(m) == 0 {
		l.Procedure.Modifiers = nil
	}
}

func without(m []string, drop ...string) []string {
	var out []string
	for _, x := range m {
		if !slices.Contains(drop, x) {
			out = append(out, x)
		}
	}
	return out
}

func sameDay(a, b *x12.ServiceLine) bool { return a.ServiceFrom == b.ServiceFrom }

// distinctModifier is the NCCI modifier the payer takes for a distinct
// service: XU under Medicare, else 59.
func (f *fixer) distinctModifier() string {
	if f.p != nil && strings.HasPrefix(strings.ToLower(f.p.Plan), "medicare") {
		return "XU"
	}
	return "59"
}

func (f *fixer) bilateralForm() string {
	if f.p == nil {
		return rules.Bilateral50
	}
	form := f.p.Bilateral
	if f.c.PlaceOfService == "24" && f.p.ASCBilateral != "" && f.c.FacilityCodeQualifier != "B" {
		form = f.p.ASCBilateral
	}
	return form
}

// modifier fixes a modifier denial on the denied line.
func (f *fixer) modifier() error {
	i, l := f.lineAt(f.d.Line)
	if l == nil {
		return ErrNoLine
	}
	n := f.d.Line
	code, m := l.Procedure.Code, l.Procedure.Modifiers
	pr := f.proc(code)
	has := func(x string) bool { return slices.Contains(m, x) }
	switch {
	case has("50") && (pr.Bilateral < 0 || code == "20552" || code == "20553" || isEM(code)):
		from := mods(l)
		setMods(l, without(m, "50"))
		f.change(n, "modifiers", from, mods(l), "modifier 50 is never billed on this code")
	case has("50") && (has("LT") || has("RT")):
		from := mods(l)
		setMods(l, without(m, "LT", "RT"))
		f.change(n, "modifiers", from, mods(l), "LT/RT and 50 never go on one line")
	case has("50") && f.bilateralForm() == rules.BilateralLTRT:
		from := mods(l)
		right := *l
		right.Procedure.Modifiers = append(without(m, "50"), "RT")
		left := right
		left.Procedure.Modifiers = append(without(m, "50"), "LT")
		half := l.Charge / 2
		right.Charge, left.Charge = l.Charge-half, half
		f.c.Lines = slices.Insert(slices.Delete(f.c.Lines, i, i+1), i, &right, &left)
		f.change(n, "modifiers", from, mods(&right)+" + "+mods(&left), "the payer takes bilateral services as RT and LT lines")
		f.change(n, "line", "", "added LT line", "the left side on its own line")
		f.change(n, "charge", l.Charge.String(), right.Charge.String()+" + "+left.Charge.String(), "the bilateral charge split over the two lines")
	case has("50") && f.bilateralForm() == rules.BilateralUnits:
		from, fromU := mods(l), l.Units
		setMods(l, without(m, "50"))
		l.Units = 2000
		f.change(n, "modifiers", from, mods(l), "the payer takes bilateral services as one line with 2 units")
		f.change(n, "units", fromU.String(), l.Units.String(), "2 units for the two sides")
	case (has("LT") || has("RT")) && pr.Bilateral > 0 && f.bilateralForm() == rules.Bilateral50:
		side, other := "RT", "LT"
		if has("LT") {
			side, other = "LT", "RT"
		}
		for j, o := range f.c.Lines {
			if j != i && o.Procedure.Code == code && sameDay(o, l) && slices.Contains(o.Procedure.Modifiers, other) {
				from := mods(l)
				setMods(l, append(without(m, side), "50"))
				l.Charge += o.Charge
				f.change(n, "modifiers", from, mods(l), "the payer takes bilateral services as one line with 50")
				f.change(o.Number, "line", "line", "", "the other side is on the 50 line")
				f.c.Lines = slices.Delete(f.c.Lines, j, j+1)
				return nil
			}
		}
		return f.resend(l, side)
	case isEM(code) && f.otherProcedureSameDay(i):
		if has("25") {
			return f.resend(l, "25")
		}
		from := mods(l)
		setMods(l, append(slices.Clone(m), "25"))
		f.change(n, "modifiers", from, mods(l), "a significant, separately identifiable E/M on the day of a procedure takes 25")
	case pr.Family == "trigger_point" && f.facetSameDay(i):
		dm := f.distinctModifier()
		if has(dm) || has("59") || has("XU") {
			return f.resend(l, dm)
		}
		from := mods(l)
		setMods(l, append(slices.Clone(m), dm))
		f.change(n, "modifiers", from, mods(l), "facet and trigger point injections on one date take "+dm)
	case len(m) > 0:
		return f.resend(l, m[0])
	default:
		return ErrNoFix
	}
	return nil
}

// resend corrects a line whose modifier was right as billed (the payer
// dropped or misread it): the same line, with a note the payer reads.
func (f *fixer) resend(l *x12.ServiceLine, mod string) error {
	text := "CORRECTED CLAIM: MODIFIER " + mod + " APPLIES AS BILLED"
	l.Notes = append(slices.Clone(l.Notes), x12.Note{Code: "ADD", Text: text})
	f.change(l.Number, "note", "", text, "the line already carries "+mod+": the correction resends it with a note (NTE*ADD)")
	return nil
}

func (f *fixer) otherProcedureSameDay(i int) bool {
	for j, o := range f.c.Lines {
		if j != i && sameDay(o, f.c.Lines[i]) && !isEM(o.Procedure.Code) && !strings.HasPrefix(o.Procedure.Code, "J") {
			return true
		}
	}
	return false
}

func (f *fixer) facetSameDay(i int) bool {
	for j, o := range f.c.Lines {
		if fam := f.proc(o.Procedure.Code).Family; j != i && sameDay(o, f.c.Lines[i]) && strings.HasPrefix(fam, "facet") {
			return true
		}
	}
	return false
}

// neverWith are codes never billed with another code of the claim on one
// date (DESIGN.md: 77003 with 62321/62323/64633–64636).
var neverWith = map[string][]string{"77003": {"62321", "62323", "64633", "64634", "64635", "64636"}}

// bundling fixes an NCCI or bundling denial on the denied line.
func (f *fixer) bundling() error {
	i, l := f.lineAt(f.d.Line)
	if l == nil {
		return ErrNoLine
	}
	for _, o := range f.c.Lines {
		if o != l && sameDay(o, l) && slices.Contains(neverWith[l.Procedure.Code], o.Procedure.Code) {
			f.change(l.Number, "line", l.Procedure.Code, "", "never billed with "+o.Procedure.Code+" on one date: the line is removed")
			f.c.Lines = slices.Delete(f.c.Lines, i, i+1)
			return nil
		}
	}
	dm := f.distinctModifier()
	m := l.Procedure.Modifiers
	if slices.Contains(m, "59") || slices.Contains(m, "XU") || slices.Contains(m, "XS") || slices.Contains(m, "XE") || slices.Contains(m, "XP") {
		return f.resend(l, dm)
	}
	for _, o := range f.c.Lines {
		if o != l && sameDay(o, l) && (f.set.Bundles(o.Procedure.Code, l.Procedure.Code) || f.proc(o.Procedure.Code).Family != f.proc(l.Procedure.Code).Family) {
			if isEM(l.Procedure.Code) {
				if slices.Contains(m, "25") {
					return f.resend(l, "25")
				}
				dm = "25"
			}
			from := mods(l)
			setMods(l, append(slices.Clone(m), dm))
			f.change(l.Number, "modifiers", from, mods(l), "a distinct service on the same date as "+o.Procedure.Code+" takes "+dm)
			return nil
		}
	}
	return ErrNoFix
}

// missing fixes a missing-data denial from what its remark names.
func (f *fixer) missing() error {
	lines := f.c.Lines
	if f.d.Line > 0 {
		_, l := f.lineAt(f.d.Line)
		if l == nil {
			return ErrNoLine
		}
		lines = []*x12.ServiceLine{l}
	}
	switch {
	case f.hasRARC("N290", "N253", "N286"):
		r := f.c.Rendering
		if r == nil || r.NPI == "" {
			return fmt.Errorf("%w: the rendering provider's NPI is not on the billed claim", ErrNoFix)
		}
		for _, l := range lines {
			if l.Rendering == nil || l.Rendering.NPI == "" {
				rp := *r
				l.Rendering = &rp
				f.change(l.Number, "rendering", "", "2420A NM1*82 (the claim's rendering provider)", "the remark asks for the rendering provider's NPI: it is sent on the line too")
			}
		}
	case f.hasRARC("M76", "M81", "MA63") || f.hasCARC("11"):
		for _, l := range lines {
			valid := len(l.DiagnosisPointers) > 0
			for _, p := range l.DiagnosisPointers {
				if p < 1 || p > len(f.c.Diagnoses) {
					valid = false
				}
			}
			if !valid && len(f.c.Diagnoses) > 0 {
				from := fmt.Sprint(l.DiagnosisPointers)
				l.DiagnosisPointers = []int{1}
				f.change(l.Number, "diagnosis_pointers", from, "[1]", "the line's diagnosis pointers named no diagnosis of the claim: pointed to the principal")
			}
		}
	case f.hasRARC("M53"):
		for _, l := range lines {
			if l.Units <= 0 {
				from := l.Units.String()
				l.Units = 1000
				f.change(l.Number, "units", from, "1", "the remark asks for the days or units of service")
			}
		}
	default:
		return fmt.Errorf("%w: the remark codes name no field remitq can fill", ErrNoFix)
	}
	if len(f.changes) == 0 {
		return fmt.Errorf("%w: the field the remark names is already on the claim", ErrNoFix)
	}
	return nil
}
