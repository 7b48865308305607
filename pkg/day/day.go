// Package day is remitq's one calendar-date type: a Day is a date without
// time of day or zone, counted in days so that windows, ages and deadlines
// are integer arithmetic ("rolling 12 months", "120 days from the remit
// date"). The zero Day means "no date": it prints as "", is NULL in
// PostgreSQL and null in JSON, so an absent date of service or deadline is
// never mistaken for a real one (1970-01-01 is a valid Day, as a birth date
// may be).
//
// Text forms: YYYY-MM-DD (ISO, the API and proto form) and CCYYMMDD (X12)
// are read; YYYY-MM-DD is written.
package day

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"time"
)

// Day is a calendar date as a day number: 0001-01-02 is 2, and the zero Day
// (0001-01-01, the zero time.Time) is "no date".
type Day int32

// unixOffset is the Day of 1970-01-01 less zero: days from 0001-01-01 to
// 1970-01-01, plus one so that 0001-01-01 is 1.
const unixOffset = 719163

// ErrFormat reports text that is neither YYYY-MM-DD nor CCYYMMDD.
var ErrFormat = errors.New("day: expected a date YYYY-MM-DD or CCYYMMDD")

// Of returns the calendar date of t in t's own location; the zero time
// gives the zero Day.
func Of(t time.Time) Day {
	if t.IsZero() {
		return 0
	}
	y, m, d := t.Date()
	return New(y, m, d)
}

// New returns the date y-m-d, normalized like time.Date (month 13 is
// January of the next year).
func New(y int, m time.Month, d int) Day {
	u := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix()
	return Day(floorDiv(u, 86400) + unixOffset)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// Parse reads YYYY-MM-DD or CCYYMMDD of a year 1 to 9999; "" is the zero Day. The error is
// ErrFormat, without the text (a date may be a birth date).
func Parse(s string) (Day, error) {
	if s == "" {
		return 0, nil
	}
	layout := time.DateOnly
	if len(s) == 8 {
		layout = "20060102"
	}
	t, err := time.Parse(layout, s)
	if err != nil || t.Year() < 1 {
		// Never the text: a date may be a birth date (PHI). Year 0 parses
		// in Go but PostgreSQL refuses it (a request answered 500).
		return 0, ErrFormat
	}
	return Of(t), nil
}

// ParseSet is Parse for a date that must be there: "" is an error too
// (ErrFormat).
func ParseSet(s string) (Day, error) {
	if s == "" {
		return 0, fmt.Errorf("%w: the date is missing", ErrFormat)
	}
	return Parse(s)
}

// Must is Parse for constants in tests and examples; it panics on a bad
// date.
func Must(s string) Day {
	d, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return d
}

// Today is the date of now in UTC.
func Today() Day { return Of(time.Now().UTC()) }

// IsZero reports the zero Day ("no date").
func (d Day) IsZero() bool { return d == 0 }

// Time returns the date at midnight UTC, or the zero time for the zero Day.
func (d Day) Time() time.Time {
	if d == 0 {
		return time.Time{}
	}
	return time.Unix((int64(d)-unixOffset)*86400, 0).UTC()
}

// AddDays returns the date n days later (earlier when n < 0); the zero Day
// stays zero.
func (d Day) AddDays(n int) Day {
	if d == 0 {
		return 0
	}
	return d + Day(n)
}

// DaysUntil returns the number of days from d to e (negative when e is
// earlier).
func (d Day) DaysUntil(e Day) int { return int(e - d) }

// Weekday returns the day of the week of d.
func (d Day) Weekday() time.Weekday { return d.Time().Weekday() }

// String prints YYYY-MM-DD, or "" for the zero Day.
func (d Day) String() string {
	var b [10]byte
	return string(d.AppendText(b[:0]))
}

// AppendText appends the String form to b.
func (d Day) AppendText(b []byte) []byte {
	if d == 0 {
		return b
	}
	y, m, dd := d.Time().Date()
	if y < 0 || y > 9999 {
		return d.Time().AppendFormat(b, time.DateOnly)
	}
	return append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+int(m)/10), byte('0'+int(m)%10), '-', byte('0'+dd/10), byte('0'+dd%10))
}

// MarshalText writes YYYY-MM-DD ("" for the zero Day).
func (d Day) MarshalText() ([]byte, error) { return d.AppendText(nil), nil }

// UnmarshalText reads YYYY-MM-DD or CCYYMMDD ("" is the zero Day).
func (d *Day) UnmarshalText(b []byte) error {
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalJSON writes "YYYY-MM-DD", or null for the zero Day.
func (d Day) MarshalJSON() ([]byte, error) {
	if d == 0 {
		return []byte("null"), nil
	}
	b := append([]byte{'"'}, d.AppendText(nil)...)
	return append(b, '"'), nil
}

// UnmarshalJSON reads "YYYY-MM-DD", "CCYYMMDD", "" or null.
func (d *Day) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		*d = 0
		return nil
	}
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return errors.New("day: a date is a JSON string YYYY-MM-DD")
	}
	return d.UnmarshalText(b[1 : len(b)-1])
}

// Scan implements sql.Scanner: a PostgreSQL date (time.Time), its text, or
// NULL (the zero Day).
func (d *Day) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d = 0
	case time.Time:
		*d = New(v.Year(), v.Month(), v.Day())
	case string:
		return d.scanText(v)
	case []byte:
		return d.scanText(string(v))
	default:
		return fmt.Errorf("day: cannot scan %T into a date", src)
	}
	return nil
}

func (d *Day) scanText(s string) error {
	if len(s) > 10 {
		s = s[:10] // a timestamp's date part
	}
	return d.UnmarshalText([]byte(s))
}

// Value implements driver.Valuer: YYYY-MM-DD, or NULL for the zero Day.
func (d Day) Value() (driver.Value, error) {
	if d == 0 {
		return nil, nil
	}
	return d.String(), nil
}
