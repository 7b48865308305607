package api

import (
	"database/sql"
	"errors"
	"net/http"
	"strconv"
	"strings"

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
	}
}

// foreignGuards are the checks in front of other components' routes that
// do not check roles or scopes themselves (the ingest service's).
func (s *Service) foreignGuards() *http.ServeMux {
	m := http.NewServeMux()
	m.Handle("POST /v1/remittances", guard(func(w http.ResponseWriter, r *http.Request) bool {
		if !auth.FromContext(r.Context()).Can(auth.RemitUpload) {
			httpx.Error(w, http.StatusForbidden, "forbidden", "your role may not send remittance files")
			return false
		}
		return true
	}))
	m.Handle("GET /v1/remittances/{id}", guard(func(w http.ResponseWriter, r *http.Request) bool {
		id := auth.FromContext(r.Context())
		if !id.Can(auth.RemitRead) {
			httpx.Error(w, http.StatusForbidden, "forbidden", "your role may not do this")
			return false
		}
		fid, err := strconv.ParseInt(strings.TrimPrefix(r.URL.Path, "/v1/remittances/"), 10, 64)
		if err != nil {
			return true // the route answers 404 itself
		}
		var args auth.Args
		var one int
		scope := "TRUE"
		if !id.All() {
			scope = id.WherePractice("practice_id", &args)
		}
		err = s.db.QueryRowxContext(r.Context(), `SELECT 1 FROM remittance_files WHERE id = `+args.Add(fid)+` AND `+scope, args...).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			httpx.Error(w, http.StatusNotFound, "not_found", "no such file")
			return false
		}
		if err != nil {
			httpx.Error(w, http.StatusServiceUnavailable, "unavailable", "try again")
			return false
		}
		return true
	}))
	return m
}
