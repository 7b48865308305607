package apisvc_test

import (
	"fmt"
	"time"

	"github.com/remitq/remitq/pkg/apisvc"
)

// Auto-release counts business days: an item assigned on Thursday and
// untouched is released after three business days, on Tuesday.
func ExampleBusinessDaysBefore() {
	tuesday := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	fmt.Println(apisvc.BusinessDaysBefore(tuesday, 3, nil).Format("Monday 2006-01-02 15:04"))
	// Thanksgiving as a holiday moves the cutoff back a day.
	thanksgiving := func(t time.Time) bool { return t.Format(time.DateOnly) == "2026-11-26" }
	monday := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	fmt.Println(apisvc.BusinessDaysBefore(monday, 3, thanksgiving).Format("Monday 2006-01-02"))
	// Output:
	// Thursday 2026-11-19 09:00
	// Tuesday 2026-11-24
}
