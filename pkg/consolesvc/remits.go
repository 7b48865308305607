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
