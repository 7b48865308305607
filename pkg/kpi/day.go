package kpi

import (
	"fmt"
	"time"

	"github.com/remitq/remitq/pkg/day"
)

// Day is the one calendar-date type (pkg/day).
type Day = day.Day

// DayOf returns the date of t in UTC.
func DayOf(t time.Time) Day { return day.Of(t.UTC()) }

// NewDay returns the day y-m-d.
func NewDay(y int, m time.Month, d int) Day { return day.New(y, m, d) }

// ParseDay reads YYYY-MM-DD; "" is an error here (a report's day is always set).
func ParseDay(s string) (Day, error) {
	d, err := day.Parse(s)
	if err != nil || d.IsZero() {
		return 0, fmt.Errorf("kpi: date %q: want YYYY-MM-DD", s)
	}
	return d, nil
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
		wd := (int(d.Weekday()) + 6) % 7 // Monday is 0
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
