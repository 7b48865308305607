package appeal

import (
	"slices"
	"strings"

	"github.com/remitq/remitq/carc"
	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/rules"
)

// Packet is a built appeal: the level, addressee and deadline, one argument
// per denied line, the records to attach and, for a Medicare
// redetermination, the CMS-20027 fields. Text and WritePDF render it.
type Packet struct {
	Facts     Facts
	Today     day.Day // the letter's date
	Level     Level
	Addressee Addressee
	Deadline  Deadline
	Subject   string
	Arguments []Argument
	Checklist []Item
	// Form is the CMS-20027 fields of a Medicare redetermination (nil for
	// other levels and plans).
	Form *CMS20027
	// Warnings are facts the biller should check before sending (a late
	// request without a reason, a relief percentage not recorded).
	Warnings []string
}

// Build makes the packet for the next appeal level of f.Profile after
// f.LevelsUsed, dated today. It returns a *BuildError (wrapping
// ErrNoDeniedLine, ErrNotAppealable, ErrNoLevelLeft, ErrMissingFact or
// ErrUnsupported) when it cannot write an honest packet; the error names
// the line and what is missing, never the patient.
func Build(f Facts, today day.Day) (Packet, error) {
	return build(f, today, rules.Default())
}

func build(f Facts, today day.Day, set *rules.Set) (Packet, error) {
	if len(f.Lines) == 0 {
		return Packet{}, fail(ErrNoDeniedLine, 0, "Facts.Lines is empty")
	}
	if today.IsZero() {
		return Packet{}, fail(ErrMissingFact, 0, "the letter's date (today)")
	}
	f.Lines = slices.Clone(f.Lines) // numbered below: the caller's slice stays as it was
	if err := required(&f); err != nil {
		return Packet{}, err
	}
	for i := range f.Lines {
		l := &f.Lines[i]
		if l.Number <= 0 {
			l.Number = i + 1
		}
		if ok, why := appealable(l.Cause); !ok {
			return Packet{}, fail(ErrNotAppealable, l.Number, why)
		}
	}
	lvl, err := nextLevel(&f)
	if err != nil {
		return Packet{}, err
	}
	dl, err := deadline(&f, lvl, today)
	if err != nil {
		return Packet{}, err
	}
	p := Packet{Facts: f, Today: today, Level: lvl, Addressee: addressee(&f, lvl), Deadline: dl}
	for i := range p.Facts.Lines {
		a, w, err := argue(&p.Facts, &p.Facts.Lines[i], set)
		if err != nil {
			return Packet{}, err
		}
		p.Arguments = append(p.Arguments, a)
		p.Warnings = appendNew(p.Warnings, w...)
	}
	if _, ok := citable(lvl.Source); !ok {
		p.Warnings = append(p.Warnings, "the "+itoa(lvl.Days)+"-day "+lvl.Name+" window is not verified ("+lvl.Source+"): confirm it with the payer or the contract")
	}
	if dl.Late {
		w := "the request is " + itoa(-dl.DaysLeft) + " day(s) past the " + lvl.Name + " deadline " + dl.Date.String()
		if f.LateReason == "" {
			w += " and no good-cause reason is given"
		}
		p.Warnings = append(p.Warnings, w)
	}
	form := redetermination(&f.Profile, lvl)
	p.Checklist = checklist(&p.Facts, set, form, lvl)
	if form {
		p.Form = cms20027(&p, set)
	}
	p.Subject = "Request for " + lvl.Name + " - claim " + f.Claim.PatientControlNumber
	return p, nil
}

// required checks the facts every letter needs.
func required(f *Facts) error {
	miss := func(what string) error { return fail(ErrMissingFact, 0, what) }
	switch {
	case f.Practice.Name == "":
		return miss("the practice's name")
	case f.Provider.Name == "" || f.Provider.NPI == "":
		return miss("the rendering provider's name and NPI")
	case f.Payer.Name == "" && f.Profile.Name == "":
		return miss("the payer's name")
	case f.Profile.ID == "":
		return miss("the payer profile")
	case f.Patient.Name == "" || f.Patient.MemberID == "":
		return miss("the patient's name and member id (required by the payer on the letter)")
	case f.Claim.PatientControlNumber == "":
		return miss("the claim's patient control number")
	}
	for i, l := range f.Lines {
		if l.Procedure == "" || l.Date.IsZero() {
			n := l.Number
			if n <= 0 {
				n = i + 1
			}
			return fail(ErrMissingFact, n, "the line's procedure code and date of service")
		}
	}
	return nil
}

// cms20027 fills the redetermination request's fields.
func cms20027(p *Packet, set *rules.Set) *CMS20027 {
	f := &p.Facts
	c := &CMS20027{
		BeneficiaryName: f.Patient.Name, MedicareNumber: f.Patient.MemberID,
		InitialDetermination: p.Deadline.Counted.String(), ClaimNumber: f.Claim.PayerClaimControlNumber,
		Contractor: strings.TrimSpace(f.Profile.MAC), LateReason: f.LateReason,
		RequesterName: f.Practice.Name + " for " + f.Provider.Name, RequesterRole: "provider (the supplier of the services)",
		RequesterAddress: strings.Join(f.Practice.Address, ", "), RequesterPhone: f.Practice.Phone, RequesterNPI: f.Provider.NPI,
	}
	var why []string
	for i := range f.Lines {
		l := &f.Lines[i]
		svc := codeLabel(l.Procedure, l.Modifiers)
		if pr, ok := set.Procedure(l.Procedure); ok && pr.Description != "" {
			svc += " " + pr.Description
		}
		c.ItemOrService = append(c.ItemOrService, svc)
		c.DatesOfService = appendNew(c.DatesOfService, l.Date.String())
		why = append(why, "Line "+itoa(l.Number)+" ("+l.Procedure+"): "+summary(l))
	}
	c.Disagree = strings.Join(why, " ") + " See the attached letter."
	for _, it := range p.Checklist {
		c.Evidence = append(c.Evidence, it.Text)
	}
	return c
}

// summary is one sentence of why the line should be paid.
func summary(l *DeniedLine) string {
	ev := &l.Evidence
	switch l.Cause.Category {
	case carc.Authorization:
		if ev.Auth != nil {
			return "authorization " + ev.Auth.Number + " on file covers the date of service and the code."
		}
	case carc.MedicalNecessity, carc.NonCovered:
		if len(ev.Blocks) >= 2 {
			return "two diagnostic medial branch blocks preceded the RFA as the LCD requires."
		}
		if ev.LCD != nil {
			return "the record meets the criteria of " + ev.LCD.ID + "."
		}
	case carc.CodingBundling, carc.Modifier:
		if ev.NCCI != nil {
			return "the services were distinct and modifier " + ev.NCCI.Modifier + " bypasses the NCCI edit (indicator 1)."
		}
		if ev.AddOn != nil {
			return "the add-on was billed with its primary " + ev.AddOn.Primary + "."
		}
		return "modifier 50 with 1 unit is the bilateral form for this code."
	case carc.FrequencyLimit:
		return "the sessions in the rolling 12 months are within the limit."
	case carc.Underpayment:
		return "add-on codes are exempt from the multiple-procedure reduction."
	}
	return "the denial is in error; see the letter."
}

// deniedTotal adds the billed amounts of the appealed lines.
func (p *Packet) deniedTotal() money.Amount {
	var t money.Amount
	for _, l := range p.Facts.Lines {
		t += l.Billed
	}
	return t
}

// String summarises the packet without patient identity.
func (p Packet) String() string {
	s := "appeal packet: " + p.Level.Name + " to " + p.Addressee.Name + ", claim " + p.Facts.Claim.PatientControlNumber +
		", " + itoa(len(p.Arguments)) + " line(s), due " + p.Deadline.Date.String()
	if p.Deadline.Late {
		s += " (late)"
	}
	return s
}
