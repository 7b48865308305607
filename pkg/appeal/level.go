package appeal

import (
	"strings"

	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/rules"
)

// Level is the appeal level a packet requests.
type Level struct {
	Number int // 1 for the first level of the profile
	Name   string
	Days   int
	From   string // initial_determination, prior_decision or service_date
	Source string
}

// Addressee is who receives the packet.
type Addressee struct {
	Name string
	// Address is the appeals address, or where to find it when the
	// profile names none.
	Address string
	Fax     string
	Portal  string
	Phone   string
}

// Deadline is when the request is due and whether it is late. The window
// counts from the date of the event itself (the remittance for an initial
// determination), not from its presumed receipt five days later (42 CFR
// 405.942(a)(1)): the earlier, safer date.
type Deadline struct {
	Date     day.Day
	Counted  day.Day // the date the window counts from
	DaysLeft int     // negative when late
	Late     bool
}

// nextLevel picks the level after those used.
func nextLevel(f *Facts) (Level, error) {
	if f.LevelsUsed < 0 || f.LevelsUsed >= len(f.Profile.Appeals) {
		return Level{}, fail(ErrNoLevelLeft, 0, "profile "+f.Profile.ID+" has "+itoa(len(f.Profile.Appeals))+
			" level(s), "+itoa(f.LevelsUsed)+" used")
	}
	a := f.Profile.Appeals[f.LevelsUsed]
	return Level{Number: f.LevelsUsed + 1, Name: a.Name, Days: a.Days, From: a.From, Source: a.Source}, nil
}

// isMedicare reports traditional Medicare (Part B).
func isMedicare(p *rules.Profile) bool { return p.Plan == rules.PlanMedicare }

// redetermination reports the Medicare first level, the one CMS-20027 asks.
func redetermination(p *rules.Profile, l Level) bool {
	return isMedicare(p) && l.Number == 1
}

// addressee names who decides the level: for Medicare the MAC, then the
// QIC, then OMHA; for the other plans the payer (Medicare Advantage: the
// plan) at its appeals address.
func addressee(f *Facts, l Level) Addressee {
	c := f.Profile.Contact
	a := Addressee{Name: f.Payer.Name, Address: c.AppealAddress, Fax: c.Fax, Portal: c.Portal, Phone: c.Phone}
	if a.Name == "" {
		a.Name = f.Profile.Name
	}
	if isMedicare(&f.Profile) {
		name := strings.ToLower(l.Name)
		switch {
		case l.Number == 1 || strings.Contains(name, "redetermination"):
			mac := f.Profile.MAC
			if mac == "" {
				mac = f.Payer.Name
			}
			a.Name = "Medicare Administrative Contractor " + strings.TrimSpace(mac) + " (redeterminations)"
		case strings.Contains(name, "qic") || strings.Contains(name, "reconsideration"):
			a = Addressee{Name: "Qualified Independent Contractor (QIC), Part B",
				Address: "the QIC address printed on the redetermination decision"}
		case strings.Contains(name, "alj"):
			a = Addressee{Name: "Office of Medicare Hearings and Appeals (OMHA)",
				Address: "the OMHA address printed on the reconsideration decision"}
		}
	}
	if a.Address == "" {
		a.Address = "the appeals address on the payer's remittance or provider manual"
	}
	return a
}

// deadline counts the level's window from its event.
func deadline(f *Facts, l Level, today day.Day) (Deadline, error) {
	var from day.Day
	switch l.From {
	case "prior_decision":
		from = f.PriorDecisionDate
		if from.IsZero() {
			return Deadline{}, fail(ErrMissingFact, 0, "the date of the prior appeal decision (level "+l.Name+" counts from it)")
		}
	case "service_date":
		from = firstDate(f.Lines)
	default:
		from = f.DenialDate
		if from.IsZero() {
			from = f.Claim.RemitDate
		}
	}
	if from.IsZero() {
		return Deadline{}, fail(ErrMissingFact, 0, "the denial date (or the remittance date)")
	}
	d := Deadline{Date: from.AddDays(l.Days), Counted: from}
	if !today.IsZero() {
		d.DaysLeft = today.DaysUntil(d.Date)
		d.Late = d.DaysLeft < 0
	}
	return d, nil
}

func firstDate(ls []DeniedLine) day.Day {
	var d day.Day
	for _, l := range ls {
		if !l.Date.IsZero() && (d.IsZero() || l.Date.Time().Before(d.Time())) {
			d = l.Date
		}
	}
	return d
}
