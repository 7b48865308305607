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

		r("GET", "/v1/queues", auth.WorkRead, false, (*call).getQueues),
		r("GET", "/v1/queues/{id}/work-items", auth.WorkRead, false, (*call).getQueueItems),
		r("GET", "/v1/team", auth.TeamRead, false, (*call).getTeam),
		r("GET", "/v1/settings/work", auth.WorkRead, false, (*call).getSettings),
		r("PUT", "/v1/settings/work", auth.UsersManage, false, (*call).putSettings),

		r("GET", "/v1/files", auth.RemitRead, false, (*call).getFiles),
		r("GET", "/v1/files/{id}", auth.RemitRead, false, (*call).getFile),
		r("GET", "/v1/files/{id}/claims", auth.RemitPHI, true, (*call).getFileClaims),
		r("GET", "/v1/files/{id}/raw", auth.RemitRaw, true, (*call).getFileRaw),
		r("GET", "/v1/claims", auth.RemitPHI, true, (*call).getClaims),
		r("GET", "/v1/claims/{id}", auth.RemitPHI, true, (*call).getClaim),

		r("GET", "/v1/audit", auth.AuditRead, false, (*call).getAudit),

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
	"GET /v1/team":                   {{"days", "practice_id"}, pageKeys},
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

// ForeignRoute is a route of another component that the API guards.
type ForeignRoute struct {
	Pattern   string          // "METHOD /path"
	Component string          // ingest, billing, matcher, router
	Perm      auth.Permission // what the caller's role must hold
	checks    []guard
}

// ForeignRoutes lists the other components' routes the API guards.
func (s *Service) ForeignRoutes() []ForeignRoute { return s.foreignRoutes() }

func (s *Service) foreignRoutes() []ForeignRoute {
	fr := func(pattern, component string, perm auth.Permission, checks ...guard) ForeignRoute {
		return ForeignRoute{Pattern: pattern, Component: component, Perm: perm, checks: checks}
	}
	return []ForeignRoute{
		// An upload is checked payee by payee inside the ingest (uploadGuard).
		fr("POST /v1/remittances", "ingest", auth.RemitUpload, s.uploadGuard("POST /v1/remittances")),
		fr("GET /v1/remittances/{id}", "ingest", auth.RemitRead, s.fileGuard("id")),
		// A billed-claims file names its practices inside: the billing
		// component checks each claim's practice against the caller's
		// scope. Fee schedules are per payer, for every practice: admins.
		fr("POST /v1/claims", "billing", auth.ClaimsLoad),
		fr("POST /v1/fee-schedules", "billing", auth.LoadAny),
		fr("GET /v1/match/review", "matcher", auth.MatchReview, practiceParam("practice_id")),
		fr("GET /v1/match/unmatched", "matcher", auth.MatchReview, practiceParam("practice_id")),
		fr("POST /v1/match/lines/{file}/{segment}/confirm", "matcher", auth.MatchReview, s.lineGuard(false)),
		fr("POST /v1/match/lines/{file}/{segment}/pick", "matcher", auth.MatchReview, s.lineGuard(true)),
		fr("GET /v1/match/missing", "matcher", auth.RemitRead, practiceParam("practice_id")),
		fr("GET /v1/match/payers", "matcher", auth.AuditRead), // every practice's figures: admins
		fr("GET /v1/practices/{practice}/queues", "router", auth.WorkRead, practicePath("practice")),
		fr("GET /v1/queue-rules", "router", auth.WorkRead, practiceParam("practice")),
		fr("POST /v1/queue-rules", "router", auth.QueueRules, ruleBodyPractice),
		fr("PUT /v1/queue-rules/{id}", "router", auth.QueueRules, s.ruleGuard, ruleBodyPractice),
		fr("DELETE /v1/queue-rules/{id}", "router", auth.QueueRules, s.ruleGuard),
	}
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
