package consolesvc

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/remitq/remitq/pkg/money"
)

type fileRow struct {
	ID           int64         `json:"id"`
	Filename     string        `json:"filename"`
	Size         int64         `json:"size"`
	ReceivedAt   time.Time     `json:"received_at"`
	Status       string        `json:"status"`
	PracticeID   *int64        `json:"practice_id"`
	PayerName    *string       `json:"payer_name"`
	Claims       int           `json:"claims"`
	ServiceLines int           `json:"service_lines"`
	TotalPaid    *money.Amount `json:"total_paid"`
	ErrorCount   int           `json:"error_count"`
	WarningCount int           `json:"warning_count"`
	Errors       []struct {
		Segment int    `json:"segment"`
		ID      string `json:"id"`
		Message string `json:"message"`
	} `json:"errors"`
}

// maxReasons bounds the quarantined files whose reasons the list reads.
const maxReasons = 20

// remittances lists the remittance files with their status and, for the
// quarantined ones, the reasons; and the upload form.
func (q *req) remittances() error {
	return q.showRemittances(http.StatusOK, "", nil)
}

func (q *req) showRemittances(status int, problem string, uploaded []json.RawMessage) error {
	in := q.r.URL.Query()
	api := url.Values{"limit": {"100"}}
	if v := in.Get("status"); v != "" {
		api.Set("status", v)
	}
	var files page[fileRow]
	if err := q.s.getJSON(q.r, q.id, "/v1/files", api, &files); err != nil {
		return err
	}
	reasons := 0
	for i := range files.Items {
		f := &files.Items[i]
		if f.ErrorCount == 0 || reasons >= maxReasons {
			continue
		}
		reasons++
		if err := q.s.getJSON(q.r, q.id, "/v1/files/"+itoa(f.ID), nil, f); err != nil {
			return err
		}
	}
	labels, err := q.s.labels(q.r.Context(), q.id)
	if err != nil {
		return err
	}
	q.render(status, "remittances", "Remittances", map[string]any{"Files": files.Items, "Labels": labels,
		"Problem": problem, "Filter": in})
	return nil
}

// upload sends each file of the form to the ingest service's upload
// route, through the API's chain.
func (q *req) upload() error {
	if q.r.MultipartForm == nil || len(q.r.MultipartForm.File["file"]) == 0 {
		return q.showRemittances(http.StatusBadRequest, "Choose an 835 file to upload.", nil)
	}
	done := "upload"
	for _, fh := range q.r.MultipartForm.File["file"] {
		f, err := fh.Open()
		if err != nil {
			return err
		}
		raw, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			return err
		}
		rec, err := q.s.do(q.r, q.id, apiRequest{Method: http.MethodPost, Path: "/v1/remittances",
			Query: url.Values{"filename": {fh.Filename}}, Raw: raw, ContentType: "application/octet-stream"})
		if err != nil {
			return err
		}
		switch {
		case rec.status == http.StatusCreated:
		case rec.status == http.StatusOK:
			done = "duplicate" // stored before: nothing new
		case rec.status == http.StatusUnprocessableEntity:
			done = "quarantined" // stored, with its reasons in the list
		case rec.status < 500:
			ae := (&apiErrorReader{rec}).err().(*apiError)
			return q.showRemittances(ae.Status, fh.Filename+": "+ae.Message, nil)
		default:
			return (&apiErrorReader{rec}).err()
		}
	}
	return q.redirect("/console/remittances?done=" + done)
}

// fileDetail is a remittance file with its transactions (payments).
type fileDetail struct {
	fileRow
	Transactions []struct {
		ID            int64         `json:"id"`
		Seq           int           `json:"seq"`
		PracticeID    int64         `json:"practice_id"`
		PayerName     *string       `json:"payer_name"`
		BPRAmount     *money.Amount `json:"bpr_amount"`
		PaymentMethod *string       `json:"payment_method"`
		TraceNumber   *string       `json:"trace_number"`
		PaymentDate   *string       `json:"payment_date"`
	} `json:"transactions"`
}

type claimRow struct {
	ID                   int64        `json:"id"`
	PracticeID           int64        `json:"practice_id"`
	PatientControlNumber string       `json:"patient_control_number"`
	PayerClaimControl    *string      `json:"payer_claim_control"`
	Status               string       `json:"status"`
	Charge               money.Amount `json:"charge"`
	Paid                 money.Amount `json:"paid"`
	ServiceDateFrom      *string      `json:"service_date_from"`
	PatientName          *string      `json:"patient_name"`
}

// fileID is the {id} of a file or claim page in canonical decimal form.
func fileID(r *http.Request) (string, bool) { return itemID(r) }

// remittance shows one file: its payments and its paid claims (PHI, read
// through the API, which audits it), 100 claims a page.
func (q *req) remittance() error {
	id, ok := fileID(q.r)
	if !ok {
		return &apiError{Status: http.StatusNotFound}
	}
	var f fileDetail
	if err := q.s.getJSON(q.r, q.id, "/v1/files/"+id, nil, &f); err != nil {
		return err
	}
	api := url.Values{"limit": {"100"}}
	if c := q.r.URL.Query().Get("cursor"); c != "" {
		api.Set("cursor", c)
	}
	var claims page[claimRow]
	err := q.s.getJSON(q.r, q.id, "/v1/files/"+id+"/claims", api, &claims)
	problem, err := userMistake(err)
	if err != nil {
		return err
	}
	labels, err := q.s.labels(q.r.Context(), q.id)
	if err != nil {
		return err
	}
	next := ""
	if claims.NextCursor != "" {
		next = "/console/remittances/" + id + "?" + url.Values{"cursor": {claims.NextCursor}}.Encode()
	}
	q.render(http.StatusOK, "file", "File #"+id, map[string]any{"File": f, "Claims": claims.Items, "Next": next,
		"Labels": labels, "Problem": problem})
	return nil
}

// paidClaim is a paid claim as GET /v1/claims/{id} answers it.
type paidClaim struct {
	claimView
	FileID               int64   `json:"file_id"`
	PracticeID           int64   `json:"practice_id"`
	PatientControlNumber string  `json:"patient_control_number"`
	PayerClaimControl    *string `json:"payer_claim_control"`
	ServiceDateFrom      *string `json:"service_date_from"`
	ServiceDateTo        *string `json:"service_date_to"`
	RenderingNPI         *string `json:"rendering_npi"`
	TraceNumber          *string `json:"trace_number"`
}

// claim shows one paid claim, line by line, with the codes in plain
// language and the billed line each paid line matched.
func (q *req) claim() error {
	id, ok := fileID(q.r)
	if !ok {
		return &apiError{Status: http.StatusNotFound}
	}
	var c paidClaim
	if err := q.s.getJSON(q.r, q.id, "/v1/claims/"+id, nil, &c); err != nil {
		return err
	}
	labels, err := q.s.labels(q.r.Context(), q.id)
	if err != nil {
		return err
	}
	q.render(http.StatusOK, "claim", "Claim "+c.PatientControlNumber, map[string]any{"Claim": c, "Labels": labels})
	return nil
}
