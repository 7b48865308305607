package consolesvc

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"go.uber.org/zap"

	"github.com/remitq/remitq/pkg/apisvc"
	"github.com/remitq/remitq/pkg/auth"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Prefix is where the console is served.
const Prefix = "/console/"

// Options configures the console.
type Options struct {
	// Auth is the API's authenticator (required): the console's in-process
	// API requests go through its middleware with the session's identity.
	Auth *auth.Authenticator
	// SecureCookies sets the Secure attribute on cookies even when the
	// request did not arrive over TLS (a TLS-terminating proxy in front).
	SecureCookies bool
	// TrustProxy takes client addresses from X-Forwarded-For, as the API's
	// option of the same name.
	TrustProxy bool
	// ProxyHops is the number of trusted proxies in front (default 1).
	ProxyHops int
	// IdleTimeout ends a session not used for this long (default 30 min).
	IdleTimeout time.Duration
	// MaxAge ends every session this long after sign-in (default 12 h).
	MaxAge time.Duration
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
	// OIDC, when set, adds sign-in through that identity provider.
	OIDC *OIDC
	// MaxUploadBytes bounds the body of an upload form (default 256 MiB,
	// the ingest's file limit, plus 1 MiB of form); other forms may hold
	// at most 1 MiB. Beyond it the form answers 413 and nothing is read
	// further.
	MaxUploadBytes int64
}

// maxFormBytes bounds a form that is not an upload.
const maxFormBytes = 1 << 20

// maxUploadFiles bounds the files of one upload form.
const maxUploadFiles = 50

// Service is the web console: server-rendered pages under /console/ for
// billers, supervisors, analysts and admins. Every page gets its data, and
// every form makes its change, through the API's own handler chain
// (authentication middleware, guards, permission and scope checks, PHI
// audit) with the signed-in user's identity, in-process.
type Service struct {
	db   *sqlx.DB
	log  *zap.Logger
	opts Options
	api  *apisvc.Service
	tmpl map[string]*template.Template

	fails signinFails // wrong passwords by email and client address
	mu    sync.RWMutex
	chain http.Handler // the API's middleware in front of the process mux
	oidc  oidcState
}

// New builds the console on db.
func New(db *sqlx.DB, log *zap.Logger, opts Options) (*Service, error) {
	if opts.Auth == nil {
		return nil, errors.New("console: Options.Auth is required")
	}
	if opts.MaxUploadBytes <= 0 {
		opts.MaxUploadBytes = 256<<20 + maxFormBytes
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 30 * time.Minute
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = 12 * time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if log == nil {
		log = zap.NewNop()
	}
	// A private instance of the API's handlers (no sweeps: the API
	// component runs those) whose WrapHTTP is the chain of every request.
	a, err := apisvc.New(db, log, apisvc.Options{Auth: opts.Auth, SweepInterval: -1, TrustProxy: opts.TrustProxy, ProxyHops: opts.ProxyHops, Now: opts.Now})
	if err != nil {
		return nil, err
	}
	s := &Service{db: db, log: log.With(zap.String("component", "console")), opts: opts, api: a}
	if s.tmpl, err = parseTemplates(); err != nil {
		return nil, err
	}
	return s, nil
}

// Public reports the requests the API's authenticator lets through without
// a bearer token: auth.PublicPaths and the console, which signs its users
// in with sessions and sends every data request back through the
// authenticator with the session's identity. Set it as
// auth.Authenticator.Public of a process that serves the console.
func Public(r *http.Request) bool {
	if strings.HasPrefix(r.URL.Path, Prefix) || r.URL.Path == "/console" {
		return true
	}
	for _, p := range auth.PublicPaths {
		if r.URL.Path == p {
			return true
		}
	}
	return false
}

// Name implements svc.Component.
func (s *Service) Name() string { return "console" }

// Run deletes expired sessions every few minutes until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	t := time.NewTicker(5 * time.Minute)
	defer t.Stop()
	for {
		if err := s.pruneSessions(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("prune console sessions", zap.Error(err))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Register implements svc.Component: the console's pages on mux, and mux
// (with every component's routes) behind the API's middleware as the
// chain of the console's data requests.
func (s *Service) Register(mux *http.ServeMux) {
	s.mu.Lock()
	s.chain = s.api.WrapHTTP(mux)
	s.mu.Unlock()
	static, _ := fs.Sub(staticFiles, "static")
	mux.Handle("GET /console/static/", s.headers(false, http.StripPrefix("/console/static/", http.FileServerFS(static))))
	mux.Handle("GET /console", http.RedirectHandler(Prefix, http.StatusSeeOther))
	for _, p := range s.pages() {
		mux.Handle(p.pattern, s.headers(true, s.page(p)))
	}
}

// csp is the Content-Security-Policy of every console response: scripts,
// styles and images only from the console's own files.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// headers sets the security headers; noStore marks pages that may hold PHI.
func (s *Service) headers(noStore bool, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", csp)
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		if noStore {
			hd.Set("Cache-Control", "no-store")
		} else {
			hd.Set("Cache-Control", "public, max-age=300")
		}
		h.ServeHTTP(w, r)
	})
}
