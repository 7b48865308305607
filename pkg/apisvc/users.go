package apisvc

import (
	"net/http"
	"strings"

	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/auth"
)

// GET /v1/me: who the token speaks for.
func (c *call) getMe() error {
	id := *c.id
	if id.Scopes == nil {
		id.Scopes = []auth.Scope{}
	}
	var perms []auth.Permission
	for _, p := range allPermissions {
		if id.Can(p) {
			perms = append(perms, p)
		}
	}
	return c.json(http.StatusOK, struct {
		auth.Identity
		Permissions []auth.Permission `json:"permissions"`
	}{id, perms})
}

var allPermissions = []auth.Permission{auth.WorkRead, auth.WorkPHI, auth.WorkUpdate, auth.WorkAssign, auth.QueueRules,
	auth.TeamRead, auth.RemitRead, auth.RemitPHI, auth.RemitRaw, auth.RemitUpload, auth.MatchReview, auth.AuditRead,
	auth.UsersManage, auth.UsersRead, auth.LoadAny}

var userSorts = []sortKey{{name: "id", expr: "u.id", typ: "bigint"}}

// GET /v1/users?role=: users who share a practice with the caller.
func (c *call) getUsers() error {
	q := c.r.URL.Query()
	p, err := newPager(q, userSorts...)
	if err != nil {
		return err
	}
	var args auth.Args
	var where []string
	if !c.id.All() {
		where = append(where, "EXISTS (SELECT 1 FROM user_scopes s WHERE s.user_id = u.id AND "+c.anyPracticeWhere("s.practice_id", &args)+")")
	}
	if v := q.Get("role"); v != "" {
		if !auth.Role(v).Valid() {
			return badRequest("role must be admin, supervisor, biller or analyst")
		}
		where = append(where, "u.role = "+args.Add(v))
	}
	if k := p.where("u.id", &args); k != "" {
		where = append(where, k)
	}
	cond := "TRUE"
	if len(where) > 0 {
		cond = strings.Join(where, " AND ")
	}
	var rows []struct {
		K        string         `db:"k"`
		ID       int64          `db:"id"`
		Email    string         `db:"email"`
		Name     string         `db:"name"`
		Role     string         `db:"role"`
		Disabled bool           `db:"disabled"`
		PIDs     pq.Int64Array  `db:"pids"`
		NPIs     pq.StringArray `db:"npis"`
	}
	if err := c.s.db.SelectContext(c.r.Context(), &rows, "SELECT "+p.keyCol()+` AS k, u.id, u.email, u.name, u.role, u.disabled,
		coalesce((SELECT array_agg(s.practice_id ORDER BY s.practice_id, s.provider_npi) FROM user_scopes s WHERE s.user_id = u.id), '{}') AS pids,
		coalesce((SELECT array_agg(s.provider_npi ORDER BY s.practice_id, s.provider_npi) FROM user_scopes s WHERE s.user_id = u.id), '{}') AS npis
		FROM users u WHERE `+cond+p.orderLimit("u.id"), args...); err != nil {
		return err
	}
	n, next := p.next(len(rows), func(i int) (string, int64) { return rows[i].K, rows[i].ID })
	out := Page[auth.User]{Items: make([]auth.User, n), NextCursor: next}
	for i := range n {
		r := rows[i]
		u := auth.User{ID: r.ID, Email: r.Email, Name: r.Name, Role: auth.Role(r.Role), Disabled: r.Disabled, Scopes: []auth.Scope{}}
		for j := range r.PIDs {
			// A supervisor sees only the scopes it shares.
			if c.seesAnyOf(r.PIDs[j]) {
				u.Scopes = append(u.Scopes, auth.Scope{PracticeID: r.PIDs[j], ProviderNPI: r.NPIs[j]})
			}
		}
		out.Items[i] = u
	}
	return c.json(http.StatusOK, out)
}
