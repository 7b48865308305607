package route

import (
	"github.com/remitq/remitq/carc"
	"github.com/remitq/remitq/pkg/money"
)

// DefaultRecoverability is the share (percent) of the amount at risk a
// billing team typically recovers when it works a denial of each category.
// These are planning estimates, not measurements: tune them per client with
// Config.Recoverability once appeal outcomes are recorded.
var DefaultRecoverability = map[carc.Category]int{
	carc.MissingClaimData:       90, // fix the field, resubmit: nearly always paid
	carc.Modifier:               85, // corrected claim with the right modifier
	carc.Underpayment:           80, // contract rate is on paper
	carc.CoordinationOfBenefits: 75, // bill the right payer first
	carc.ProviderEnrollment:     60, // paid once enrollment is fixed, if retro dates allow
	carc.EligibilityCoverage:    50, // other coverage or the patient
	carc.MedicalNecessity:       45, // appeal with notes
	carc.CodingBundling:         40, // often right; sometimes a missed 59/XU
	carc.Other:                  40,
	carc.Authorization:          35, // retro-auth is rarely granted
	carc.FrequencyLimit:         20, // caps are caps unless miscounted
	carc.TimelyFiling:           15, // only with proof of timely filing
	carc.NonCovered:             15, // patient with a waiver, else lost
	carc.Duplicate:              10, // usually a true duplicate
}

// unmatchedRecoverability: money already received is always worth posting.
const unmatchedRecoverability = 100

// Urgency returns the deadline factor in percent for a deadline daysLeft
// days away: 300 within a week, 250 within two weeks, 200 within 30 days,
// 130 within 60, 100 beyond, and 25 once the deadline has passed (the work
// is mostly lost; it stays visible at the bottom).
func Urgency(daysLeft int) int {
	switch {
	case daysLeft < 0:
		return 25
	case daysLeft <= 7:
		return 300
	case daysLeft <= 14:
		return 250
	case daysLeft <= 30:
		return 200
	case daysLeft <= 60:
		return 130
	}
	return 100
}

// Priority is the work item's sort key, higher first:
//
//	priority = whole dollars at risk × recoverability% × Urgency(daysLeft)% / 10 000
//
// so 1,000.00 at risk in a 90 % category with 89 days left is 900, and the
// same denial one week before its deadline is 2,700. It is at least 1 for
// any work item, so nothing ranks below lines that need no work.
func Priority(atRisk money.Amount, recoverability, daysLeft int) int {
	dollars := int64(atRisk) / 100
	if dollars < 0 {
		dollars = -dollars
	}
	const limit = int64(1) << 40 // keep the product far from overflow
	if dollars > limit {
		dollars = limit
	}
	p := dollars * int64(recoverability) * int64(Urgency(daysLeft)) / 10000
	if p < 1 {
		p = 1
	}
	return int(p)
}
