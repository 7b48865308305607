// Package routesvc is the denial router as a component of a remitq process:
// it consumes the matcher's ClaimMatches messages (match.v1.claim.> on the
// MATCHED stream, durable consumer "router", one message per paid claim
// holding each line's LineMatch), decides each line with
// pkg/route and the pain rules (pkg/painroute, the patient's history read
// from PostgreSQL), and keeps exactly one work item per billed line in
// work_items, in one transaction per batch. services/router runs it alone;
// services/remitq runs it beside the other services.
//
// # Work items
//
// A line whose decision needs work (denied, partially denied, underpaid,
// unmatched remittance) creates an item keyed by dedupe_key (0004):
// "billed_line:<id>", "billed_claim:<id>" for a claim-level-only CLP,
// "paid_line:<service_line_payments.id>" / "paid_claim:<claim_payments.id>"
// when nothing billed matched (or "paid_line:<sha256>:<segment>" when the
// paid line is not stored). A later remit for the same line updates the item
// (codes, amounts, text, deadline; status and assignee stay) or, when it makes
// the line whole (paid, patient responsibility, contractual), resolves it
// with the money recovered. A payment of the practice's corrected claim
// (CLM05-3 = 7, billed_claims.replaces_claim_id) settles the item of the same
// line of the claim it replaces. A settling payment routed before the denial
// it settles (two batches at once, or an older remit ingested late) is kept
// in routed_settlements, and the denial's item then opens resolved. A paid
// line first routed unmatched and matched later (a late claim, a retry, a
// person's pick: the matcher's next revision) settles its
// unmatched-remittance item ("matched later", event reason
// "matched_later") whether the line it found needs work or not, and in
// either order of arrival: a revision routed first is kept in
// routed_settlements under the paid key. Each
// change writes a work_item_events row
// (created, updated, resolved, reopened). Remits are applied in the order of
// work_items.routed_key (remit date, file, segment, revision): a redelivered
// or older message changes nothing. Existing items are read FOR UPDATE, so
// two routers on one consumer serialize on them; new items are inserted ON
// CONFLICT DO NOTHING, and a batch that finds one of its new items created
// by the other router meanwhile is stored again, updating it then.
//
// New items go to the practice's queue chosen by queue_rules: the first
// rule (practice rules before global ones, each by position) whose every
// set condition holds; else the queue of the decision's work route from the
// payer profile (appeal, reopening, corrected_claim, new_claim,
// bill_patient, dispute, write_off), else the queue "default", created when
// first needed. The deadline, the route and the text come from the payer's
// profile (rulesstore.LoadProfiles: shipped and stored versions, the payer map)
// when the payer is mapped to one; otherwise the deadline is the remit's
// payment date plus payer_profiles.appeal_window_days (default 90).
//
// Each line is decided once: the lines whose denial codes the pain rules
// may explain are known from the codes, their patients' history is read
// first, and the batch is decided with the pain rules as the first
// Sharpener. A message that does not decode or has no usable source is
// refused for good (bus.Permanent, the cause kept for errors.Is/As).
//
// New(deps, opts) builds the component; Options.Flags gives every option a
// flag and an environment variable (ROUTER_BATCH, ROUTER_WORKERS, ...).
//
// # Endpoints
//
// For supervisors (JSON; the caller is named by the X-Remitq-User header
// until the API's authentication wraps these handlers):
//
//	GET    /v1/practices/{practice}/queues        queues (workstore.QueueSummary, as GET /v1/queues) with views by category, payer, provider
//	GET    /v1/queue-rules?practice={id}          the rules that apply to a practice (all rules without it)
//	POST   /v1/queue-rules                        create a rule
//	PUT    /v1/queue-rules/{id}                   replace a rule
//	DELETE /v1/queue-rules/{id}                   delete a rule
//
// # Offline
//
// Offline and Replay (offline.go, replay.go) run the same decisions without
// a database or NATS: the pure matcher (pkg/match) over 837P claims in
// memory and 835 files, with the paid lines encoded as the ingest publishes
// them, and the router with the pain rules over the 837 claims as history.
// The `remitq route` command and the truth-set tests use them.
package routesvc

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/remitq/remitq/pkg/bus"
	"github.com/remitq/remitq/pkg/route"
	"github.com/remitq/remitq/pkg/rules"
	"github.com/remitq/remitq/pkg/svc"
	"github.com/remitq/remitq/pkg/workstore"
)

// Options configure the router. The zero value uses the defaults; Flags
// sets them from the command line and the environment.
type Options struct {
	// MaxBatch is the most messages written in one transaction (default
	// 1000).
	MaxBatch int
	// MaxWait is how long a fetch waits to fill a batch (default 200 ms).
	MaxWait time.Duration
	// Workers is how many batches one process works on at once (default
	// 2: one is written while the next is fetched and decided).
	Workers int
	// Route is the router's base configuration; the payer profiles are read
	// from the database and the pain rules are added as its Sharpener.
	Route route.Config
	// Rules is the pain rule set; nil: rules.Default().
	Rules *rules.Set
	// Sharing says whose history a practice may see; nil: practices with the
	// same TIN see each other's.
	Sharing *rules.Sharing
	// NoHistory turns off reading the patients' history (the pain rules then
	// see only the denied line).
	NoHistory bool
	// Now gives "today" for the deadline's urgency and the queues' aging
	// (default time.Now).
	Now func() time.Time
	// CacheTTL is how long payer profiles, payers and queue rules are kept
	// (default 30 s; changes made through this component's endpoints apply
	// at once).
	CacheTTL time.Duration
	// Authorize, when set, is asked before every request; an error answers
	// 401. The API service replaces it with its own authentication.
	Authorize func(*http.Request) error
}

// Flags registers the router's flags on fs, each defaulting to an
// environment variable: --batch (ROUTER_BATCH), --workers (ROUTER_WORKERS;
// --consumers is its old name), --max-wait (ROUTER_MAX_WAIT), --appeal-days
// (ROUTER_APPEAL_DAYS), --cache-ttl (ROUTER_CACHE_TTL) and --no-history
// (ROUTER_NO_HISTORY).
func (o *Options) Flags(fs *flag.FlagSet) {
	fs.IntVar(&o.MaxBatch, "batch", envInt("ROUTER_BATCH", 1000), "matched lines per transaction (env ROUTER_BATCH)")
	fs.IntVar(&o.Workers, "workers", envInt("ROUTER_WORKERS", 2), "batches worked on at once (env ROUTER_WORKERS)")
	fs.IntVar(&o.Workers, "consumers", envInt("ROUTER_WORKERS", 2), "old name of --workers")
	fs.DurationVar(&o.MaxWait, "max-wait", envDuration("ROUTER_MAX_WAIT", 200*time.Millisecond),
		"how long a fetch waits to fill a batch (env ROUTER_MAX_WAIT)")
	fs.IntVar(&o.Route.AppealDays, "appeal-days", envInt("ROUTER_APPEAL_DAYS", 90),
		"appeal window when the payer has no profile (env ROUTER_APPEAL_DAYS)")
	fs.DurationVar(&o.CacheTTL, "cache-ttl", envDuration("ROUTER_CACHE_TTL", 30*time.Second),
		"how long payer profiles and queue rules are cached (env ROUTER_CACHE_TTL)")
	fs.BoolVar(&o.NoHistory, "no-history", os.Getenv("ROUTER_NO_HISTORY") == "true",
		"do not read the patients' history for the pain rules (env ROUTER_NO_HISTORY=true)")
}

func envInt(k string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(k)); err == nil {
		return n
	}
	return def
}

func envDuration(k string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(k)); err == nil {
		return d
	}
	return def
}

// withDefaults checks the options and fills the unset ones.
func (o Options) withDefaults() (Options, error) {
	if o.MaxBatch < 0 || o.Workers < 0 || o.MaxWait < 0 || o.CacheTTL < 0 || o.Route.AppealDays < 0 {
		return o, errors.New("routesvc: MaxBatch, Workers, MaxWait, CacheTTL and Route.AppealDays are not negative")
	}
	if o.MaxBatch == 0 {
		o.MaxBatch = 1000
	}
	if o.MaxWait == 0 {
		o.MaxWait = 200 * time.Millisecond
	}
	if o.Workers == 0 {
		o.Workers = 2
	}
	if o.Rules == nil {
		o.Rules = rules.Default()
	}
	if o.Sharing == nil {
		o.Sharing = &rules.Sharing{SameTIN: true}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.CacheTTL == 0 {
		o.CacheTTL = 30 * time.Second
	}
	return o, nil
}

// Service is the router component.
type Service struct {
	deps    *svc.Deps
	opts    Options
	ws      *workstore.Store
	log     *zap.Logger
	metrics *metrics
	history History
	cache   *cache
}

type metrics struct {
	lines   *prometheus.CounterVec
	items   *prometheus.CounterVec
	batches prometheus.Histogram
}

// New builds the router and registers its metrics on deps.Metrics; it
// fails on negative options or metrics already registered.
func New(deps *svc.Deps, opts Options) (*Service, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	m := &metrics{
		lines: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "remitq_router_lines_total",
			Help: "Matched lines routed, by disposition (denied, partially_denied, underpaid, paid, ...)."}, []string{"disposition"}),
		items: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "remitq_router_work_items_total",
			Help: "Work items written by the router, by action (created, updated, resolved, reopened)."}, []string{"action"}),
		batches: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "remitq_router_batch_seconds",
			Help: "Time to decide and store one batch of matched lines.", Buckets: prometheus.ExponentialBuckets(0.002, 2, 12)}),
	}
	for _, c := range []prometheus.Collector{m.lines, m.items, m.batches} {
		if err := deps.Metrics.Register(c); err != nil {
			return nil, fmt.Errorf("routesvc: metrics: %w", err)
		}
	}
	s := &Service{deps: deps, opts: opts, ws: workstore.New(deps.DB), log: deps.Log.With(zap.String("component", "router")),
		metrics: m, cache: newCache(opts.CacheTTL)}
	if !opts.NoHistory {
		s.history = workstore.History{}
	}
	return s, nil
}

// SetHistory replaces where the patients' history comes from (nil: none).
func (s *Service) SetHistory(h History) { s.history = h }

// Name implements svc.Component.
func (s *Service) Name() string { return "router" }

// Run consumes the MATCHED stream until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	errc := make(chan error, s.opts.Workers)
	for range s.opts.Workers {
		go func() {
			errc <- bus.ConsumeBatch(ctx, s.deps.JS, bus.StreamMatched, bus.ConsumerRouter, s.HandleBatch,
				bus.BatchOptions{MaxBatch: s.opts.MaxBatch, MaxWait: s.opts.MaxWait, Logger: s.log})
		}()
	}
	var first error
	for range s.opts.Workers {
		if err := <-errc; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Register implements svc.Component.
func (s *Service) Register(mux *http.ServeMux) {
	mux.Handle("GET /v1/practices/{practice}/queues", s.guard(s.getQueues))
	mux.Handle("GET /v1/queue-rules", s.guard(s.listRules))
	mux.Handle("POST /v1/queue-rules", s.guard(s.createRule))
	mux.Handle("PUT /v1/queue-rules/{id}", s.guard(s.updateRule))
	mux.Handle("DELETE /v1/queue-rules/{id}", s.guard(s.deleteRule))
}
