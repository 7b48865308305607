package rules

import (
	"github.com/remitq/remitq/pkg/day"
)

// inWindow reports whether prior falls in the rolling window of days ending
// at dos: prior is on dos or at most days before it. With days = 365 a
// session exactly 365 days before the date of service counts and one 366
// days before does not.
func inWindow(prior, dos day.Day, days int) bool {
	return prior <= dos && int(dos-prior) <= days
}
