package consolesvc

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/remitq/remitq/pkg/apisvc"
	"github.com/remitq/remitq/pkg/money"
)

// Finishing a work item (write-offs with reason codes and approval,
// appeals with their packet and outcome, corrected claims and their
// submissions, billed claims and evidence, patient share), every call
// through the API's chain.

// itemRouteView is the route the API computes for an item (appealable.go).
type itemRouteView struct {
	Appealable bool   `json:"appealable"`
	Route      string `json:"route"`
}

// finishData is what the item page shows beside the item: the write-off
// reasons, the item's write-offs and appeals.
type finishData struct {
	Reasons   []apisvc.WriteOffReason
	WriteOffs []apisvc.WriteOff
	Appeals   []apisvc.Appeal
}

func (q *req) finishData(id string) (*finishData, error) {
	var d finishData
	var rs struct {
		Reasons []apisvc.WriteOffReason `json:"reasons"`
	}
	if err := q.s.getJSON(q.r, q.id, "/v1/write-off-reasons", nil, &rs); err != nil {
		return nil, err
	}
	d.Reasons = rs.Reasons
	var wo struct {
		WriteOffs []apisvc.WriteOff `json:"write_offs"`
	}
	if err := q.s.getJSON(q.r, q.id, "/v1/write-offs", url.Values{"work_item_id": {id}}, &wo); err != nil {
		return nil, err
	}
	d.WriteOffs = wo.WriteOffs
	var ap struct {
		Appeals []apisvc.Appeal `json:"appeals"`
	}
	if err := q.s.getJSON(q.r, q.id, "/v1/work-items/"+id+"/appeals", nil, &ap); err != nil {
		return nil, err
	}
	d.Appeals = ap.Appeals
	return &d, nil
}

// parseAmount reads an amount a person typed or the page filled in
// ("$1,250.00", "25", "25.00").
func parseAmount(s string) (money.Amount, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "$")
	return money.Parse(strings.ReplaceAll(s, ",", ""))
}

// version reads the form's item version.
func (q *req) version() (int, bool) {
	v, err := strconv.Atoi(q.r.PostFormValue("version"))
	return v, err == nil
}

// itemWriteOff posts a write-off with a reason code and amount; above the
// practice's threshold the API keeps it pending a supervisor's approval.
func (q *req) itemWriteOff() error {
	id, ok := itemID(q.r)
	if !ok {
		return &apiError{Status: http.StatusNotFound}
	}
	v, ok := q.version()
	if !ok {
		return q.showItem(http.StatusBadRequest, "The form lost the item's version; reload the item.", q.r.PostForm)
	}
	amt, err := parseAmount(strings.TrimSpace(q.r.PostFormValue("amount")))
	if err != nil {
		return q.showItem(http.StatusBadRequest, "The amount must be dollars and cents, such as 25.00.", q.r.PostForm)
	}
	if q.r.PostFormValue("reason_code") == "" {
		return q.showItem(http.StatusBadRequest, "Choose a reason code for the write-off.", q.r.PostForm)
	}
	var out struct {
		WriteOff apisvc.WriteOff `json:"write_off"`
	}
	err = q.s.sendJSON(q.r, q.id, apiRequest{Method: http.MethodPost, Path: "/v1/work-items/" + id + "/write-offs",
		Body: map[string]any{"reason_code": q.r.PostFormValue("reason_code"), "amount": amt, "note": q.r.PostFormValue("note"), "version": v}}, &out)
	if refused := q.refusal(err); refused != nil {
		return refused()
	}
	if err != nil {
		return err
	}
	if out.WriteOff.Status == "pending_approval" {
		return q.redirect("/console/items/" + id + "?done=writeoff-pending")
	}
	return q.redirect("/console/items/" + id + "?done=writeoff")
}

// itemAppeal records an appeal sent.
func (q *req) itemAppeal() error {
	id, ok := itemID(q.r)
	if !ok {
		return &apiError{Status: http.StatusNotFound}
	}
	level, err := strconv.Atoi(q.r.PostFormValue("level"))
	if err != nil {
		level = 1
	}
	body := map[string]any{"level": level, "submitted_on": q.r.PostFormValue("submitted_on"), "reference": q.r.PostFormValue("reference")}
	if t := strings.TrimSpace(q.r.PostFormValue("amount_appealed")); t != "" {
		a, err := parseAmount(t)
		if err != nil {
			return q.showItem(http.StatusBadRequest, "The amount appealed must be dollars and cents, such as 200.00.", q.r.PostForm)
		}
		body["amount_appealed"] = a
	}
	if t := strings.TrimSpace(q.r.PostFormValue("override_reason")); t != "" {
		body["override_reason"] = t
	}
	err = q.s.sendJSON(q.r, q.id, apiRequest{Method: http.MethodPost, Path: "/v1/work-items/" + id + "/appeals", Body: body}, nil)
	if refused := q.refusal(err); refused != nil {
		return refused()
	}
	if err != nil {
		return err
	}
	return q.redirect("/console/items/" + id + "?done=appeal")
}

// itemAppealOutcome records the payer's decision on an appeal.
func (q *req) itemAppealOutcome() error {
	id, ok := itemID(q.r)
	if !ok {
		return &apiError{Status: http.StatusNotFound}
	}
	aid, err := strconv.ParseInt(q.r.PathValue("appeal"), 10, 64)
	if err != nil || aid <= 0 {
		return &apiError{Status: http.StatusNotFound}
	}
	body := map[string]any{"outcome": q.r.PostFormValue("outcome"), "decided_on": q.r.PostFormValue("decided_on")}
	if t := strings.TrimSpace(q.r.PostFormValue("amount_recovered")); t != "" {
		a, err := parseAmount(t)
		if err != nil {
			return q.showItem(http.StatusBadRequest, "The amount recovered must be dollars and cents, such as 200.00.", q.r.PostForm)
		}
		body["amount_recovered"] = a
	}
	err = q.s.sendJSON(q.r, q.id, apiRequest{Method: http.MethodPatch, Path: "/v1/work-items/" + id + "/appeals/" + itoa(aid), Body: body}, nil)
	if refused := q.refusal(err); refused != nil {
		return refused()
	}
	if err != nil {
		return err
	}
	return q.redirect("/console/items/" + id + "?done=appeal-outcome")
}

// passThrough answers the API's file answer (a PDF, a letter, a CSV, an
// 837P) as a download, or its refusal as a page.
func (q *req) passThrough(path string, query url.Values, name string) error {
	rec, err := q.s.do(q.r, q.id, apiRequest{Method: http.MethodGet, Path: path, Query: query})
	if err != nil {
		return err
	}
	if rec.status < 200 || rec.status > 299 {
		ae := (&apiErrorReader{rec}).err()
		if e, ok := ae.(*apiError); ok && e.Status == http.StatusConflict {
			q.s.message(q, http.StatusConflict, "Not available", plainConflict(e))
			return nil
		}
		return ae
	}
	h := q.w.Header()
	h.Set("Content-Type", orDefault(rec.header.Get("Content-Type"), "application/octet-stream"))
	if name != "" {
		h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	}
	q.w.WriteHeader(http.StatusOK)
	_, _ = q.w.Write(rec.body.Bytes())
	return nil
}

// plainConflict says a 409 in plain words.
func plainConflict(e *apiError) string {
	switch e.Code {
	case "appeal_not_appealable":
		return "This item's route is not an appeal, so there is no appeal packet: " + e.Message
	case "appeal_no_level_left":
		return "Every appeal level of this payer was used already: " + e.Message
	case "appeal_missing_fact":
		return "The appeal packet needs a fact the claim does not have: " + e.Message
	}
	if e.Message != "" {
		return e.Message
	}
	return "The request conflicts with the item's state."
}

func (q *req) appealPDF() error {
	id, ok := itemID(q.r)
	if !ok {
		return &apiError{Status: http.StatusNotFound}
	}
	return q.passThrough("/v1/work-items/"+id+"/appeal", nil, "appeal-"+id+".pdf")
}

func (q *req) appealText() error {
	id, ok := itemID(q.r)
	if !ok {
		return &apiError{Status: http.StatusNotFound}
	}
	return q.passThrough("/v1/work-items/"+id+"/appeal", url.Values{"format": {"text"}}, "")
}

// correctedPreview shows the corrected (or void) claim the API would send.
type correctedPreview struct {
	Type              string `json:"type"`
	Reopening         bool   `json:"reopening"`
	Note              string `json:"note"`
	FrequencyCode     string `json:"frequency_code"`
	PayerClaimControl string `json:"payer_claim_control"`
	Changes           []struct {
		Line  int    `json:"line"`
		Field string `json:"field"`
		From  string `json:"from"`
		To    string `json:"to"`
		Why   string `json:"why"`
	} `json:"changes"`
}

func (q *req) corrected() error { return q.showCorrected(http.StatusOK, "") }

func (q *req) showCorrected(status int, problem string) error {
	id, ok := itemID(q.r)
	if !ok {
		return &apiError{Status: http.StatusNotFound}
	}
	typ := q.r.URL.Query().Get("type")
	if typ != "void" {
		typ = "replacement"
	}
	var p correctedPreview
	err := q.s.getJSON(q.r, q.id, "/v1/work-items/"+id+"/corrected-claim", url.Values{"type": {typ}}, &p)
	if ae, ok := err.(*apiError); ok && (ae.Status == http.StatusConflict || ae.Status == http.StatusUnprocessableEntity) {
		problem, err = plainConflict(ae), nil
	}
	if err != nil {
		return err
	}
	q.render(status, "corrected", "Corrected claim for item #"+id, map[string]any{"ID": id, "Type": typ, "Preview": p, "Problem": problem})
	return nil
}

func (q *req) createCorrected() error {
	id, ok := itemID(q.r)
	if !ok {
		return &apiError{Status: http.StatusNotFound}
	}
	typ := q.r.PostFormValue("type")
	if typ != "void" {
		typ = "replacement"
	}
	var sub struct {
		ID int64 `json:"id"`
	}
	err := q.s.sendJSON(q.r, q.id, apiRequest{Method: http.MethodPost, Path: "/v1/work-items/" + id + "/corrected-claim",
		Body: map[string]string{"type": typ}}, &sub)
	if ae, ok := err.(*apiError); ok && ae.Status >= 400 && ae.Status < 500 && ae.Status != http.StatusNotFound {
		return q.showCorrected(ae.Status, "The claim was not created: "+plainConflict(ae))
	}
	if err != nil {
		return err
	}
	return q.redirect("/console/submissions?done=submitted&id=" + itoa(sub.ID))
}

type submission struct {
	ID                 int64        `json:"id"`
	PracticeID         int64        `json:"practice_id"`
	PayerCode          string       `json:"payer_code"`
	Kind               string       `json:"kind"`
	InterchangeControl int64        `json:"interchange_control"`
	Claims             int          `json:"claims"`
	TotalCharge        money.Amount `json:"total_charge"`
	CreatedBy          string       `json:"created_by"`
	CreatedAt          time.Time    `json:"created_at"`
	WorkItems          []int64      `json:"work_items"`
}

func (q *req) submissions() error {
	var out struct {
		Submissions []submission `json:"submissions"`
	}
	err := q.s.getJSON(q.r, q.id, "/v1/submissions", listQuery(q.r.URL.Query(), []string{"practice_id"}), &out)
	problem, err := userMistake(err)
	if err != nil {
		return err
	}
	labels, err := q.s.labels(q.r.Context(), q.id)
	if err != nil {
		return err
	}
	var ids []int64
	for _, sb := range out.Submissions {
		if id, ok := actorID(sb.CreatedBy); ok {
			ids = append(ids, id)
		}
	}
	who, err := q.s.userNames(q.r.Context(), ids)
	if err != nil {
		return err
	}
	q.render(http.StatusOK, "submissions", "Submissions", map[string]any{"Items": out.Submissions, "Labels": labels, "Who": who,
		"Problem": problem, "New": q.r.URL.Query().Get("id")})
	return nil
}

func (q *req) submissionFile() error {
	n, err := strconv.ParseInt(q.r.PathValue("id"), 10, 64)
	if err != nil || n <= 0 {
		return &apiError{Status: http.StatusNotFound}
	}
	return q.passThrough("/v1/submissions/"+itoa(n)+"/file", nil, "submission-"+itoa(n)+".837")
}

// billedClaim shows a billed claim: its lines beside the paid lines.
func (q *req) billedClaim() error {
	n, err := strconv.ParseInt(q.r.PathValue("id"), 10, 64)
	if err != nil || n <= 0 {
		return &apiError{Status: http.StatusNotFound}
	}
	var bc apisvc.BilledClaimView
	if err := q.s.getJSON(q.r, q.id, "/v1/billed-claims/"+itoa(n), nil, &bc); err != nil {
		return err
	}
	labels, err := q.s.labels(q.r.Context(), q.id)
	if err != nil {
		return err
	}
	q.render(http.StatusOK, "billedclaim", "Billed claim "+bc.PatientControlNumber, map[string]any{"Claim": bc, "Labels": labels})
	return nil
}

// approvals is a supervisor's queue of write-offs pending approval.
func (q *req) approvals() error {
	var out struct {
		WriteOffs []apisvc.WriteOff `json:"write_offs"`
	}
	if err := q.s.getJSON(q.r, q.id, "/v1/write-offs", url.Values{"status": {"pending_approval"}}, &out); err != nil {
		return err
	}
	labels, err := q.s.labels(q.r.Context(), q.id)
	if err != nil {
		return err
	}
	var rs struct {
		Reasons []apisvc.WriteOffReason `json:"reasons"`
	}
	if err := q.s.getJSON(q.r, q.id, "/v1/write-off-reasons", nil, &rs); err != nil {
		return err
	}
	who, err := q.s.userNames(q.r.Context(), historyUsers(nil, out.WriteOffs))
	if err != nil {
		return err
	}
	q.render(http.StatusOK, "approvals", "Write-off approvals", map[string]any{"Items": pendingWriteOffs(out.WriteOffs, rs.Reasons, who),
		"Labels": labels})
	return nil
}

func (q *req) decideWriteOff() error {
	n, err := strconv.ParseInt(q.r.PathValue("id"), 10, 64)
	if err != nil || n <= 0 {
		return &apiError{Status: http.StatusNotFound}
	}
	verb := q.r.PostFormValue("decision")
	if verb != "approve" && verb != "reject" {
		q.s.message(q, http.StatusBadRequest, "Request refused", "Choose approve or reject.")
		return nil
	}
	err = q.s.sendJSON(q.r, q.id, apiRequest{Method: http.MethodPost, Path: "/v1/write-offs/" + itoa(n) + "/" + verb,
		Body: map[string]string{"note": q.r.PostFormValue("note")}}, nil)
	if err != nil {
		return err
	}
	return q.redirect("/console/approvals?done=writeoff-" + verb)
}

// patientShare lists the patient share of a practice's paid lines.
func (q *req) patientShare() error {
	labels, err := q.s.labels(q.r.Context(), q.id)
	if err != nil {
		return err
	}
	in := q.r.URL.Query()
	data := map[string]any{"Labels": labels, "Filter": in}
	if p := strings.TrimSpace(in.Get("practice_id")); p != "" {
		var out struct {
			Items     []apisvc.PatientShare `json:"items"`
			Total     money.Amount          `json:"total"`
			Truncated bool                  `json:"truncated"`
		}
		err := q.s.getJSON(q.r, q.id, "/v1/patient-share", url.Values{"practice_id": {p}, "exported": {"false"}}, &out)
		problem, err := userMistake(err)
		if err != nil {
			return err
		}
		data["Problem"], data["Items"], data["Total"], data["Truncated"], data["Practice"] = problem, out.Items, out.Total, out.Truncated, p
	}
	q.render(http.StatusOK, "patientshare", "Patient share", data)
	return nil
}

func (q *req) patientShareCSV() error {
	p := strings.TrimSpace(q.r.URL.Query().Get("practice_id"))
	return q.passThrough("/v1/patient-share", url.Values{"practice_id": {p}, "format": {"csv"}, "exported": {"false"}}, "patient-share-"+p+".csv")
}

func (q *req) patientShareExported() error {
	p := strings.TrimSpace(q.r.PostFormValue("practice_id"))
	var items []map[string]int64
	for _, k := range q.r.PostForm["row"] {
		a, b, ok := strings.Cut(k, ":")
		cp, err1 := strconv.ParseInt(a, 10, 64)
		lk, err2 := strconv.ParseInt(b, 10, 64)
		if ok && err1 == nil && err2 == nil {
			items = append(items, map[string]int64{"claim_payment_id": cp, "line_key": lk})
		}
	}
	if len(items) == 0 {
		q.s.message(q, http.StatusBadRequest, "Nothing marked", "Choose the rows sent to the statement run.")
		return nil
	}
	err := q.s.sendJSON(q.r, q.id, apiRequest{Method: http.MethodPost, Path: "/v1/patient-share/exported", Query: url.Values{"practice_id": {p}},
		Body: map[string]any{"batch": strings.TrimSpace(q.r.PostFormValue("batch")), "items": items}}, nil)
	if err != nil {
		return err
	}
	return q.redirect("/console/patient-share?done=exported&practice_id=" + url.QueryEscape(p))
}
