package kpi

import (
	"fmt"
	"time"
)

// Day is a calendar date as a count of days since 1970-01-01 (UTC). Sums
// of days (the work-queue aging measures) and day arithmetic are plain
// integer arithmetic.
type Day int32

// DayOf returns the date of t in UTC.
func DayOf(t time.Time) Day {
	y, m, d := t.UTC().Date()
	return Day(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// NewDay returns the day y-m-d.
func NewDay(y int, m time.Month, d int) Day { return DayOf(time.Date(y, m, d, 0, 0, 0, 0, time.UTC)) }

// ParseDay reads YYYY-MM-DD.
func ParseDay(s string) (Day, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, fmt.Errorf("kpi: date %q: want YYYY-MM-DD", s)
	}
	return DayOf(t), nil
}

// Time returns midnight UTC of d.
func (d Day) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// String prints YYYY-MM-DD.
func (d Day) String() string { return d.Time().Format(time.DateOnly) }

// MarshalText implements encoding.TextMarshaler (JSON as "YYYY-MM-DD").
func (d Day) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Day) UnmarshalText(b []byte) error {
	v, err := ParseDay(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Bucket is the width of a report's periods.
type Bucket string

// Buckets.
const (
	ByDay   Bucket = "day"
	ByWeek  Bucket = "week" // ISO weeks, Monday to Sunday
	ByMonth Bucket = "month"
)

// Valid reports whether b is a known bucket.
func (b Bucket) Valid() bool { return b == ByDay || b == ByWeek || b == ByMonth }

// Start returns the first day of the bucket holding d.
func (b Bucket) Start(d Day) Day {
	switch b {
	case ByWeek:
		// 1970-01-01 was a Thursday: Monday-based weekday is (d+3) mod 7.
		wd := (int(d)%7 + 7 + 3) % 7
		return d - Day(wd)
	case ByMonth:
		t := d.Time()
		return NewDay(t.Year(), t.Month(), 1)
	}
	return d
}

// Next returns the first day of the bucket after the one starting at s.
func (b Bucket) Next(s Day) Day {
	switch b {
	case ByWeek:
		return s + 7
	case ByMonth:
		t := s.Time()
		return DayOf(time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, time.UTC))
	}
	return s + 1
}
