package devtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"go.uber.org/zap"

	"github.com/remitq/remitq/pkg/bus"
	"github.com/remitq/remitq/pkg/devenv"
	"github.com/remitq/remitq/pkg/store"
)

// setupTimeout bounds starting the cluster and migrating the template.
const setupTimeout = 90 * time.Second

var (
	mainRunning atomic.Bool
	once        sync.Once
	shared      *cluster
	sharedErr   error
	dbSeq       atomic.Int64
)

// cluster is the PostgreSQL server a test binary uses.
type cluster struct {
	pg       *devenv.Postgres // nil when DATABASE_URL is used
	tmpDir   string           // the private cluster's data dir
	baseURL  string           // connection string for administration
	admin    *sql.DB
	runID    string // unique per test binary run: names its databases
	template string
}

// Main runs the tests of a package through m, then stops the PostgreSQL
// cluster that DB started (if any), removes its files, and exits with the
// tests' status. Call it from TestMain in every package whose tests use DB
// or DatabaseURL:
//
//	func TestMain(m *testing.M) { devtest.Main(m) }
func Main(m *testing.M) {
	mainRunning.Store(true)
	code := m.Run()
	if err := shutdown(); err != nil {
		fmt.Fprintln(os.Stderr, "devtest:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// DB returns a connection pool to a new database holding the full schema
// and no rows, private to this test. The pool is closed and the database
// dropped when the test ends. DB fails the test when PostgreSQL cannot be
// started.
func DB(t testing.TB) *sqlx.DB {
	t.Helper()
	url := DatabaseURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := store.Open(ctx, url)
	if err != nil {
		t.Fatalf("devtest: %v", err)
	}
	// Registered after DatabaseURL's drop, so it runs before it.
	t.Cleanup(func() { db.Close() })
	return db
}

// DatabaseURL creates a new migrated, empty database for this test, as DB
// does, and returns its connection string (for code under test that
// connects by itself, such as a pq.Listener). The database is dropped when
// the test ends, closing any connection still open to it.
func DatabaseURL(t testing.TB) string {
	t.Helper()
	if !mainRunning.Load() {
		t.Fatal("devtest: call devtest.Main(m) from this package's TestMain " +
			"(func TestMain(m *testing.M) { devtest.Main(m) }) so the PostgreSQL cluster is stopped after the tests")
	}
	once.Do(func() { shared, sharedErr = setup() })
	if sharedErr != nil {
		t.Fatalf("devtest: PostgreSQL is not available: %v", sharedErr)
	}
	c := shared
	name := fmt.Sprintf("rq_%s_%d", c.runID, dbSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// The default copy strategy (WAL_LOG on PostgreSQL 15) measured about
	// twice as fast here as STRATEGY FILE_COPY for this small template.
	if _, err := c.admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)+
		" TEMPLATE "+pq.QuoteIdentifier(c.template)); err != nil {
		t.Fatalf("devtest: create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := c.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(name)+" WITH (FORCE)"); err != nil {
			t.Errorf("devtest: drop test database: %v", err)
		}
	})
	url, err := devenv.ReplaceDatabase(c.baseURL, name)
	if err != nil {
		t.Fatalf("devtest: %v", err)
	}
	return url
}

// NATS returns the client URL of a NATS server with JetStream for this
// test: a new embedded server storing in t.TempDir(), shut down when the
// test ends; or NATS_URL when that is set.
func NATS(t testing.TB) string {
	t.Helper()
	if u := os.Getenv("NATS_URL"); u != "" {
		return u
	}
	// Encrypted at rest, as the embedded default is.
	key := make([]byte, 16)
	_, _ = rand.Read(key)
	ns, err := bus.StartEmbedded(bus.EmbeddedOptions{StoreDir: t.TempDir(), Port: 0, Key: hex.EncodeToString(key)})
	if err != nil {
		t.Fatalf("devtest: start embedded NATS: %v", err)
	}
	t.Cleanup(func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	return ns.ClientURL()
}

// setup starts (or connects to) the server and migrates the template.
func setup() (_ *cluster, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	c := &cluster{runID: newRunID()}
	defer func() {
		if err != nil {
			c.close()
		}
	}()
	if url := os.Getenv("DATABASE_URL"); url != "" {
		c.baseURL = url
	} else {
		dir, err := os.MkdirTemp("", "rq-test")
		if err != nil {
			return nil, err
		}
		c.tmpDir = dir
		settings, err := settingsFromEnv(os.Getenv("DEVTEST_PG_SETTINGS"))
		if err != nil {
			return nil, err
		}
		pg, err := devenv.StartPostgresWith(ctx, devenv.PostgresOptions{
			Dir:      dir,
			Fast:     true,
			Log:      zap.NewNop(),
			Settings: settings,
		})
		if err != nil {
			return nil, err
		}
		c.pg = pg
		c.baseURL = pg.URL()
	}
	c.admin, err = sql.Open("postgres", c.baseURL)
	if err != nil {
		return nil, err
	}
	c.admin.SetMaxOpenConns(4)
	if err := c.admin.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}

	c.template = "rq_" + c.runID + "_template"
	if _, err := c.admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(c.template)); err != nil {
		return nil, fmt.Errorf("create template database: %w", err)
	}
	turl, err := devenv.ReplaceDatabase(c.baseURL, c.template)
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, turl)
	if err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	err = store.Migrate(ctx, db)
	db.Close()
	if err != nil {
		return nil, fmt.Errorf("migrate template: %w", err)
	}
	return c, nil
}

// shutdown undoes setup after the tests.
func shutdown() error {
	if shared == nil {
		return nil
	}
	return shared.close()
}

// close drops the template (on a shared server), stops the private cluster
// and removes its directory.
func (c *cluster) close() error {
	var errs []error
	if c.admin != nil {
		errs = append(errs, c.reportStatements(os.Getenv("DEVTEST_PG_REPORT")))
		if c.pg == nil && c.template != "" {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			_, err := c.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(c.template)+" WITH (FORCE)")
			cancel()
			errs = append(errs, err)
		}
		errs = append(errs, c.admin.Close())
	}
	if c.pg != nil {
		errs = append(errs, c.pg.Stop())
	}
	if c.tmpDir != "" {
		errs = append(errs, os.RemoveAll(c.tmpDir))
	}
	return errors.Join(errs...)
}

// newRunID returns a short lower-case id unique to this run, for database
// names on a server other runs may share.
func newRunID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%d_%s", os.Getpid(), hex.EncodeToString(b[:]))
}

// settingsFromEnv reads DEVTEST_PG_SETTINGS, extra server settings for the
// test PostgreSQL as "name=value;name=value" (for profiling, e.g.
// shared_preload_libraries=pg_stat_statements).
func settingsFromEnv(v string) (map[string]string, error) {
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	out := map[string]string{}
	for _, kv := range strings.Split(v, ";") {
		k, val, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("DEVTEST_PG_SETTINGS: %q is not name=value", kv)
		}
		out[k] = val
	}
	return out, nil
}

// reportStatements writes the server's pg_stat_statements, the costliest
// first, to the file path names (DEVTEST_PG_REPORT), when it is set; the
// server must preload the extension (DEVTEST_PG_SETTINGS).
func (c *cluster) reportStatements(path string) error {
	if path == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.admin.ExecContext(ctx, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"); err != nil {
		return fmt.Errorf("DEVTEST_PG_REPORT: %w", err)
	}
	rows, err := c.admin.QueryContext(ctx, `SELECT round(total_exec_time)::bigint, calls, rows,
		shared_blks_hit + shared_blks_read, left(regexp_replace(query, '\s+', ' ', 'g'), 160)
		FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 60`)
	if err != nil {
		return fmt.Errorf("DEVTEST_PG_REPORT: %w", err)
	}
	defer rows.Close()
	var b strings.Builder
	b.WriteString("ms\tcalls\trows\tbuffers\tstatement\n")
	for rows.Next() {
		var ms, calls, n, bufs int64
		var q string
		if err := rows.Scan(&ms, &calls, &n, &bufs, &q); err != nil {
			return err
		}
		fmt.Fprintf(&b, "%d\t%d\t%d\t%d\t%s\n", ms, calls, n, bufs, q)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
