package devenv

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/nats-io/nats-server/v2/server"
	"go.uber.org/zap"

	"github.com/remitq/remitq/pkg/bus"
)

// DefaultDatabase is the database Start creates in the embedded cluster.
const DefaultDatabase = "remitq"

// Options configures Start.
type Options struct {
	// Dir is the data folder: the PostgreSQL cluster lives in Dir/pg and
	// the JetStream store in Dir/nats, encrypted with the key in
	// Dir/nats.key (made on first use, mode 0600). Required unless both DATABASE_URL
	// and NATS_URL are in use.
	Dir string
	// Log receives progress and problems; nil logs nothing.
	Log *zap.Logger
	// DatabaseURL, when set, is an existing PostgreSQL server to use instead
	// of starting one. Empty means the DATABASE_URL environment variable,
	// and when that is empty too, an embedded cluster in Dir/pg.
	DatabaseURL string
	// NATSURL, when set, is an existing NATS server (with JetStream) to use
	// instead of starting one. Empty means the NATS_URL environment
	// variable, and when that is empty too, an embedded server on a free
	// loopback port storing in Dir/nats.
	NATSURL string
	// Database is the database created in the embedded cluster and named by
	// DatabaseURL; empty means DefaultDatabase. Unused with an external
	// server.
	Database string
	// FastPostgres turns off the embedded cluster's durability (see
	// PostgresOptions.Fast): for tests, not for data worth keeping.
	FastPostgres bool
}

// Env is a running environment: a PostgreSQL database and a NATS server,
// embedded or external.
type Env struct {
	// DatabaseURL is a lib/pq connection string for the environment's
	// database. It may hold a password when it came from DATABASE_URL:
	// never log it.
	DatabaseURL string
	// NATSURL is the NATS client URL.
	NATSURL string
	// Postgres is the embedded PostgreSQL server, nil when external.
	Postgres *Postgres
	// NATS is the embedded NATS server, nil when external.
	NATS *server.Server

	log *zap.Logger
}

// Start brings up the environment described by o: PostgreSQL first, then
// NATS, each embedded unless an external URL is given (in o or in the
// DATABASE_URL and NATS_URL environment variables). On error, whatever was
// already started is stopped. Call Close when done.
func Start(ctx context.Context, o Options) (*Env, error) {
	log := o.Log
	if log == nil {
		log = zap.NewNop()
	}
	e := &Env{log: log}
	dbURL := firstNonEmpty(o.DatabaseURL, os.Getenv("DATABASE_URL"))
	natsURL := firstNonEmpty(o.NATSURL, os.Getenv("NATS_URL"))
	if (dbURL == "" || natsURL == "") && o.Dir == "" {
		return nil, errors.New("devenv: Options.Dir is empty and DATABASE_URL or NATS_URL is unset")
	}

	if dbURL != "" {
		log.Info("using external PostgreSQL (DATABASE_URL)")
		e.DatabaseURL = dbURL
	} else {
		pg, err := StartPostgresWith(ctx, PostgresOptions{
			Dir:  filepath.Join(o.Dir, "pg"),
			Log:  log.Named("postgres"),
			Fast: o.FastPostgres,
		})
		if err != nil {
			return nil, err
		}
		e.Postgres = pg
		name := firstNonEmpty(o.Database, DefaultDatabase)
		if err := pg.CreateDatabase(ctx, name); err != nil {
			e.Close()
			return nil, err
		}
		e.DatabaseURL = pg.URLFor(name)
	}

	if natsURL != "" {
		log.Info("using external NATS (NATS_URL)")
		e.NATSURL = natsURL
	} else {
		storeDir := filepath.Join(o.Dir, "nats")
		if err := os.MkdirAll(storeDir, 0o700); err != nil {
			e.Close()
			return nil, fmt.Errorf("devenv: create NATS store dir: %w", err)
		}
		key, err := LoadOrCreateKey(filepath.Join(o.Dir, NATSKeyFile))
		if err != nil {
			e.Close()
			return nil, err
		}
		ns, err := bus.StartEmbedded(bus.EmbeddedOptions{StoreDir: storeDir, Port: 0, ServerName: "remitq-dev", Key: key})
		if err != nil {
			e.Close()
			return nil, err
		}
		e.NATS = ns
		e.NATSURL = ns.ClientURL()
		log.Info("nats ready (store encrypted)", zap.String("url", e.NATSURL), zap.String("store_dir", storeDir))
	}
	return e, nil
}

// Close stops what Start started, in reverse order: NATS, then PostgreSQL.
// Close clients (database pools, NATS connections) first. It is safe to call
// more than once.
func (e *Env) Close() error {
	if e.NATS != nil {
		e.NATS.Shutdown()
		e.NATS.WaitForShutdown()
		e.log.Info("nats stopped")
	}
	var err error
	if e.Postgres != nil {
		err = e.Postgres.Stop()
	}
	return err
}

// ReplaceDatabase returns the connection string dsn with its database name
// replaced by name. It understands both lib/pq forms: a postgres:// URL and
// a key=value string.
func ReplaceDatabase(dsn, name string) (string, error) {
	if hasURLScheme(dsn) {
		u, err := parseURL(dsn)
		if err != nil {
			return "", fmt.Errorf("devenv: parse database URL: %w", err)
		}
		u.Path, u.RawPath = "/"+name, ""
		return u.String(), nil
	}
	// In key=value form a later key overrides an earlier one.
	return dsn + " dbname=" + quoteDSN(name), nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func hasURLScheme(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// parseURL parses a database URL; its error never repeats the URL, which
// may hold a password.
func parseURL(dsn string) (*url.URL, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			return nil, uerr.Err
		}
		return nil, errors.New("malformed URL")
	}
	return u, nil
}
