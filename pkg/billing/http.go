package billing

import (
	"context"
	"errors"
	"net/http"

	"go.uber.org/zap"

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
			res, err := s.Store.LoadFile(ctx, name, raw, actor)
			if err != nil {
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
	if actor == "" {
		actor = "api"
	}
	httpx.Uploads(w, r, limit, func(name string, raw []byte) (any, int, error) {
		return load(r.Context(), name, raw, actor)
	}, func(w http.ResponseWriter, err error) {
		if errors.Is(err, ErrFormat) {
			httpx.Error(w, http.StatusUnprocessableEntity, "bad_file", err.Error())
			return
		}
		s.Store.log().Error("load failed", zap.Error(err))
		httpx.Error(w, http.StatusServiceUnavailable, "store_unavailable", "the file could not be stored; send it again")
	})
}
