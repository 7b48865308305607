package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// User is a row of users with its scopes.
type User struct {
	ID       int64   `json:"id"`
	Email    string  `json:"email"`
	Name     string  `json:"name"`
	Role     Role    `json:"role"`
	Disabled bool    `json:"disabled"`
	Scopes   []Scope `json:"scopes"`
}

// ErrNotFound is returned when a user or key does not exist.
var ErrNotFound = errors.New("auth: not found")

// AddUser inserts u (or, when the email exists, updates its name and role)
// and replaces its scopes; u.ID is set. It never enables a disabled user:
// that is an explicit change (SetDisabled, PATCH /v1/users/{id}).
func AddUser(ctx context.Context, db *sqlx.DB, u *User) error {
	u.Email = strings.ToLower(strings.TrimSpace(u.Email))
	if u.Email == "" || !strings.Contains(u.Email, "@") {
		return errors.New("auth: a user needs an email address")
	}
	if !u.Role.Valid() {
		return fmt.Errorf("auth: role %q: want admin, supervisor, biller or analyst", u.Role)
	}
	if u.Role != Admin && len(u.Scopes) == 0 {
		return errors.New("auth: a user other than an admin needs at least one --practice scope")
	}
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("auth: add user: %w", err)
	}
	defer tx.Rollback()
	if err := tx.QueryRowContext(ctx, `INSERT INTO users (email, name, role) VALUES ($1, $2, $3)
		ON CONFLICT (email) DO UPDATE SET name = EXCLUDED.name, role = EXCLUDED.role
		RETURNING id`, u.Email, u.Name, string(u.Role)).Scan(&u.ID); err != nil {
		return fmt.Errorf("auth: add user: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM user_scopes WHERE user_id = $1`, u.ID); err != nil {
		return fmt.Errorf("auth: add user: %w", err)
	}
	for _, s := range u.Scopes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO user_scopes (user_id, practice_id, provider_npi) VALUES ($1, $2, $3)
			ON CONFLICT DO NOTHING`, u.ID, s.PracticeID, s.ProviderNPI); err != nil {
			var pe *pq.Error
			if errors.As(err, &pe) && pe.Code == "23503" {
				return fmt.Errorf("auth: practice %d does not exist", s.PracticeID)
			}
			return fmt.Errorf("auth: add user scope: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("auth: add user: %w", err)
	}
	return nil
}

// userQuery reads a user and its scopes in one statement.
const userQuery = `SELECT u.id, u.email, u.name, u.role, u.disabled,
	coalesce(array_agg(s.practice_id ORDER BY s.practice_id, s.provider_npi) FILTER (WHERE s.user_id IS NOT NULL), '{}'),
	coalesce(array_agg(s.provider_npi ORDER BY s.practice_id, s.provider_npi) FILTER (WHERE s.user_id IS NOT NULL), '{}')
	FROM users u LEFT JOIN user_scopes s ON s.user_id = u.id
	WHERE %s GROUP BY u.id`

func scanUser(row interface{ Scan(...any) error }) (*User, error) {
	var u User
	var role string
	var pids pq.Int64Array
	var npis pq.StringArray
	if err := row.Scan(&u.ID, &u.Email, &u.Name, &role, &u.Disabled, &pids, &npis); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("auth: read user: %w", err)
	}
	u.Role = Role(role)
	for i := range pids {
		u.Scopes = append(u.Scopes, Scope{PracticeID: pids[i], ProviderNPI: npis[i]})
	}
	return &u, nil
}

// UserByEmail reads a user by email (case-insensitively).
func UserByEmail(ctx context.Context, db sqlx.QueryerContext, email string) (*User, error) {
	return scanUser(db.QueryRowxContext(ctx, fmt.Sprintf(userQuery, "u.email = $1"),
		strings.ToLower(strings.TrimSpace(email))))
}

// UserByID reads a user by id.
func UserByID(ctx context.Context, db sqlx.QueryerContext, id int64) (*User, error) {
	return scanUser(db.QueryRowxContext(ctx, fmt.Sprintf(userQuery, "u.id = $1"), id))
}

// Identity turns the user into a request identity.
func (u *User) Identity(method string) *Identity {
	return &Identity{UserID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role, Scopes: u.Scopes, Method: method}
}

// APIKey is a stored API key (never the secret).
type APIKey struct {
	ID        int64      `json:"id"`
	UserID    int64      `json:"user_id"`
	Name      string     `json:"name"`
	Hint      string     `json:"hint"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// CreateAPIKey makes a key for a user and stores its hash; the returned
// secret is shown once and cannot be read again. ttl 0 means no expiry.
func CreateAPIKey(ctx context.Context, db sqlx.ExtContext, userID int64, name string, ttl time.Duration) (secret string, k *APIKey, err error) {
	secret, hash, err := NewAPIKey()
	if err != nil {
		return "", nil, err
	}
	k = &APIKey{UserID: userID, Name: name, Hint: secret[:len(APIKeyPrefix)+6]}
	var exp any
	if ttl > 0 {
		t := time.Now().Add(ttl)
		k.ExpiresAt, exp = &t, t
	}
	if err := db.QueryRowxContext(ctx, `INSERT INTO api_keys (user_id, name, hash, hint, expires_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING id, created_at`, userID, name, hash, k.Hint, exp).Scan(&k.ID, &k.CreatedAt); err != nil {
		return "", nil, fmt.Errorf("auth: create API key: %w", err)
	}
	return secret, k, nil
}

// RevokeAPIKey revokes a key; revoked keys stop working at once.
func RevokeAPIKey(ctx context.Context, db sqlx.ExecerContext, id int64) error {
	res, err := db.ExecContext(ctx, `UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`, id)
	if err != nil {
		return fmt.Errorf("auth: revoke API key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// userByAPIKey returns the user of a live key (not revoked, not expired,
// user not disabled) and the key's id.
func userByAPIKey(ctx context.Context, db sqlx.QueryerContext, secret string) (*User, int64, error) {
	var keyID, userID int64
	err := db.QueryRowxContext(ctx, `SELECT id, user_id FROM api_keys
		WHERE hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`,
		HashAPIKey(secret)).Scan(&keyID, &userID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, ErrNotFound
	}
	if err != nil {
		return nil, 0, fmt.Errorf("auth: read API key: %w", err)
	}
	u, err := UserByID(ctx, db, userID)
	return u, keyID, err
}

// BindIdentity binds the token identity (issuer, subject) to a user, for
// identity providers whose tokens carry no verified email (the subject is
// then an opaque id that names no user by itself). A binding that exists
// is moved to userID.
func BindIdentity(ctx context.Context, db sqlx.ExecerContext, issuer, subject string, userID int64) error {
	if subject == "" {
		return errors.New("auth: a token identity needs a subject")
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO user_identities (issuer, subject, user_id) VALUES ($1, $2, $3)
		ON CONFLICT (issuer, subject) DO UPDATE SET user_id = EXCLUDED.user_id`, issuer, subject, userID); err != nil {
		var pe *pq.Error
		if errors.As(err, &pe) && pe.Code == "23503" {
			return ErrNotFound
		}
		return fmt.Errorf("auth: bind identity: %w", err)
	}
	return nil
}
