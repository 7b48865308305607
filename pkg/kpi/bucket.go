package kpi

import (
	"time"

	"github.com/remitq/remitq/pkg/day"
)

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
func (b Bucket) Start(d day.Day) day.Day {
	switch b {
	case ByWeek:
		wd := (int(d.Weekday()) + 6) % 7 // Monday is 0
		return d - day.Day(wd)
	case ByMonth:
		t := d.Time()
		return day.New(t.Year(), t.Month(), 1)
	}
	return d
}

// Next returns the first day of the bucket after the one starting at s.
func (b Bucket) Next(s day.Day) day.Day {
	switch b {
	case ByWeek:
		return s + 7
	case ByMonth:
		t := s.Time()
		return day.Of(time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, time.UTC))
	}
	return s + 1
}
