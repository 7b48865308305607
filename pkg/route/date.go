package route

import (
	"fmt"
	"time"

	"github.com/remitq/remitq/pkg/day"
)

// Date is the one calendar-date type (pkg/day); the zero Date is "no date".
type Date = day.Day

// NewDate returns the date y-m-d (normalized like time.Date).
func NewDate(y int, m time.Month, d int) Date { return day.New(y, m, d) }

// DateOf returns the calendar date of t in t's own location.
func DateOf(t time.Time) Date { return day.Of(t) }

// ParseDate reads YYYY-MM-DD (the X12 and proto form) or CCYYMMDD; "" is the
// zero Date.
func ParseDate(s string) (Date, error) {
	d, err := day.Parse(s)
	if err != nil {
		return 0, fmt.Errorf("route: date %q: %w", s, err)
	}
	return d, nil
}
