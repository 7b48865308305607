package consolesvc

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/remitq/remitq/pkg/money"
)

// pendingClaim is a paid claim in the matcher's review queue.
type pendingClaim struct {
	FileID         int64         `json:"file_id"`
	Segment        int32         `json:"segment"`
	PracticeID     int64         `json:"practice_id"`
	Payer          string        `json:"payer"`
	PatientControl string        `json:"patient_control_number"`
	PayerControl   string        `json:"payer_claim_control"`
	Status         string        `json:"status"`
	Unmatched      bool          `json:"unmatched"`
	QueuedAt       time.Time     `json:"queued_at"`
	Flags          []string      `json:"flags"`
	Lines          []pendingLine `json:"lines"`
}

// pendingLine is a paid line of a claim in the review queue with the
// billed line the matcher proposes (BilledLineID 0: none).
type pendingLine struct {
	Segment          int32         `json:"segment"`
	Procedure        string        `json:"procedure"`
	Modifiers        []string      `json:"modifiers"`
	ServiceDate      string        `json:"service_date"`
	Charge           money.Amount  `json:"charge"`
	Paid             money.Amount  `json:"paid"`
	Allowed          money.Amount  `json:"allowed"`
	Method           string        `json:"method"`
	Confidence       float64       `json:"confidence"`
	Review           bool          `json:"review"`
	Flags            []string      `json:"flags"`
	BilledClaimID    int64         `json:"billed_claim_id"`
	BilledLineID     int64         `json:"billed_line_id"`
	BilledLineNumber int           `json:"billed_line_number"`
	BilledControl    string        `json:"billed_patient_control_number"`
	Expected         *money.Amount `json:"expected_allowed"`
}

// Percent is the matcher's confidence in whole percent.
func (l pendingLine) Percent() int { return int(l.Confidence*100 + 0.5) }

// matchPractice is the practice of the review queue: the one asked for,
// else the user's first (an admin: every practice).
func (q *req) matchPractice(l *labels, v string) string {
	if _, err := strconv.ParseInt(v, 10, 64); err == nil {
		return v
	}
	if q.id.All() || len(l.Practices) == 0 {
		return ""
	}
	return itoa(l.Practices[0].ID)
}

// matchReview shows the paid claims waiting for a person: each line with
// the billed line proposed, to confirm, or another to pick.
func (q *req) matchReview() error {
	return q.showMatch(http.StatusOK, "")
}

func (q *req) showMatch(status int, problem string) error {
	labels, err := q.s.labels(q.r.Context(), q.id)
	if err != nil {
		return err
	}
	in := q.r.URL.Query()
	if q.r.Method == http.MethodPost {
		in = q.r.PostForm
	}
	practice := q.matchPractice(labels, in.Get("practice_id"))
	api := url.Values{"limit": {"50"}}
	if practice != "" {
		api.Set("practice_id", practice)
	}
	if a := in.Get("after"); a != "" {
		api.Set("after", a)
	}
	var out struct {
		Claims []pendingClaim `json:"claims"`
	}
	err = q.s.getJSON(q.r, q.id, "/v1/match/review", api, &out)
	if p, rest := userMistake(err); p != "" {
		problem, err = p, rest
	}
	if err != nil {
		return err
	}
	next := ""
	if n := len(out.Claims); n == 50 {
		last := out.Claims[n-1]
		v := url.Values{"practice_id": {practice}, "after": {itoa(last.FileID) + ":" + strconv.Itoa(int(last.Segment))}}
		next = "/console/match?" + v.Encode()
	}
	q.render(status, "match", "Match review", map[string]any{"Claims": out.Claims, "Labels": labels, "Practice": practice,
		"Problem": problem, "Next": next})
	return nil
}

// matchDecide confirms the proposed billed line of a paid line, or picks
// another billed claim and line, through the matcher's routes.
func (q *req) matchDecide() error {
	f := q.r.PostForm
	file, err1 := strconv.ParseInt(f.Get("file"), 10, 64)
	seg, err2 := strconv.ParseInt(f.Get("segment"), 10, 32)
	if err1 != nil || err2 != nil || file <= 0 || seg < 0 {
		return q.showMatch(http.StatusBadRequest, "The form lost which line it was for; reload the page.")
	}
	path := "/v1/match/lines/" + itoa(file) + "/" + strconv.Itoa(int(seg)) + "/"
	req := apiRequest{Method: http.MethodPost}
	done := "match-confirmed"
	switch f.Get("action") {
	case "confirm":
		req.Path = path + "confirm"
	case "pick":
		claim, err := strconv.ParseInt(strings.TrimSpace(f.Get("billed_claim_id")), 10, 64)
		line, err2 := strconv.ParseInt(strings.TrimSpace(orDefault(f.Get("billed_line_id"), "0")), 10, 64)
		if err != nil || err2 != nil || claim <= 0 || line < 0 {
			return q.showMatch(http.StatusBadRequest, "Give the billed claim's id (and the billed line's id, or leave it empty for the claim only).")
		}
		req.Path, req.Body, done = path+"pick", map[string]int64{"billed_claim_id": claim, "billed_line_id": line}, "match-picked"
	default:
		return q.showMatch(http.StatusBadRequest, "Unknown action.")
	}
	err := q.s.sendJSON(q.r, q.id, req, nil)
	var ae *apiError
	if errors.As(err, &ae) && ae.Status >= 400 && ae.Status < 500 && ae.Status != http.StatusForbidden {
		return q.showMatch(ae.Status, "Not recorded: "+ae.Message+".")
	}
	if err != nil {
		return err
	}
	v := url.Values{"done": {done}}
	if p := f.Get("practice_id"); p != "" {
		v.Set("practice_id", p)
	}
	return q.redirect("/console/match?" + v.Encode())
}
