package rules

import (
	"errors"
	"time"

	"github.com/remitq/remitq/pkg/day"
)

// Day is the one calendar-date type (pkg/day). The zero Day is "no date";
// lines without a date of service are not checked against windows.
type Day = day.Day

// ErrDate reports text that is not a date YYYY-MM-DD or CCYYMMDD.
var ErrDate = errors.New("expected a date YYYY-MM-DD or CCYYMMDD")

// ParseDay reads a date in the form YYYY-MM-DD (x12.Date) or CCYYMMDD.
func ParseDay(s string) (Day, error) {
	d, err := day.Parse(s)
	if err != nil || d.IsZero() {
		return 0, ErrDate
	}
	return d, nil
}

// MustDay is ParseDay for constants in tests and examples; it panics on a bad date.
func MustDay(s string) Day {
	d, err := ParseDay(s)
	if err != nil {
		panic("rules: MustDay(" + s + "): " + err.Error())
	}
	return d
}

// DayOf returns the calendar day of t (in t's location).
func DayOf(t time.Time) Day { return day.Of(t) }

// inWindow reports whether prior falls in the rolling window of days ending
// at dos: prior is on dos or at most days before it. With days = 365 a
// session exactly 365 days before the date of service counts and one 366
// days before does not.
func inWindow(prior, dos Day, days int) bool {
	return prior <= dos && int(dos-prior) <= days
}
