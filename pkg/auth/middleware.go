package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
	"go.uber.org/zap"

	"github.com/remitq/remitq/pkg/httpx"
)

// UserHeader carries the authenticated user's id (decimal) to handlers that
// read the user from a header (the matcher's and the router's). The
// middleware removes any value the client sent, so it cannot be forged.
const UserHeader = "X-Remitq-User"

// RoleHeader carries the authenticated user's role beside UserHeader.
const RoleHeader = "X-Remitq-Role"

// Authenticator checks bearer tokens (JWTs or API keys) and loads the user
// with its role and scopes on every request, so a disabled user, a changed
// scope or a revoked key takes effect at once.
type Authenticator struct {
	DB *sqlx.DB
	// Verifier checks JWTs; nil accepts API keys only.
	Verifier *Verifier
	Log      *zap.Logger
	// Public reports requests that need no token. Default: PublicPaths.
	Public func(*http.Request) bool
}

// PublicPaths are the paths served without a token by default: the ops
// routes and the API description. Every other path needs one.
var PublicPaths = []string{"/healthz", "/readyz", "/metrics", "/openapi.json"}

// Authenticate identifies the caller of r.
func (a *Authenticator) Authenticate(ctx context.Context, r *http.Request) (*Identity, error) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	token = strings.TrimSpace(token)
	if !ok || token == "" {
		return nil, ErrNoToken
	}
	if IsAPIKey(token) {
		u, keyID, err := userByAPIKey(ctx, a.DB, token)
		if errors.Is(err, ErrNotFound) {
			return nil, ErrInvalidToken
		}
		if err != nil {
			return nil, err
		}
		if u.Disabled {
			return nil, ErrUnknownUser
		}
		id := u.Identity("api_key")
		id.KeyID = keyID
		return id, nil
	}
	if a.Verifier == nil {
		return nil, ErrInvalidToken
	}
	c, err := a.Verifier.Verify(token)
	if err != nil {
		return nil, err
	}
	u, err := userByToken(ctx, a.DB, c)
	if errors.Is(err, ErrNotFound) {
		return nil, ErrUnknownUser
	}
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, ErrUnknownUser
	}
	return u.Identity("jwt"), nil
}

// UserByClaims finds the user of a verified token or OIDC ID token: the
// one its (iss, sub) is bound to, else the one with its verified email (see
// Claims.Subject), which the (iss, sub) is then bound to. The console's
// OIDC sign-in and the bearer-token middleware use it alike.
func UserByClaims(ctx context.Context, db *sqlx.DB, c *Claims) (*User, error) {
	return userByToken(ctx, db, c)
}

func userByToken(ctx context.Context, db *sqlx.DB, c *Claims) (*User, error) {
	iss, sub := c.Issuer, c.RegisteredClaims.Subject
	if sub != "" {
		var uid int64
		err := db.GetContext(ctx, &uid, `SELECT user_id FROM user_identities WHERE issuer = $1 AND subject = $2`, iss, sub)
		if err == nil {
			return UserByID(ctx, db, uid)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("auth: token identity: %w", err)
		}
	}
	u, err := UserByEmail(ctx, db, c.Subject())
	if err != nil || sub == "" || u.Disabled {
		return u, err
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO user_identities (issuer, subject, user_id) VALUES ($1, $2, $3)
		ON CONFLICT DO NOTHING`, iss, sub, u.ID); err != nil {
		return nil, fmt.Errorf("auth: bind token identity: %w", err)
	}
	return u, nil
}

func (a *Authenticator) public(r *http.Request) bool {
	if a.Public != nil {
		return a.Public(r)
	}
	for _, p := range PublicPaths {
		if r.URL.Path == p {
			return true
		}
	}
	return false
}

// Middleware authenticates every request that is not public (default
// deny: a path nobody registered answers 401 without a token): without a
// valid token it answers 401; with one it puts the identity in the request
// context (FromContext) and sets UserHeader and RoleHeader. Callers whose
// role changes nothing (analysts) get 403 on any method but GET, HEAD and
// OPTIONS, whatever the route.
func (a *Authenticator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Del(UserHeader)
		r.Header.Del(RoleHeader)
		if a.public(r) {
			next.ServeHTTP(w, r)
			return
		}
		// An identity already in the context comes from an in-process
		// request (the console's, for its signed-in user): clients cannot set it.
		id := FromContext(r.Context())
		if id == nil {
			var err error
			if id, err = a.Authenticate(r.Context(), r); err != nil {
				Deny(w, a.Log, err)
				return
			}
		}
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
		default:
			if !id.Can(ChangeAny) {
				httpx.Error(w, http.StatusForbidden, "forbidden", "your role may not change anything")
				return
			}
		}
		r.Header.Set(UserHeader, strconv.FormatInt(id.UserID, 10))
		r.Header.Set(RoleHeader, string(id.Role))
		next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), id)))
	})
}

// Deny answers an authentication failure: 401 with the reason for token
// problems, 503 when the user could not be read.
func Deny(w http.ResponseWriter, log *zap.Logger, err error) {
	switch {
	case errors.Is(err, ErrNoToken), errors.Is(err, ErrInvalidToken), errors.Is(err, ErrUnknownUser):
		w.Header().Set("WWW-Authenticate", `Bearer realm="remitq"`)
		msg := err.Error()
		if errors.Is(err, ErrInvalidToken) {
			msg = ErrInvalidToken.Error()
		}
		httpx.Error(w, http.StatusUnauthorized, "unauthorized", msg)
	default:
		if log != nil {
			log.Error("authentication failed", zap.Error(err))
		}
		httpx.Error(w, http.StatusServiceUnavailable, "unavailable", "the user could not be read; try again")
	}
}

// Authorize returns a check for ingestsvc.Options.Authorize (a service run
// without the middleware in front): the caller must authenticate and be an
// admin. Without the API's gate nothing checks the payees of an upload
// against the caller's practices, so only callers who see every practice
// may send files that way; run the service behind apisvc.GateFor for scoped
// uploads.
func (a *Authenticator) Authorize(r *http.Request) error {
	id, err := a.Authenticate(r.Context(), r)
	if err != nil {
		return err
	}
	if !id.Can(RemitUpload) {
		return errors.New("your role may not send remittance files")
	}
	if !id.All() {
		return errors.New("without the API gate in front only admins may send remittance files")
	}
	return nil
}
