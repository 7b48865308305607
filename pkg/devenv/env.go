package devenv

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"

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
	// KeepDir keeps the PostgreSQL cluster in Dir/pg even when the caller
	// is root and the server's user cannot reach it (Start then fails
	// saying so): for a data folder a person chose. Without it such a
	// cluster lives in PostgresDirFor(Dir) instead (Env.Postgres.DataDir
	// says where).
	KeepDir bool
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
		pgDir := filepath.Join(o.Dir, "pg")
		if !o.KeepDir {
			dir, moved, err := PostgresDirFor(o.Dir)
			if err != nil {
				return nil, err
			}
			if moved {
				log.Info("postgres: the data folder is not reachable by the server's user; the cluster lives elsewhere",
					zap.String("data_dir", dir))
			}
			pgDir = dir
		}
		pg, err := StartPostgresWith(ctx, PostgresOptions{
			Dir:  pgDir,
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

// fallbackRoots are where PostgresDirFor puts a cluster the server's user
// could not reach under its data folder, in order of preference.
var fallbackRoots = []string{"/var/lib/remitq", "/tmp"}

// PostgresDirFor is the directory of the embedded cluster of data folder
// dir: dir/pg, unless the caller is root and the postgres user (which the
// server then runs as) cannot enter every directory above it (a clone
// under /root, mode 0700). Then it is <root>/<name>-<hash of dir's absolute
// path>/pg under the first of /var/lib/remitq and /tmp that the postgres
// user can reach: the same folder for the same dir every time, so that
// every command of a clone finds its cluster. moved reports the second
// case.
func PostgresDirFor(dir string) (path string, moved bool, err error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", false, fmt.Errorf("devenv: data dir: %w", err)
	}
	def := filepath.Join(abs, "pg")
	cred, err := serverCredential()
	if err != nil || cred == nil {
		return def, false, err
	}
	if reachableAbove(def, cred) {
		return def, false, nil
	}
	sum := sha256.Sum256([]byte(abs))
	name := filepath.Base(abs) + "-" + hex.EncodeToString(sum[:6])
	for _, root := range fallbackRoots {
		base := filepath.Join(root, name)
		if root == "/tmp" || root == os.TempDir() {
			base = filepath.Join(root, "remitq-"+name)
		}
		if err := os.MkdirAll(root, 0o755); err != nil {
			continue
		}
		if err := os.Mkdir(base, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			continue
		}
		// A folder someone else made (in /tmp) is not ours to use.
		st, err := os.Lstat(base)
		if err != nil || !st.IsDir() {
			continue
		}
		if sys, ok := st.Sys().(*syscall.Stat_t); !ok || sys.Uid != uint32(os.Geteuid()) {
			continue
		}
		if checkSearchable(base, cred) == nil {
			return filepath.Join(base, "pg"), true, nil
		}
	}
	return "", false, fmt.Errorf("devenv: %s is not reachable by the %s user and no folder under %s is: "+
		"choose a data folder with --data (REMITQ_DATA)", abs, PostgresUser, strings.Join(fallbackRoots, " or "))
}

// reachableAbove reports whether cred's user can enter every existing
// directory above path (the ones still to be made are made 0755).
func reachableAbove(path string, cred *syscall.Credential) bool {
	d := filepath.Dir(path)
	for {
		if _, err := os.Stat(d); err == nil {
			return checkSearchable(d, cred) == nil
		}
		if d == filepath.Dir(d) {
			return true
		}
		d = filepath.Dir(d)
	}
}
