package rules

import (
	"errors"
	"time"
)

// Day is a calendar date as a day number: days since 1970-01-01. Window
// arithmetic on days is plain integer arithmetic. The zero Day is
// 1970-01-01; lines without a date of service are not checked against
// windows.
type Day int32

// ErrDate reports text that is not a date YYYY-MM-DD or CCYYMMDD.
var ErrDate = errors.New("expected a date YYYY-MM-DD or CCYYMMDD")

// ParseDay reads a date in the form YYYY-MM-DD (x12.Date) or CCYYMMDD.
func ParseDay(s string) (Day, error) {
	layout := time.DateOnly
	if len(s) == 8 {
		layout = "20060102"
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return 0, ErrDate
	}
	return DayOf(t), nil
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
func DayOf(t time.Time) Day {
	y, m, d := t.Date()
	return Day(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// Time returns the day at midnight UTC.
func (d Day) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// String returns the day as YYYY-MM-DD.
func (d Day) String() string { return d.Time().Format(time.DateOnly) }

// MarshalText writes the day as YYYY-MM-DD.
func (d Day) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a day written as YYYY-MM-DD or CCYYMMDD.
func (d *Day) UnmarshalText(b []byte) error {
	v, err := ParseDay(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// inWindow reports whether prior falls in the rolling window of days ending
// at dos: prior is on dos or at most days before it. With days = 365 a
// session exactly 365 days before the date of service counts and one 366
// days before does not.
func inWindow(prior, dos Day, days int) bool {
	return prior <= dos && int(dos-prior) <= days
}
