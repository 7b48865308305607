package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

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

// TestOpenUsesUTC: a database whose default zone is far from UTC still
// answers current_date and timestamptz::date as UTC days through store.Open.
func TestOpenUsesUTC(t *testing.T) {
	url := emptyDatabase(t)
	db := open(t, url)
	var name string
	if err := db.GetContext(t.Context(), &name, `SELECT current_database()`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(t.Context(), `ALTER DATABASE "`+name+`" SET TimeZone = 'Pacific/Kiritimati'`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.ExecContext(context.Background(), `ALTER DATABASE "`+name+`" RESET TimeZone`) })
	fresh := open(t, url) // a new pool: its connections start in the database's zone
	var zone string
	var same bool
	if err := fresh.QueryRowxContext(t.Context(),
		`SELECT current_setting('TimeZone'), current_date = (now() AT TIME ZONE 'UTC')::date`).Scan(&zone, &same); err != nil {
		t.Fatal(err)
	}
	if zone != "UTC" || !same {
		t.Fatalf("session zone %q, current_date is the UTC day: %v", zone, same)
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

// The partitioned tables have this month and the next ones; a row of a
// month without a partition lands in DEFAULT and moves into its month when
// the partition is made.
func TestPartitions(t *testing.T) {
	db := devtest.DB(t)
	ctx := t.Context()
	parts, err := store.Partitions(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	this := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	have := map[string]bool{}
	for _, p := range parts {
		have[p.Name] = true
	}
	for _, table := range []string{"service_line_payments", "adjustments", "work_item_events"} {
		for m := 0; m <= store.PartitionsAhead; m++ {
			name := table + "_p" + this.AddDate(0, m, 0).Format("200601")
			if !have[name] {
				t.Errorf("partition %s missing (have %v)", name, have)
			}
		}
	}
	var item int64
	if err := db.QueryRowContext(ctx, `INSERT INTO practices (name, npi) VALUES ('P', '1234567893') RETURNING id`).Scan(&item); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, `INSERT INTO work_items (dedupe_key, practice_id, kind, disposition)
		VALUES ('k', $1, 'denial', 'denied') RETURNING id`, item).Scan(&item); err != nil {
		t.Fatal(err)
	}
	later := this.AddDate(0, store.PartitionsAhead+2, 3)
	if _, err := db.ExecContext(ctx, `INSERT INTO work_item_events (work_item_id, at, actor, action) VALUES ($1, $2, 'test', 'created')`, item, later); err != nil {
		t.Fatal(err)
	}
	where := func() string {
		var rel string
		if err := db.GetContext(ctx, &rel, `SELECT tableoid::regclass::text FROM work_item_events WHERE work_item_id = $1`, item); err != nil {
			t.Fatal(err)
		}
		return rel
	}
	if got := where(); got != "work_item_events_default" {
		t.Fatalf("an event past the prepared months is in %s, want the DEFAULT partition", got)
	}
	made, err := store.EnsurePartitions(ctx, db, store.PartitionsAhead+2)
	if err != nil {
		t.Fatal(err)
	}
	if len(made) != 6 { // two more months of three tables
		t.Fatalf("made %v, want 6 partitions", made)
	}
	if got, want := where(), "work_item_events_p"+later.Format("200601"); got != want {
		t.Fatalf("the event is in %s after its month was made, want %s", got, want)
	}
	if again, err := store.EnsurePartitions(ctx, db, store.PartitionsAhead+2); err != nil || len(again) != 0 {
		t.Fatalf("second call made %v (%v)", again, err)
	}
}

// Retention archives and deletes old files with their rows, drops the
// months before the cutoff, deletes old finished work items, and keeps the
// rest.
func TestRetain(t *testing.T) {
	db := devtest.DB(t)
	ctx := t.Context()
	if _, err := db.ExecContext(ctx, `SELECT remitq_ensure_partitions(0, '2020-01-01')`); err != nil {
		t.Fatal(err)
	}
	var practice int64
	if err := db.QueryRowContext(ctx, `INSERT INTO practices (name, npi) VALUES ('P', '1234567893') RETURNING id`).Scan(&practice); err != nil {
		t.Fatal(err)
	}
	file := func(sum byte, received string) int64 {
		var id int64
		err := db.QueryRowContext(ctx, `INSERT INTO remittance_files (sha256, size, raw, received_at, status)
			VALUES (decode(repeat($1, 32), 'hex'), 3, 'ISA', $2, 'ingested') RETURNING id`, fmt.Sprintf("%02x", sum), received).Scan(&id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO service_line_payments (claim_payment_id, file_id, practice_id, segment_index,
			line_number, procedure_qualifier, procedure_code, charge, paid, stored_on)
			VALUES (1, $1, $2, 9, 1, 'HC', '64483', 10, 5, $3::timestamptz::date)`, id, practice, received); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO adjustments (file_id, claim_payment_id, segment_index, position, group_code,
			reason_code, amount, stored_on) VALUES ($1, 1, 10, 1, 'CO', '45', 5, $2::timestamptz::date)`, id, received); err != nil {
			t.Fatal(err)
		}
		return id
	}
	old := file(0xaa, "2020-03-10T12:00:00Z")
	keep := file(0xbb, time.Now().UTC().Format(time.RFC3339))
	for i, st := range []string{"resolved", "new"} {
		if _, err := db.ExecContext(ctx, `INSERT INTO work_items (dedupe_key, practice_id, kind, disposition, status, updated_at)
			VALUES ($1, $2, 'denial', 'denied', $3, '2020-04-01')`, fmt.Sprint("k", i), practice, st); err != nil {
			t.Fatal(err)
		}
	}
	before := time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
	dry, err := store.Retain(ctx, db, before, nil, true)
	if err != nil || dry.Files != 1 || dry.WorkItems != 1 || len(dry.Partitions) != 36 {
		t.Fatalf("dry run: %+v %v; want 1 file, 1 item, 36 partitions (12 months x 3 tables)", dry, err)
	}
	var archived []int64
	rep, err := store.Retain(ctx, db, before, func(f *store.ArchivedFile) error {
		if string(f.Raw) != "ISA" {
			t.Errorf("archived file %d has raw %q", f.ID, f.Raw)
		}
		archived = append(archived, f.ID)
		return nil
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(archived) != 1 || archived[0] != old || rep.Files != 1 || rep.WorkItems != 1 || len(rep.Partitions) != 36 {
		t.Fatalf("retention: %+v, archived %v", rep, archived)
	}
	for q, want := range map[string]int{
		`SELECT count(*) FROM remittance_files`:                                          1,
		`SELECT count(*) FROM service_line_payments WHERE file_id = ` + fmt.Sprint(old):  0,
		`SELECT count(*) FROM service_line_payments WHERE file_id = ` + fmt.Sprint(keep): 1,
		`SELECT count(*) FROM adjustments`:                                               1,
		`SELECT count(*) FROM work_items`:                                                1,
		`SELECT count(*) FROM pg_class WHERE relname = 'service_line_payments_p202003'`:  0,
		`SELECT count(*) FROM pg_class WHERE relname = 'service_line_payments_p202101'`:  1,
	} {
		var n int
		if err := db.GetContext(ctx, &n, q); err != nil || n != want {
			t.Errorf("%s = %d (%v), want %d", q, n, err, want)
		}
	}
}
