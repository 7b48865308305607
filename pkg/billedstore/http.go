package billedstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"unicode/utf8"

	"go.uber.org/zap"

	auditlog "github.com/remitq/remitq/pkg/audit"
	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/httpx"
	"github.com/remitq/remitq/pkg/svc"
)

// UserHeader names the person behind a request until the API puts real
// authentication in front: it is recorded as the actor of loads and
// decisions.
const UserHeader = "X-Remitq-User"

// Service is the billing HTTP component:
//
//	POST /v1/claims          837P or billed-claims CSV as the body (?filename=), or
//	                         multipart/form-data with several files
//	POST /v1/fee-schedules   fee-schedule CSV as the body, or multipart
//
// A single file answers 201 when claims were stored, 200 when nothing new
// was (all unchanged or rejected), 422 when the file cannot be read, with
// the Result (counts and row-numbered problems). Multipart answers 200 with
// {"files": [...]}.
type Service struct {
	Store *Store
	// MaxFileBytes bounds an uploaded file (default 256 MiB).
	MaxFileBytes int64
}

// NewService returns the component on deps.
func NewService(deps *svc.Deps) *Service {
	return &Service{Store: &Store{DB: deps.DB, NC: deps.NC, Log: deps.Log.With(zap.String("component", "billing"))}}
}

// Name implements svc.Component.
func (s *Service) Name() string { return "billing" }

// Run implements svc.Component: the component only serves HTTP.
func (s *Service) Run(ctx context.Context) error {
	<-ctx.Done()
	return nil
}

// Register implements svc.Component.
func (s *Service) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/claims", func(w http.ResponseWriter, r *http.Request) {
		s.upload(w, r, func(ctx context.Context, name string, raw []byte, actor string) (any, int, error) {
			in, err := Parse(name, raw)
			if err != nil {
				return nil, 0, err
			}
			practices, err := s.checkScope(r, in)
			if err != nil {
				return nil, 0, err
			}
			res, err := s.Store.Load(ctx, in, actor)
			if err != nil {
				return nil, 0, err
			}
			if err := s.auditLoad(r, "billed_claims.load", practices, map[string]any{"source": res.Source,
				"claims": res.Claims, "loaded": res.Loaded, "unchanged": res.Unchanged, "rejected": res.Rejected}); err != nil {
				return nil, 0, err
			}
			if res.Loaded > 0 {
				return res, http.StatusCreated, nil
			}
			return res, http.StatusOK, nil
		})
	})
	mux.HandleFunc("POST /v1/fee-schedules", func(w http.ResponseWriter, r *http.Request) {
		s.upload(w, r, func(ctx context.Context, name string, raw []byte, actor string) (any, int, error) {
			res, err := s.Store.LoadFees(ctx, name, raw, actor)
			if err != nil {
				return nil, 0, err
			}
			// Rates are per payer, for every practice: no practice.
			if err := s.auditLoad(r, "fee_schedule.load", nil, map[string]any{"inserted": res.Inserted,
				"updated": res.Updated}); err != nil {
				return nil, 0, err
			}
			if res.Inserted+res.Updated > 0 {
				return res, http.StatusCreated, nil
			}
			return res, http.StatusOK, nil
		})
	})
}

type loadFunc func(ctx context.Context, name string, raw []byte, actor string) (any, int, error)

func (s *Service) upload(w http.ResponseWriter, r *http.Request, load loadFunc) {
	limit := s.MaxFileBytes
	if limit <= 0 {
		limit = 256 << 20
	}
	actor := r.Header.Get(UserHeader)
	if id := auth.FromContext(r.Context()); id != nil {
		actor = id.Actor()
	} else if actor == "" {
		actor = "api"
	}
	httpx.Uploads(w, r, limit, func(name string, raw []byte) (any, int, error) {
		if err := textOnly(raw); err != nil {
			return nil, 0, err
		}
		return load(r.Context(), name, raw, actor)
	}, func(w http.ResponseWriter, err error) {
		if errors.Is(err, ErrFormat) {
			httpx.Error(w, http.StatusUnprocessableEntity, "bad_file", err.Error())
			return
		}
		var se *ScopeError
		if errors.As(err, &se) {
			httpx.JSON(w, http.StatusForbidden, map[string]any{
				"error":  httpx.ErrorDetail{Code: "practice_out_of_scope", Message: se.Error()},
				"claims": se.Claims})
			return
		}
		s.Store.log().Error("load failed", zap.Error(err))
		httpx.Error(w, http.StatusServiceUnavailable, "store_unavailable", "the file could not be stored; send it again")
	})
}

// ScopeError refuses a load of billed claims with claims of practices
// outside the caller's scope (or of no registered practice): nothing of the
// file is stored.
type ScopeError struct {
	// Claims are the refused claims, by their place in the file and CLM01.
	Claims []Problem
}

func (e *ScopeError) Error() string {
	return "the file holds claims of practices outside your scope; nothing was stored"
}

// checkScope resolves the practice of every claim of in and, behind the
// API's authentication, requires each to be a practice the caller sees
// whole (admins: any). A claim of no registered practice is refused from
// non-admins too (it would land in whatever practice is registered under
// its NPI later). It returns the practices of the claims, and writes an
// audit row per practice concerned when it refuses.
func (s *Service) checkScope(r *http.Request, in *Input) ([]int64, error) {
	pm, err := loadPractices(r.Context(), s.Store.DB)
	if err != nil {
		return nil, err
	}
	id := auth.FromContext(r.Context())
	var practices, refusedPractices []int64
	var refused []Problem
	for i, c := range in.Claims {
		p := pm.resolve(c)
		if p != 0 && !slices.Contains(practices, p) {
			practices = append(practices, p)
		}
		if id == nil || id.All() || (p != 0 && id.SeesPractice(p)) {
			continue
		}
		pr := in.problemFor(i, "practice_out_of_scope", "the claim's practice is not one in your scope")
		refused = append(refused, pr)
		if !slices.Contains(refusedPractices, p) {
			refusedPractices = append(refusedPractices, p)
		}
	}
	if len(refused) == 0 {
		return practices, nil
	}
	if err := s.auditLoad(r, "billed_claims.load_refused", refusedPractices, map[string]any{"source": in.Source,
		"claims": len(in.Claims), "refused": len(refused)}); err != nil {
		return nil, err
	}
	return nil, &ScopeError{Claims: refused}
}

// auditLoad writes one audit row per practice (one without practice when
// there is none) naming the caller and the request. Without the API in
// front (no identity) the store's own rows are all there is.
func (s *Service) auditLoad(r *http.Request, action string, practices []int64, detail map[string]any) error {
	id := auth.FromContext(r.Context())
	if id == nil {
		return nil
	}
	if len(practices) == 0 {
		practices = []int64{0}
	}
	detail["practice_ids"] = practices
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	var entries []auditlog.Entry
	for _, p := range practices {
		entries = append(entries, auditlog.Entry{Actor: id.Actor(), UserID: id.UserID, Action: action, Entity: "billed_claims",
			PracticeID: p, RemoteAddr: host, Method: r.Method, Route: r.Method + " " + r.URL.Path,
			RequestID: r.Header.Get("X-Request-Id"), Detail: detail})
	}
	return auditlog.Record(r.Context(), s.Store.DB, entries...)
}

// textOnly refuses a file that is not UTF-8 text without NUL bytes (the
// database stores text): a problem of the file (422 with its offset), not
// a reason to send it again.
func textOnly(raw []byte) error {
	if i := bytes.IndexByte(raw, 0); i >= 0 {
		return fmt.Errorf("%w: a NUL byte at offset %d", ErrFormat, i)
	}
	if !utf8.Valid(raw) {
		off := 0
		for off < len(raw) {
			r, n := utf8.DecodeRune(raw[off:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			off += n
		}
		return fmt.Errorf("%w: not UTF-8 text (offset %d)", ErrFormat, off)
	}
	return nil
}
