package apisvc

import (
	"context"
	"net/http"

	"github.com/jmoiron/sqlx"
	"go.uber.org/zap"
)

// Gate is the API's authentication and route guards without its routes or
// sweeps: a service that runs apart from the API (services/router,
// services/matcher, services/ingest) adds it as a component so the same
// checks stand in front of its handlers:
//
//	gate, err := apisvc.NewGate(deps.DB, log, apisvc.Options{Auth: authenticator})
//	router, err := routesvc.New(deps, opts)
//	err = svc.Run(ctx, deps, addr, router, gate)
type Gate struct{ s *Service }

// NewGate builds a gate; opts.Auth is required.
func NewGate(db *sqlx.DB, log *zap.Logger, opts Options) (*Gate, error) {
	s, err := New(db, log, opts)
	if err != nil {
		return nil, err
	}
	return &Gate{s: s}, nil
}

// Name implements svc.Component.
func (g *Gate) Name() string { return "auth" }

// Register implements svc.Component: the gate adds no route.
func (g *Gate) Register(*http.ServeMux) {}

// Run implements svc.Component: the gate only wraps.
func (g *Gate) Run(ctx context.Context) error {
	<-ctx.Done()
	return nil
}

// WrapHTTP implements svc.HTTPWrapper.
func (g *Gate) WrapHTTP(next http.Handler) http.Handler { return g.s.WrapHTTP(next) }
