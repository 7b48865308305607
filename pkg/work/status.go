package work

import (
	"slices"
	"strings"
)

// The statuses of a work item (work_items_status_check, 0004).
const (
	New         = "new"
	Assigned    = "assigned"
	InProgress  = "in_progress"
	Pended      = "pended"
	Appealed    = "appealed"
	Resubmitted = "resubmitted"
	WrittenOff  = "written_off"
	Resolved    = "resolved"
)

// Statuses are every status, in the order of the check constraint.
var Statuses = []string{New, Assigned, InProgress, Pended, Appealed, Resubmitted, WrittenOff, Resolved}

// closed are the statuses no one works any more.
var closed = []string{Resolved, WrittenOff}

// awaiting are the open statuses whose appeal deadline is met: the appeal
// or the corrected claim went out, the payer's answer is awaited.
var awaiting = []string{Appealed, Resubmitted}

// Open reports whether an item of that status is still worked (by a person
// or the router): every status but resolved and written_off. The queue
// counts, "my work", the sweeps and the router all use it.
func Open(status string) bool { return !slices.Contains(closed, status) }

// DeadlineOpen reports whether an item of that status still has its appeal
// deadline to meet: open, neither appealed nor resubmitted.
func DeadlineOpen(status string) bool { return Open(status) && !slices.Contains(awaiting, status) }

// OpenSQL is Open as an SQL predicate on the status column of the
// work_items row named table ("" for the bare column). It is the predicate
// of the partial work-item indexes (0004): keep its text.
func OpenSQL(table string) string { return col(table) + " NOT IN " + list(closed) }

// ClosedSQL is the opposite of OpenSQL: the item is resolved or written off.
func ClosedSQL(table string) string { return col(table) + " IN " + ClosedList() }

// ClosedList is the closed statuses as an SQL list, "('resolved', 'written_off')",
// for predicates on something other than a status column.
func ClosedList() string { return list(closed) }

// DeadlineOpenSQL is DeadlineOpen as an SQL predicate (see OpenSQL).
func DeadlineOpenSQL(table string) string {
	return col(table) + " NOT IN " + list(append(append([]string{}, closed...), awaiting...))
}

func col(table string) string {
	if table == "" {
		return "status"
	}
	return table + ".status"
}

func list(ss []string) string { return "('" + strings.Join(ss, "', '") + "')" }
