package apisvc

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"go.uber.org/zap"

	"github.com/remitq/remitq/pkg/ackstore"
	"github.com/remitq/remitq/pkg/audit"
	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/httpx"
	"github.com/remitq/remitq/pkg/store"
)

// Acknowledgments: 999 and 277CA files (pkg/ackstore).
//
//	POST /v1/acknowledgments       one file as the raw body (?filename=) or
//	                               multipart/form-data files, like
//	                               POST /v1/remittances: 201 stored, 200 the
//	                               same bytes again (nothing changed), 422
//	                               quarantined (kept, errors with segment and
//	                               byte offset), 403 claims of a practice
//	                               out of scope (nothing stored, audited),
//	                               503 with Retry-After when the servers are
//	                               down.
//	GET  /v1/acknowledgments       the files the caller sees (newest 200)
//	GET  /v1/acknowledgments/{id}  one file with its claim verdicts (PHI)
//
// A file belongs to the practices of its linked claims: the caller sees it
// when it sees one of them whole (and then only their claims), or when it
// uploaded it; a file that links no claim (none matches a billed claim, or
// quarantined) is for its uploader and admins.

func (c *call) postAcknowledgments() error {
	id := c.id
	var sees func(int64) bool
	if !id.All() {
		sees = id.SeesPractice
	}
	entries := func(res *ackstore.Result) []audit.Entry {
		return ackstore.AuditEntries(res, c.entry("ack.upload", "ack_file", 0, 0, nil))
	}
	lim := httpx.UploadLimits{MaxFileBytes: c.s.opts.MaxBodyBytes, MaxRequestBytes: c.s.opts.MaxBodyBytes}
	httpx.StreamUploads(c.w, c.r, lim, func(f *httpx.Spool) (any, int, error) {
		raw, err := f.Bytes()
		if err != nil {
			return nil, 0, err
		}
		res, err := ackstore.Ingest(c.r.Context(), c.s.db, raw, ackstore.Options{Filename: f.Name, UploadedBy: id.UserID, Sees: sees,
			Refused: func(ctx context.Context, practices []int64) error {
				var es []audit.Entry
				for _, p := range practices {
					es = append(es, c.entry("ack.upload_refused", "ack_file", 0, p, map[string]any{"reason": "claims out of scope"}))
				}
				return c.audit(es...)
			},
			Stored: func(ctx context.Context, tx sqlx.ExecerContext, res *ackstore.Result) error {
				return c.auditTx(tx, entries(res)...)
			},
			Again: func(ctx context.Context, res *ackstore.Result) error {
				return c.audit(entries(res)...)
			}})
		if err != nil {
			return nil, 0, err
		}
		status := http.StatusCreated
		switch {
		case res.Duplicate:
			status = http.StatusOK
		case res.Status == ackstore.StatusQuarantined:
			status = http.StatusUnprocessableEntity
		}
		return res, status, nil
	}, c.ackFail)
	return nil
}

// ackFail answers a failure to store an acknowledgment file.
func (c *call) ackFail(w http.ResponseWriter, err error) {
	var refused *ackstore.RefusedError
	switch {
	case errors.As(err, &refused):
		httpx.Error(w, http.StatusForbidden, "claims_out_of_scope", refused.Error())
	case store.IsOutage(err):
		c.s.log.Warn("acknowledgments: servers unavailable", zap.String("request_id", c.reqID), zap.Error(err))
		w.Header().Set("Retry-After", "5")
		httpx.Error(w, http.StatusServiceUnavailable, "store_unavailable", "the file could not be stored now; send it again later")
	default:
		c.s.log.Error("acknowledgments: upload failed", zap.String("request_id", c.reqID), zap.Error(err))
		httpx.Error(w, http.StatusInternalServerError, "internal", "the file could not be stored; it was logged as "+c.reqID)
	}
}

// ackFile is a file as the list and the detail show it (no PHI).
type ackFile struct {
	ID          int64              `json:"id"`
	Filename    string             `json:"filename"`
	Kind        string             `json:"kind"`
	Status      string             `json:"status"`
	Size        int64              `json:"size"`
	Claims      int                `json:"claims"`
	Rejected    int                `json:"rejected"`
	Unmatched   int                `json:"unmatched"`
	PracticeIDs []int64            `json:"practice_ids"`
	ReceivedAt  time.Time          `json:"received_at"`
	Errors      []ackstore.Problem `json:"errors"`
}

const ackFileCols = `f.id, f.filename, f.kind, f.status, f.size, f.claims, f.rejected, f.unmatched, f.practice_ids, f.received_at, f.errors`

func scanAckFile(sc interface{ Scan(...any) error }) (*ackFile, error) {
	a := &ackFile{}
	var pids pq.Int64Array
	var errs []byte
	if err := sc.Scan(&a.ID, &a.Filename, &a.Kind, &a.Status, &a.Size, &a.Claims, &a.Rejected, &a.Unmatched, &pids, &a.ReceivedAt, &errs); err != nil {
		return nil, err
	}
	a.PracticeIDs = []int64(pids)
	if a.PracticeIDs == nil {
		a.PracticeIDs = []int64{}
	}
	if err := json.Unmarshal(errs, &a.Errors); err != nil {
		return nil, err
	}
	return a, nil
}

func (c *call) getAcknowledgments() error {
	var args auth.Args
	rows, err := c.s.db.QueryxContext(c.r.Context(), `SELECT `+ackFileCols+` FROM ack_files f WHERE `+c.ackSeenSQL("f", &args)+
		` ORDER BY f.received_at DESC, f.id DESC LIMIT 200`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	out := []*ackFile{}
	for rows.Next() {
		a, err := scanAckFile(rows)
		if err != nil {
			return err
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	first := func(i int) int64 {
		if len(out[i].PracticeIDs) > 0 {
			return out[i].PracticeIDs[0]
		}
		return 0
	}
	if err := c.auditList("ack.list", "ack_file", first, func(i int) int64 { return out[i].ID }, len(out), nil); err != nil {
		return err
	}
	return c.json(http.StatusOK, map[string]any{"files": out})
}

// ackClaim is one claim verdict (PHI: the patient control number).
type ackClaim struct {
	Segment              int      `json:"segment"`
	Offset               int64    `json:"offset"`
	Source               string   `json:"source"`
	Accepted             bool     `json:"accepted"`
	PracticeID           *int64   `json:"practice_id"`
	BilledClaimID        *int64   `json:"billed_claim_id"`
	PatientControlNumber string   `json:"patient_control_number"`
	GroupControl         string   `json:"group_control,omitempty"`
	SetControl           string   `json:"set_control,omitempty"`
	BatchReference       string   `json:"batch_reference,omitempty"`
	PayerClaimNumber     string   `json:"payer_claim_number,omitempty"`
	ClearinghouseTrace   string   `json:"clearinghouse_trace,omitempty"`
	Category             string   `json:"category"`
	Statuses             []string `json:"statuses"`
	Entity               string   `json:"entity,omitempty"`
	Lines                []string `json:"lines"`
	WorkItemID           *int64   `json:"work_item_id"`
	Text                 string   `json:"text"`
	Fix                  string   `json:"fix,omitempty"`
}

func (c *call) getAcknowledgment() error {
	fid, err := strconv.ParseInt(c.r.PathValue("id"), 10, 64)
	if err != nil || fid <= 0 {
		return errNotFound
	}
	var args auth.Args
	a, err := scanAckFile(c.s.db.QueryRowxContext(c.r.Context(), `SELECT `+ackFileCols+` FROM ack_files f WHERE f.id = `+args.Add(fid)+
		` AND `+c.ackSeenSQL("f", &args), args...))
	if errors.Is(err, sql.ErrNoRows) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	// Claims of the caller's practices, and, for its uploader or an
	// admin, the unlinked ones.
	var cargs auth.Args
	where := "a.file_id = " + cargs.Add(fid)
	if !c.id.All() {
		where += " AND (a.practice_id = ANY(" + cargs.Add(pq.Array(wholePractices(c.id))) + "::bigint[]) OR (a.practice_id IS NULL AND f.uploaded_by = " +
			cargs.Add(c.id.UserID) + "))"
	}
	rows, err := c.s.db.QueryxContext(c.r.Context(), `SELECT a.segment_index, a.byte_offset, a.source, a.accepted, a.practice_id,
		a.billed_claim_id, a.patient_control_number, a.group_control, a.set_control, a.batch_reference, a.payer_claim_number,
		a.clearinghouse_trace, a.category, a.statuses, a.entity, a.lines, a.work_item_id
		FROM ack_claims a JOIN ack_files f ON f.id = a.file_id WHERE `+where+` ORDER BY a.segment_index, a.patient_control_number`, cargs...)
	if err != nil {
		return err
	}
	defer rows.Close()
	claims := []*ackClaim{}
	for rows.Next() {
		k := &ackClaim{}
		var pr, bc, wi sql.NullInt64
		var sts, lines pq.StringArray
		if err := rows.Scan(&k.Segment, &k.Offset, &k.Source, &k.Accepted, &pr, &bc, &k.PatientControlNumber, &k.GroupControl,
			&k.SetControl, &k.BatchReference, &k.PayerClaimNumber, &k.ClearinghouseTrace, &k.Category, &sts, &k.Entity, &lines, &wi); err != nil {
			return err
		}
		k.PracticeID, k.BilledClaimID, k.WorkItemID = nullID(pr), nullID(bc), nullID(wi)
		k.Statuses, k.Lines = append([]string{}, sts...), append([]string{}, lines...)
		v := &ackstore.Verdict{Accepted: k.Accepted}
		v.Source, v.Category, v.Statuses, v.Entity, v.SetControl = k.Source, k.Category, k.Statuses, k.Entity, k.SetControl
		k.Text = ackstore.StatusText(v)
		if !k.Accepted {
			k.Fix = ackstore.Fix(v)
		}
		claims = append(claims, k)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	practices := a.PracticeIDs
	if len(practices) == 0 {
		practices = []int64{0}
	}
	var es []audit.Entry
	for _, p := range practices {
		if p != 0 && !c.id.All() && !c.id.SeesPractice(p) {
			continue
		}
		es = append(es, c.entry("ack.view", "ack_file", fid, p, map[string]any{"claims": len(claims)}))
	}
	if len(es) == 0 {
		es = append(es, c.entry("ack.view", "ack_file", fid, 0, map[string]any{"claims": len(claims)}))
	}
	if err := c.audit(es...); err != nil {
		return err
	}
	return c.json(http.StatusOK, map[string]any{"file": a, "claims": claims})
}

func nullID(n sql.NullInt64) *int64 {
	if !n.Valid {
		return nil
	}
	v := n.Int64
	return &v
}
