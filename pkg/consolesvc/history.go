package consolesvc

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/apisvc"
	"github.com/remitq/remitq/pkg/money"
)

// historyLine is one entry of an item's history as the page says it: when,
// who, and what happened in plain words.
type historyLine struct {
	At   time.Time
	Who  string
	What string
}

// eventDetail holds the keys of an event's detail the history reads.
type eventDetail struct {
	Status         string        `json:"status"`
	ReasonCode     string        `json:"reason_code"`
	Amount         *money.Amount `json:"amount"`
	Threshold      *money.Amount `json:"threshold"`
	AssigneeID     *int64        `json:"assignee_id"`
	Level          int           `json:"level"`
	SubmittedOn    string        `json:"submitted_on"`
	AmountAppealed *money.Amount `json:"amount_appealed"`
	Outcome        string        `json:"outcome"`
	Recovered      *money.Amount `json:"amount_recovered"`
	PendedUntil    string        `json:"pended_until"`
	AppealedOn     string        `json:"appealed_on"`
	LateAppeal     bool          `json:"late_appeal"`
	OverrideReason string        `json:"override_reason"`
	Reason         string        `json:"reason"`
	BusinessDays   int           `json:"business_days"`
	SubmissionID   int64         `json:"submission_id"`
	FrequencyCode  string        `json:"frequency_code"`
}

// userNames names the users ids (staff names, no PHI): the actors of an
// item's history and the askers of write-offs, which billers may not list
// through the API's users endpoint.
func (s *Service) userNames(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []option
	if err := s.db.SelectContext(ctx, &rows, `SELECT id, name FROM users WHERE id = ANY($1::bigint[])`, pq.Array(ids)); err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.ID] = r.Name
	}
	return out, nil
}

// actorID reads the user id of an event's actor ("user:12").
func actorID(actor string) (int64, bool) {
	v, ok := strings.CutPrefix(actor, "user:")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

// actorName says who an actor is for people.
func actorName(actor string, who map[int64]string) string {
	if id, ok := actorID(actor); ok {
		if n, ok := who[id]; ok && n != "" {
			return n
		}
		return "user #" + itoa(id)
	}
	switch actor {
	case "router":
		return "remitq (routing)"
	case "system", "":
		return "remitq"
	}
	return actor
}

// history turns an item's events into plain-language lines; reasons names
// the write-off reason codes, who the users.
func history(events []event, reasons []apisvc.WriteOffReason, who map[int64]string) []historyLine {
	label := map[string]string{}
	for _, r := range reasons {
		label[r.Code] = r.Label
	}
	reason := func(code string) string {
		if l, ok := label[code]; ok && l != "" {
			return l
		}
		return strings.ReplaceAll(code, "_", " ")
	}
	out := make([]historyLine, 0, len(events))
	for _, e := range events {
		out = append(out, historyLine{At: e.At, Who: actorName(e.Actor, who), What: eventText(e, reason, who)})
	}
	return out
}

// eventText says what one event did.
func eventText(e event, reason func(string) string, who map[int64]string) string {
	var d eventDetail
	if len(e.Detail) > 0 {
		_ = json.Unmarshal(e.Detail, &d) // an odd detail only loses the particulars
	}
	from, to := "", ""
	if e.FromStatus != nil {
		from = *e.FromStatus
	}
	if e.ToStatus != nil {
		to = *e.ToStatus
	}
	change := ""
	if to != "" && from != to {
		if from == "" {
			change = "Status " + statusName(to)
		} else {
			change = "Status " + statusName(from) + " → " + statusName(to)
		}
	}
	amount := func(a *money.Amount) string {
		if a == nil {
			return ""
		}
		return a.Dollars()
	}
	var parts []string
	switch e.Action {
	case "created":
		parts = append(parts, "Item opened from the remittance")
		change = ""
		if to != "" {
			parts = append(parts, "status "+statusName(to))
		}
	case "assigned":
		w := "someone"
		if d.AssigneeID != nil {
			if n, ok := who[*d.AssigneeID]; ok {
				w = n
			} else {
				w = "user #" + itoa(*d.AssigneeID)
			}
		}
		parts = append(parts, "Assigned to "+w)
	case "unassigned":
		parts = append(parts, "Unassigned")
	case "write_off":
		s := "Write-off"
		if a := amount(d.Amount); a != "" {
			s += " of " + a
		}
		switch d.Status {
		case "pending_approval":
			s += " requested (reason: " + reason(d.ReasonCode) + ")"
			if t := amount(d.Threshold); t != "" {
				s += ", waiting for a supervisor's approval (above " + t + ")"
			} else {
				s += ", waiting for a supervisor's approval"
			}
		case "approved":
			s += " approved (reason: " + reason(d.ReasonCode) + ")"
		case "rejected":
			s += " rejected (reason asked: " + reason(d.ReasonCode) + ")"
		default:
			s += " (reason: " + reason(d.ReasonCode) + ")"
		}
		parts = append(parts, s)
	case "status":
		switch {
		case to == "pended" && d.PendedUntil != "":
			parts = append(parts, "Snoozed until "+d.PendedUntil)
		case to == "appealed" && d.AppealedOn != "":
			parts = append(parts, "Appeal sent on "+d.AppealedOn)
		case to == "resolved" && d.Outcome != "":
			s := "Resolved: " + strings.ReplaceAll(d.Outcome, "_", " ")
			if a := amount(d.Recovered); a != "" {
				s += ", recovered " + a
			}
			parts = append(parts, s)
		case to == "in_progress":
			parts = append(parts, "Work started")
		}
		if d.LateAppeal {
			parts = append(parts, lateAppeal(d.OverrideReason))
		}
	case "appeal":
		s := "Appeal level " + strconv.Itoa(max(d.Level, 1)) + " recorded"
		if d.SubmittedOn != "" {
			s += ", sent on " + d.SubmittedOn
		}
		if a := amount(d.AmountAppealed); a != "" {
			s += ", " + a + " appealed"
		}
		parts = append(parts, s)
		if d.LateAppeal {
			parts = append(parts, lateAppeal(d.OverrideReason))
		}
	case "appeal_decided":
		s := "Appeal level " + strconv.Itoa(max(d.Level, 1)) + " decided: " + strings.ReplaceAll(orDefault(d.Outcome, "no outcome"), "_", " ")
		if a := amount(d.Recovered); a != "" {
			s += ", recovered " + a
		}
		parts = append(parts, s)
	case "note":
		parts = append(parts, "Note added")
	case "woken":
		parts = append(parts, "Snooze ended")
	case "released":
		s := "Released: untouched"
		if d.BusinessDays > 0 {
			s += " for " + strconv.Itoa(d.BusinessDays) + " business days"
		}
		parts = append(parts, s)
	case "escalated":
		switch d.Reason {
		case "appeal_deadline":
			parts = append(parts, "Escalated: the appeal deadline is near")
		case "sla":
			s := "Escalated: untouched past the SLA"
			if d.BusinessDays > 0 {
				s += " (" + strconv.Itoa(d.BusinessDays) + " business days)"
			}
			parts = append(parts, s)
		default:
			parts = append(parts, "Escalated")
		}
	case "resubmitted":
		s := "Corrected claim created"
		if d.SubmissionID > 0 {
			s += " (submission #" + itoa(d.SubmissionID) + ")"
		}
		parts = append(parts, s)
	case "updated":
		parts = append(parts, "Updated by a later remittance")
	case "reopened":
		parts = append(parts, "Reopened by a later remittance")
	case "resolved":
		s := "Settled by a later remittance"
		if e.Amount != nil {
			if a, err := money.Parse(*e.Amount); err == nil {
				s += " (" + a.Dollars() + ")"
			}
		}
		parts = append(parts, s)
	default:
		s := strings.ReplaceAll(e.Action, "_", " ")
		if s != "" {
			s = strings.ToUpper(s[:1]) + s[1:]
		}
		parts = append(parts, s)
	}
	if change != "" {
		parts = append(parts, change)
	}
	if len(parts) == 0 {
		return "Changed"
	}
	return strings.Join(parts, "; ")
}

// statusName names a work-item status for people.
func statusName(s string) string { return orDefault(statusText[s], s) }

// historyUsers are the user ids an item's events and write-offs name.
func historyUsers(events []event, wos []apisvc.WriteOff) []int64 {
	var ids []int64
	for _, e := range events {
		if id, ok := actorID(e.Actor); ok {
			ids = append(ids, id)
		}
		if e.Action == "assigned" && len(e.Detail) > 0 {
			var d eventDetail
			if json.Unmarshal(e.Detail, &d) == nil && d.AssigneeID != nil {
				ids = append(ids, *d.AssigneeID)
			}
		}
	}
	for _, w := range wos {
		ids = append(ids, w.RequestedBy)
		if w.DecidedBy != nil {
			ids = append(ids, *w.DecidedBy)
		}
	}
	return ids
}

// pendingWriteOff is a write-off waiting for a supervisor, as the item
// page shows it in place of the write-off form.
type pendingWriteOff struct {
	apisvc.WriteOff
	Who    string
	Reason string
}

// pendingWriteOffs are the item's write-offs waiting for approval.
func pendingWriteOffs(wos []apisvc.WriteOff, reasons []apisvc.WriteOffReason, who map[int64]string) []pendingWriteOff {
	label := map[string]string{}
	for _, r := range reasons {
		label[r.Code] = r.Label
	}
	var out []pendingWriteOff
	for _, w := range wos {
		if w.Status != "pending_approval" {
			continue
		}
		out = append(out, pendingWriteOff{WriteOff: w, Who: orDefault(who[w.RequestedBy], "user #"+itoa(w.RequestedBy)),
			Reason: orDefault(label[w.ReasonCode], strings.ReplaceAll(w.ReasonCode, "_", " "))})
	}
	return out
}

// lateAppeal words an appeal recorded after its deadline, with the
// override reason given.
func lateAppeal(reason string) string {
	if reason == "" {
		return "after the appeal deadline"
	}
	return "after the appeal deadline (reason: " + reason + ")"
}
