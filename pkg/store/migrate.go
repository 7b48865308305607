package store

import (
	"context"
	"crypto/sha256"
	"database/sql/driver"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// MigrationLockKey is the pg_advisory_lock key Migrate holds while it runs
// ("remitq" followed by 0x0001).
const MigrationLockKey int64 = 0x72656d6974710001

// NoTransactionMarker, as the first line of a migration file, makes Migrate
// run that file outside a transaction (for statements such as CREATE INDEX
// CONCURRENTLY). Such a file should be safe to run again after a failure
// part-way.
const NoTransactionMarker = "-- remitq:no-transaction"

// ErrChecksumMismatch reports an applied migration whose file has changed
// since it was applied.
var ErrChecksumMismatch = errors.New("store: applied migration differs from the embedded file; add a new migration instead of editing an applied one")

// Migration is one schema change, read from migrations/NNNN_name.sql.
type Migration struct {
	// Version is NNNN, the order of application.
	Version int
	// Name is the part of the file name after the version, without .sql.
	Name string
	// SQL is the file's content.
	SQL string
	// Checksum is the hex SHA-256 of SQL.
	Checksum string
	// NoTransaction is set by NoTransactionMarker.
	NoTransaction bool
}

// AppliedMigration is a row of schema_migrations.
type AppliedMigration struct {
	Version   int       `db:"version"`    // Migration.Version
	Name      string    `db:"name"`       // Migration.Name
	AppliedAt time.Time `db:"applied_at"` // when it was applied
	Checksum  string    `db:"checksum"`   // Migration.Checksum at the time
}

var migrationName = regexp.MustCompile(`^([0-9]{4})_([a-z0-9_]+)\.sql$`)

// Migrations returns the embedded migrations in version order. It fails
// on a misnamed file or a repeated version.
func Migrations() ([]Migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("store: read embedded migrations: %w", err)
	}
	var ms []Migration
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("store: migration file %q is not named NNNN_name.sql (lower case)", e.Name())
		}
		b, err := migrationFiles.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			return nil, fmt.Errorf("store: read migration %s: %w", e.Name(), err)
		}
		v, _ := strconv.Atoi(m[1])
		sum := sha256.Sum256(b)
		firstLine, _, _ := strings.Cut(string(b), "\n")
		ms = append(ms, Migration{
			Version:       v,
			Name:          m[2],
			SQL:           string(b),
			Checksum:      hex.EncodeToString(sum[:]),
			NoTransaction: strings.TrimSpace(firstLine) == NoTransactionMarker,
		})
	}
	slices.SortFunc(ms, func(a, b Migration) int { return a.Version - b.Version })
	for i := 1; i < len(ms); i++ {
		if ms[i].Version == ms[i-1].Version {
			return nil, fmt.Errorf("store: two migrations have version %04d", ms[i].Version)
		}
	}
	return ms, nil
}

// Migrate applies the embedded migrations that schema_migrations does not
// record yet, in version order, each in its own transaction together with
// its schema_migrations row. It holds the advisory lock MigrationLockKey on
// one dedicated connection for the whole run, so concurrent callers (other
// goroutines or processes) wait and then find nothing left to do. Running it
// again is a no-op.
//
// It fails with ErrChecksumMismatch when an applied migration's file has
// changed. Versions recorded in the database but unknown to this binary
// (applied by a newer release) are left alone.
func Migrate(ctx context.Context, db *sqlx.DB) (err error) {
	ms, err := Migrations()
	if err != nil {
		return err
	}
	conn, err := db.Connx(ctx)
	if err != nil {
		return fmt.Errorf("store: migrate: get connection: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, MigrationLockKey); err != nil {
		return fmt.Errorf("store: migrate: take advisory lock: %w", err)
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, uerr := conn.ExecContext(uctx, `SELECT pg_advisory_unlock($1)`, MigrationLockKey); uerr != nil {
			// A session lock outlives the transaction: never return this
			// connection to the pool still holding it.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			if err == nil {
				err = fmt.Errorf("store: migrate: release advisory lock: %w", uerr)
			}
		}
	}()

	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer     PRIMARY KEY,
		name       text        NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now(),
		checksum   text        NOT NULL
	)`); err != nil {
		return fmt.Errorf("store: migrate: create schema_migrations: %w", err)
	}
	var rows []AppliedMigration
	if err := sqlx.SelectContext(ctx, conn, &rows,
		`SELECT version, name, applied_at, checksum FROM schema_migrations`); err != nil {
		return fmt.Errorf("store: migrate: read schema_migrations: %w", err)
	}
	applied := make(map[int]AppliedMigration, len(rows))
	for _, r := range rows {
		applied[r.Version] = r
	}

	for _, m := range ms {
		if a, ok := applied[m.Version]; ok {
			if a.Checksum != m.Checksum || a.Name != m.Name {
				return fmt.Errorf("%w: %04d_%s", ErrChecksumMismatch, m.Version, m.Name)
			}
			continue
		}
		if err := apply(ctx, conn, m); err != nil {
			return err
		}
	}
	return nil
}

// Applied returns the rows of schema_migrations in version order.
func Applied(ctx context.Context, db sqlx.QueryerContext) ([]AppliedMigration, error) {
	var rows []AppliedMigration
	if err := sqlx.SelectContext(ctx, db, &rows,
		`SELECT version, name, applied_at, checksum FROM schema_migrations ORDER BY version`); err != nil {
		return nil, fmt.Errorf("store: read schema_migrations: %w", err)
	}
	return rows, nil
}

// apply runs one migration and records it.
func apply(ctx context.Context, conn *sqlx.Conn, m Migration) error {
	const record = `INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)`
	if m.NoTransaction {
		if _, err := conn.ExecContext(ctx, m.SQL); err != nil {
			return migrationError(m, err)
		}
		if _, err := conn.ExecContext(ctx, record, m.Version, m.Name, m.Checksum); err != nil {
			return fmt.Errorf("store: record migration %04d_%s: %w", m.Version, m.Name, err)
		}
		return nil
	}
	tx, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: migration %04d_%s: begin: %w", m.Version, m.Name, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return migrationError(m, err)
	}
	if _, err := tx.ExecContext(ctx, record, m.Version, m.Name, m.Checksum); err != nil {
		return fmt.Errorf("store: record migration %04d_%s: %w", m.Version, m.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: migration %04d_%s: commit: %w", m.Version, m.Name, err)
	}
	return nil
}

// migrationError names the migration and, when PostgreSQL reports a
// position, the line of the file it points at.
func migrationError(m Migration, err error) error {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Position != "" {
		if pos, perr := strconv.Atoi(pqErr.Position); perr == nil && pos > 0 {
			runes := []rune(m.SQL)
			pos = min(pos-1, len(runes))
			line := strings.Count(string(runes[:pos]), "\n") + 1
			return fmt.Errorf("store: migration %04d_%s.sql line %d: %w", m.Version, m.Name, line, err)
		}
	}
	return fmt.Errorf("store: migration %04d_%s.sql: %w", m.Version, m.Name, err)
}
