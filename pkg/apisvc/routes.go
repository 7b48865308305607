package apisvc

import (
	"bytes"
	"database/sql"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/httpx"
)

func (s *Service) routes() []Route {
	r := func(method, path string, perm auth.Permission, phi bool, h func(*call) error) Route {
		return Route{Method: method, Path: path, Perm: perm, PHI: phi, h: h}
	}
	return []Route{
		r("GET", "/v1/me", "", false, (*call).getMe),
		r("GET", "/v1/users", auth.UsersRead, false, (*call).getUsers),
		r("POST", "/v1/users", auth.UsersManage, false, (*call).postUser),
		r("PATCH", "/v1/users/{id}", auth.UsersManage, false, (*call).patchUser),
		r("GET", "/v1/api-keys", "", false, (*call).getKeys),
		r("POST", "/v1/api-keys", auth.ChangeAny, false, (*call).postKey),
		r("DELETE", "/v1/api-keys/{id}", auth.ChangeAny, false, (*call).deleteKey),

		r("GET", "/v1/work-items", auth.WorkRead, false, (*call).getWorkItems),
		r("GET", "/v1/my/work-items", auth.WorkRead, false, (*call).getMyWork),
		r("GET", "/v1/work-items/{id}", auth.WorkPHI, true, (*call).getWorkItem),
		r("PATCH", "/v1/work-items/{id}", auth.WorkUpdate, false, (*call).patchWorkItem),
		r("PUT", "/v1/work-items/{id}/assignee", auth.WorkAssign, false, (*call).putAssignee),
		r("POST", "/v1/work-items/assign", auth.WorkAssign, false, (*call).postAssign),
		r("GET", "/v1/work-items/{id}/notes", auth.WorkPHI, true, (*call).getNotes),
		r("POST", "/v1/work-items/{id}/notes", auth.WorkUpdate, true, (*call).postNote),
		r("GET", "/v1/work-items/{id}/events", auth.WorkRead, false, (*call).getEvents),

		// Issue 17, finishing a work item (billedclaims.go, evidence.go,
		// writeoff.go, appeals.go, appealpacket.go, patientshare.go).
		r("GET", "/v1/billed-claims/{id}", auth.WorkPHI, true, (*call).getBilledClaim),
		r("GET", "/v1/work-items/{id}/evidence", auth.WorkPHI, true, (*call).getEvidence),
		r("GET", "/v1/work-items/{id}/appeal", auth.WorkPHI, true, (*call).getAppealPacket),
		r("GET", "/v1/work-items/{id}/appeals", auth.WorkRead, false, (*call).getAppeals),
		r("POST", "/v1/work-items/{id}/appeals", auth.WorkUpdate, false, (*call).postAppeal),
		r("PATCH", "/v1/work-items/{id}/appeals/{appeal}", auth.WorkUpdate, false, (*call).patchAppeal),
		r("POST", "/v1/work-items/{id}/write-offs", auth.WorkUpdate, false, (*call).postWriteOff),
		r("GET", "/v1/write-offs", auth.WorkRead, false, (*call).getWriteOffs),
		r("POST", "/v1/write-offs/{id}/approve", auth.WorkAssign, false, (*call).postWriteOffApprove),
		r("POST", "/v1/write-offs/{id}/reject", auth.WorkAssign, false, (*call).postWriteOffReject),
		r("GET", "/v1/write-off-reasons", auth.WorkRead, false, (*call).getWriteOffReasons),
		r("POST", "/v1/write-off-reasons", auth.UsersManage, false, (*call).postWriteOffReason),
		r("PATCH", "/v1/write-off-reasons/{code}", auth.UsersManage, false, (*call).patchWriteOffReason),
		r("GET", "/v1/practices/{practice}/write-off-settings", auth.WorkRead, false, (*call).getWriteOffSettings),
		r("PUT", "/v1/practices/{practice}/write-off-settings", auth.UsersManage, false, (*call).putWriteOffSettings),
		r("GET", "/v1/patient-share", auth.WorkPHI, true, (*call).getPatientShare),
		r("POST", "/v1/patient-share/exported", auth.WorkUpdate, false, (*call).postPatientShareExported),

		r("GET", "/v1/queues", auth.WorkRead, false, (*call).getQueues),
		r("GET", "/v1/queues/{id}/work-items", auth.WorkRead, false, (*call).getQueueItems),
		r("GET", "/v1/team", auth.TeamRead, false, (*call).getTeam),
		r("GET", "/v1/settings/work", auth.WorkRead, false, (*call).getSettings),
		r("PUT", "/v1/settings/work", auth.UsersManage, false, (*call).putSettings),

		r("GET", "/v1/files", auth.RemitRead, false, (*call).getFiles),
		r("GET", "/v1/files/{id}", auth.RemitRead, false, (*call).getFile),
		r("GET", "/v1/files/{id}/claims", auth.RemitPHI, true, (*call).getFileClaims),
		r("GET", "/v1/files/{id}/raw", auth.RemitRaw, true, (*call).getFileRaw),
		r("POST", "/v1/files/{id}/release", permOnboard, false, (*call).postFileRelease),
		r("GET", "/v1/claims", auth.RemitPHI, true, (*call).getClaims),
		r("GET", "/v1/claims/{id}", auth.RemitPHI, true, (*call).getClaim),

		r("GET", "/v1/audit", auth.AuditRead, false, (*call).getAudit),

		r("GET", "/v1/practices", "", false, (*call).getPractices),                                              // practices.go
		r("POST", "/v1/practices", permOnboard, false, (*call).postPractice),                                    // practices.go
		r("GET", "/v1/practices/{practice}", "", false, (*call).getPractice),                                    // practices.go
		r("PATCH", "/v1/practices/{practice}", permOnboard, false, (*call).patchPractice),                       // practices.go
		r("GET", "/v1/practices/{practice}/providers", "", false, (*call).getProviders),                         // practices.go
		r("POST", "/v1/practices/{practice}/providers", permOnboard, false, (*call).postProvider),               // practices.go
		r("PATCH", "/v1/practices/{practice}/providers/{provider}", permOnboard, false, (*call).patchProvider),  // practices.go
		r("GET", "/v1/practices/{practice}/payers", "", false, (*call).getPracticePayers),                       // practices.go
		r("POST", "/v1/practices/{practice}/payers", permOnboard, false, (*call).postPracticePayer),             // practices.go
		r("DELETE", "/v1/practices/{practice}/payers/{payer}", permOnboard, false, (*call).deletePracticePayer), // practices.go

		r("GET", "/v1/reports", auth.TeamRead, false, (*call).getReports),
		r("GET", "/v1/reports/{kpi}", auth.TeamRead, false, (*call).getReport), // {kpi}.svg: the chart; waterfall(.svg)
		r("GET", "/v1/practices/{practice}/reports/pack.pdf", auth.TeamRead, false, (*call).getPack),
		r("POST", "/v1/patient-payments", auth.ClaimsLoad, true, (*call).postPatientPayments),

		r("POST", "/v1/claims/check", auth.WorkPHI, true, (*call).postClaimsCheck), // rulesapi.go
		r("GET", "/v1/auths", auth.WorkPHI, true, (*call).getAuths),
		r("POST", "/v1/auths", auth.ChangeAny, true, (*call).postAuths),
		r("POST", "/v1/relief", auth.ChangeAny, true, (*call).postRelief),
		r("GET", "/v1/sharing", auth.UsersManage, false, (*call).getSharing),
		r("PUT", "/v1/sharing", auth.UsersManage, false, (*call).putSharing),
		r("PUT", "/v1/sharing/groups/{name}", auth.UsersManage, false, (*call).putSharingGroup),
		r("DELETE", "/v1/sharing/groups/{name}", auth.UsersManage, false, (*call).deleteSharingGroup),
		r("GET", "/v1/payer-profiles", auth.WorkRead, false, (*call).getPayerProfiles),                          // payerprofiles.go
		r("PUT", "/v1/payer-profiles/{id}", auth.UsersManage, false, (*call).putPayerProfile),                   // payerprofiles.go
		r("DELETE", "/v1/payer-profiles/{id}/{effective}", auth.UsersManage, false, (*call).deletePayerProfile), // payerprofiles.go
		r("GET", "/v1/payer-profile-map", auth.WorkRead, false, (*call).getPayerProfileMap),                     // payerprofiles.go
		r("PUT", "/v1/payer-profile-map/{payer}", auth.UsersManage, false, (*call).putPayerProfileMap),          // payerprofiles.go
		r("DELETE", "/v1/payer-profile-map/{payer}", auth.UsersManage, false, (*call).deletePayerProfileMap),    // payerprofiles.go

		// Closing the loop (issue 18): corrected, void and secondary claims and
		// the 837P files they are sent in (corrected.go, submissions.go).
		r("GET", "/v1/work-items/{id}/corrected-claim", auth.WorkPHI, true, (*call).getCorrectedClaim),
		r("POST", "/v1/work-items/{id}/corrected-claim", auth.WorkUpdate, true, (*call).postCorrectedClaim),
		r("GET", "/v1/submissions", auth.WorkRead, false, (*call).getSubmissions),
		r("POST", "/v1/submissions", auth.WorkUpdate, true, (*call).postSubmissions),
		r("GET", "/v1/submissions/{id}", auth.WorkRead, false, (*call).getSubmission),
		r("GET", "/v1/submissions/{id}/file", auth.WorkPHI, true, (*call).getSubmissionFile),
		r("GET", "/v1/work-items/{id}/secondary-claim", auth.WorkPHI, true, (*call).getSecondaryClaim),
		r("POST", "/v1/work-items/{id}/secondary-claim", auth.WorkUpdate, true, (*call).postSecondaryClaim),
		r("POST", "/v1/submissions/secondary-sweep", auth.WorkAssign, false, (*call).postSecondarySweep),

		// 999 and 277CA acknowledgments: uploads scoped by the practices of
		// the claims they name, the files and their claim verdicts (acks.go).
		r("POST", "/v1/acknowledgments", auth.RemitUpload, true, (*call).postAcknowledgments),
		r("GET", "/v1/acknowledgments", auth.RemitRead, false, (*call).getAcknowledgments),
		r("GET", "/v1/acknowledgments/{id}", auth.RemitPHI, true, (*call).getAcknowledgment),
	}
}

// routeParams are the query parameters the list routes take: any other is
// a 400 listing these (a misspelt filter never widens a list). Routes not
// named here are not checked.
var routeParams = map[string][][]string{
	"GET /v1/work-items":             {itemFilterKeys, pageKeys},
	"GET /v1/my/work-items":          {itemFilterKeys, pageKeys, {"include_pended"}},
	"GET /v1/queues/{id}/work-items": {itemFilterKeys, pageKeys},
	"GET /v1/work-items/{id}/notes":  {pageKeys},
	"GET /v1/work-items/{id}/events": {pageKeys},
	"GET /v1/files":                  {{"status", "practice_id", "payer_id", "received_from", "received_to", "balanced"}, pageKeys},
	"GET /v1/files/{id}/claims":      {claimFilterKeys, pageKeys},
	"GET /v1/claims":                 {claimFilterKeys, {"file_id"}, pageKeys},
	"GET /v1/audit":                  {{"user_id", "actor", "action", "entity", "entity_id", "practice_id", "from", "to"}, pageKeys},
	"GET /v1/users":                  {{"role"}, pageKeys},
	"GET /v1/api-keys":               {{"user_id"}, pageKeys},
	"GET /v1/queues":                 {{"practice_id", "fresh"}, pageKeys},
	"GET /v1/team":                   {{"days", "practice_id", "fresh"}, pageKeys},

	"GET /v1/write-offs":                      {{"practice_id", "status", "work_item_id"}},
	"GET /v1/write-off-reasons":               {{"all"}},
	"GET /v1/patient-share":                   {{"practice_id", "format", "exported", "paid_from", "paid_to"}},
	"POST /v1/patient-share/exported":         {{"practice_id"}},
	"GET /v1/work-items/{id}/appeal":          {{"format"}},
	"GET /v1/work-items/{id}/corrected-claim": {{"type"}},
	"GET /v1/submissions":                     {{"practice_id", "limit", "before"}},
	"GET /v1/practices":                       {pageKeys},
	"GET /v1/practices/{practice}/providers":  {pageKeys},
	"GET /v1/practices/{practice}/payers":     {pageKeys},
}

// claimFilterKeys are the filters of paid-claim lists.
var claimFilterKeys = []string{"practice_id", "patient_control_number", "payer_claim_control", "status", "rendering_npi"}

// foreignGuards are the role and scope checks in front of the other
// components' routes, which trust the user header the middleware sets and
// filter by practice only when asked: the ingest service's uploads and file
// status, the matcher's review queue, decisions and missing remits, and the
// router's queue summaries and routing rules. A non-admin must name a
// practice it sees whole (the default when it sees exactly one).
func (s *Service) foreignGuards() *http.ServeMux {
	m := http.NewServeMux()
	for _, fr := range s.foreignRoutes() {
		m.Handle(fr.Pattern, guard(func(w http.ResponseWriter, r *http.Request, id *auth.Identity) bool {
			if !id.Can(fr.Perm) {
				httpx.Error(w, http.StatusForbidden, "forbidden", "your role may not do this")
				return false
			}
			for _, c := range fr.checks {
				if !c(w, r, id) {
					return false
				}
			}
			return true
		}))
	}
	return m
}

// ScopeRule is the one declaration of a route of the process: its pattern,
// the component that serves it, the permission it takes and the scope rule
// that applies. The API's own routes come from routes() (the mux
// registration and the handler's permission check read the same Route;
// their handlers filter every row by the caller's scopes); the other
// components' from foreignRoutes() (the guard mux in WrapHTTP reads them).
// A /v1/ route of the process that no rule declares is refused for every
// caller (WrapHTTP), and TestEveryRouteHasScopeRule finds the routes the
// components register and fails on any without a rule.
type ScopeRule struct {
	Pattern   string // "METHOD /path"
	Component string // api, ingest, billing, matcher, router
	Perm      auth.Permission
	// Rule says which scope check applies, in words (for documentation
	// and tests): "handler" for the API's own routes, else the guards.
	Rule string
}

// ScopeRules lists every route of the process with its scope rule.
func (s *Service) ScopeRules() []ScopeRule { return scopeTable(s) }

func scopeTable(s *Service) []ScopeRule {
	var out []ScopeRule
	out = append(out, ScopeRule{Pattern: "GET /openapi.json", Component: "api", Rule: "public: the API description"})
	for _, rt := range s.routes() {
		out = append(out, ScopeRule{Pattern: rt.Method + " " + rt.Path, Component: "api", Perm: rt.Perm,
			Rule: "handler: rows filtered by the caller's scopes"})
	}
	for _, fr := range s.foreignRoutes() {
		out = append(out, ScopeRule{Pattern: fr.Pattern, Component: fr.Component, Perm: fr.Perm, Rule: fr.Rule})
	}
	return out
}

// ForeignRoute is a route of another component that the API guards.
type ForeignRoute struct {
	Pattern   string          // "METHOD /path"
	Component string          // ingest, billing, matcher, router
	Perm      auth.Permission // what the caller's role must hold
	Rule      string          // the scope rule, in words
	checks    []guard
}

// ForeignRoutes lists the other components' routes the API guards.
func (s *Service) ForeignRoutes() []ForeignRoute { return s.foreignRoutes() }

func (s *Service) foreignRoutes() []ForeignRoute {
	fr := func(pattern, component string, perm auth.Permission, rule string, checks ...guard) ForeignRoute {
		return ForeignRoute{Pattern: pattern, Component: component, Perm: perm, Rule: rule, checks: checks}
	}
	return []ForeignRoute{
		// An upload is checked payee by payee inside the ingest (uploadGuard).
		fr("POST /v1/remittances", "ingest", auth.RemitUpload, "each payee a practice the caller sees whole (or unknown: kept for the uploader)",
			s.uploadGuard("POST /v1/remittances")),
		fr("GET /v1/remittances/{id}", "ingest", auth.RemitRead, "a file the caller sees part of, or uploaded", s.fileGuard("id")),
		// A billed-claims file names its practices inside: the billing
		// component checks each claim's practice against the caller's
		// scope. Fee schedules are per payer, for every practice: admins.
		fr("POST /v1/claims", "billing", auth.ClaimsLoad, "each claim's practice checked by the billing component"),
		fr("POST /v1/fee-schedules", "billing", auth.LoadAny, "admins (every practice)"),
		fr("GET /v1/match/review", "matcher", auth.MatchReview, "?practice_id= seen whole", practiceParam("practice_id")),
		fr("GET /v1/match/unmatched", "matcher", auth.MatchReview, "?practice_id= seen whole", practiceParam("practice_id")),
		fr("POST /v1/match/lines/{file}/{segment}/confirm", "matcher", auth.MatchReview, "the line's practice seen whole", s.lineGuard(false)),
		fr("POST /v1/match/lines/{file}/{segment}/pick", "matcher", auth.MatchReview, "the line's and the billed claim's practices seen whole",
			s.lineGuard(true)),
		fr("GET /v1/match/missing", "matcher", auth.RemitRead, "?practice_id= seen whole", practiceParam("practice_id")),
		fr("GET /v1/match/payers", "matcher", auth.AuditRead, "admins (every practice's figures)"),
		fr("GET /v1/practices/{practice}/queues", "router", auth.WorkRead, "{practice} seen whole", practicePath("practice")),
		// The router reads ?practice=; practice_id is the name everywhere
		// else: both are accepted (practice deprecated) and both handed on.
		fr("GET /v1/queue-rules", "router", auth.WorkRead, "?practice_id= (or deprecated ?practice=) seen whole", practiceAlias, practiceParam("practice")),
		fr("POST /v1/queue-rules", "router", auth.QueueRules, "the body's practice_id seen whole (null: admins)", ruleBodyPractice),
		fr("PUT /v1/queue-rules/{id}", "router", auth.QueueRules, "the rule's and the body's practice seen whole", s.ruleGuard, ruleBodyPractice),
		fr("DELETE /v1/queue-rules/{id}", "router", auth.QueueRules, "the rule's practice seen whole (every practice: admins)", s.ruleGuard),
	}
}

// practiceAlias makes ?practice_id= and the deprecated ?practice= one
// parameter for a route that reads ?practice=: whichever is given is
// handed on as both (two that differ are a 400).
func practiceAlias(w http.ResponseWriter, r *http.Request, _ *auth.Identity) bool {
	q := r.URL.Query()
	a, b := q.Get("practice_id"), q.Get("practice")
	switch {
	case a != "" && b != "" && a != b:
		httpx.Error(w, http.StatusBadRequest, "bad_query", "practice is the deprecated name of practice_id: give one")
		return false
	case a != "":
		q.Set("practice", a)
	case b != "":
		w.Header().Set("Deprecation", "true")
		q.Set("practice_id", b)
	default:
		return true
	}
	r.URL.RawQuery = q.Encode()
	return true
}

func notFound(w http.ResponseWriter) bool {
	httpx.Error(w, http.StatusNotFound, "not_found", "no such resource, or not in your scope")
	return false
}

// practiceParam requires ?name= to be a practice the caller sees whole
// (admins may omit it); a caller with one practice gets it filled in.
func practiceParam(name string) guard {
	return func(w http.ResponseWriter, r *http.Request, id *auth.Identity) bool {
		q := r.URL.Query()
		v := q.Get(name)
		if v == "" {
			if id.All() {
				return true
			}
			var whole []int64
			for _, s := range id.Scopes {
				if s.ProviderNPI == "" {
					whole = append(whole, s.PracticeID)
				}
			}
			if len(whole) != 1 {
				httpx.Error(w, http.StatusBadRequest, "practice_required", "name the practice: ?"+name+"=ID")
				return false
			}
			q.Set(name, strconv.FormatInt(whole[0], 10))
			r.URL.RawQuery = q.Encode()
			return true
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || !id.SeesPractice(n) {
			return notFound(w)
		}
		return true
	}
}

// practicePath requires the path value name to be a practice the caller
// sees whole.
func practicePath(name string) guard {
	return func(w http.ResponseWriter, r *http.Request, id *auth.Identity) bool {
		n, err := strconv.ParseInt(r.PathValue(name), 10, 64)
		if err != nil || !id.SeesPractice(n) {
			return notFound(w)
		}
		return true
	}
}

// ruleGuard requires the rule of path value id to be of a practice the
// caller sees whole, or, for a rule of every practice, an admin. A missing
// rule passes (the route answers 404).
func (s *Service) ruleGuard(w http.ResponseWriter, r *http.Request, id *auth.Identity) bool {
	rid, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return notFound(w)
	}
	var pid sql.NullInt64
	err = s.db.QueryRowxContext(r.Context(), `SELECT practice_id FROM queue_rules WHERE id = $1`, rid).Scan(&pid)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return notFound(w)
	case err != nil:
		httpx.Error(w, http.StatusServiceUnavailable, "unavailable", "try again")
		return false
	case !pid.Valid && !id.All():
		httpx.Error(w, http.StatusForbidden, "forbidden", "only an admin changes a rule of every practice")
		return false
	case pid.Valid && !id.SeesPractice(pid.Int64):
		return notFound(w)
	}
	return true
}

// readAllLimit reads r's body, at most limit bytes, and puts it back.
func readAllLimit(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &httpx.BodyError{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: "the body may hold at most 1 MiB"}
		}
		return nil, err
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b, nil
}
