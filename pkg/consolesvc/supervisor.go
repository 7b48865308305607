package consolesvc

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/remitq/remitq/carc"
	"github.com/remitq/remitq/pkg/money"
)

// queueRule is a routing rule as the router answers it.
type queueRule struct {
	ID         int64         `json:"id"`
	PracticeID *int64        `json:"practice_id"`
	Position   int           `json:"position"`
	QueueName  string        `json:"queue_name"`
	Kind       *string       `json:"kind"`
	Category   *string       `json:"category"`
	PayerID    *int64        `json:"payer_id"`
	Provider   *string       `json:"provider_npi"`
	Procedure  *string       `json:"procedure_code"`
	MinAmount  *money.Amount `json:"min_amount"`
}

// ruleKinds are the work kinds a rule may name.
var ruleKinds = []string{"denial", "underpayment", "unmatched_remittance"}

// rulesPractice is the practice whose rules the page shows: the one asked
// for, else the user's first (an admin: every rule).
func (q *req) rulesPractice(l *labels, v string) string {
	if v != "" {
		return v
	}
	if q.id.All() || len(l.Practices) == 0 {
		return ""
	}
	return itoa(l.Practices[0].ID)
}

// rules shows the routing rules of a practice, in the order the router
// tries them, with the form to add or change one.
func (q *req) rules() error {
	return q.showRules(http.StatusOK, "", nil)
}

func (q *req) showRules(status int, problem string, form url.Values) error {
	labels, err := q.s.labels(q.r.Context(), q.id)
	if err != nil {
		return err
	}
	in := q.r.URL.Query()
	if form != nil {
		in = form
	}
	practice := q.rulesPractice(labels, in.Get("practice"))
	api := url.Values{}
	if practice != "" {
		api.Set("practice", practice)
	}
	var rules struct {
		Rules []queueRule `json:"rules"`
	}
	if err := q.s.getJSON(q.r, q.id, "/v1/queue-rules", api, &rules); err != nil {
		return err
	}
	var qs page[queueSummary]
	if err := q.s.getJSON(q.r, q.id, "/v1/queues", url.Values{"limit": {"200"}}, &qs); err != nil {
		return err
	}
	names := map[string]bool{}
	var queueNames []string
	for _, x := range qs.Items {
		if !names[x.Name] {
			names[x.Name] = true
			queueNames = append(queueNames, x.Name)
		}
	}
	// The form: the rule being edited, or what the user sent back.
	f := url.Values{}
	if form != nil {
		f = form
	} else if e := in.Get("edit"); e != "" {
		for _, r := range rules.Rules {
			if itoa(r.ID) == e {
				f = ruleForm(r)
			}
		}
	}
	if f.Get("practice_id") == "" && form == nil {
		f.Set("practice_id", practice)
	}
	q.render(status, "rules", "Routing rules", map[string]any{"Rules": rules.Rules, "Labels": labels, "Practice": practice,
		"Form": f, "Problem": problem, "Kinds": ruleKinds, "Categories": carc.Categories(), "QueueNames": queueNames,
		"All": q.id.All()})
	return nil
}

// ruleForm is a rule as the form's values.
func ruleForm(r queueRule) url.Values {
	f := url.Values{"id": {itoa(r.ID)}, "position": {strconv.Itoa(r.Position)}, "queue_name": {r.QueueName}}
	if r.PracticeID != nil {
		f.Set("practice_id", itoa(*r.PracticeID))
	} else {
		f.Set("practice_id", "all")
	}
	set := func(k string, v *string) {
		if v != nil {
			f.Set(k, *v)
		}
	}
	set("kind", r.Kind)
	set("category", r.Category)
	set("provider_npi", r.Provider)
	set("procedure_code", r.Procedure)
	if r.PayerID != nil {
		f.Set("payer_id", itoa(*r.PayerID))
	}
	if r.MinAmount != nil {
		f.Set("min_amount", r.MinAmount.String())
	}
	return f
}

// saveRule creates (no id), replaces (id) or deletes (action=delete) a
// routing rule through the router's routes behind the API's guards.
func (q *req) saveRule() error {
	f := q.r.PostForm
	id := strings.TrimSpace(f.Get("id"))
	if id != "" {
		if n, err := strconv.ParseInt(id, 10, 64); err != nil || n <= 0 || itoa(n) != id {
			return &apiError{Status: http.StatusNotFound}
		}
	}
	back := func(done string) error {
		p := f.Get("practice_id")
		if p == "all" || p == "" {
			p = f.Get("practice")
		}
		v := url.Values{"done": {done}}
		if p != "" && p != "all" {
			v.Set("practice", p)
		}
		return q.redirect("/console/rules?" + v.Encode())
	}
	if f.Get("action") == "delete" {
		if id == "" {
			return q.showRules(http.StatusBadRequest, "Choose the rule to delete.", f)
		}
		err := q.s.sendJSON(q.r, q.id, apiRequest{Method: http.MethodDelete, Path: "/v1/queue-rules/" + id}, nil)
		if p := ruleProblem(err); p != "" {
			return q.showRules(http.StatusBadRequest, p, f)
		}
		if err != nil {
			return err
		}
		return back("rule-deleted")
	}
	body := map[string]any{"queue_name": strings.TrimSpace(f.Get("queue_name"))}
	var problems []string
	switch p := f.Get("practice_id"); p {
	case "all":
		body["practice_id"] = nil
	default:
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil || n <= 0 {
			problems = append(problems, "choose the practice")
		}
		body["practice_id"] = n
	}
	if v := strings.TrimSpace(f.Get("position")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			problems = append(problems, "the position is a whole number (lower runs first)")
		}
		body["position"] = n
	}
	for _, k := range []string{"kind", "category", "provider_npi", "procedure_code"} {
		if v := strings.TrimSpace(f.Get(k)); v != "" {
			body[k] = v
		}
	}
	if v := strings.TrimSpace(f.Get("payer_id")); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			problems = append(problems, "choose the payer from the list")
		}
		body["payer_id"] = n
	}
	if v := strings.TrimSpace(f.Get("min_amount")); v != "" {
		a, err := money.Parse(v)
		if err != nil {
			problems = append(problems, "the minimum at risk is an amount such as 100.00")
		}
		body["min_amount"] = a
	}
	if len(problems) > 0 {
		return q.showRules(http.StatusBadRequest, "The rule was not saved: "+strings.Join(problems, "; ")+".", f)
	}
	req := apiRequest{Method: http.MethodPost, Path: "/v1/queue-rules", Body: body}
	done := "rule-added"
	if id != "" {
		req.Method, req.Path, done = http.MethodPut, "/v1/queue-rules/"+id, "rule-saved"
	}
	err := q.s.sendJSON(q.r, q.id, req, nil)
	if p := ruleProblem(err); p != "" {
		return q.showRules(http.StatusBadRequest, "The rule was not saved: "+p, f)
	}
	if err != nil {
		return err
	}
	return back(done)
}

// ruleProblem is the router's or the guards' refusal of a rule change as
// the user's problem ("" when err is none of them).
func ruleProblem(err error) string {
	var ae *apiError
	if !errors.As(err, &ae) {
		return ""
	}
	switch ae.Status {
	case http.StatusBadRequest, http.StatusUnprocessableEntity, http.StatusForbidden:
		return ae.Message
	case http.StatusNotFound:
		return "there is no such rule, or it is outside your practices (reload the page)"
	}
	return ""
}

// escalations shows the open items past their appeal deadline and the
// escalated ones (SLA or deadline), most urgent first, with who holds
// them.
func (q *req) escalations() error {
	in := q.r.URL.Query()
	base := url.Values{"limit": {"100"}, "sort": {"appeal_deadline"}}
	if v := strings.TrimSpace(in.Get("practice_id")); v != "" {
		base.Set("practice_id", v)
	}
	get := func(k, v string) (page[item], string, error) {
		api := url.Values{}
		for kk, vv := range base {
			api[kk] = vv
		}
		api.Set(k, v)
		var p page[item]
		err := q.s.getJSON(q.r, q.id, "/v1/work-items", api, &p)
		problem, err := userMistake(err)
		return p, problem, err
	}
	overdue, problem, err := get("deadline", "overdue")
	if err != nil {
		return err
	}
	escalated, problem2, err := get("escalated", "true")
	if err != nil {
		return err
	}
	soon, problem3, err := get("deadline", "due_soon")
	if err != nil {
		return err
	}
	var users page[userRow]
	if err := q.s.getJSON(q.r, q.id, "/v1/users", url.Values{"limit": {"500"}}, &users); err != nil {
		return err
	}
	who := map[int64]string{}
	for _, u := range users.Items {
		who[u.ID] = u.Name
	}
	labels, err := q.s.labels(q.r.Context(), q.id)
	if err != nil {
		return err
	}
	q.render(http.StatusOK, "escalations", "Escalations", map[string]any{"Overdue": overdue.Items, "MoreOverdue": overdue.NextCursor != "",
		"Escalated": escalated.Items, "MoreEscalated": escalated.NextCursor != "", "Soon": soon.Items, "MoreSoon": soon.NextCursor != "",
		"Who": who, "Labels": labels, "Filter": in, "Problem": strings.TrimSpace(problem + " " + problem2 + " " + problem3)})
	return nil
}
