// Package svc is the runtime every remitq service shares: configuration
// from flags and environment, the connections to PostgreSQL and NATS
// JetStream, the operations endpoints (/healthz, /readyz, /metrics) and a
// runner that serves HTTP and runs the service's components until a signal,
// then shuts down gracefully.
//
// A service's main only parses its configuration and wires:
//
//	cfg := svc.Config{HTTPAddr: ":8080"}
//	cfg.Flags(flag.CommandLine)
//	flag.Parse()
//	deps, err := svc.Connect(ctx, cfg, log)
//	...
//	in, err := ingestsvc.New(deps, opts)
//	...
//	err = svc.Run(ctx, deps, cfg.HTTPAddr, in)
package svc

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"github.com/remitq/remitq/pkg/bus"
	"github.com/remitq/remitq/pkg/httpx"
	"github.com/remitq/remitq/pkg/logging"
	"github.com/remitq/remitq/pkg/store"
)

// Config is what every service needs to reach its servers.
type Config struct {
	// DatabaseURL is the PostgreSQL connection string (DATABASE_URL). It
	// may hold a password: never log it.
	DatabaseURL string
	// NATSURL is the NATS server URL (NATS_URL); a comma-separated list for
	// a cluster.
	NATSURL string
	// NATSCreds is a NATS credentials file (NATS_CREDS), optional.
	NATSCreds string
	// NATSCA is the PEM file of the CA that signed the NATS servers'
	// certificates (NATS_CA); set it, with tls:// URLs, to reach NATS over
	// TLS only.
	NATSCA string
	// NATSCert and NATSKey are this service's client certificate and key
	// (NATS_CERT, NATS_KEY) for servers that verify clients (mutual TLS).
	NATSCert, NATSKey string
	// HTTPAddr is where the service listens (HTTP_ADDR), e.g. ":8080".
	HTTPAddr string
	// Replicas is the replica count of the JetStream streams (NATS_REPLICAS):
	// 1 for a single server, 3 for a cluster.
	Replicas int
	// Migrate applies the database migrations at start (MIGRATE, default
	// true); concurrent starts are safe.
	Migrate bool
	// LogLevel is debug, info, warn or error (LOG_LEVEL).
	LogLevel string
	// HTTPLimits protect the HTTP server: requests per second per caller
	// (RATE_LIMIT, RATE_BURST), requests handled at once and how long a
	// request may wait for a slot before it is shed (MAX_CONCURRENT,
	// QUEUE_WAIT). Zero takes httpx's defaults, -1 turns a limit off.
	HTTPLimits httpx.Limits
}

// Flags registers the configuration's flags on fs, each defaulting to its
// environment variable, then to the value already in c.
func (c *Config) Flags(fs *flag.FlagSet) {
	fs.StringVar(&c.DatabaseURL, "database-url", env("DATABASE_URL", c.DatabaseURL), "PostgreSQL connection string (env DATABASE_URL)")
	fs.StringVar(&c.NATSURL, "nats-url", env("NATS_URL", c.NATSURL), "NATS server URL(s), comma-separated (env NATS_URL)")
	fs.StringVar(&c.NATSCreds, "nats-creds", env("NATS_CREDS", c.NATSCreds), "NATS credentials file (env NATS_CREDS)")
	fs.StringVar(&c.NATSCA, "nats-ca", env("NATS_CA", c.NATSCA), "PEM CA of the NATS servers: connect over TLS (env NATS_CA)")
	fs.StringVar(&c.NATSCert, "nats-cert", env("NATS_CERT", c.NATSCert), "PEM client certificate for NATS mutual TLS (env NATS_CERT)")
	fs.StringVar(&c.NATSKey, "nats-key", env("NATS_KEY", c.NATSKey), "PEM client key for NATS mutual TLS (env NATS_KEY)")
	fs.StringVar(&c.HTTPAddr, "http", env("HTTP_ADDR", c.HTTPAddr), "HTTP listen address (env HTTP_ADDR)")
	fs.IntVar(&c.Replicas, "replicas", envInt("NATS_REPLICAS", max(c.Replicas, 1)), "replicas of each JetStream stream (env NATS_REPLICAS)")
	fs.BoolVar(&c.Migrate, "migrate", envBool("MIGRATE", true), "apply database migrations at start (env MIGRATE)")
	fs.StringVar(&c.LogLevel, "log-level", env("LOG_LEVEL", c.LogLevel), "debug, info, warn or error (env LOG_LEVEL)")
	fs.Float64Var(&c.HTTPLimits.RatePerCaller, "rate-limit", envFloat("RATE_LIMIT", c.HTTPLimits.RatePerCaller),
		"HTTP requests per second per caller (token, API key or address); 0 = 100, -1 = off (env RATE_LIMIT)")
	fs.IntVar(&c.HTTPLimits.Burst, "rate-burst", envInt("RATE_BURST", c.HTTPLimits.Burst), "requests a caller may make at once above the rate; 0 = twice the rate (env RATE_BURST)")
	fs.IntVar(&c.HTTPLimits.MaxConcurrent, "max-concurrent", envInt("MAX_CONCURRENT", c.HTTPLimits.MaxConcurrent),
		"HTTP requests handled at once, beyond which they are shed with 503; 0 = 64, -1 = off (env MAX_CONCURRENT)")
	fs.DurationVar(&c.HTTPLimits.QueueWait, "queue-wait", envDuration("QUEUE_WAIT", c.HTTPLimits.QueueWait),
		"how long a request waits for a slot before it is shed; 0 = 100ms (env QUEUE_WAIT)")
}

func envFloat(k string, def float64) float64 {
	if f, err := strconv.ParseFloat(os.Getenv(k), 64); err == nil {
		return f
	}
	return def
}

func envDuration(k string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(k)); err == nil {
		return d
	}
	return def
}

// Validate reports missing or impossible settings.
func (c Config) Validate() error {
	var errs []error
	if c.DatabaseURL == "" {
		errs = append(errs, errors.New("no database: set DATABASE_URL or --database-url"))
	}
	if c.NATSURL == "" {
		errs = append(errs, errors.New("no NATS server: set NATS_URL or --nats-url"))
	}
	if (c.NATSCert == "") != (c.NATSKey == "") {
		errs = append(errs, errors.New("NATS client TLS needs both NATS_CERT and NATS_KEY"))
	}
	if c.Replicas < 1 || c.Replicas > 5 {
		errs = append(errs, fmt.Errorf("replicas must be 1..5, got %d", c.Replicas))
	}
	return errors.Join(errs...)
}

func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func envInt(k string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(k)); err == nil {
		return n
	}
	return def
}

func envBool(k string, def bool) bool {
	if b, err := strconv.ParseBool(os.Getenv(k)); err == nil {
		return b
	}
	return def
}

// Deps are the connections and shared parts a service's components use.
type Deps struct {
	DB  *sqlx.DB
	NC  *nats.Conn
	JS  jetstream.JetStream
	Log *zap.Logger
	// Metrics is the registry /metrics serves; components register on it.
	Metrics *prometheus.Registry
	// Bus is the JetStream layout applied at Connect.
	Bus bus.Config
	// HTTPLimits protect the HTTP server Run serves (see Config.HTTPLimits).
	HTTPLimits httpx.Limits
	// DataDir is the folder of the embedded default (its servers' data and
	// the keys made on first use); empty when the process runs against
	// configured servers only.
	DataDir string
}

// Connect opens the database (migrating it when cfg.Migrate), connects to
// NATS and applies the JetStream layout.
func Connect(ctx context.Context, cfg Config, log *zap.Logger) (*Deps, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = zap.NewNop()
	}
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if cfg.Migrate {
		if err := store.Migrate(ctx, db); err != nil {
			db.Close()
			return nil, err
		}
		// The months ahead of the partitioned tables (a long-running
		// deployment also runs `remitq partitions` monthly, or restarts).
		if _, err := store.EnsurePartitions(ctx, db, store.PartitionsAhead); err != nil {
			db.Close()
			return nil, err
		}
	}
	nc, err := nats.Connect(cfg.NATSURL, cfg.NATSOptions(log)...)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("svc: connect to NATS: %w", err)
	}
	d, err := NewDeps(ctx, db, nc, bus.Config{Replicas: cfg.Replicas}, log)
	if err != nil {
		nc.Close()
		db.Close()
		return nil, err
	}
	d.HTTPLimits = cfg.HTTPLimits
	return d, nil
}

// NATSOptions are the client options of a connection to cfg's NATS
// servers: reconnect forever, credentials, and TLS (CA, client
// certificate) when configured.
func (c Config) NATSOptions(log *zap.Logger) []nats.Option {
	if log == nil {
		log = zap.NewNop()
	}
	opts := []nats.Option{nats.Name("remitq"), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("NATS disconnected", zap.Error(err))
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { log.Info("NATS reconnected", zap.String("server", nc.ConnectedUrlRedacted())) })}
	if c.NATSCreds != "" {
		opts = append(opts, nats.UserCredentials(c.NATSCreds))
	}
	if c.NATSCA != "" {
		opts = append(opts, nats.RootCAs(c.NATSCA))
	}
	if c.NATSCert != "" {
		opts = append(opts, nats.ClientCert(c.NATSCert, c.NATSKey))
	}
	return opts
}

// NewDeps builds Deps on open connections and applies the JetStream layout.
// Close closes both connections.
func NewDeps(ctx context.Context, db *sqlx.DB, nc *nats.Conn, busCfg bus.Config, log *zap.Logger) (*Deps, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("svc: JetStream: %w", err)
	}
	if err := bus.Setup(ctx, js, busCfg); err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if log == nil {
		log = zap.NewNop()
	}
	return &Deps{DB: db, NC: nc, JS: js, Log: log, Metrics: reg, Bus: busCfg}, nil
}

// Close closes the NATS connection (after draining it) and the database.
func (d *Deps) Close() {
	if d.NC != nil {
		_ = d.NC.Drain()
		for i := 0; i < 50 && !d.NC.IsClosed(); i++ {
			time.Sleep(20 * time.Millisecond)
		}
		d.NC.Close()
	}
	if d.DB != nil {
		d.DB.Close()
	}
}

// Ready reports whether the database answers and NATS is connected.
func (d *Deps) Ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := d.DB.PingContext(ctx); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	if !d.NC.IsConnected() {
		return fmt.Errorf("NATS: %s", d.NC.Status())
	}
	return nil
}

// Component is one part of a service: it adds its HTTP routes to the
// service's mux and runs until its context ends.
type Component interface {
	// Name names the component in logs.
	Name() string
	// Register adds the component's HTTP routes (may add none).
	Register(mux *http.ServeMux)
	// Run works until ctx is cancelled, then finishes or hands back
	// in-flight work and returns. A non-nil error stops the service.
	Run(ctx context.Context) error
}

// HTTPWrapper is implemented by a component that wraps the whole HTTP
// handler of the service (every component's routes and the ops routes),
// such as the API's authentication in front of every route. Run applies the
// wrappers of the components that have one, the first component's outermost.
type HTTPWrapper interface {
	WrapHTTP(http.Handler) http.Handler
}

// Handler is what Run serves: the ops routes and every component's routes
// on one mux, wrapped by the components that are HTTPWrappers.
func (d *Deps) Handler(comps ...Component) http.Handler {
	mux := http.NewServeMux()
	d.OpsRoutes(mux)
	for _, c := range comps {
		c.Register(mux)
	}
	var h http.Handler = mux
	for i := len(comps) - 1; i >= 0; i-- {
		if w, ok := comps[i].(HTTPWrapper); ok {
			h = w.WrapHTTP(h)
		}
	}
	return h
}

// ServedHandler is Handler behind the HTTP limits (per-caller rate, load
// shedding; see httpx.Protect): what Run serves.
func (d *Deps) ServedHandler(comps ...Component) http.Handler {
	return httpx.Protect(d.Handler(comps...), d.HTTPLimits)
}

// OpsRoutes adds /healthz (the process is up), /readyz (its servers answer)
// and /metrics (Prometheus) to mux.
func (d *Deps) OpsRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := d.Ready(r.Context()); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("not ready: " + err.Error() + "\n"))
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(d.Metrics, promhttp.HandlerOpts{Registry: d.Metrics}))
}

// ShutdownTimeout bounds the graceful stop of Run.
const ShutdownTimeout = 30 * time.Second

// Run serves HTTP on addr (the ops routes plus every component's routes,
// behind d.HTTPLimits; no listener when addr is empty) and runs the components until ctx is
// cancelled or one of them fails (a component that returns nil early simply
// ends). It then stops accepting requests, lets
// in-flight requests and components finish for up to ShutdownTimeout, and
// returns the first error.
func Run(ctx context.Context, d *Deps, addr string, comps ...Component) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	handler := d.ServedHandler(comps...)
	errc := make(chan error, len(comps)+1)
	running := 0
	var srv *http.Server
	if addr != "" {
		srv = &http.Server{Addr: addr, Handler: handler, ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout: 2 * time.Minute, ErrorLog: zap.NewStdLog(d.Log)}
		running++
		go func() {
			d.Log.Info("HTTP listening", zap.String("addr", addr))
			if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("svc: HTTP: %w", err)
				return
			}
			errc <- nil
		}()
	}
	for _, c := range comps {
		running++
		go func() {
			err := c.Run(ctx)
			if err != nil {
				err = fmt.Errorf("%s: %w", c.Name(), err)
			}
			errc <- err
		}()
	}
	var first error
wait:
	for running > 0 {
		select {
		case <-ctx.Done():
			break wait
		case err := <-errc:
			running--
			if err != nil {
				first = err
				break wait
			}
		}
	}
	cancel()
	d.Log.Info("shutting down")
	if srv != nil {
		sctx, scancel := context.WithTimeout(context.Background(), ShutdownTimeout)
		if err := srv.Shutdown(sctx); err != nil && first == nil {
			first = fmt.Errorf("svc: HTTP shutdown: %w", err)
		}
		scancel()
	}
	timeout := time.After(ShutdownTimeout + 5*time.Second)
	for ; running > 0; running-- {
		select {
		case err := <-errc:
			if err != nil && first == nil {
				first = err
			}
		case <-timeout:
			return errors.Join(first, errors.New("svc: components still running after the shutdown timeout"))
		}
	}
	return first
}

// Main is the main function of a service run alone: it registers the
// shared configuration flags (defaults from cfg) beside the service's own
// (flags), parses the command line, builds the JSON logger, connects, asks
// build for the components, and runs them until SIGINT or SIGTERM. It exits
// the process: 2 for bad configuration, 1 when the service fails.
func Main(service string, cfg Config, flags func(*flag.FlagSet), build func(*Deps) ([]Component, error)) {
	cfg.Flags(flag.CommandLine)
	if flags != nil {
		flags(flag.CommandLine)
	}
	flag.Parse()
	log, err := logging.New(logging.Options{Level: cfg.LogLevel, Service: service})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code := func() int {
		deps, err := Connect(ctx, cfg, log)
		if err != nil {
			log.Error("start", zap.Error(err))
			return 1
		}
		defer deps.Close()
		comps, err := build(deps)
		if err != nil {
			log.Error("start", zap.Error(err))
			return 1
		}
		if err := Run(ctx, deps, cfg.HTTPAddr, comps...); err != nil {
			log.Error("stopped", zap.Error(err))
			return 1
		}
		return 0
	}()
	os.Exit(code)
}
