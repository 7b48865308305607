package store_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/remitq/remitq/pkg/devenv/devtest"
	"github.com/remitq/remitq/pkg/store"
)

func TestMain(m *testing.M) { devtest.Main(m) }

// emptyDatabase returns the URL of a test database with nothing in it.
func emptyDatabase(t *testing.T) string {
	t.Helper()
	url := devtest.DatabaseURL(t)
	db := open(t, url)
	if _, err := db.ExecContext(t.Context(), `DROP SCHEMA public CASCADE; CREATE SCHEMA public`); err != nil {
		t.Fatal(err)
	}
	return url
}

func open(t *testing.T, url string) *sqlx.DB {
	t.Helper()
	db, err := store.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestMigrations(t *testing.T) {
	ms, err := store.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 || ms[0].Version != 1 || ms[0].Name != "init" {
		t.Fatalf("first migration = %+v, want 0001_init", ms)
	}
	for i, m := range ms {
		if m.Version != i+1 {
			t.Errorf("migration %d has version %04d: versions must be consecutive from 0001", i, m.Version)
		}
		if len(m.Checksum) != 64 || m.SQL == "" {
			t.Errorf("migration %04d: checksum %q, %d bytes of SQL", m.Version, m.Checksum, len(m.SQL))
		}
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	db := open(t, emptyDatabase(t))
	ctx := t.Context()
	if err := store.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	first, err := store.Applied(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	ms, _ := store.Migrations()
	if len(first) != len(ms) {
		t.Fatalf("applied %d migrations, want %d", len(first), len(ms))
	}
	for i, a := range first {
		if a.Version != ms[i].Version || a.Name != ms[i].Name || a.Checksum != ms[i].Checksum {
			t.Errorf("row %d = %+v, want version %d name %s", i, a, ms[i].Version, ms[i].Name)
		}
	}
	if err := store.Migrate(ctx, db); err != nil {
		t.Fatalf("second run: %v", err)
	}
	second, err := store.Applied(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if len(second) != len(first) {
		t.Fatalf("second run: %d rows, want %d", len(second), len(first))
	}
	for i := range first {
		if !first[i].AppliedAt.Equal(second[i].AppliedAt) || first[i].Checksum != second[i].Checksum {
			t.Errorf("row %d changed: %+v -> %+v", i, first[i], second[i])
		}
	}
}

func TestMigrateConcurrently(t *testing.T) {
	url := emptyDatabase(t)
	const n = 4
	dbs := make([]*sqlx.DB, n)
	for i := range dbs {
		dbs[i] = open(t, url)
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, db := range dbs {
		wg.Go(func() { errs[i] = store.Migrate(t.Context(), db) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Migrate #%d: %v", i, err)
		}
	}
	var versions []int
	if err := dbs[0].SelectContext(t.Context(), &versions, `SELECT version FROM schema_migrations ORDER BY version`); err != nil {
		t.Fatal(err)
	}
	ms, _ := store.Migrations()
	if len(versions) != len(ms) {
		t.Fatalf("schema_migrations has versions %v, want %d rows", versions, len(ms))
	}
	// The lock is released: a later run does not block.
	if err := store.Migrate(t.Context(), dbs[1]); err != nil {
		t.Fatal(err)
	}
}

func TestMigrateRefusesEditedMigration(t *testing.T) {
	db := devtest.DB(t)
	ctx := t.Context()
	if _, err := db.ExecContext(ctx, `UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1`); err != nil {
		t.Fatal(err)
	}
	err := store.Migrate(ctx, db)
	if !errors.Is(err, store.ErrChecksumMismatch) {
		t.Fatalf("Migrate = %v, want ErrChecksumMismatch", err)
	}
}

func TestMigrateIgnoresNewerVersions(t *testing.T) {
	db := devtest.DB(t)
	ctx := t.Context()
	if _, err := db.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, 'future', 'x')`); err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(ctx, db); err != nil {
		t.Fatalf("Migrate with a newer version recorded: %v", err)
	}
}

func TestOpenHidesPassword(t *testing.T) {
	_, err := store.Open(t.Context(), "postgres://user:s3cret@%zz/db")
	if err == nil {
		t.Fatal("Open accepted a malformed URL")
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("error shows the password: %v", err)
	}
}

func TestOpenPoolSettings(t *testing.T) {
	db := devtest.DB(t)
	if got := db.Stats().MaxOpenConnections; got != store.DefaultMaxOpenConns {
		t.Fatalf("MaxOpenConnections = %d, want %d", got, store.DefaultMaxOpenConns)
	}
}

// TestNaturalKeys writes every parsed row twice with ON CONFLICT DO NOTHING,
// as a redelivered ingest would, and expects one of each.
func TestNaturalKeys(t *testing.T) {
	db := devtest.DB(t)
	ctx := t.Context()
	one := func(q string, args ...any) int64 {
		t.Helper()
		var id int64
		for range 2 {
			err := db.QueryRowxContext(ctx, q+` ON CONFLICT DO NOTHING RETURNING id`, args...).Scan(&id)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				t.Fatalf("%s: %v", q, err)
			}
		}
		return id
	}
	practice := one(`INSERT INTO practices (name, npi, tin) VALUES ('Spine Center', '1234567893', '123456789')`)
	payer := one(`INSERT INTO payers (name, payer_id_code) VALUES ('Medicare', '12345')`)
	file := one(`INSERT INTO remittance_files (sha256, filename, size, raw, practice_id, payer_id)
		VALUES (decode(repeat('ab', 32), 'hex'), 'a.835', 3, 'ISA', $1, $2)`, practice, payer)
	tx := one(`INSERT INTO remittance_transactions (file_id, seq, segment_index, st_control, practice_id, bpr_amount)
		VALUES ($1, 1, 3, '0001', $2, 100.10)`, file, practice)
	claim := one(`INSERT INTO claim_payments (file_id, transaction_id, practice_id, segment_index,
		patient_control_number, status, charge, paid, phi_patient_name)
		VALUES ($1, $2, $3, 12, 'PCN1', '1', 250.00, 100.10, 'DOE, JANE')`, file, tx, practice)
	line := one(`INSERT INTO service_line_payments (claim_payment_id, file_id, practice_id, segment_index,
		line_number, procedure_qualifier, procedure_code, modifiers, charge, paid, units)
		VALUES ($1, $2, $3, 20, 1, 'HC', '64483', '{RT,50}', 250.00, 100.10, 1)`, claim, file, practice)
	for range 2 { // no surrogate id: the natural key is the primary key
		if _, err := db.ExecContext(ctx, `INSERT INTO adjustments (file_id, claim_payment_id, service_line_id, segment_index, position,
			group_code, reason_code, amount) VALUES ($1, $2, $3, 22, 1, 'CO', '45', 149.90) ON CONFLICT DO NOTHING`, file, claim, line); err != nil {
			t.Fatal(err)
		}
	}
	one(`INSERT INTO remarks (file_id, claim_payment_id, service_line_id, segment_index, position, qualifier, code)
		VALUES ($1, $2, $3, 24, 1, 'HE', 'N130')`, file, claim, line)
	one(`INSERT INTO provider_adjustments (file_id, transaction_id, segment_index, position, provider_id,
		reason_code, amount) VALUES ($1, $2, 30, 1, '1234567893', 'L6', -1.25)`, file, tx)
	one(`INSERT INTO outbox (subject, msg_id, payload) VALUES ('remit.line', 'f1:20', '\x00')`)

	for _, table := range []string{"practices", "payers", "remittance_files", "remittance_transactions",
		"claim_payments", "service_line_payments", "adjustments", "remarks", "provider_adjustments", "outbox"} {
		var n int
		if err := db.GetContext(ctx, &n, `SELECT count(*) FROM `+table); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("%s has %d rows after a repeated write, want 1", table, n)
		}
	}

	var paid string
	if err := db.GetContext(ctx, &paid, `SELECT paid::text FROM claim_payments`); err != nil || paid != "100.10" {
		t.Errorf("paid = %q, %v; want 100.10", paid, err)
	}
	// Deleting a file removes what was parsed from it, for a re-ingest.
	if _, err := db.ExecContext(ctx, `DELETE FROM remittance_files`); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := db.GetContext(ctx, &left, `SELECT (SELECT count(*) FROM claim_payments) + (SELECT count(*) FROM adjustments)
		+ (SELECT count(*) FROM provider_adjustments)`); err != nil || left != 0 {
		t.Errorf("%d parsed rows left after deleting the file (%v)", left, err)
	}
}

func TestConstraints(t *testing.T) {
	db := devtest.DB(t)
	ctx := t.Context()
	for _, q := range []string{
		`INSERT INTO practices (name, npi) VALUES ('bad npi', '123')`,
		`INSERT INTO practices (name) VALUES ('no id')`,
		`INSERT INTO remittance_files (sha256, size, raw, status) VALUES (decode(repeat('cd', 32), 'hex'), 1, 'x', 'weird')`,
		`INSERT INTO remittance_files (sha256, size, raw) VALUES ('short', 1, 'x')`,
	} {
		if _, err := db.ExecContext(ctx, q); err == nil {
			t.Errorf("accepted: %s", q)
		}
	}
}

func TestAuditLogIsAppendOnly(t *testing.T) {
	db := devtest.DB(t)
	ctx := t.Context()
	if _, err := db.ExecContext(ctx, `INSERT INTO audit_log (actor, action, entity, entity_id, detail)
		VALUES ('alice', 'file.view', 'remittance_file', '1', '{"via":"api"}')`); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`UPDATE audit_log SET actor = 'mallory'`, `DELETE FROM audit_log`, `TRUNCATE audit_log`} {
		if _, err := db.ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want append-only refusal", q, err)
		}
	}
}

func TestMigrateCancelled(t *testing.T) {
	db := open(t, emptyDatabase(t))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := store.Migrate(ctx, db); err == nil {
		t.Fatal("Migrate with a cancelled context succeeded")
	}
	// Nothing is left locked or half applied.
	if err := store.Migrate(t.Context(), db); err != nil {
		t.Fatal(err)
	}
}
