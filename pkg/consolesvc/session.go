package consolesvc

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jmoiron/sqlx"
	"golang.org/x/crypto/bcrypt"

	"github.com/remitq/remitq/pkg/auth"
)

// Cookie names. The session cookie holds the session secret; the sign-in
// cookie holds the CSRF token of the sign-in form (before any session).
const (
	SessionCookie = "remitq_session"
	signinCookie  = "remitq_signin"
)

// MinPasswordLen is the shortest password SetPassword accepts.
const MinPasswordLen = 10

// ErrBadLogin is returned for an unknown email, a wrong password, a user
// without a local password or a disabled user (one message for all, so the
// form does not tell which emails exist).
var ErrBadLogin = errors.New("console: the email or password is wrong")

// SetPassword stores a bcrypt hash of password as the local console
// password of the user.
func SetPassword(ctx context.Context, db sqlx.ExecerContext, userID int64, password string) error {
	if len(password) < MinPasswordLen {
		return fmt.Errorf("console: a password needs at least %d characters", MinPasswordLen)
	}
	if len(password) > 72 {
		return errors.New("console: a password may hold at most 72 bytes")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return fmt.Errorf("console: hash password: %w", err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO console_passwords (user_id, hash) VALUES ($1, $2)
		ON CONFLICT (user_id) DO UPDATE SET hash = EXCLUDED.hash, updated_at = now()`, userID, string(h)); err != nil {
		return fmt.Errorf("console: store password: %w", err)
	}
	return nil
}

// dummyHash is compared against when the email is unknown, so a wrong
// email costs as much time as a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not-a-password-of-anyone"), bcrypt.DefaultCost)

// checkPassword returns the user of email when password is its local
// password and the user is active.
func checkPassword(ctx context.Context, db *sqlx.DB, email, password string) (*auth.User, error) {
	u, err := auth.UserByEmail(ctx, db, email)
	if errors.Is(err, auth.ErrNotFound) {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return nil, ErrBadLogin
	}
	if err != nil {
		return nil, err
	}
	var hash string
	err = db.QueryRowxContext(ctx, `SELECT hash FROM console_passwords WHERE user_id = $1`, u.ID).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return nil, ErrBadLogin
	}
	if err != nil {
		return nil, err
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil || u.Disabled {
		return nil, ErrBadLogin
	}
	return u, nil
}

// session is a signed-in browser.
type session struct {
	UserID int64     `db:"user_id"`
	CSRF   string    `db:"csrf"`
	Method string    `db:"method"`
	SeenAt time.Time `db:"seen_at"`
}

func randomToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func hashToken(t string) []byte {
	h := sha256.Sum256([]byte(t))
	return h[:]
}

// newSession stores a session of the user and returns its secret.
func (s *Service) newSession(ctx context.Context, userID int64, method string) (string, error) {
	secret := randomToken()
	now := s.opts.Now()
	if _, err := s.db.ExecContext(ctx, `INSERT INTO console_sessions (id_hash, user_id, csrf, method, created_at, seen_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $5, $6)`, hashToken(secret), userID, randomToken(), method, now, now.Add(s.opts.MaxAge)); err != nil {
		return "", fmt.Errorf("console: store session: %w", err)
	}
	return secret, nil
}

// loadSession reads the live session of the request's cookie (nil when
// there is none, it expired or it sat idle too long) and marks it seen.
func (s *Service) loadSession(r *http.Request) (*session, error) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	now := s.opts.Now()
	var ss session
	err = s.db.QueryRowxContext(r.Context(), `SELECT user_id, csrf, method, seen_at FROM console_sessions
		WHERE id_hash = $1 AND expires_at > $2 AND seen_at > $3`, hashToken(c.Value), now, now.Add(-s.opts.IdleTimeout)).StructScan(&ss)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if now.Sub(ss.SeenAt) > 30*time.Second {
		if _, err := s.db.ExecContext(r.Context(), `UPDATE console_sessions SET seen_at = $2 WHERE id_hash = $1`, hashToken(c.Value), now); err != nil {
			return nil, err
		}
	}
	return &ss, nil
}

// endSession deletes the request's session.
func (s *Service) endSession(r *http.Request) error {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return nil
	}
	_, err = s.db.ExecContext(r.Context(), `DELETE FROM console_sessions WHERE id_hash = $1`, hashToken(c.Value))
	return err
}

// pruneSessions deletes expired and idle sessions.
func (s *Service) pruneSessions(ctx context.Context) error {
	now := s.opts.Now()
	_, err := s.db.ExecContext(ctx, `DELETE FROM console_sessions WHERE expires_at <= $1 OR seen_at <= $2`, now, now.Add(-s.opts.IdleTimeout))
	return err
}

// secure reports whether cookies get the Secure attribute: over TLS, or
// when the options say the console is served over HTTPS behind a proxy.
func (s *Service) secure(r *http.Request) bool {
	return r.TLS != nil || s.opts.SecureCookies
}

func (s *Service) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/console/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteStrictMode})
}

// tokenEqual compares CSRF tokens in constant time.
func tokenEqual(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
