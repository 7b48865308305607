package route

import (
	"fmt"
	"time"
)

// Date is a calendar date without time of day or zone, printed YYYY-MM-DD.
// The zero Date is "no date" and prints as "".
type Date struct{ t time.Time } // midnight UTC

// NewDate returns the date y-m-d (normalized like time.Date).
func NewDate(y int, m time.Month, d int) Date { return Date{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)} }

// DateOf returns the calendar date of t in t's own location.
func DateOf(t time.Time) Date {
	if t.IsZero() {
		return Date{}
	}
	y, m, d := t.Date()
	return NewDate(y, m, d)
}

// ParseDate reads YYYY-MM-DD (the X12 and proto form) or CCYYMMDD; "" is the
// zero Date.
func ParseDate(s string) (Date, error) {
	if s == "" {
		return Date{}, nil
	}
	layout := time.DateOnly
	if len(s) == 8 {
		layout = "20060102"
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return Date{}, fmt.Errorf("route: date %q: %w", s, err)
	}
	return Date{t}, nil
}

// IsZero reports the zero Date.
func (d Date) IsZero() bool { return d.t.IsZero() }

// Time returns the date at midnight UTC.
func (d Date) Time() time.Time { return d.t }

// AddDays returns the date n days later (earlier when n < 0).
func (d Date) AddDays(n int) Date {
	if d.IsZero() {
		return d
	}
	return Date{d.t.AddDate(0, 0, n)}
}

// DaysUntil returns the number of days from d to e (negative when e is
// earlier).
func (d Date) DaysUntil(e Date) int { return int(e.t.Sub(d.t).Hours() / 24) }

// String prints YYYY-MM-DD, or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	var b [10]byte
	return string(d.AppendText(b[:0]))
}

// AppendText appends the String form to b.
func (d Date) AppendText(b []byte) []byte {
	if d.IsZero() {
		return b
	}
	y, m, dd := d.t.Date()
	if y < 0 || y > 9999 {
		return d.t.AppendFormat(b, time.DateOnly)
	}
	return append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+int(m)/10), byte('0'+int(m)%10), '-', byte('0'+dd/10), byte('0'+dd%10))
}

// MarshalText implements encoding.TextMarshaler.
func (d Date) MarshalText() ([]byte, error) { return d.AppendText(nil), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
