package apisvc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"go.uber.org/zap"

	"github.com/remitq/remitq/pkg/audit"
	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/httpx"
	"github.com/remitq/remitq/pkg/rules"
)

// Options configures the API.
type Options struct {
	// Auth authenticates requests (required).
	Auth *auth.Authenticator
	// RequestTimeout bounds each request's work (default 15 s; raw file
	// downloads get four times as long).
	RequestTimeout time.Duration
	// MaxBodyBytes bounds JSON request bodies (default 1 MiB).
	MaxBodyBytes int64
	// SweepInterval is how often auto-release, escalation and snooze
	// wake-up run (default 1 minute; negative: never, for tests).
	SweepInterval time.Duration
	// TrustProxy takes the client address from X-Forwarded-For (set it
	// only behind a proxy that appends to that header): the ProxyHops-th
	// entry from the right, never one the client wrote.
	TrustProxy bool
	// ProxyHops is the number of trusted proxies in front (default 1).
	ProxyHops int
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
	// Rules is the pain rule set of the pre-bill check; nil: rules.Default().
	Rules *rules.Set
	// PatientKeyer makes patient keys (the secret the stored keys were made
	// with); nil: rulesstore.DefaultKeyer().
	PatientKeyer *rules.Keyer
}

// Service is the API component: its routes, the authentication wrapper in
// front of every route of the process, and the work-item sweeps.
type Service struct {
	db   *sqlx.DB
	log  *zap.Logger
	opts Options
	// guards are checks run in front of other components' routes.
	guards *http.ServeMux
	// own matches the API's own routes.
	own *http.ServeMux
	// The queue-stats snapshot's time, and when it was read.
	statsMu   sync.Mutex
	statsAt   time.Time
	statsRead time.Time
}

// New builds the API on db.
func New(db *sqlx.DB, log *zap.Logger, opts Options) (*Service, error) {
	if opts.Auth == nil {
		return nil, errors.New("api: Options.Auth is required")
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 15 * time.Second
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 1 << 20
	}
	if opts.SweepInterval == 0 {
		opts.SweepInterval = time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if log == nil {
		log = zap.NewNop()
	}
	if opts.Auth.Log == nil {
		opts.Auth.Log = log
	}
	s := &Service{db: db, log: log.With(zap.String("component", "api")), opts: opts}
	s.guards = s.foreignGuards()
	s.own = http.NewServeMux()
	s.Register(s.own)
	return s, nil
}

// Name implements svc.Component.
func (s *Service) Name() string { return "api" }

// Run runs the sweeps until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	if s.opts.SweepInterval < 0 {
		<-ctx.Done()
		return nil
	}
	t := time.NewTicker(s.opts.SweepInterval)
	defer t.Stop()
	for {
		if _, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("work-item sweep failed", zap.Error(err))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// WrapHTTP implements svc.HTTPWrapper: every /v1/ request of the process
// is authenticated (and X-Remitq-User set) before any component's handler
// runs, and the guards of other components' routes (role and scope checks,
// see foreignGuards) apply.
func (s *Service) WrapHTTP(next http.Handler) http.Handler {
	authed := s.opts.Auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v1/") {
			// The other components' routes read their parameters as they
			// come: a NUL or a byte that is not UTF-8 would reach the
			// database (500) there too.
			if q, err := url.ParseQuery(r.URL.RawQuery); err == nil {
				if msg := badQueryText(q); msg != "" {
					httpx.Error(w, http.StatusBadRequest, "bad_query", msg)
					return
				}
			}
		}
		if _, pattern := s.guards.Handler(r); pattern == "" && !s.ownRoute(r) {
			// A /v1/ route no scope rule declares is refused, whoever asks
			// (fail closed): every route of the process has its rule in
			// ScopeRules. A declared path asked with another method goes on
			// (the mux answers 405).
			if strings.HasPrefix(r.URL.Path, "/v1/") && !s.declaredPath(r) {
				httpx.Error(w, http.StatusNotFound, "not_found", "no such route")
				return
			}
		} else if pattern != "" {
			res := &guardResult{}
			// The guard mux sets the path values on the request it passes.
			s.guards.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), guardKey{}, res)))
			if !res.ok {
				return
			}
			if res.body != nil {
				r.Body = res.body
			}
			if res.wrap != nil {
				r = r.WithContext(res.wrap(r.Context()))
			}
		}
		next.ServeHTTP(w, r)
	}))
	// Every request of the process gets a request id (the client's when it
	// is a sound one) that every component's audit rows carry, and unknown
	// routes and wrong methods answer the JSON error shape.
	return httpx.JSONErrors(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rid := requestID(r)
		r.Header.Set("X-Request-Id", rid)
		w.Header().Set("X-Request-Id", rid)
		authed.ServeHTTP(w, r)
	}))
}

// ownRoute reports whether r is for one of the API's own routes (which
// check themselves).
func (s *Service) ownRoute(r *http.Request) bool {
	_, pattern := s.own.Handler(r)
	return pattern != ""
}

// declaredPath reports whether r's path is a declared route's with some
// method.
func (s *Service) declaredPath(r *http.Request) bool {
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		rm := r.Clone(r.Context())
		rm.Method = m
		if _, p := s.guards.Handler(rm); p != "" {
			return true
		}
		if _, p := s.own.Handler(rm); p != "" {
			return true
		}
	}
	return false
}

// guard checks a request to another component's route: it answers a
// denial itself, or passes.
type guard func(w http.ResponseWriter, r *http.Request, id *auth.Identity) (pass bool)

type guardKey struct{}

type guardResult struct {
	ok   bool
	body io.ReadCloser // the body the guard read, to hand on
	// wrap, when set, makes the context the request is handed on with.
	wrap func(context.Context) context.Context
}

func (g guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	res, _ := r.Context().Value(guardKey{}).(*guardResult)
	id := auth.FromContext(r.Context())
	if res == nil || id == nil {
		httpx.Error(w, http.StatusUnauthorized, "unauthorized", auth.ErrNoToken.Error())
		return
	}
	res.ok = g(w, r, id)
	if res.ok && r.Body != nil {
		res.body = r.Body
	}
}

// Register implements svc.Component.
func (s *Service) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /openapi.json", serveSpec)
	for _, rt := range s.routes() {
		mux.Handle(rt.Method+" "+rt.Path, s.handle(rt))
	}
}

// Route is one endpoint of the API.
type Route struct {
	Method, Path string
	// Perm is what the caller's role must hold ("" = any user).
	Perm auth.Permission
	// PHI marks routes that read or change protected health information:
	// they write an audit row in the request, before the answer. Every
	// route that changes something audits too.
	PHI bool
	h   func(*call) error
}

// Audited reports whether the route must write an audit row.
func (rt Route) Audited() bool { return rt.PHI || rt.Method != http.MethodGet }

// Routes lists the API's endpoints (for tests and documentation).
func (s *Service) Routes() []Route { return s.routes() }

// call is one request being served.
type call struct {
	s       *Service
	w       http.ResponseWriter
	r       *http.Request
	id      *auth.Identity
	route   Route
	reqID   string
	audited int
}

// apiError is an error answer.
type apiError struct {
	status        int
	code, message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func errf(status int, code, format string, a ...any) error {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, a...)}
}

var (
	errNotFound  = &apiError{http.StatusNotFound, "not_found", "no such resource, or not in your scope"}
	errForbidden = &apiError{http.StatusForbidden, "forbidden", "your role may not do this"}
)

func badRequest(format string, a ...any) error {
	return errf(http.StatusBadRequest, "bad_request", format, a...)
}

func (s *Service) handle(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := auth.FromContext(r.Context())
		if id == nil { // the component runs without its wrapper: authenticate here
			var err error
			if id, err = s.opts.Auth.Authenticate(r.Context(), r); err != nil {
				auth.Deny(w, s.log, err)
				return
			}
		}
		if rt.Perm != "" && !id.Can(rt.Perm) {
			httpx.Error(w, http.StatusForbidden, "forbidden", "your role may not do this")
			return
		}
		timeout := s.opts.RequestTimeout
		if rt.Perm == auth.RemitRaw {
			timeout *= 4
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		c := &call{s: s, w: w, r: r.WithContext(ctx), id: id, route: rt, reqID: requestID(r)}
		w.Header().Set("X-Request-Id", c.reqID)
		// Every answer is the caller's own (scoped, often PHI): no cache,
		// the browser's included, keeps a copy.
		w.Header().Set("Cache-Control", "no-store")
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			httpx.Error(w, http.StatusBadRequest, "bad_query", "the query string is not well formed")
			return
		}
		if msg := badQueryText(q); msg != "" {
			httpx.Error(w, http.StatusBadRequest, "bad_query", msg)
			return
		}
		if vs, ok := q["practice"]; ok {
			// ?practice= is the deprecated name of ?practice_id= (one
			// release): read as practice_id, with a Deprecation header.
			if old, both := q["practice_id"]; both && !slices.Equal(old, vs) {
				httpx.Error(w, http.StatusBadRequest, "bad_query", "practice is the deprecated name of practice_id: give one")
				return
			}
			q["practice_id"] = vs
			delete(q, "practice")
			c.r.URL.RawQuery = q.Encode()
			w.Header().Set("Deprecation", "true")
		}
		if allowed, ok := routeParams[rt.Method+" "+rt.Path]; ok {
			if err := checkKeys(q, "parameter", allowed...); err != nil {
				var ae *apiError
				errors.As(err, &ae)
				httpx.Error(w, ae.status, ae.code, ae.message)
				return
			}
		}
		if r.Body != nil {
			c.r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
		}
		err = rt.h(c)
		if err == nil {
			if rt.Audited() && c.audited == 0 {
				s.log.Error("route answered without an audit row", zap.String("route", rt.Method+" "+rt.Path))
			}
			return
		}
		var ae *apiError
		switch {
		case errors.As(err, &ae):
			httpx.Error(w, ae.status, ae.code, ae.message)
		case errors.Is(err, context.DeadlineExceeded):
			httpx.Error(w, http.StatusServiceUnavailable, "timeout", "the request took too long")
		default:
			s.log.Error("request failed", zap.String("route", rt.Method+" "+rt.Path), zap.String("request_id", c.reqID), zap.Error(err))
			httpx.Error(w, http.StatusInternalServerError, "internal", "the request failed; it was logged as "+c.reqID)
		}
	})
}

// requestID is the request's id: the client's X-Request-Id when it is 1 to
// 64 characters of letters, digits and ._:- (so it is safe in logs and
// audit rows), else a fresh random one.
func requestID(r *http.Request) string {
	if v := r.Header.Get("X-Request-Id"); validRequestID.MatchString(v) {
		return v
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// remoteAddr is the client address: the connection's, or the
// X-Forwarded-For entry the trusted proxy added (httpx.ClientAddr).
func (c *call) remoteAddr() string { return c.s.remoteAddr(c.r) }

func (s *Service) remoteAddr(r *http.Request) string {
	hops := 0
	if s.opts.TrustProxy {
		hops = max(s.opts.ProxyHops, 1)
	}
	return httpx.ClientAddr(r, hops)
}

// entry is an audit entry of this request.
func (c *call) entry(action, entity string, entityID int64, practiceID int64, detail map[string]any) audit.Entry {
	e := audit.Entry{Actor: c.id.Actor(), UserID: c.id.UserID, Action: action, Entity: entity,
		PracticeID: practiceID, RemoteAddr: c.remoteAddr(), Method: c.r.Method, Route: c.route.Method + " " + c.route.Path,
		RequestID: c.reqID, Detail: detail}
	if entityID != 0 {
		e.EntityID = strconv.FormatInt(entityID, 10)
	}
	return e
}

// audit records entries now (outside any transaction), before the answer
// is written: a read of PHI that cannot be audited is not answered.
func (c *call) audit(entries ...audit.Entry) error {
	return c.auditTx(c.s.db, entries...)
}

// inTx runs fn in one transaction of the request and commits it; an error
// from fn (or the commit) leaves nothing written.
func (c *call) inTx(fn func(tx *sqlx.Tx) error) error {
	tx, err := c.s.db.BeginTxx(c.r.Context(), nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// auditTx records entries in tx, so a change and its audit commit together.
func (c *call) auditTx(tx sqlx.ExecerContext, entries ...audit.Entry) error {
	if err := audit.Record(c.r.Context(), tx, entries...); err != nil {
		return err
	}
	c.audited += len(entries)
	return nil
}

func (c *call) json(status int, v any) error {
	httpx.JSON(c.w, status, v)
	return nil
}

// decode reads a JSON body into v with the shared strict decoder: one
// value, no unknown field.
func (c *call) decode(v any) error {
	if err := httpx.DecodeJSON(c.r.Body, 0, v); err != nil {
		var be *httpx.BodyError
		if errors.As(err, &be) {
			return &apiError{be.Status, be.Code, be.Message}
		}
		return err
	}
	return nil
}

// pathID reads a positive integer path value; anything else is 404.
func (c *call) pathID(name string) (int64, error) {
	n, err := strconv.ParseInt(c.r.PathValue(name), 10, 64)
	if err != nil || n <= 0 {
		return 0, errNotFound
	}
	return n, nil
}

// badQueryText says what is wrong with a query string whose names or values
// PostgreSQL text cannot hold (a NUL, a byte that is not UTF-8), or "".
func badQueryText(q url.Values) string {
	for k, vs := range q {
		for _, v := range append([]string{k}, vs...) {
			if strings.IndexByte(v, 0) >= 0 {
				return "the query parameter " + strconv.Quote(k) + " holds a NUL character"
			}
			if !utf8.ValidString(v) {
				return "the query parameter " + strconv.Quote(k) + " is not UTF-8"
			}
		}
	}
	return ""
}

// RemoteAddr is the client address of r as the audit records it (the
// entry the trusted proxy added to X-Forwarded-For when there is one).
func (s *Service) RemoteAddr(r *http.Request) string { return s.remoteAddr(r) }
