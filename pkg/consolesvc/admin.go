package consolesvc

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/remitq/remitq/pkg/audit"
	"github.com/remitq/remitq/pkg/auth"
)

// users lists the users (admins) with the add-user form.
func (q *req) users() error {
	return q.showUsers(http.StatusOK, "")
}

func (q *req) showUsers(status int, problem string) error {
	var users page[userRow]
	if err := q.s.getJSON(q.r, q.id, "/v1/users", url.Values{"limit": {"500"}}, &users); err != nil {
		return err
	}
	labels, err := q.s.labels(q.r.Context(), q.id)
	if err != nil {
		return err
	}
	form := url.Values{}
	if q.r.Method == http.MethodPost {
		form = q.r.PostForm
		form.Del("password")
	}
	q.render(status, "users", "Users", map[string]any{"Users": users.Items, "Labels": labels, "Roles": auth.Roles(),
		"Problem": problem, "Form": form})
	return nil
}

// addUser adds (or updates) a user through the API, then sets the local
// password given, audited like the user change.
func (q *req) addUser() error {
	f := q.r.PostForm
	var scopes []auth.Scope
	for _, part := range strings.FieldsFunc(f.Get("scopes"), func(r rune) bool { return r == ',' || r == ' ' }) {
		sc, err := auth.ParseScope(part)
		if err != nil {
			return q.showUsers(http.StatusBadRequest, "Scopes are practice ids, or practice:NPI, separated by commas.")
		}
		scopes = append(scopes, sc)
	}
	if scopes == nil {
		scopes = []auth.Scope{}
	}
	password := f.Get("password")
	if password != "" && len(password) < MinPasswordLen {
		return q.showUsers(http.StatusBadRequest, "The password needs at least 10 characters.")
	}
	if !q.id.Can(auth.UsersManage) {
		return &apiError{Status: http.StatusForbidden, Message: "only an admin manages users"}
	}
	var u userRow
	err := q.s.sendJSON(q.r, q.id, apiRequest{Method: http.MethodPost, Path: "/v1/users",
		Body: map[string]any{"email": f.Get("email"), "name": f.Get("name"), "role": f.Get("role"), "scopes": scopes}}, &u)
	if problem, _ := userMistake(err); problem != "" {
		return q.showUsers(http.StatusBadRequest, problem)
	}
	if err != nil {
		return err
	}
	if password != "" {
		ctx := q.r.Context()
		tx, err := q.s.db.BeginTxx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if err := SetPassword(ctx, tx, u.ID, password); err != nil {
			return q.showUsers(http.StatusBadRequest, strings.TrimPrefix(err.Error(), "console: "))
		}
		if err := audit.Record(ctx, tx, audit.Entry{Actor: q.id.Actor(), UserID: q.id.UserID, Action: "user.password.set",
			Entity: "user", EntityID: itoa(u.ID), RemoteAddr: q.remoteAddr(), Method: q.r.Method,
			Route: "POST /console/admin/users"}); err != nil {
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return q.redirect("/console/admin/users?done=user")
}

// remoteAddr is the browser's address as the API's audit rows name it.
func (q *req) remoteAddr() string { return q.s.api.RemoteAddr(q.r) }

type auditRow struct {
	ID         int64     `json:"id"`
	At         time.Time `json:"at"`
	Actor      string    `json:"actor"`
	Action     string    `json:"action"`
	Entity     string    `json:"entity"`
	EntityID   *string   `json:"entity_id"`
	PracticeID *int64    `json:"practice_id"`
	RemoteAddr *string   `json:"remote_addr"`
	Route      *string   `json:"route"`
}

// auditFilters are the audit-log filters the page passes on.
var auditFilters = []string{"actor", "action", "entity", "entity_id", "practice_id", "from", "to", "cursor"}

// auditLog shows the audit log, newest first (admins).
func (q *req) auditLog() error {
	in := q.r.URL.Query()
	api := listQuery(in, auditFilters)
	var rows page[auditRow]
	err := q.s.getJSON(q.r, q.id, "/v1/audit", api, &rows)
	problem, err := userMistake(err)
	if err != nil {
		return err
	}
	next := ""
	if rows.NextCursor != "" {
		nq := url.Values{}
		for k, v := range api {
			nq[k] = v
		}
		nq.Del("limit")
		nq.Set("cursor", rows.NextCursor)
		next = "/console/admin/audit?" + nq.Encode()
	}
	q.render(http.StatusOK, "audit", "Audit log", map[string]any{"Rows": rows.Items, "Filter": in, "Next": next, "Problem": problem})
	return nil
}
