// Package store is remitq's database layer: connecting to PostgreSQL and
// keeping its schema current.
//
// The schema lives in migrations/NNNN_name.sql, embedded in the binary and
// applied in order by Migrate, each in its own transaction and recorded in
// the schema_migrations table. Migrate holds a PostgreSQL advisory lock for
// the whole run, so several processes starting at once apply each migration
// exactly once. An applied migration must never be edited: Migrate refuses
// to run when a recorded checksum differs from the embedded file; add a new
// migration instead.
//
// Money columns are NUMERIC(14,2) (see package money), codes are text, ids
// are bigint identity columns and times are timestamptz. Columns holding
// protected health information are named phi_*.
//
//	db, err := store.Open(ctx, os.Getenv("DATABASE_URL"))
//	if err != nil {
//		return err
//	}
//	defer db.Close()
//	if err := store.Migrate(ctx, db); err != nil {
//		return err
//	}
package store
