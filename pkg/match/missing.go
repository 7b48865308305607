package match

import (
	"slices"
	"time"

	"github.com/remitq/remitq/pkg/billed"
	"github.com/remitq/remitq/x12"
)

// DefaultMissingDays is how long after billing a claim without any remit
// is listed as missing, unless the payer's profile says otherwise.
const DefaultMissingDays = 30

// RemitLog keeps, in memory, each payer's last remittance date and which
// billed claims have had a remit, to list missing remits. The database keeps
// the same facts in tables; this is the definition they follow.
type RemitLog struct {
	last     map[string]x12.Date
	remitted map[string]bool
}

// NewRemitLog returns an empty log.
func NewRemitLog() *RemitLog {
	return &RemitLog{last: map[string]x12.Date{}, remitted: map[string]bool{}}
}

// Observe notes a matched paid claim received on date (the remittance's
// production or payment date).
func (l *RemitLog) Observe(r *ClaimResult, date x12.Date) {
	if date > l.last[r.Payer] {
		l.last[r.Payer] = date
	}
	if r.Billed != nil {
		l.remitted[key2(r.Practice, r.Billed.PatientControl)] = true
	}
}

// LastRemittance returns the payer's last remittance date.
func (l *RemitLog) LastRemittance(payer string) (x12.Date, bool) {
	d, ok := l.last[payer]
	return d, ok
}

// Payers returns the payers seen, sorted.
func (l *RemitLog) Payers() []string {
	out := make([]string, 0, len(l.last))
	for p := range l.last {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// MissingRemit is a billed claim with no remit past its payer's window.
type MissingRemit struct {
	Practice       string   `json:"practice"`
	PatientControl string   `json:"patient_control"`
	Payer          string   `json:"payer"`
	BilledDate     x12.Date `json:"billed_date"`
	DaysOut        int      `json:"days_out"`
}

// Missing lists the billed claims billed more than the payer's number of
// days before asOf (days by billed payer id; DefaultMissingDays otherwise)
// that no remit has matched. The billed date is BilledDate, else the first
// service date.
func (l *RemitLog) Missing(claims []*billed.Claim, asOf x12.Date, days map[string]int) []MissingRemit {
	now := asOf.Time()
	var out []MissingRemit
	for _, c := range claims {
		if l.remitted[key2(c.Practice, c.PatientControl)] {
			continue
		}
		d := c.BilledDate
		if d == "" {
			d = c.ServiceDateFrom()
		}
		if d == "" {
			continue
		}
		limit, ok := days[c.PayerID]
		if !ok {
			limit = DefaultMissingDays
		}
		out2 := int(now.Sub(d.Time()) / (24 * time.Hour))
		if out2 > limit {
			out = append(out, MissingRemit{Practice: c.Practice, PatientControl: c.PatientControl, Payer: c.PayerID,
				BilledDate: d, DaysOut: out2})
		}
	}
	return out
}
