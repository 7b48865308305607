package consolesvc

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/remitq/remitq/carc"
	"github.com/remitq/remitq/pkg/money"
)

type queueSummary struct {
	ID           int64        `json:"id"`
	PracticeID   int64        `json:"practice_id"`
	Name         string       `json:"name"`
	Description  string       `json:"description"`
	Open         int          `json:"open"`
	Unassigned   int          `json:"unassigned"`
	Escalated    int          `json:"escalated"`
	AmountAtRisk money.Amount `json:"amount_at_risk"`
	Aging        struct {
		D0to30  int `json:"0-30"`
		D31to60 int `json:"31-60"`
		D61to90 int `json:"61-90"`
		Over90  int `json:"90+"`
	} `json:"aging"`
}

type userRow struct {
	ID       int64  `json:"id"`
	Email    string `json:"email"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	Disabled bool   `json:"disabled"`
	Scopes   []struct {
		PracticeID  int64  `json:"practice_id"`
		ProviderNPI string `json:"provider_npi"`
	} `json:"scopes"`
}

type teamRow struct {
	UserID       int64        `json:"user_id"`
	Name         string       `json:"name"`
	Role         string       `json:"role"`
	Open         int          `json:"open"`
	Escalated    int          `json:"escalated"`
	AmountAtRisk money.Amount `json:"amount_at_risk"`
	Resolved     int          `json:"resolved"`
	WrittenOff   int          `json:"written_off"`
}

// assignFilters are the filters a supervisor assigns by (the API's work
// item filters).
var assignFilters = []string{"practice_id", "queue_id", "payer_id", "category", "min_amount", "deadline_before", "unassigned"}

// previewCap bounds the count of a preview.
const previewCap = 5000

// queues shows the queues in scope with counts, dollars and aging, the
// team's workload and the assign-by-filter form.
func (q *req) queues() error {
	return q.showQueues(http.StatusOK, nil)
}

func (q *req) showQueues(status int, preview map[string]any) error {
	var qs page[queueSummary]
	if err := q.s.getJSON(q.r, q.id, "/v1/queues", url.Values{"limit": {"200"}}, &qs); err != nil {
		return err
	}
	var users page[userRow]
	if err := q.s.getJSON(q.r, q.id, "/v1/users", url.Values{"limit": {"500"}}, &users); err != nil {
		return err
	}
	var workers []userRow
	for _, u := range users.Items {
		if !u.Disabled && (u.Role == "biller" || u.Role == "supervisor") {
			workers = append(workers, u)
		}
	}
	labels, err := q.s.labels(q.r.Context(), q.id)
	if err != nil {
		return err
	}
	var total queueSummary
	for _, x := range qs.Items {
		total.Open += x.Open
		total.Unassigned += x.Unassigned
		total.AmountAtRisk += x.AmountAtRisk
	}
	form := q.r.URL.Query()
	if q.r.Method == http.MethodPost {
		form = q.r.PostForm
	}
	q.render(status, "queues", "Queues", map[string]any{"Queues": qs.Items, "Total": total, "Workers": workers,
		"Labels": labels, "Categories": carc.Categories(), "Form": form, "Preview": preview})
	return nil
}

// assign previews (action=preview) or makes (action=assign) an assignment
// of the open items matching a filter.
func (q *req) assign() error {
	f := q.r.PostForm
	filter := map[string]string{}
	api := url.Values{"limit": {"500"}}
	for _, k := range assignFilters {
		if v := strings.TrimSpace(f.Get(k)); v != "" {
			filter[k] = v
			api.Set(k, v)
		}
	}
	aid, err := strconv.ParseInt(f.Get("assignee_id"), 10, 64)
	if err != nil {
		return q.showQueues(http.StatusBadRequest, map[string]any{"Problem": "Choose who gets the items."})
	}
	if f.Get("action") == "assign" {
		n, err := strconv.Atoi(f.Get("count"))
		if err != nil || n <= 0 {
			return q.showQueues(http.StatusBadRequest, map[string]any{"Problem": "Preview the assignment first."})
		}
		var out struct {
			Assigned int `json:"assigned"`
		}
		err = q.s.sendJSON(q.r, q.id, apiRequest{Method: http.MethodPost, Path: "/v1/work-items/assign",
			Body: map[string]any{"assignee_id": aid, "filter": filter, "limit": n}}, &out)
		if problem, _ := userMistake(err); problem != "" {
			return q.showQueues(http.StatusBadRequest, map[string]any{"Problem": problem})
		}
		if err != nil {
			return err
		}
		if out.Assigned != n {
			return q.showQueues(http.StatusOK, map[string]any{"Problem": fmt.Sprintf("Assigned %d of the %d items previewed: the others "+
				"changed meanwhile or are outside the assignee's practices. Preview again to see what is left.", out.Assigned, n)})
		}
		return q.showQueues(http.StatusOK, map[string]any{"Done": out.Assigned})
	}
	// The preview counts what the filter matches now, in the user's scope,
	// through the same list the assignment filters with.
	count := 0
	var risk money.Amount
	for count < previewCap {
		var p page[item]
		err := q.s.getJSON(q.r, q.id, "/v1/work-items", api, &p)
		if problem, _ := userMistake(err); problem != "" {
			return q.showQueues(http.StatusBadRequest, map[string]any{"Problem": problem})
		}
		if err != nil {
			return err
		}
		for _, it := range p.Items {
			if it.AssigneeID == nil || *it.AssigneeID != aid {
				count++
				risk += it.AmountAtRisk
			}
		}
		if p.NextCursor == "" {
			break
		}
		api.Set("cursor", p.NextCursor)
	}
	if count > previewCap {
		count = previewCap
	}
	return q.showQueues(http.StatusOK, map[string]any{"Count": count, "Risk": risk, "Capped": count >= previewCap, "AssigneeID": aid})
}

// team shows the team's workload and throughput (30 days), of one practice
// when chosen. It is a page of its own: GET /v1/team counts every open item
// of the practice's people from work_items (no snapshot), the slowest read
// of the supervisor's pages at 1,000,000 open items (BENCHMARKS.md,
// Console), which the queues page no longer waits for.
func (q *req) team() error {
	in := q.r.URL.Query()
	api := url.Values{}
	if v := strings.TrimSpace(in.Get("practice_id")); v != "" {
		api.Set("practice_id", v)
	}
	var team page[teamRow]
	err := q.s.getJSON(q.r, q.id, "/v1/team", api, &team)
	problem, err := userMistake(err)
	if err != nil {
		return err
	}
	labels, err := q.s.labels(q.r.Context(), q.id)
	if err != nil {
		return err
	}
	q.render(http.StatusOK, "team", "Team", map[string]any{"Team": team.Items, "Labels": labels, "Filter": in, "Problem": problem})
	return nil
}
