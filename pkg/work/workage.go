// Package work is the pure model of a work item: which statuses are open
// (status.go) and its age (workage.go). The age is the one definition used by
// every view that ages open items (GET /v1/queues and its snapshot, GET
// /v1/practices/{practice}/queues): the days from the item's remit date
// (the payer's decision: the day the denial or underpayment was paid) to
// the day of the count, the item's creation day when it has no remit date,
// bucketed as Keys.
package work

// Keys are the aging buckets, in order: ages 0 to 30 days, 31 to 60, 61 to
// 90, and over 90.
var Keys = []string{"0-30", "31-60", "61-90", "90+"}

// Bucket is the index into Keys of an age in days.
func Bucket(days int) int {
	switch {
	case days <= 30:
		return 0
	case days <= 60:
		return 1
	case days <= 90:
		return 2
	}
	return 3
}

// DaysSQL is the SQL age in days of the work_items row named table (an
// alias or the table's name) on the date asOf (an SQL expression).
func DaysSQL(table, asOf string) string {
	return "((" + asOf + ")::date - COALESCE(" + table + ".remit_date, " + table + ".created_at::date))"
}

// BucketSQL is the SQL index into Keys of that age (Bucket in SQL).
func BucketSQL(table, asOf string) string {
	d := DaysSQL(table, asOf)
	return "(CASE WHEN " + d + " <= 30 THEN 0 WHEN " + d + " <= 60 THEN 1 WHEN " + d + " <= 90 THEN 2 ELSE 3 END)"
}
