package ackstore

import (
	"strconv"

	"github.com/remitq/remitq/pkg/audit"
)

// AuditEntries are the audit rows of a file stored (or received again):
// one per practice its claims belong to (practice 0 when none), each base
// (who sent it: actor, user, request; its action and entity) with the
// file's id and its counts as detail (ids, codes and counts: no PHI). The
// API, the command line and the watched folder all record these.
func AuditEntries(res *Result, base audit.Entry) []audit.Entry {
	practices := res.PracticeIDs
	if len(practices) == 0 {
		practices = []int64{0}
	}
	out := make([]audit.Entry, 0, len(practices))
	for _, p := range practices {
		e := base
		e.EntityID = strconv.FormatInt(res.FileID, 10)
		e.PracticeID = p
		e.Detail = map[string]any{"status": res.Status, "sha256": res.SHA256, "kind": res.Kind, "claims": res.Claims,
			"rejected": res.Rejected, "unmatched": res.Unmatched, "practice_ids": res.PracticeIDs, "work_items": res.WorkItems,
			"duplicate": res.Duplicate}
		out = append(out, e)
	}
	return out
}
