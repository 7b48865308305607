package consolesvc

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/remitq/remitq/pkg/apisvc"
	"github.com/remitq/remitq/pkg/money"
)

// Admin onboarding: practices, their providers and payers, the write-off
// reasons and the practice's approval threshold.

type practice struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	NPI  string `json:"npi"`
	TIN  string `json:"tin"`
}

type provider struct {
	ID   int64  `json:"id"`
	NPI  string `json:"npi"`
	Name string `json:"name"`
}

type practicePayer struct {
	ID       int64  `json:"payer_id"`
	Code     string `json:"payer_code"`
	Name     string `json:"payer_name"`
	Enrolled bool   `json:"enrolled"`
	Seen     bool   `json:"seen"`
}

func (q *req) practices() error { return q.showPractices(http.StatusOK, "", nil, nil) }

func (q *req) showPractices(status int, problem string, form url.Values, ingested []int64) error {
	var list page[practice]
	if err := q.s.getJSON(q.r, q.id, "/v1/practices", url.Values{"limit": {"100"}}, &list); err != nil {
		return err
	}
	if form == nil {
		form = url.Values{}
	}
	q.render(status, "practices", "Practices", map[string]any{"Items": list.Items, "Problem": problem, "Form": form, "Ingested": ingested})
	return nil
}

func (q *req) addPractice() error {
	body := map[string]string{}
	for _, k := range []string{"name", "npi", "tin"} {
		if v := strings.TrimSpace(q.r.PostFormValue(k)); v != "" {
			body[k] = v
		}
	}
	var out struct {
		practice
		FilesIngested []int64 `json:"files_ingested"`
		FilesHeld     []int64 `json:"files_held"`
	}
	err := q.s.sendJSON(q.r, q.id, apiRequest{Method: http.MethodPost, Path: "/v1/practices", Body: body}, &out)
	if ae, ok := err.(*apiError); ok && ae.Status >= 400 && ae.Status < 500 && ae.Status != http.StatusForbidden {
		return q.showPractices(ae.Status, ae.Message, q.r.PostForm, nil)
	}
	if err != nil {
		return err
	}
	v := url.Values{"done": {"practice-added"}, "ingested": {itoa(int64(len(out.FilesIngested)))}, "held": {itoa(int64(len(out.FilesHeld)))}}
	return q.redirect("/console/admin/practices/" + itoa(out.ID) + "?" + v.Encode())
}

// practiceID is the {practice} of a page in canonical decimal form.
func practiceID(r *http.Request) (string, bool) {
	v := r.PathValue("practice")
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 || strconv.FormatInt(n, 10) != v {
		return "", false
	}
	return v, true
}

func (q *req) practicePage() error { return q.showPractice(http.StatusOK, "") }

func (q *req) showPractice(status int, problem string) error {
	id, ok := practiceID(q.r)
	if !ok {
		return &apiError{Status: http.StatusNotFound}
	}
	var p practice
	if err := q.s.getJSON(q.r, q.id, "/v1/practices/"+id, nil, &p); err != nil {
		return err
	}
	var provs page[provider]
	if err := q.s.getJSON(q.r, q.id, "/v1/practices/"+id+"/providers", url.Values{"limit": {"100"}}, &provs); err != nil {
		return err
	}
	var payers page[practicePayer]
	if err := q.s.getJSON(q.r, q.id, "/v1/practices/"+id+"/payers", url.Values{"limit": {"100"}}, &payers); err != nil {
		return err
	}
	var ws struct {
		ApprovalOver *money.Amount `json:"approval_over"`
	}
	if err := q.s.getJSON(q.r, q.id, "/v1/practices/"+id+"/write-off-settings", nil, &ws); err != nil {
		return err
	}
	in := q.r.URL.Query()
	q.render(status, "practice", p.Name, map[string]any{"Practice": p, "Providers": provs.Items, "Payers": payers.Items,
		"ApprovalOver": ws.ApprovalOver, "Problem": problem, "Ingested": in.Get("ingested"), "Held": in.Get("held")})
	return nil
}

// practiceAct is every form of the practice page.
func (q *req) practiceAct() error {
	id, ok := practiceID(q.r)
	if !ok {
		return &apiError{Status: http.StatusNotFound}
	}
	f := func(k string) string { return strings.TrimSpace(q.r.PostFormValue(k)) }
	base := "/v1/practices/" + id
	var r apiRequest
	done := ""
	switch f("action") {
	case "edit":
		body := map[string]string{}
		for _, k := range []string{"name", "npi", "tin"} {
			if v := f(k); v != "" {
				body[k] = v
			}
		}
		r, done = apiRequest{Method: http.MethodPatch, Path: base, Body: body}, "practice-saved"
	case "add-provider":
		r, done = apiRequest{Method: http.MethodPost, Path: base + "/providers", Body: map[string]string{"npi": f("npi"), "name": f("name")}}, "provider-saved"
	case "rename-provider":
		pv, err := strconv.ParseInt(f("provider"), 10, 64)
		if err != nil || pv <= 0 {
			return q.showPractice(http.StatusBadRequest, "The form lost the provider; reload the page.")
		}
		r, done = apiRequest{Method: http.MethodPatch, Path: base + "/providers/" + itoa(pv), Body: map[string]string{"name": f("name")}}, "provider-saved"
	case "add-payer":
		r, done = apiRequest{Method: http.MethodPost, Path: base + "/payers", Body: map[string]string{"payer_code": f("payer_code"), "payer_name": f("payer_name")}}, "payer-added"
	case "remove-payer":
		py, err := strconv.ParseInt(f("payer"), 10, 64)
		if err != nil || py <= 0 {
			return q.showPractice(http.StatusBadRequest, "The form lost the payer; reload the page.")
		}
		r, done = apiRequest{Method: http.MethodDelete, Path: base + "/payers/" + itoa(py)}, "payer-removed"
	case "threshold":
		a, err := parseAmount(f("approval_over"))
		if err != nil || a < 0 {
			return q.showPractice(http.StatusBadRequest, "The threshold must be dollars and cents, such as 500.00.")
		}
		body := map[string]any{"approval_over": a}
		r, done = apiRequest{Method: http.MethodPut, Path: base + "/write-off-settings", Body: body}, "threshold-saved"
	default:
		return q.showPractice(http.StatusBadRequest, "Unknown action.")
	}
	err := q.s.sendJSON(q.r, q.id, r, nil)
	if ae, ok := err.(*apiError); ok && ae.Status >= 400 && ae.Status < 500 && ae.Status != http.StatusForbidden && ae.Status != http.StatusNotFound {
		return q.showPractice(ae.Status, ae.Message)
	}
	if err != nil {
		return err
	}
	return q.redirect("/console/admin/practices/" + id + "?done=" + done)
}

// writeOffReasonsPage lists every reason code (active or not) for admins.
func (q *req) writeOffReasonsPage() error { return q.showReasons(http.StatusOK, "") }

func (q *req) showReasons(status int, problem string) error {
	var rs struct {
		Reasons []apisvc.WriteOffReason `json:"reasons"`
	}
	if err := q.s.getJSON(q.r, q.id, "/v1/write-off-reasons", url.Values{"all": {"true"}}, &rs); err != nil {
		return err
	}
	q.render(status, "reasons", "Write-off reasons", map[string]any{"Items": rs.Reasons, "Problem": problem})
	return nil
}

func (q *req) saveReason() error {
	f := func(k string) string { return strings.TrimSpace(q.r.PostFormValue(k)) }
	body := map[string]any{"label": f("label"), "active": q.r.PostFormValue("active") == "on"}
	if t := f("requires_approval_over"); t != "" {
		a, err := parseAmount(t)
		if err != nil {
			return q.showReasons(http.StatusBadRequest, "The approval amount must be dollars and cents, or empty.")
		}
		body["requires_approval_over"] = a
	} else {
		body["no_approval_threshold"] = true
	}
	r := apiRequest{Method: http.MethodPatch, Path: "/v1/write-off-reasons/" + url.PathEscape(f("code")), Body: body}
	if f("new") == "1" {
		body["code"] = f("code")
		delete(body, "no_approval_threshold")
		r = apiRequest{Method: http.MethodPost, Path: "/v1/write-off-reasons", Body: body}
	}
	err := q.s.sendJSON(q.r, q.id, r, nil)
	if ae, ok := err.(*apiError); ok && ae.Status >= 400 && ae.Status < 500 && ae.Status != http.StatusForbidden {
		return q.showReasons(ae.Status, ae.Message)
	}
	if err != nil {
		return err
	}
	return q.redirect("/console/admin/write-off-reasons?done=reason-saved")
}
