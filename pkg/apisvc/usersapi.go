package apisvc

import (
	"database/sql"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/remitq/remitq/pkg/auth"
)

// userBody creates or changes a user (admins).
type userBody struct {
	Email    string       `json:"email"`
	Name     *string      `json:"name,omitempty"`
	Role     string       `json:"role"`
	Disabled *bool        `json:"disabled,omitempty"`
	Scopes   []auth.Scope `json:"scopes"`
}

func validScopes(scopes []auth.Scope) error {
	for _, s := range scopes {
		if _, err := auth.ParseScope(s.String()); err != nil || s.PracticeID <= 0 {
			return badRequest("a scope is {\"practice_id\": N} or {\"practice_id\": N, \"provider_npi\": \"10 digits\"}")
		}
	}
	return nil
}

// POST /v1/users (admins): add a user, or update the user of that email.
func (c *call) postUser() error {
	var b userBody
	if err := c.decode(&b); err != nil {
		return err
	}
	if err := validScopes(b.Scopes); err != nil {
		return err
	}
	u := &auth.User{Email: b.Email, Role: auth.Role(b.Role), Scopes: b.Scopes}
	if b.Name != nil {
		u.Name = *b.Name
	}
	// An existing user (enabled or not) is changed with PATCH, never by
	// posting its email again: that would rewrite its role and scopes, or
	// bring a disabled account back. The user is inserted, never upserted:
	// of two posts of one email at once, the second meets the unique
	// index and answers 409.
	if err := c.insertUser(u, b.Disabled != nil && *b.Disabled); err != nil {
		return err
	}
	if err := c.audit(c.userEntries("user.save", u.ID, map[string]any{"role": u.Role, "scopes": len(u.Scopes)}, u.Scopes)...); err != nil {
		return err
	}
	out, err := auth.UserByID(c.r.Context(), c.s.db, u.ID)
	if err != nil {
		return err
	}
	return c.json(http.StatusCreated, out)
}

// insertUser adds u (its checks are auth.AddUser's) in one transaction;
// an email that exists is a 409 naming the user.
func (c *call) insertUser(u *auth.User, disabled bool) error {
	ctx := c.r.Context()
	u.Email = strings.ToLower(strings.TrimSpace(u.Email))
	switch {
	case u.Email == "" || !strings.Contains(u.Email, "@"):
		return badRequest("a user needs an email address")
	case !u.Role.Valid():
		return badRequest("role %q: want admin, supervisor, biller or analyst", u.Role)
	case u.Role != auth.Admin && len(u.Scopes) == 0:
		return badRequest("a user other than an admin needs at least one practice scope")
	}
	// A taken email is looked up after the transaction has ended.
	errTaken := errors.New("email taken")
	err := c.inTx(func(tx *sqlx.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO users (email, name, role, disabled) VALUES ($1, $2, $3, $4) RETURNING id`,
			u.Email, u.Name, string(u.Role), disabled).Scan(&u.ID)
		var pe *pq.Error
		if errors.As(err, &pe) && pe.Code == "23505" {
			return errTaken
		}
		if err != nil {
			return err
		}
		for _, s := range u.Scopes {
			if _, err := tx.ExecContext(ctx, `INSERT INTO user_scopes (user_id, practice_id, provider_npi) VALUES ($1, $2, $3)
			ON CONFLICT DO NOTHING`, u.ID, s.PracticeID, s.ProviderNPI); err != nil {
				if errors.As(err, &pe) && pe.Code == "23503" {
					return badRequest("practice %d does not exist", s.PracticeID)
				}
				return err
			}
		}
		return nil
	})
	if errors.Is(err, errTaken) {
		if old, err := auth.UserByEmail(ctx, c.s.db, u.Email); err == nil {
			return errf(http.StatusConflict, "user_exists", "user %d has this email; change it with PATCH /v1/users/%d", old.ID, old.ID)
		}
		return errf(http.StatusConflict, "user_exists", "a user has this email; change it with PATCH")
	}
	return err
}

// PATCH /v1/users/{id} (admins): name, role, scopes, disabled.
func (c *call) patchUser() error {
	id, err := c.pathID("id")
	if err != nil {
		return err
	}
	var b userBody
	if err := c.decode(&b); err != nil {
		return err
	}
	if b.Email != "" {
		return badRequest("the email is the user's identity: add a new user instead")
	}
	ctx := c.r.Context()
	u, err := auth.UserByID(ctx, c.s.db, id)
	if errors.Is(err, auth.ErrNotFound) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	if b.Name != nil {
		u.Name = *b.Name
	}
	if b.Role != "" {
		u.Role = auth.Role(b.Role)
	}
	oldScopes := u.Scopes
	if b.Scopes != nil {
		if err := validScopes(b.Scopes); err != nil {
			return err
		}
		u.Scopes = b.Scopes
	}
	if u.ID == c.id.UserID && (u.Role != auth.Admin || (b.Disabled != nil && *b.Disabled)) {
		return badRequest("an admin cannot demote or disable itself")
	}
	disabled := u.Disabled
	if b.Disabled != nil {
		disabled = *b.Disabled
	}
	if err := auth.AddUser(ctx, c.s.db, u); err != nil {
		return badRequest("%s", strings.TrimPrefix(err.Error(), "auth: "))
	}
	if _, err := c.s.db.ExecContext(ctx, `UPDATE users SET disabled = $2 WHERE id = $1`, id, disabled); err != nil {
		return err
	}
	if err := c.audit(c.userEntries("user.update", id, map[string]any{"role": u.Role, "scopes": len(u.Scopes), "disabled": disabled},
		oldScopes, u.Scopes)...); err != nil {
		return err
	}
	out, err := auth.UserByID(ctx, c.s.db, id)
	if err != nil {
		return err
	}
	return c.json(http.StatusOK, out)
}

// KeyInfo is a stored API key (never its secret).
type KeyInfo struct {
	ID         int64      `db:"id" json:"id"`
	UserID     int64      `db:"user_id" json:"user_id"`
	Name       string     `db:"name" json:"name"`
	Hint       string     `db:"hint" json:"hint"`
	CreatedAt  time.Time  `db:"created_at" json:"created_at"`
	ExpiresAt  *time.Time `db:"expires_at" json:"expires_at"`
	RevokedAt  *time.Time `db:"revoked_at" json:"revoked_at"`
	LastUsedAt *time.Time `db:"last_used_at" json:"last_used_at"`
}

var keySorts = []sortKey{{name: "id", expr: "k.id", typ: "bigint"}}

// GET /v1/api-keys?user_id=: the caller's keys (admins: anyone's).
func (c *call) getKeys() error {
	q := c.r.URL.Query()
	p, err := newPager(q, keySorts...)
	if err != nil {
		return err
	}
	user := c.id.UserID
	if v := q.Get("user_id"); v != "" {
		if user, err = parseID(v, "user_id"); err != nil {
			return err
		}
		if user != c.id.UserID && !c.id.Can(auth.UsersManage) {
			return errNotFound
		}
	}
	var args auth.Args
	where := "k.user_id = " + args.Add(user)
	if k := p.where("k.id", &args); k != "" {
		where += " AND " + k
	}
	var rows []struct {
		K string `db:"k"`
		KeyInfo
	}
	if err := c.s.db.SelectContext(c.r.Context(), &rows, "SELECT "+p.keyCol()+` AS k, k.id, k.user_id, k.name, k.hint, k.created_at,
		k.expires_at, k.revoked_at, k.last_used_at FROM api_keys k WHERE `+where+p.orderLimit("k.id"), args...); err != nil {
		return err
	}
	n, next := p.next(len(rows), func(i int) (string, int64) { return rows[i].K, rows[i].ID })
	out := Page[KeyInfo]{Items: make([]KeyInfo, n), NextCursor: next}
	for i := range n {
		out.Items[i] = rows[i].KeyInfo
	}
	return c.json(http.StatusOK, out)
}

// POST /v1/api-keys {"name": "...", "ttl_hours": 0, "user_id": N (admins)}:
// a new key, its secret shown in this answer only.
func (c *call) postKey() error {
	var b struct {
		Name     string `json:"name"`
		TTLHours int    `json:"ttl_hours"`
		UserID   int64  `json:"user_id"`
	}
	if err := c.decode(&b); err != nil {
		return err
	}
	if b.TTLHours < 0 || b.TTLHours > 24*366*2 || len(b.Name) > 200 {
		return badRequest("ttl_hours must be 0 (no expiry) to two years, name at most 200 characters")
	}
	user := c.id.UserID
	if b.UserID != 0 && b.UserID != user {
		if !c.id.Can(auth.UsersManage) {
			return errForbidden
		}
		if _, err := auth.UserByID(c.r.Context(), c.s.db, b.UserID); err != nil {
			if errors.Is(err, auth.ErrNotFound) {
				return badRequest("user %d does not exist", b.UserID)
			}
			return err
		}
		user = b.UserID
	}
	ctx := c.r.Context()
	var secret string
	var k *auth.APIKey
	if err := c.inTx(func(tx *sqlx.Tx) error {
		var err error
		if secret, k, err = auth.CreateAPIKey(ctx, tx, user, b.Name, time.Duration(b.TTLHours)*time.Hour); err != nil {
			return err
		}
		return c.auditTx(tx, c.entry("api_key.create", "api_key", k.ID, 0, map[string]any{"user_id": user}))
	}); err != nil {
		return err
	}
	c.w.Header().Set("Cache-Control", "no-store")
	return c.json(http.StatusCreated, struct {
		*auth.APIKey
		Key string `json:"key"`
	}{k, secret})
}

// DELETE /v1/api-keys/{id}: revoke one of the caller's keys (admins: any).
func (c *call) deleteKey() error {
	id, err := c.pathID("id")
	if err != nil {
		return err
	}
	ctx := c.r.Context()
	var owner int64
	err = c.s.db.QueryRowxContext(ctx, `SELECT user_id FROM api_keys WHERE id = $1`, id).Scan(&owner)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && owner != c.id.UserID && !c.id.Can(auth.UsersManage)) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	if err := c.inTx(func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1`, id); err != nil {
			return err
		}
		return c.auditTx(tx, c.entry("api_key.revoke", "api_key", id, 0, map[string]any{"user_id": owner}))
	}); err != nil {
		return err
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

// userEntries are the audit rows of a change to a user: one per practice
// of its scopes before and after (the practices whose access changed), one
// without practice for a user of no practice (admins).
func (c *call) userEntries(action string, id int64, detail map[string]any, scopes ...[]auth.Scope) []auditEntry {
	var practices []int64
	for _, list := range scopes {
		for _, sc := range list {
			if !slices.Contains(practices, sc.PracticeID) {
				practices = append(practices, sc.PracticeID)
			}
		}
	}
	if len(practices) == 0 {
		practices = []int64{0}
	}
	detail["practice_ids"] = practices
	var out []auditEntry
	for _, p := range practices {
		out = append(out, c.entry(action, "user", id, p, detail))
	}
	return out
}
