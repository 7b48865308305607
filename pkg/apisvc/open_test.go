package apisvc

import (
	"testing"

	"github.com/remitq/remitq/pkg/work"
)

// TestOneOpenRule: the API's status predicates are pkg/work's rule (the
// router's and the queue summaries' too), in Go and in SQL.
func TestOneOpenRule(t *testing.T) {
	if openItems != work.OpenSQL("w") {
		t.Errorf("openItems = %s, want work.OpenSQL: %s", openItems, work.OpenSQL("w"))
	}
	if deadlineOpen != work.DeadlineOpenSQL("w") {
		t.Errorf("deadlineOpen = %s, want work.DeadlineOpenSQL: %s", deadlineOpen, work.DeadlineOpenSQL("w"))
	}
	for _, s := range work.Statuses {
		t.Run(s, func(t *testing.T) {
			if terminal(s) == work.Open(s) || deadlineToMeet(s) != work.DeadlineOpen(s) {
				t.Errorf("%s: terminal %v, deadlineToMeet %v; work.Open %v, work.DeadlineOpen %v",
					s, terminal(s), deadlineToMeet(s), work.Open(s), work.DeadlineOpen(s))
			}
		})
	}
}
