package matchsvc

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/remitq/remitq/pkg/audit"
	"github.com/remitq/remitq/pkg/billed"
	"github.com/remitq/remitq/pkg/billedstore"
	"github.com/remitq/remitq/pkg/httpx"
	"github.com/remitq/remitq/pkg/match"
	"github.com/remitq/remitq/pkg/matchstore"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/wire"
	v1 "github.com/remitq/remitq/proto/remitq/v1"
	"github.com/remitq/remitq/x12"
)

// Register implements svc.Component. Every answer is JSON; errors are
// {"error": {"code", "message"}}. Nothing returned holds PHI: paid claims
// are named by their file id and CLP segment and by CLM01.
//
//	GET  /v1/match/review       paid claims waiting for a person or for their billed claim (?practice_id=&limit=&after=FILE:SEG; next_cursor is the next page's after, "" at the end)
//	GET  /v1/match/unmatched    the same, only claims with an unmatched line, and unlinked PLB pairs
//	POST /v1/match/lines/{file}/{segment}/confirm   accept the proposed billed line (X-Remitq-User names who)
//	POST /v1/match/lines/{file}/{segment}/pick      {"billed_claim_id": N, "billed_line_id": M}: another billed claim/line
//	GET  /v1/match/missing      billed claims without a remit past their payer's window (?practice_id=&payer=&as_of=&limit=&after=; next_cursor likewise)
//	GET  /v1/match/payers       payers with their last remittance and missing remits (?as_of=)
func (s *Service) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/match/review", func(w http.ResponseWriter, r *http.Request) { s.listPending(w, r, false) })
	mux.HandleFunc("GET /v1/match/unmatched", func(w http.ResponseWriter, r *http.Request) { s.listPending(w, r, true) })
	mux.HandleFunc("POST /v1/match/lines/{file}/{segment}/confirm", func(w http.ResponseWriter, r *http.Request) { s.decide(w, r, "confirm") })
	mux.HandleFunc("POST /v1/match/lines/{file}/{segment}/pick", func(w http.ResponseWriter, r *http.Request) { s.decide(w, r, "pick") })
	mux.HandleFunc("GET /v1/match/missing", s.missing)
	mux.HandleFunc("GET /v1/match/payers", s.payers)
}

// PendingClaim is a paid claim in the review queue.
type PendingClaim struct {
	FileID         int64         `json:"file_id"`
	Segment        int32         `json:"segment"`
	PracticeID     int64         `json:"practice_id"`
	Payer          string        `json:"payer"`
	PatientControl string        `json:"patient_control_number"`
	PayerControl   string        `json:"payer_claim_control,omitempty"`
	Status         string        `json:"status"`
	Unmatched      bool          `json:"unmatched"`
	QueuedAt       time.Time     `json:"queued_at"`
	RetryRequested bool          `json:"retry_requested"`
	Attempts       int           `json:"attempts"`
	Flags          []string      `json:"flags"`
	Lines          []PendingLine `json:"lines"`
}

// PendingLine is a line of a paid claim in the review queue, with the
// billed line proposed (if any).
type PendingLine struct {
	Segment          int32         `json:"segment"`
	SVCIndex         int           `json:"svc_index"`
	Procedure        string        `json:"procedure"`
	Modifiers        []string      `json:"modifiers"`
	ServiceDate      x12.Date      `json:"service_date,omitempty"`
	Charge           money.Amount  `json:"charge"`
	Paid             money.Amount  `json:"paid"`
	Allowed          money.Amount  `json:"allowed"`
	PatientResp      money.Amount  `json:"patient_responsibility"`
	Expected         *money.Amount `json:"expected_allowed,omitempty"`
	Method           string        `json:"method"`
	Confidence       float64       `json:"confidence"`
	Review           bool          `json:"review"`
	Flags            []string      `json:"flags"`
	BilledClaimID    int64         `json:"billed_claim_id,omitempty"`
	BilledLineID     int64         `json:"billed_line_id,omitempty"`
	BilledLineNumber int           `json:"billed_line_number,omitempty"`
	BilledControl    string        `json:"billed_patient_control_number,omitempty"`
	Revision         int           `json:"revision"`
}

// UnlinkedPLB is a PLB pair whose reference names nothing known yet.
type UnlinkedPLB struct {
	FileID    int64        `json:"file_id"`
	Segment   int32        `json:"segment"`
	Position  int32        `json:"position"`
	Practice  int64        `json:"practice_id"`
	Payer     string       `json:"payer"`
	Reason    string       `json:"reason"`
	Kind      string       `json:"kind"`
	Reference string       `json:"reference"`
	Amount    money.Amount `json:"amount"`
}

func lineOut(l *matchstore.LineRow) PendingLine {
	return PendingLine{Segment: l.Pos.Seg, SVCIndex: l.SvcIndex, Procedure: l.Procedure, Modifiers: nonNil(l.Modifiers),
		ServiceDate: l.ServiceDate, Charge: l.Charge, Paid: l.Paid, Allowed: l.Allowed, PatientResp: l.PatientResp,
		Expected: l.Expected, Method: l.Method, Confidence: l.Confidence, Review: l.Review, Flags: nonNil(l.Flags),
		BilledClaimID: l.BilledClaimID, BilledLineID: l.BilledLineID, BilledLineNumber: l.BilledLineNumber,
		BilledControl: l.BilledPCN, Revision: l.Revision}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func queryInt(r *http.Request, name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s must be a non-negative integer", name)
	}
	return n, nil
}

func (s *Service) fail(w http.ResponseWriter, err error) {
	s.log.Error("matcher request failed", zap.Error(err))
	httpx.Error(w, http.StatusServiceUnavailable, "store_unavailable", "the request could not be served; try again")
}

// ListPending returns the review queue (onlyUnmatched: the claims with an
// unmatched line), by file and segment after `after`.
func ListPending(ctx context.Context, q sqlx.QueryerContext, practiceID int64, onlyUnmatched bool, after matchstore.Pos, limit int) ([]PendingClaim, error) {
	return listPending(ctx, q, practiceID, onlyUnmatched, after, pendingLimit(limit))
}

// pendingLimit is the page size of the review queue: 1..1000, default 100.
func pendingLimit(limit int) int {
	if limit <= 0 || limit > 1000 {
		return 100
	}
	return limit
}

// listPending is ListPending of exactly limit claims.
func listPending(ctx context.Context, q sqlx.QueryerContext, practiceID int64, onlyUnmatched bool, after matchstore.Pos, limit int) ([]PendingClaim, error) {
	rows, err := q.QueryxContext(ctx, `SELECT p.file_id, p.segment_index, p.practice_id, p.payer_code, p.patient_control_number,
		coalesce(p.payer_claim_control, ''), p.unmatched, p.queued_at, p.retry_requested_at IS NOT NULL, p.attempts,
		coalesce(m.status, ''), coalesce(m.flags, '{}')
		FROM match_pending p LEFT JOIN match_claims m ON m.file_id = p.file_id AND m.segment_index = p.segment_index
		WHERE ($1::bigint = 0 OR p.practice_id = $1::bigint) AND (NOT $2 OR p.unmatched) AND (p.file_id, p.segment_index) > ($3, $4)
		ORDER BY p.file_id, p.segment_index LIMIT $5`, practiceID, onlyUnmatched, after.File, after.Seg, limit)
	if err != nil {
		return nil, fmt.Errorf("matchsvc: review queue: %w", err)
	}
	defer rows.Close()
	out := []PendingClaim{}
	var ps []matchstore.Pos
	for rows.Next() {
		var c PendingClaim
		if err := rows.Scan(&c.FileID, &c.Segment, &c.PracticeID, &c.Payer, &c.PatientControl, &c.PayerControl, &c.Unmatched,
			&c.QueuedAt, &c.RetryRequested, &c.Attempts, &c.Status, (*pq.StringArray)(&c.Flags)); err != nil {
			return nil, err
		}
		c.Flags, c.Lines = nonNil(c.Flags), []PendingLine{}
		out = append(out, c)
		ps = append(ps, matchstore.Pos{File: c.FileID, Seg: c.Segment})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	st, err := matchstore.LoadStored(ctx, queryOnly{q}, ps)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if s := st[ps[i]]; s != nil {
			for j := range s.Lines {
				out[i].Lines = append(out[i].Lines, lineOut(&s.Lines[j]))
			}
		}
	}
	return out, nil
}

// queryOnly adapts a queryer to billedstore.DBTX for read-only helpers.
type queryOnly struct{ sqlx.QueryerContext }

func (queryOnly) ExecContext(context.Context, string, ...any) (sql.Result, error) {
	return nil, errors.New("matchsvc: read-only")
}

func parseAfter(v string) (matchstore.Pos, bool) {
	if v == "" {
		return matchstore.Pos{}, true
	}
	return matchstore.ParseRef(v)
}

func (s *Service) listPending(w http.ResponseWriter, r *http.Request, onlyUnmatched bool) {
	practice, err := queryInt(r, "practice_id")
	limit, err2 := queryInt(r, "limit")
	after, ok := parseAfter(r.URL.Query().Get("after"))
	if err != nil || err2 != nil || !ok {
		httpx.Error(w, http.StatusBadRequest, "bad_query", "practice_id and limit are integers; after is FILE:SEGMENT")
		return
	}
	// One claim more than the page tells whether another page follows:
	// next_cursor is the last claim's FILE:SEGMENT, for after=; "" at the end.
	lim := pendingLimit(int(limit))
	list, err := listPending(r.Context(), s.deps.DB, practice, onlyUnmatched, after, lim+1)
	if err != nil {
		s.fail(w, err)
		return
	}
	next := ""
	if len(list) > lim {
		list = list[:lim]
		next = matchstore.Pos{File: list[lim-1].FileID, Seg: list[lim-1].Segment}.Ref()
	}
	if err := s.auditShown(r, list); err != nil {
		s.fail(w, err)
		return
	}
	if !onlyUnmatched {
		httpx.JSON(w, http.StatusOK, map[string]any{"claims": list, "next_cursor": next})
		return
	}
	plbs, err := matchstore.LoadPLBs(r.Context(), queryOnly{s.deps.DB}, `WHERE l.review AND ($1::bigint = 0 OR l.practice_id = $1::bigint)
		ORDER BY l.file_id, l.segment_index, l.position LIMIT 1000`, practice)
	if err != nil {
		s.fail(w, err)
		return
	}
	out := []UnlinkedPLB{}
	for _, p := range plbs {
		out = append(out, UnlinkedPLB{FileID: p.Pos.File, Segment: p.Pos.Seg, Position: p.Position, Practice: p.PracticeID,
			Payer: p.Payer, Reason: p.Reason, Kind: p.Kind, Reference: p.Reference, Amount: p.Amount})
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"claims": list, "plb": out, "next_cursor": next})
}

func (s *Service) missing(w http.ResponseWriter, r *http.Request) {
	practice, err := queryInt(r, "practice_id")
	limit, err2 := queryInt(r, "limit")
	after, err3 := queryInt(r, "after")
	asOf, err4 := asOfParam(r)
	if err == nil && practice > math.MaxInt32 {
		// billing.Missing compares the id as an integer: a larger one
		// matches no practice and answered 503 "try again".
		err = errors.New("practice_id is no practice")
	}
	if errors.Join(err, err2, err3, err4) != nil {
		httpx.Error(w, http.StatusBadRequest, "bad_query", errors.Join(err, err2, err3, err4).Error())
		return
	}
	// billedstore.Missing's page: 500 unless asked. One more row tells
	// whether another page follows: next_cursor is the last billed claim's
	// id, for after=; "" at the end.
	lim := int(limit)
	if lim <= 0 {
		lim = 500
	}
	list, err := billedstore.Missing(r.Context(), s.deps.DB, billedstore.MissingFilter{PracticeID: practice,
		Payer: r.URL.Query().Get("payer"), AsOf: asOf, Limit: lim + 1, AfterID: after})
	if err != nil {
		s.fail(w, err)
		return
	}
	next := ""
	if len(list) > lim {
		list = list[:lim]
		next = strconv.FormatInt(list[lim-1].BilledClaimID, 10)
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"missing": list, "next_cursor": next})
}

func asOfParam(r *http.Request) (time.Time, error) {
	v := r.URL.Query().Get("as_of")
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil || t.Year() < 1 {
		// Year 0 parses but PostgreSQL holds no such date (answered 503).
		return time.Time{}, errors.New("as_of is a date YYYY-MM-DD")
	}
	return t, nil
}

func (s *Service) payers(w http.ResponseWriter, r *http.Request) {
	asOf, err := asOfParam(r)
	if err != nil {
		httpx.Error(w, http.StatusBadRequest, "bad_query", err.Error())
		return
	}
	list, err := billedstore.Payers(r.Context(), s.deps.DB, 0, asOf)
	if err != nil {
		s.fail(w, err)
		return
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"payers": list})
}

// Decision is a person's answer on one paid line in the review queue.
type Decision struct {
	Action        string `json:"action"` // confirm or pick
	BilledClaimID int64  `json:"billed_claim_id"`
	BilledLineID  int64  `json:"billed_line_id,omitempty"` // 0: the claim only
	// User names who decided (the actor of the audit row): "user:<id>"
	// behind the API, else what the caller sent.
	User string `json:"-"`
	// UserID, RequestID, RemoteAddr and Route go into the audit row when
	// known.
	UserID     int64  `json:"-"`
	RequestID  string `json:"-"`
	RemoteAddr string `json:"-"`
	Route      string `json:"-"`
}

// Errors of Decide, each an HTTP answer.
var (
	ErrNotFound   = errors.New("no such paid line")
	ErrNotWaiting = errors.New("the paid line's claim is not in the review queue")
	ErrNoProposal = errors.New("the line has no proposed billed claim to confirm; pick one")
	ErrBadBilled  = errors.New("no such billed claim or line for this practice")
)

func (s *Service) decide(w http.ResponseWriter, r *http.Request, action string) {
	user := r.Header.Get(billedstore.UserHeader)
	if user == "" {
		httpx.Error(w, http.StatusUnauthorized, "user_required", "name the person deciding in the "+billedstore.UserHeader+" header")
		return
	}
	file, err1 := strconv.ParseInt(r.PathValue("file"), 10, 64)
	seg, err2 := strconv.ParseInt(r.PathValue("segment"), 10, 32)
	if err1 != nil || err2 != nil {
		httpx.Error(w, http.StatusNotFound, "not_found", ErrNotFound.Error())
		return
	}
	d := Decision{Action: action, User: user, RequestID: r.Header.Get("X-Request-Id"), RemoteAddr: r.RemoteAddr, Route: r.Pattern}
	if uid, err := strconv.ParseInt(user, 10, 64); err == nil && uid > 0 {
		d.UserID, d.User = uid, "user:"+user
	}
	if action == "pick" {
		var body struct {
			BilledClaimID int64 `json:"billed_claim_id"`
			BilledLineID  int64 `json:"billed_line_id"`
		}
		if err := httpx.DecodeJSON(r.Body, 1<<16, &body); err != nil {
			var be *httpx.BodyError
			if errors.As(err, &be) {
				be.Write(w)
				return
			}
		}
		if body.BilledClaimID <= 0 || body.BilledLineID < 0 {
			httpx.Error(w, http.StatusBadRequest, "bad_body", `send {"billed_claim_id": N, "billed_line_id": M}`)
			return
		}
		d.BilledClaimID, d.BilledLineID = body.BilledClaimID, body.BilledLineID
	}
	line, err := s.Decide(r.Context(), matchstore.Pos{File: file, Seg: int32(seg)}, d)
	switch {
	case errors.Is(err, ErrNotFound):
		httpx.Error(w, http.StatusNotFound, "not_found", err.Error())
	case errors.Is(err, ErrNotWaiting), errors.Is(err, ErrNoProposal):
		httpx.Error(w, http.StatusConflict, "not_decidable", err.Error())
	case errors.Is(err, ErrBadBilled):
		httpx.Error(w, http.StatusUnprocessableEntity, "bad_billed", err.Error())
	case err != nil:
		s.fail(w, err)
	default:
		httpx.JSON(w, http.StatusOK, line)
	}
}

// DecideLine records a decision on the paid line at (file, segment); see Decide.
func (s *Service) DecideLine(ctx context.Context, file int64, segment int32, d Decision) (*PendingLine, error) {
	return s.Decide(ctx, matchstore.Pos{File: file, Seg: segment}, d)
}

// Decide records a person's decision on a paid line of a claim in the
// review queue: confirm takes the proposed billed claim/line, pick another
// one of the same practice. The line becomes a manual match (confidence 1),
// the decision and the match it replaced are kept in match_decisions and
// audit_log, the claim leaves the queue when no line waits any more, and
// its lines are published again with the next revision.
func (s *Service) Decide(ctx context.Context, at matchstore.Pos, d Decision) (*PendingLine, error) {
	tx, err := s.deps.DB.BeginTxx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var claimSeg int32
	var practice int64
	if err := tx.GetContext(ctx, &claimSeg, `SELECT claim_segment FROM line_matches WHERE file_id = $1 AND segment_index = $2`,
		at.File, at.Seg); errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	} else if err != nil {
		return nil, err
	}
	cpos := matchstore.Pos{File: at.File, Seg: claimSeg}
	st, err := matchstore.LoadStored(ctx, tx, []matchstore.Pos{cpos})
	if err != nil {
		return nil, err
	}
	sc := st[cpos]
	if sc == nil {
		return nil, ErrNotFound
	}
	practice = sc.Claim.PracticeID
	if err := billedstore.LockPractices(ctx, tx, []int64{practice}, false); err != nil {
		return nil, err
	}
	keys := map[matchstore.Key]bool{}
	for _, k := range []string{sc.Claim.PayerControl, sc.Claim.AfterReversal} {
		if k != "" {
			keys[matchstore.Key{Payer: sc.Claim.Payer, Control: k}] = true
		}
	}
	if err := matchstore.LockKeys(ctx, tx, keys, nil); err != nil {
		return nil, err
	}
	var payload []byte
	if err := tx.GetContext(ctx, &payload, `SELECT payload FROM match_pending WHERE file_id = $1 AND segment_index = $2 FOR UPDATE`,
		cpos.File, cpos.Seg); errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotWaiting
	} else if err != nil {
		return nil, err
	}
	// Read again under the locks.
	if st, err = matchstore.LoadStored(ctx, tx, []matchstore.Pos{cpos}); err != nil {
		return nil, err
	}
	sc = st[cpos]
	li := slices.IndexFunc(sc.Lines, func(l matchstore.LineRow) bool { return l.Pos == at })
	if li < 0 {
		return nil, ErrNotFound
	}
	old := sc.Lines[li]
	if d.Action == "confirm" {
		if old.BilledClaimID == 0 {
			return nil, ErrNoProposal
		}
		d.BilledClaimID, d.BilledLineID = old.BilledClaimID, old.BilledLineID
	}
	list, err := billedstore.ByID(ctx, tx, []int64{d.BilledClaimID})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 || list[0].Practice != matchstore.FmtID(practice) {
		return nil, ErrBadBilled
	}
	bc := list[0]
	var bl *billed.Line
	if d.BilledLineID != 0 {
		i := slices.IndexFunc(bc.Lines, func(l billed.Line) bool { return l.ID == d.BilledLineID })
		if i < 0 {
			return nil, ErrBadBilled
		}
		bl = &bc.Lines[i]
	}
	cp := &v1.ClaimPayment{}
	if err := proto.Unmarshal(payload, cp); err != nil {
		return nil, fmt.Errorf("matchsvc: pending payload: %w", err)
	}
	var paid *match.PaidLine
	if old.SvcIndex > 0 {
		var lines []*v1.ServiceLine
		for _, l := range cp.GetLines() {
			lines = append(lines, l.GetLine())
		}
		pc := wire.PaidClaim(cp.GetClaim(), lines, cpos.Ref())
		if i := old.SvcIndex - 1; i < len(pc.Lines) {
			paid = pc.Lines[i]
		}
	}
	lr := old.Result()
	b := match.Billed{ClaimID: bc.ID, PatientControl: bc.PatientControl}
	if bl != nil {
		b.LineID, b.LineNumber = bl.ID, bl.Number
	}
	match.Decide(&lr, b, paid, bl)
	rev := sc.Claim.Revision + 1
	nl := old
	nl.Method, nl.Confidence, nl.Review, nl.Flags = string(lr.Method), lr.Confidence, false, matchstore.FlagStrings(lr.Flags)
	nl.BilledClaimID, nl.BilledLineID, nl.BilledLineNumber, nl.BilledPCN = b.ClaimID, b.LineID, b.LineNumber, b.PatientControl
	nl.BilledCharge, nl.BilledUnits, nl.Revision = lr.BilledCharge, lr.BilledUnits, rev
	sc.Lines[li] = nl
	review, unmatched := false, false
	for _, l := range sc.Lines {
		review = review || l.Review
		unmatched = unmatched || l.BilledClaimID == 0 || l.BilledLineID == 0 && l.SvcIndex > 0
	}
	if err := matchstore.RecordDecision(ctx, tx, matchstore.Decision{Line: at, Claim: cpos, Practice: practice, Action: d.Action,
		New: nl, Old: old, Revision: rev, Review: review, Unmatched: unmatched, BilledClaimID: b.ClaimID, User: d.User}); err != nil {
		return nil, err
	}
	host, _, herr := net.SplitHostPort(d.RemoteAddr)
	if herr != nil {
		host = d.RemoteAddr
	}
	method := ""
	if d.Route != "" {
		method = http.MethodPost
	}
	if err := audit.Record(ctx, tx, audit.Entry{Actor: d.User, UserID: d.UserID, Action: "match." + d.Action, Entity: "line_match",
		EntityID: at.Ref(), PracticeID: practice, RemoteAddr: host, Method: method, Route: d.Route, RequestID: d.RequestID,
		Detail: map[string]any{"billed_claim_id": b.ClaimID, "billed_line_id": b.LineID, "billed_practice_id": bc.Practice,
			"previous_billed_claim_id": old.BilledClaimID, "previous_billed_line_id": old.BilledLineID,
			"previous_method": old.Method, "previous_confidence": old.Confidence}}); err != nil {
		return nil, err
	}
	if err := matchstore.QueueRematch(ctx, tx, cpos, rev, payload); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	wake(s.relayC)
	out := lineOut(&nl)
	return &out, nil
}

// auditShown records which paid claims a review list showed (their
// FILE:SEGMENT references, per practice), when a user is named (behind the
// API's authentication).
func (s *Service) auditShown(r *http.Request, list []PendingClaim) error {
	uid, err := strconv.ParseInt(r.Header.Get(billedstore.UserHeader), 10, 64)
	if err != nil || uid <= 0 {
		return nil
	}
	refs := map[int64][]string{}
	var order []int64
	for _, c := range list {
		if _, ok := refs[c.PracticeID]; !ok {
			order = append(order, c.PracticeID)
		}
		refs[c.PracticeID] = append(refs[c.PracticeID], matchstore.Pos{File: c.FileID, Seg: c.Segment}.Ref())
	}
	if len(order) == 0 {
		order = []int64{0}
	}
	host, _, herr := net.SplitHostPort(r.RemoteAddr)
	if herr != nil {
		host = r.RemoteAddr
	}
	var entries []audit.Entry
	for _, p := range order {
		shown := refs[p]
		if shown == nil {
			shown = []string{}
		}
		entries = append(entries, audit.Entry{Actor: "user:" + strconv.FormatInt(uid, 10), UserID: uid, Action: "match.review_list",
			Entity: "match_pending", PracticeID: p, RemoteAddr: host, Method: r.Method, Route: r.Pattern,
			RequestID: r.Header.Get("X-Request-Id"), Detail: map[string]any{"claims": shown, "count": len(shown)}})
	}
	return audit.Record(r.Context(), s.deps.DB, entries...)
}
