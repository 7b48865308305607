package consolesvc

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/remitq/remitq/carc"
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
	Claim   *claimView `json:"claim"`
	History *struct {
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
	appeal, why := appealRoute(&it.item)
	q.render(status, "item", "Item #"+id, map[string]any{"Item": it, "Notes": notes.Items, "Events": events.Items,
		"Labels": labels, "Problem": problem, "Form": form, "Today": now.Format(time.DateOnly),
		"Tomorrow": now.AddDate(0, 0, 1).Format(time.DateOnly), "WriteOffReasons": writeOffReasons,
		"Appeal": appeal, "NoAppeal": why})
	return nil
}

// deadlineVerb reads the router's "; <what> by YYYY-MM-DD" in an item's
// text: what the deadline is for (pkg/route's deadlineVerb: "appeal",
// "appeal (Redetermination)", "dispute", "request the reopening", "send
// the corrected claim", "submit the new claim", "resubmit", "act").
var deadlineVerb = regexp.MustCompile(`; ([a-z][^;]*?) by \d{4}-\d{2}-\d{2}`)

// appealRoute says whether the item's route lets the biller appeal, and
// why not. The item JSON holds no route field: the router writes its
// route into the item's text (what the deadline is for) and its action.
// An unmatched remittance is linked first; an item whose action is a
// write-off or a correction, or whose deadline is for something other
// than an appeal or a dispute (a payer profile with no appeal rights for
// it: reopening, corrected or new claim, bill the patient), offers no
// appeal.
func appealRoute(it *item) (bool, string) {
	if it.Kind == "unmatched_remittance" {
		return false, "This remittance is not matched to a billed claim yet: link it first; there is nothing to appeal."
	}
	act := strings.ToLower(it.Action)
	switch {
	case strings.HasPrefix(act, "write off"), strings.HasPrefix(act, "write it off"):
		return false, "The recommended action is a write-off, not an appeal."
	case strings.HasPrefix(act, "correct"), strings.HasPrefix(act, "send a corrected claim"), strings.HasPrefix(act, "resubmit"):
		return false, "The recommended action is a corrected claim, not an appeal."
	}
	if m := deadlineVerb.FindStringSubmatch(it.Text); m != nil {
		v := m[1]
		if strings.HasPrefix(v, "appeal") || strings.HasPrefix(v, "dispute") {
			return true, ""
		}
		return false, "This payer's route for the item is to " + v + " by the deadline, not an appeal."
	}
	return true, ""
}

// writeOffReasons are the reason codes a write-off is recorded with.
var writeOffReasons = []struct{ Code, Text string }{
	{"SMALL_BALANCE", "Small balance below the follow-up threshold"},
	{"TIMELY_FILING", "Timely filing limit passed"},
	{"NON_COVERED", "Non-covered service, not billable to the patient"},
	{"CONTRACTUAL", "Contractual adjustment (payer contract)"},
	{"APPEAL_EXHAUSTED", "Appeals exhausted"},
	{"PROVIDER_ERROR", "Provider or billing error, not recoverable"},
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
		var it item
		if err := q.s.getJSON(q.r, q.id, "/v1/work-items/"+id, nil, &it); err != nil {
			return err
		}
		if ok, why := appealRoute(&it); !ok {
			return q.showItem(http.StatusConflict, why+" Nothing was changed.", q.r.PostForm)
		}
		body["status"], body["appealed_on"] = "appealed", q.r.PostFormValue("appealed_on")
		// After the deadline the API refuses the appeal unless the biller
		// says why (audited); the refusal names the deadline.
		if t := strings.TrimSpace(q.r.PostFormValue("override_reason")); t != "" {
			body["override_reason"] = t
		}
	case "writeoff":
		code := q.r.PostFormValue("reason")
		known := false
		for _, r := range writeOffReasons {
			known = known || r.Code == code
		}
		if !known {
			return q.showItem(http.StatusBadRequest, "Choose a reason code for the write-off.", q.r.PostForm)
		}
		res := code
		if t := strings.TrimSpace(q.r.PostFormValue("resolution")); t != "" {
			res += ": " + t
		}
		body["status"], body["resolution"] = "written_off", res
	case "resolve":
		body["status"] = "resolved"
		if t := strings.TrimSpace(q.r.PostFormValue("resolution")); t != "" {
			body["resolution"] = t
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
	case ae.Status == http.StatusBadRequest || ae.Status == http.StatusForbidden || ae.Status == http.StatusConflict:
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
