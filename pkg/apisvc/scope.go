package apisvc

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/audit"
	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/httpx"
	"github.com/remitq/remitq/pkg/remitstore"
	"github.com/remitq/remitq/pkg/routesvc"
)

// A remittance file belongs to the practices of its transaction sets (one
// payee each), not to remittance_files.practice_id (the first one's). A
// caller sees a file when it sees one of those practices whole, and then
// only the parts of its practices; the raw file, which holds every part,
// only when it sees all of them. A file without transaction sets
// (quarantined, or waiting for an unknown payee) is for admins and for the
// user who uploaded it.

// wholePractices are the practices the caller sees whole.
func wholePractices(id *auth.Identity) []int64 {
	var out []int64
	for _, s := range id.Scopes {
		if s.ProviderNPI == "" {
			out = append(out, s.PracticeID)
		}
	}
	return out
}

// fileSeenSQL is the predicate "the caller sees part of file f" on the
// file id expression fileID.
func fileSeenSQL(id *auth.Identity, fileID string, args *auth.Args) string {
	if id.All() {
		return "TRUE"
	}
	return `(EXISTS (SELECT 1 FROM remittance_transactions st WHERE st.file_id = ` + fileID + ` AND st.practice_id = ANY(` +
		args.Add(pq.Array(wholePractices(id))) + `::bigint[])) OR ` + uploadedSQL(id, fileID, args) + `)`
}

// uploadedSQL is the predicate "file f has no transaction sets (it waits
// for an unknown payee, or is quarantined) and the caller uploaded it":
// the uploader sees its own file, its status and its errors (the reason of
// a quarantine), never another user's. The upload's audit row (written in
// the ingest transaction, see uploadGuard) records who sent it.
func uploadedSQL(id *auth.Identity, fileID string, args *auth.Args) string {
	return `(NOT EXISTS (SELECT 1 FROM remittance_transactions st WHERE st.file_id = ` + fileID + `) AND EXISTS (
		SELECT 1 FROM audit_log ua WHERE ua.entity = 'remittance_file' AND ua.entity_id = (` + fileID + `)::text
		AND ua.action = 'file.upload' AND ua.user_id = ` + args.Add(id.UserID) + `))`
}

// fileCoveredSQL is the predicate "the caller sees every part of file f".
func fileCoveredSQL(id *auth.Identity, fileID string, args *auth.Args) string {
	if id.All() {
		return "TRUE"
	}
	p := args.Add(pq.Array(wholePractices(id)))
	return `(EXISTS (SELECT 1 FROM remittance_transactions st WHERE st.file_id = ` + fileID + `) AND NOT EXISTS (SELECT 1 FROM remittance_transactions st
		WHERE st.file_id = ` + fileID + ` AND NOT st.practice_id = ANY(` + p + `::bigint[])))`
}

// txScopeSQL keeps the rows of the caller's practices: col is the row's
// practice column.
func txScopeSQL(id *auth.Identity, col string, args *auth.Args) string {
	if id.All() {
		return "TRUE"
	}
	return col + " = ANY(" + args.Add(pq.Array(wholePractices(id))) + "::bigint[])"
}

// validRequestID is what an incoming X-Request-Id may be; anything else is
// replaced by a fresh id.
var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// handOn asks WrapHTTP to pass the request on with a context made by fn.
func handOn(r *http.Request, fn func(context.Context) context.Context) {
	if res, _ := r.Context().Value(guardKey{}).(*guardResult); res != nil {
		res.wrap = fn
	}
}

// guardEntry is an audit entry written by a guard of another component's
// route, with the caller and the request.
func (s *Service) guardEntry(r *http.Request, id *auth.Identity, pattern, action, entity, entityID string, practice int64, detail map[string]any) audit.Entry {
	return audit.Entry{Actor: id.Actor(), UserID: id.UserID, Action: action, Entity: entity, EntityID: entityID,
		PracticeID: practice, RemoteAddr: s.remoteAddr(r), Method: r.Method, Route: pattern,
		RequestID: r.Header.Get("X-Request-Id"), Detail: detail}
}

// uploadGuard puts the payee check and the audit of POST /v1/remittances
// into the ingest: every payee must resolve to a practice the uploader sees
// whole, or to no registered practice. A file for an unknown payee is kept
// (unknown_payee); when a practice with that NPI is registered later
// (POST /v1/practices) an admin's file is ingested into it and a
// non-admin's is held until an admin releases it (POST
// /v1/files/{id}/release), so no one plants payments in a future client.
// Until then its uploader sees it, its status and its errors
// (uploadedSQL), and admins see it. A payee of a practice out of the uploader's scope is refused
// without naming the practice. Refusals are audited (one row per
// practice concerned, and one without practice for unknown payees), stored
// files too (one row per practice, in the ingest transaction).
func (s *Service) uploadGuard(pattern string) guard {
	return func(w http.ResponseWriter, r *http.Request, id *auth.Identity) bool {
		// The name of a raw upload may come in Content-Disposition: one
		// that PostgreSQL text cannot hold answered 503 "send it again".
		if cd := r.Header.Get("Content-Disposition"); cd != "" && (!utf8.ValidString(cd) || strings.ContainsRune(cd, 0)) {
			httpx.Error(w, http.StatusBadRequest, "bad_header", "the Content-Disposition file name is not UTF-8 text")
			return false
		}
		uploadEntries := func(res *remitstore.Result, payees []remitstore.Payee, again bool) []audit.Entry {
			var practices []int64
			for _, p := range payees {
				if !slices.Contains(practices, p.PracticeID) {
					practices = append(practices, p.PracticeID)
				}
			}
			if len(practices) == 0 {
				practices = []int64{0}
			}
			var entries []audit.Entry
			for _, pid := range practices {
				entries = append(entries, s.guardEntry(r, id, pattern, "file.upload", "remittance_file", strconv.FormatInt(res.FileID, 10), pid,
					map[string]any{"status": res.Status, "sha256": res.SHA256, "transaction_sets": res.TransactionSets,
						"practice_ids": practices, "duplicate": again}))
			}
			return entries
		}
		hooks := remitstore.Hooks{
			Accept: func(ctx context.Context, payees []remitstore.Payee) error {
				if id.All() {
					return nil
				}
				var bad []remitstore.Payee
				var practices []int64
				for _, p := range payees {
					if p.PracticeID == 0 || id.SeesPractice(p.PracticeID) {
						continue // unknown payees are kept for the uploader
					}
					if !slices.Contains(practices, p.PracticeID) {
						practices = append(practices, p.PracticeID)
					}
					p.PracticeID, p.Name = 0, "" // never tell which client it is
					bad = append(bad, p)
				}
				if len(bad) == 0 {
					return nil
				}
				var entries []audit.Entry
				for _, pid := range practices {
					entries = append(entries, s.guardEntry(r, id, pattern, "file.upload_refused", "remittance_file", "", pid,
						map[string]any{"payees_refused": len(bad), "transaction_sets": len(payees)}))
				}
				if err := audit.Record(ctx, s.db, entries...); err != nil {
					return err
				}
				return &remitstore.Refused{Payees: bad, Reason: "the file pays practices outside your scope; nothing was stored"}
			},
			Stored: func(ctx context.Context, tx sqlx.ExecerContext, res *remitstore.Result, payees []remitstore.Payee) error {
				return audit.Record(ctx, tx, uploadEntries(res, payees, false)...)
			},
			Again: func(ctx context.Context, res *remitstore.Result, payees []remitstore.Payee) error {
				return audit.Record(ctx, s.db, uploadEntries(res, payees, true)...)
			},
		}
		handOn(r, func(ctx context.Context) context.Context { return remitstore.WithHooks(ctx, hooks) })
		return true
	}
}

// fileGuard requires the path value name to be a remittance file the
// caller sees part of (the handler shows only those parts).
func (s *Service) fileGuard(name string) guard {
	return func(w http.ResponseWriter, r *http.Request, id *auth.Identity) bool {
		fid, err := strconv.ParseInt(r.PathValue(name), 10, 64)
		if err != nil || fid <= 0 {
			return notFound(w)
		}
		if id.All() {
			return true
		}
		var args auth.Args
		var one int
		err = s.db.QueryRowxContext(r.Context(), `SELECT 1 FROM remittance_files f WHERE f.id = `+args.Add(fid)+` AND `+
			fileSeenSQL(id, "f.id", &args), args...).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound(w)
		}
		if err != nil {
			httpx.Error(w, http.StatusServiceUnavailable, "unavailable", "try again")
			return false
		}
		return true
	}
}

// lineGuard checks a match decision on the paid line at {file}/{segment}:
// the line's own practice must be one the caller sees whole (the review
// queue lists whole practices), and for a pick the billed claim chosen must
// be of a practice the caller sees whole too. The pick body is read with
// the shared strict decoder and handed on.
func (s *Service) lineGuard(pick bool) guard {
	return func(w http.ResponseWriter, r *http.Request, id *auth.Identity) bool {
		fid, err1 := strconv.ParseInt(r.PathValue("file"), 10, 64)
		seg, err2 := strconv.ParseInt(r.PathValue("segment"), 10, 32)
		if err1 != nil || err2 != nil || fid <= 0 || seg <= 0 {
			return notFound(w)
		}
		var practice int64
		err := s.db.QueryRowxContext(r.Context(), `SELECT practice_id FROM line_matches WHERE file_id = $1 AND segment_index = $2`,
			fid, seg).Scan(&practice)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound(w)
		}
		if err != nil {
			httpx.Error(w, http.StatusServiceUnavailable, "unavailable", "try again")
			return false
		}
		if !id.SeesPractice(practice) {
			return notFound(w)
		}
		if !pick {
			return true
		}
		raw, ok := readBody(w, r)
		if !ok {
			return false
		}
		var body struct {
			BilledClaimID int64 `json:"billed_claim_id"`
			BilledLineID  int64 `json:"billed_line_id"`
		}
		if err := httpx.DecodeJSONBytes(raw, &body); err != nil {
			return bodyError(w, err)
		}
		if body.BilledClaimID <= 0 || body.BilledLineID < 0 {
			httpx.Error(w, http.StatusBadRequest, "bad_json", `send {"billed_claim_id": N, "billed_line_id": M}`)
			return false
		}
		var billedPractice int64
		err = s.db.QueryRowxContext(r.Context(), `SELECT practice_id FROM billed_claims WHERE id = $1`, body.BilledClaimID).Scan(&billedPractice)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			httpx.Error(w, http.StatusServiceUnavailable, "unavailable", "try again")
			return false
		}
		if errors.Is(err, sql.ErrNoRows) || !id.SeesPractice(billedPractice) {
			return notFound(w)
		}
		if body.BilledLineID != 0 {
			var lp int64
			err = s.db.QueryRowxContext(r.Context(), `SELECT practice_id FROM billed_lines WHERE id = $1 AND billed_claim_id = $2`,
				body.BilledLineID, body.BilledClaimID).Scan(&lp)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				httpx.Error(w, http.StatusServiceUnavailable, "unavailable", "try again")
				return false
			}
			if errors.Is(err, sql.ErrNoRows) || !id.SeesPractice(lp) {
				return notFound(w)
			}
		}
		return true
	}
}

// readBody reads a guarded request's body (at most 1 MiB) and puts it back
// for the handler.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if r.Body == nil {
		return nil, true
	}
	raw, err := readAllLimit(w, r, 1<<20)
	if err != nil {
		return nil, bodyError(w, err)
	}
	return raw, true
}

// bodyError answers a body the strict decoder refused.
func bodyError(w http.ResponseWriter, err error) bool {
	var be *httpx.BodyError
	if errors.As(err, &be) {
		be.Write(w)
		return false
	}
	httpx.Error(w, http.StatusBadRequest, "bad_body", "the body could not be read")
	return false
}

// ruleBodyPractice requires the rule in the body to be for a practice the
// caller sees whole (practice_id null: every practice, admins only). The
// body is decoded as the router will decode it (the same type, the same
// strict decoder): a body the guard cannot read is refused here, never let
// through.
func ruleBodyPractice(w http.ResponseWriter, r *http.Request, id *auth.Identity) bool {
	raw, ok := readBody(w, r)
	if !ok {
		return false
	}
	var rule routesvc.RuleInput
	if err := httpx.DecodeJSONBytes(raw, &rule); err != nil {
		return bodyError(w, err)
	}
	if rule.PracticeID == nil {
		if !id.All() {
			httpx.Error(w, http.StatusForbidden, "forbidden", "only an admin sets rules for every practice; give practice_id")
			return false
		}
		return true
	}
	if !id.SeesPractice(*rule.PracticeID) {
		return notFound(w)
	}
	return true
}

// auditList records which entities a list answer showed: one audit row per
// practice with the ids shown (ids only, never PHI), or one row without
// practice when nothing was shown.
func (c *call) auditList(action, entity string, practiceOf func(i int) int64, idOf func(i int) int64, n int, detail map[string]any) error {
	byPractice := map[int64][]int64{}
	var order []int64
	for i := range n {
		p := practiceOf(i)
		if _, ok := byPractice[p]; !ok {
			order = append(order, p)
		}
		byPractice[p] = append(byPractice[p], idOf(i))
	}
	var entries []audit.Entry
	for _, p := range order {
		d := map[string]any{"ids": byPractice[p], "count": len(byPractice[p])}
		for k, v := range detail {
			d[k] = v
		}
		entries = append(entries, c.entry(action, entity, 0, p, d))
	}
	if len(entries) == 0 {
		d := map[string]any{"ids": []int64{}, "count": 0}
		for k, v := range detail {
			d[k] = v
		}
		entries = append(entries, c.entry(action, entity, 0, 0, d))
	}
	if c.route.PHI {
		return c.audit(entries...)
	}
	// A list without PHI need not wait for the audit row to reach the disk
	// (it is written, and durable within the WAL writer's delay): the
	// round trip of a synchronous commit would double the time of a list.
	return c.inTx(func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(c.r.Context(), `SET LOCAL synchronous_commit TO off`); err != nil {
			return err
		}
		return c.auditTx(tx, entries...)
	})
}

// ackSeenSQL is the predicate "the caller sees acknowledgment file f"
// (acks.go): it names claims of a practice the caller sees whole, or the
// caller uploaded it.
func (c *call) ackSeenSQL(f string, args *auth.Args) string {
	if c.id.All() {
		return "TRUE"
	}
	return "(" + f + ".practice_ids && " + args.Add(pq.Array(wholePractices(c.id))) + "::bigint[] OR " + f +
		".uploaded_by = " + args.Add(c.id.UserID) + ")"
}
