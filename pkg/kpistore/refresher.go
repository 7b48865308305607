package kpistore

import (
	"context"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/remitq/remitq/pkg/svc"
)

// Refresher is the component that keeps the summary tables current: it
// refreshes whenever the sources changed (the triggers' marks), polling
// every Interval. It serves no routes.
type Refresher struct {
	deps *svc.Deps
	// Interval between checks (default 2 s).
	Interval time.Duration
}

// NewRefresher builds the component.
func NewRefresher(deps *svc.Deps) *Refresher {
	return &Refresher{deps: deps, Interval: 2 * time.Second}
}

// Name implements svc.Component.
func (r *Refresher) Name() string { return "kpi" }

// Register implements svc.Component (no routes).
func (r *Refresher) Register(*http.ServeMux) {}

// Run refreshes until ctx ends. On a database whose source rows predate
// the summary tables it rebuilds them first.
func (r *Refresher) Run(ctx context.Context) error {
	log := r.deps.Log
	if log == nil {
		log = zap.NewNop()
	}
	var empty bool
	if err := r.deps.DB.GetContext(ctx, &empty, `SELECT NOT EXISTS (SELECT 1 FROM kpi_facts) AND EXISTS (SELECT 1 FROM match_claims)`); err == nil && empty {
		if _, err := Rebuild(ctx, r.deps.DB); err != nil && ctx.Err() == nil {
			log.Error("kpi rebuild failed", zap.Error(err))
		}
	}
	t := time.NewTicker(r.Interval)
	defer t.Stop()
	for {
		var dirty bool
		err := r.deps.DB.GetContext(ctx, &dirty, `SELECT EXISTS (SELECT 1 FROM kpi_dirty)`)
		if err == nil && dirty {
			_, err = Refresh(ctx, r.deps.DB)
		}
		if err != nil && ctx.Err() == nil {
			log.Error("kpi refresh failed", zap.Error(err))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
