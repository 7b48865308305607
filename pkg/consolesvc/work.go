package consolesvc

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/remitq/remitq/carc"
	"github.com/remitq/remitq/pkg/apisvc"
	"github.com/remitq/remitq/pkg/money"
)

// item is a work item as the API answers it (the fields the console shows).
type item struct {
	ID                   int64        `json:"id"`
	PracticeID           int64        `json:"practice_id"`
	ProviderNPI          string       `json:"provider_npi"`
	PayerID              *int64       `json:"payer_id"`
	QueueID              *int64       `json:"queue_id"`
	Kind                 string       `json:"kind"`
	Disposition          string       `json:"disposition"`
	Category             string       `json:"category"`
	PatientControlNumber string       `json:"patient_control_number"`
	ProcedureCode        string       `json:"procedure_code"`
	Modifiers            []string     `json:"modifiers"`
	ServiceDate          *string      `json:"service_date"`
	CARC                 []string     `json:"carc"`
	RARC                 []string     `json:"rarc"`
	Text                 string       `json:"text"`
	Action               string       `json:"action"`
	BilledAmount         money.Amount `json:"billed_amount"`
	PaidAmount           money.Amount `json:"paid_amount"`
	AmountAtRisk         money.Amount `json:"amount_at_risk"`
	AppealDeadline       *string      `json:"appeal_deadline"`
	Overdue              bool         `json:"overdue"`
	DueSoon              bool         `json:"due_soon"`
	EscalatedAt          *time.Time   `json:"escalated_at"`
	Priority             int          `json:"priority"`
	Status               string       `json:"status"`
	AssigneeID           *int64       `json:"assignee_id"`
	PendedUntil          *string      `json:"pended_until"`
	AppealedOn           *string      `json:"appealed_on"`
	Resolution           string       `json:"resolution"`
	Version              int          `json:"version"`
}

type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// adjustment is a CAS triplet with its plain-language reading.
type adjustment struct {
	Group       string           `json:"group"`
	CARC        string           `json:"carc"`
	Amount      money.Amount     `json:"amount"`
	Explanation carc.Explanation `json:"explanation"`
}

type remark struct {
	Code   string `json:"code"`
	Known  bool   `json:"known"`
	Text   string `json:"text"`
	Action string `json:"action"`
}

type claimLine struct {
	LineNumber    int           `json:"line_number"`
	ProcedureCode string        `json:"procedure_code"`
	Modifiers     []string      `json:"modifiers"`
	Billed        money.Amount  `json:"billed"`
	Paid          money.Amount  `json:"paid"`
	Allowed       *money.Amount `json:"allowed"`
	Units         *string       `json:"units"`
	BilledUnits   *string       `json:"billed_units"`
	ServiceDate   *string       `json:"service_date_from"`
	Adjustments   []adjustment  `json:"adjustments"`
	Remarks       []remark      `json:"remarks"`
	Focus         bool          `json:"focus"`
	Match         *struct {
		Method     string   `json:"method"`
		Flags      []string `json:"flags"`
		BilledLine *struct {
			ProcedureCode string       `json:"procedure_code"`
			Modifiers     []string     `json:"modifiers"`
			Units         string       `json:"units"`
			Charge        money.Amount `json:"charge"`
			Authorization string       `json:"authorization"`
		} `json:"billed_line"`
	} `json:"match"`
}

type claimView struct {
	ID          int64        `json:"id"`
	Status      string       `json:"status"`
	StatusText  string       `json:"status_text"`
	Charge      money.Amount `json:"charge"`
	Paid        money.Amount `json:"paid"`
	PatientName *string      `json:"patient_name"`
	PayerName   *string      `json:"payer_name"`
	PaymentDate *string      `json:"payment_date"`
	Adjustments []adjustment `json:"adjustments"`
	Remarks     []remark     `json:"remarks"`
	Lines       []claimLine  `json:"lines"`
}

type itemDetail struct {
	item
	itemRouteView
	BilledClaim *struct {
		ID int64 `json:"id"`
	} `json:"billed_claim"`
	Evidence *apisvc.Evidence `json:"evidence"`
	Claim    *claimView       `json:"claim"`
	History  *struct {
		Region     string `json:"region"`
		Procedures []struct {
			PatientControlNumber string   `json:"patient_control_number"`
			ProcedureCode        string   `json:"procedure_code"`
			Modifiers            []string `json:"modifiers"`
			ServiceDate          *string  `json:"service_date"`
			Paid                 bool     `json:"paid"`
			Denied               bool     `json:"denied"`
		} `json:"procedures"`
	} `json:"history"`
}

type note struct {
	AuthorName string    `json:"author_name"`
	Body       string    `json:"body"`
	CreatedAt  time.Time `json:"created_at"`
}

type event struct {
	At         time.Time       `json:"at"`
	Actor      string          `json:"actor"`
	Action     string          `json:"action"`
	FromStatus *string         `json:"from_status"`
	ToStatus   *string         `json:"to_status"`
	Amount     *string         `json:"amount"`
	Detail     json.RawMessage `json:"detail"`
}

// workFilters are the filters of the my-work list the API takes.
var workFilters = []string{"practice_id", "payer_id", "category", "deadline_before"}

// myWork lists the user's open items by priority, with filters.
func (q *req) myWork() error {
	in := q.r.URL.Query()
	api := listQuery(in, workFilters)
	var items page[item]
	err := q.s.getJSON(q.r, q.id, "/v1/my/work-items", api, &items)
	problem, err := userMistake(err)
	if err != nil {
		return err
	}
	labels, err := q.s.labels(q.r.Context(), q.id)
	if err != nil {
		return err
	}
	today := q.s.opts.Now().UTC().Format(time.DateOnly)
	q.render(http.StatusOK, "work", "My work", map[string]any{"Items": items.Items, "More": items.NextCursor != "",
		"Filter": in, "Labels": labels, "Categories": carc.Categories(), "Problem": problem, "Today": today})
	return nil
}

// item shows one work item with its claim, notes and history.
func (q *req) item() error {
	return q.showItem(http.StatusOK, "", nil)
}

// showItem renders the item page; conflict and problem explain a refused
// change, form keeps what the user typed.
func (q *req) showItem(status int, problem string, form url.Values) error {
	id, ok := itemID(q.r)
	if !ok {
		return &apiError{Status: http.StatusNotFound}
	}
	var it itemDetail
	if err := q.s.getJSON(q.r, q.id, "/v1/work-items/"+id, nil, &it); err != nil {
		return err
	}
	var notes page[note]
	if err := q.s.getJSON(q.r, q.id, "/v1/work-items/"+id+"/notes", nil, &notes); err != nil {
		return err
	}
	var events page[event]
	if err := q.s.getJSON(q.r, q.id, "/v1/work-items/"+id+"/events", url.Values{"sort": {"-at"}, "limit": {"50"}}, &events); err != nil {
		return err
	}
	labels, err := q.s.labels(q.r.Context(), q.id)
	if err != nil {
		return err
	}
	now := q.s.opts.Now().UTC()
	if form == nil {
		form = url.Values{}
	}
	fin, err := q.finishData(id)
	if err != nil {
		return err
	}
	who, err := q.s.userNames(q.r.Context(), historyUsers(events.Items, fin.WriteOffs))
	if err != nil {
		return err
	}
	q.render(status, "item", "Item #"+id, map[string]any{"Item": it, "Notes": notes.Items, "History": history(events.Items, fin.Reasons, who),
		"Pending": pendingWriteOffs(fin.WriteOffs, fin.Reasons, who),
		"Labels":  labels, "Problem": problem, "Form": form, "Today": now.Format(time.DateOnly),
		"Tomorrow": now.AddDate(0, 0, 1).Format(time.DateOnly), "Finish": fin,
		"Appeal": it.Appealable, "NoAppeal": noAppealWhy(&it), "Correctable": correctable(it.Route)})
	return nil
}

// noAppealWhy says why an item the API marks not appealable offers no
// appeal, from the route the API computed (apisvc appealable.go).
func noAppealWhy(it *itemDetail) string {
	switch it.Route {
	case "", "appeal", "dispute":
		return ""
	case "link":
		return "This remittance is not matched to a billed claim yet: link it first; there is nothing to appeal."
	case "write_off":
		return "The recommended route is a write-off, not an appeal."
	case "corrected_claim", "resubmit":
		return "The recommended route is a corrected claim, not an appeal."
	}
	return "This payer's route for the item is " + strings.ReplaceAll(it.Route, "_", " ") + ", not an appeal."
}

// correctable: the item's route is a corrected (or new) claim.
func correctable(route string) bool {
	return route == "corrected_claim" || route == "resubmit" || route == "new_claim" || route == "reopening"
}

// itemAct moves an item: start, snooze, appeal, write-off, resolve.
func (q *req) itemAct() error {
	id, ok := itemID(q.r)
	if !ok {
		return &apiError{Status: http.StatusNotFound}
	}
	version, err := strconv.Atoi(q.r.PostFormValue("version"))
	if err != nil {
		return q.showItem(http.StatusBadRequest, "The form lost the item's version; reload the item.", q.r.PostForm)
	}
	action := q.r.PostFormValue("action")
	body := map[string]any{"version": version}
	switch action {
	case "start":
		body["status"] = "in_progress"
	case "snooze":
		body["status"], body["pended_until"] = "pended", q.r.PostFormValue("pended_until")
	case "appeal":
		// The page offers no appeal where the item's route has none; a
		// form posted anyway is refused the same way.
		var it itemDetail
		if err := q.s.getJSON(q.r, q.id, "/v1/work-items/"+id, nil, &it); err != nil {
			return err
		}
		if !it.Appealable {
			return q.showItem(http.StatusConflict, noAppealWhy(&it)+" Nothing was changed.", q.r.PostForm)
		}
		body["status"], body["appealed_on"] = "appealed", q.r.PostFormValue("appealed_on")
		if t := strings.TrimSpace(q.r.PostFormValue("override_reason")); t != "" {
			body["override_reason"] = t
		}
	case "resolve":
		body["status"] = "resolved"
		if t := strings.TrimSpace(q.r.PostFormValue("resolution")); t != "" {
			body["resolution"] = t
		}
		if o := q.r.PostFormValue("outcome"); o != "" {
			body["outcome"] = o
			if t := strings.TrimSpace(q.r.PostFormValue("amount_recovered")); t != "" {
				a, err := parseAmount(t)
				if err != nil {
					return q.showItem(http.StatusBadRequest, "The amount recovered must be dollars and cents, such as 200.00.", q.r.PostForm)
				}
				body["amount_recovered"] = a
			}
		}
	default:
		return q.showItem(http.StatusBadRequest, "Unknown action.", q.r.PostForm)
	}
	err = q.s.sendJSON(q.r, q.id, apiRequest{Method: http.MethodPatch, Path: "/v1/work-items/" + id, Body: body}, nil)
	if refused := q.refusal(err); refused != nil {
		return refused()
	}
	if err != nil {
		return err
	}
	return q.redirect("/console/items/" + id + "?done=" + action)
}

// refusal turns an API refusal of a change into the item page with the
// reason (nil when err is not one).
func (q *req) refusal(err error) func() error {
	var ae *apiError
	if !errors.As(err, &ae) {
		return nil
	}
	switch {
	case ae.conflict():
		return func() error {
			return q.showItem(http.StatusConflict, "conflict", q.r.PostForm)
		}
	case ae.Status == http.StatusBadRequest || ae.Status == http.StatusForbidden || ae.Status == http.StatusConflict ||
		ae.Status == http.StatusUnprocessableEntity || ae.Status == http.StatusPreconditionRequired:
		return func() error { return q.showItem(ae.Status, ae.Message, q.r.PostForm) }
	}
	return nil
}

// itemNote adds a note.
func (q *req) itemNote() error {
	id, ok := itemID(q.r)
	if !ok {
		return &apiError{Status: http.StatusNotFound}
	}
	err := q.s.sendJSON(q.r, q.id, apiRequest{Method: http.MethodPost, Path: "/v1/work-items/" + id + "/notes",
		Body: map[string]string{"body": q.r.PostFormValue("body")}}, nil)
	if refused := q.refusal(err); refused != nil {
		return refused()
	}
	if err != nil {
		return err
	}
	return q.redirect("/console/items/" + id + "?done=note")
}

// itemID is the {id} of an item page in canonical decimal form: anything
// else ("%00", "1?x", "1/assignee", "01", "-1") is no item, and is never
// put into an API path.
func itemID(r *http.Request) (string, bool) {
	v := r.PathValue("id")
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 || strconv.FormatInt(n, 10) != v {
		return "", false
	}
	return v, true
}
