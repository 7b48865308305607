// Package ingestsvc is the ingest service as a component of a remitq
// process: the HTTP endpoints that take 835 files, the folder watcher (835s,
// and the 999s and 277CAs that land beside them), the
// outbox publisher and their metrics. services/ingest runs it alone;
// services/remitq runs it beside the other services.
//
// Endpoints:
//
//	POST /v1/remittances        one 835 as the raw body (?filename=...), or
//	                            multipart/form-data with one or more files
//	GET  /v1/remittances/{id}   a stored file's status, counts and errors
//
// A single file answers 201 when stored, 200 when the same bytes were
// stored before (nothing changes), 422 when it is quarantined (kept, with
// its errors), always with the ingest result as JSON. A multipart upload
// answers 200 with {"files": [result, ...]}.
package ingestsvc

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/remitq/remitq/pkg/ackstore"
	"github.com/remitq/remitq/pkg/audit"
	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/httpx"
	"github.com/remitq/remitq/pkg/remitstore"
	"github.com/remitq/remitq/pkg/store"
	"github.com/remitq/remitq/pkg/svc"
)

// Service is the ingest component.
type Service struct {
	deps      *svc.Deps
	opts      Options
	wake      chan struct{}
	Ingester  *remitstore.Ingester
	Publisher *remitstore.Publisher
	metrics   *metrics
}

type metrics struct {
	files     *prometheus.CounterVec
	acks      *prometheus.CounterVec
	lines     prometheus.Counter
	published prometheus.Counter
	errors    prometheus.Counter
}

// New builds the service and registers its metrics on
// deps.Metrics; it refuses impossible options (Options.Validate).
func New(deps *svc.Deps, opts Options) (*Service, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	wake := make(chan struct{}, 1)
	log := deps.Log.With(zap.String("component", "ingest"))
	m := &metrics{
		files: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "remitq_ingest_files_total",
			Help: "835 files received, by resulting status (duplicate for a re-sent file)."}, []string{"status"}),
		acks: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "remitq_ingest_ack_files_total",
			Help: "999 and 277CA files taken from the watched folder, by resulting status (duplicate for a re-sent file)."},
			[]string{"status"}),
		lines: prometheus.NewCounter(prometheus.CounterOpts{Name: "remitq_ingest_service_lines_total",
			Help: "Service lines stored from ingested files."}),
		published: prometheus.NewCounter(prometheus.CounterOpts{Name: "remitq_ingest_published_messages_total",
			Help: "Messages acknowledged by JetStream from the ingest outbox."}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{Name: "remitq_ingest_file_errors_total",
			Help: "Errors found in received files (positions and reasons are stored with the file)."}),
	}
	pending := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "remitq_ingest_publish_queue_files",
		Help: "Stored files whose messages are not all published yet (the publish lag)."}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		n, err := remitstore.Pending(ctx, deps.DB)
		if err != nil {
			return -1
		}
		return float64(n)
	})
	deps.Metrics.MustRegister(m.files, m.acks, m.lines, m.published, m.errors, pending)
	s := &Service{deps: deps, opts: opts, wake: wake, metrics: m,
		Ingester: &remitstore.Ingester{DB: deps.DB, Log: log, Queued: wake}}
	s.Publisher = &remitstore.Publisher{DB: deps.DB, JS: deps.JS, Log: log, CheckpointEvery: opts.CheckpointEvery,
		Published: func(n int) { m.published.Add(float64(n)) }}
	if !opts.NoPublisher {
		// This process publishes what it stores: hand the decoded files over.
		s.Ingester.Recent = remitstore.NewRecent(4 * remitstore.KeepDecodedBytes)
		s.Publisher.Recent = s.Ingester.Recent
	}
	return s, nil
}

// Name implements svc.Component.
func (s *Service) Name() string { return "ingest" }

// Ingest stores one file and counts it; the HTTP handler, the watcher and
// the command line all come through here.
func (s *Service) Ingest(ctx context.Context, name string, raw []byte) (*remitstore.Result, error) {
	res, err := s.Ingester.Ingest(ctx, name, raw)
	if err != nil {
		return nil, err
	}
	s.count(res)
	return res, nil
}

// IngestFrom is Ingest from a Source (an upload's spool, an open file).
func (s *Service) IngestFrom(ctx context.Context, name string, src remitstore.Source) (*remitstore.Result, error) {
	res, err := s.Ingester.IngestFrom(ctx, name, src)
	if err != nil {
		return nil, err
	}
	s.count(res)
	return res, nil
}

func (s *Service) count(res *remitstore.Result) {
	status := res.Status
	if res.Duplicate {
		status = "duplicate"
	} else {
		s.metrics.errors.Add(float64(len(res.Errors)))
		if res.Status == remitstore.StatusIngested {
			s.metrics.lines.Add(float64(res.ServiceLines))
		}
	}
	s.metrics.files.WithLabelValues(status).Inc()
}

// Run runs the publisher and, when configured, the folder watcher.
func (s *Service) Run(ctx context.Context) error {
	errc := make(chan error, s.opts.Workers+1)
	n := 0
	if !s.opts.NoPublisher {
		for range s.opts.Workers {
			n++
			go func() { errc <- s.Publisher.Run(ctx, s.wake) }()
		}
	}
	if s.opts.WatchDir != "" {
		w, err := s.Watcher()
		if err != nil {
			return err
		}
		n++
		go func() { errc <- w.Run(ctx) }()
	}
	var first error
	for ; n > 0; n-- {
		if err := <-errc; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// ErrNoWatchDir is Watcher's error when Options.WatchDir is not set.
var ErrNoWatchDir = errors.New("ingestsvc: no watched folder (Options.WatchDir)")

// Watcher is the watcher of Options.WatchDir that Run runs: its 835s are
// ingested and counted as uploads are, its 999s and 277CAs stored as
// acknowledgments (a rejection opens its work item), each file audited as
// the folder's ("watch").
func (s *Service) Watcher() (*remitstore.Watcher, error) {
	if s.opts.WatchDir == "" {
		return nil, ErrNoWatchDir
	}
	return &remitstore.Watcher{Dir: s.opts.WatchDir, Ingester: s.Ingester, Acks: s.ingestAck, Interval: s.opts.WatchInterval,
		MaxFileBytes: s.opts.MaxFileBytes,
		Log:          s.deps.Log.With(zap.String("component", "watch")),
		Done:         func(_ string, res *remitstore.Result) { s.count(res) }}, nil
}

// watchAck is the audit entry of an acknowledgment taken from the folder.
var watchAck = audit.Entry{Actor: "watch", Action: "ack.upload", Entity: "ack_file"}

// ingestAck stores an acknowledgment file from the folder as an operator
// would (every practice in scope), audited as the folder's, and counts it.
func (s *Service) ingestAck(ctx context.Context, name string, raw []byte) (remitstore.AckResult, error) {
	res, err := ackstore.Ingest(ctx, s.deps.DB, raw, ackstore.Options{Filename: name,
		Stored: func(ctx context.Context, tx sqlx.ExecerContext, res *ackstore.Result) error {
			return audit.Record(ctx, tx, ackstore.AuditEntries(res, watchAck)...)
		},
		Again: func(ctx context.Context, res *ackstore.Result) error {
			return audit.Record(ctx, s.deps.DB, ackstore.AuditEntries(res, watchAck)...)
		}})
	if err != nil {
		return remitstore.AckResult{}, err
	}
	status := res.Status
	if res.Duplicate {
		status = "duplicate"
	}
	s.metrics.acks.WithLabelValues(status).Inc()
	return remitstore.AckResult{FileID: res.FileID, Kind: res.Kind, Quarantined: res.Status == ackstore.StatusQuarantined,
		Duplicate: res.Duplicate}, nil
}

// Register implements svc.Component.
func (s *Service) Register(mux *http.ServeMux) {
	mux.Handle("POST /v1/remittances", s.guard(s.postRemittances))
	mux.Handle("GET /v1/remittances/{id}", s.guard(s.getRemittance))
}

func (s *Service) guard(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.opts.Authorize != nil {
			if err := s.opts.Authorize(r); err != nil {
				httpx.Error(w, http.StatusUnauthorized, "unauthorized", err.Error())
				return
			}
		}
		h(w, r)
	})
}

func (s *Service) postRemittances(w http.ResponseWriter, r *http.Request) {
	httpx.StreamUploads(w, r, s.opts.Upload, func(f *httpx.Spool) (any, int, error) {
		res, err := s.IngestFrom(r.Context(), f.Name, f)
		if err != nil {
			return nil, 0, err
		}
		status := http.StatusCreated
		switch {
		case res.Duplicate:
			status = http.StatusOK
		case res.Status == remitstore.StatusQuarantined:
			status = http.StatusUnprocessableEntity
		}
		return res, status, nil
	}, s.fail)
}

// fail answers a failure to store: 503 with Retry-After only for an
// outage of the servers (the file should be sent again), else 500. Files
// that are bad are not failures: they are quarantined (422).
func (s *Service) fail(w http.ResponseWriter, err error) {
	var refused *remitstore.Refused
	if errors.As(err, &refused) {
		httpx.JSON(w, http.StatusForbidden, map[string]any{
			"error":  httpx.ErrorDetail{Code: "payee_out_of_scope", Message: refused.Reason},
			"payees": refused.Payees})
		return
	}
	if store.IsOutage(err) {
		s.deps.Log.Warn("ingest: servers unavailable", zap.Error(err))
		w.Header().Set("Retry-After", "5")
		httpx.Error(w, http.StatusServiceUnavailable, "store_unavailable", "the file could not be stored now; send it again later")
		return
	}
	s.deps.Log.Error("ingest failed", zap.Error(err))
	httpx.Error(w, http.StatusInternalServerError, "internal", "the file could not be stored")
}

func (s *Service) getRemittance(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		httpx.Error(w, http.StatusNotFound, "not_found", "no such file")
		return
	}
	// Behind the API's authentication a caller sees only its practices'
	// part of a file that pays several.
	var sees func(int64) bool
	if who := auth.FromContext(r.Context()); who != nil && !who.All() {
		sees = who.SeesPractice
	}
	res, err := remitstore.FileIn(r.Context(), s.deps.DB, id, sees)
	if errors.Is(err, remitstore.ErrNotFound) {
		httpx.Error(w, http.StatusNotFound, "not_found", "no such file")
		return
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	httpx.JSON(w, http.StatusOK, res)
}

// BearerToken returns an Authorize function that accepts requests carrying
// "Authorization: Bearer <token>".
func BearerToken(token string) func(*http.Request) error {
	return func(r *http.Request) error {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || !constantTimeEqual(got, token) {
			return errors.New("a valid bearer token is required")
		}
		return nil
	}
}

func constantTimeEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
