package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/work"
)

// PartitionsAhead is how many months past the current one EnsurePartitions
// prepares when services start.
const PartitionsAhead = 3

// EnsurePartitions creates the monthly partitions of the partitioned tables
// (service_line_payments, adjustments, work_item_events: migration 0011)
// through ahead months after the current one, moving rows that went to a
// DEFAULT partition into their month, and returns the partitions created.
// It is safe to call from several processes at once.
func EnsurePartitions(ctx context.Context, db sqlx.QueryerContext, ahead int) ([]string, error) {
	var made []string
	if err := sqlx.SelectContext(ctx, db, &made, `SELECT remitq_ensure_partitions($1)`, ahead); err != nil {
		return nil, fmt.Errorf("store: partitions: %w", err)
	}
	return made, nil
}

// Partition is one monthly partition of a partitioned table.
type Partition struct {
	Parent string    `db:"parent"`
	Name   string    `db:"name"`
	From   time.Time `db:"lo"` // first day (UTC)
	To     time.Time `db:"hi"` // first day after it
	Rows   int64     `db:"rows"`
}

// Partitions lists the monthly partitions (not the DEFAULT ones), oldest
// first, with their row counts.
func Partitions(ctx context.Context, db sqlx.QueryerContext) ([]Partition, error) {
	var out []Partition
	err := sqlx.SelectContext(ctx, db, &out, `
		SELECT p.parent, c.relname AS name,
			to_date(right(c.relname, 6), 'YYYYMM')::timestamptz AS lo,
			(to_date(right(c.relname, 6), 'YYYYMM') + interval '1 month')::timestamptz AS hi,
			coalesce(s.n_live_tup, 0) AS rows
		FROM remitq_partitioned p
		JOIN pg_inherits i ON i.inhparent = p.parent::regclass
		JOIN pg_class c ON c.oid = i.inhrelid
		LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
		WHERE c.relname ~ '_p[0-9]{6}$'
		ORDER BY lo, p.parent`)
	if err != nil {
		return nil, fmt.Errorf("store: partitions: %w", err)
	}
	return out, nil
}

// ArchivedFile is a remittance file Retain removes, handed to the archiver
// first. Raw holds PHI.
type ArchivedFile struct {
	ID         int64     `db:"id"`
	SHA256     []byte    `db:"sha256"`
	Filename   string    `db:"filename"`
	ReceivedAt time.Time `db:"received_at"`
	Raw        []byte    `db:"raw"`
}

// RetentionReport says what Retain removed.
type RetentionReport struct {
	Files      int      `json:"files"`      // remittance files archived and deleted
	WorkItems  int      `json:"work_items"` // resolved or written-off items deleted
	Partitions []string `json:"partitions"` // monthly partitions dropped
	DryRun     bool     `json:"dry_run"`    // nothing was changed
}

// Retain removes what is older than before: remittance files received
// before it (each first given to archive, which must store it durably; a
// failure stops Retain before anything is deleted for that file), with
// every row parsed from them; work items resolved or written off before it,
// with their events; and the monthly partitions wholly before it, dropped
// at once rather than deleted row by row. Open work items and the billed
// claims are kept. With dryRun it only counts.
func Retain(ctx context.Context, db *sqlx.DB, before time.Time, archive func(*ArchivedFile) error, dryRun bool) (*RetentionReport, error) {
	rep := &RetentionReport{DryRun: dryRun}
	var ids []int64
	if err := db.SelectContext(ctx, &ids, `SELECT id FROM remittance_files WHERE received_at < $1 ORDER BY id`, before); err != nil {
		return nil, fmt.Errorf("store: retention: %w", err)
	}
	parts, err := Partitions(ctx, db)
	if err != nil {
		return nil, err
	}
	var drop []string
	for _, p := range parts {
		if !p.To.After(before) {
			drop = append(drop, p.Name)
		}
	}
	if dryRun {
		rep.Files, rep.Partitions = len(ids), drop
		err := db.GetContext(ctx, &rep.WorkItems, `SELECT count(*) FROM work_items
			WHERE `+work.ClosedSQL("")+` AND updated_at < $1`, before)
		return rep, err
	}
	for _, id := range ids {
		var f ArchivedFile
		if err := db.GetContext(ctx, &f, `SELECT id, sha256, filename, received_at, raw FROM remittance_files WHERE id = $1`, id); err != nil {
			return rep, fmt.Errorf("store: retention: file %d: %w", id, err)
		}
		if archive != nil {
			if err := archive(&f); err != nil {
				return rep, fmt.Errorf("store: retention: archive file %d: %w", id, err)
			}
		}
		// The delete trigger removes the parsed rows (0003).
		if _, err := db.ExecContext(ctx, `DELETE FROM remittance_files WHERE id = $1`, id); err != nil {
			return rep, fmt.Errorf("store: retention: delete file %d: %w", id, err)
		}
		rep.Files++
	}
	res, err := db.ExecContext(ctx, `DELETE FROM work_items WHERE `+work.ClosedSQL("")+` AND updated_at < $1`, before)
	if err != nil {
		return rep, fmt.Errorf("store: retention: work items: %w", err)
	}
	n, _ := res.RowsAffected()
	rep.WorkItems = int(n)
	for _, name := range drop {
		if _, err := db.ExecContext(ctx, `DROP TABLE `+pq.QuoteIdentifier(name)); err != nil {
			return rep, fmt.Errorf("store: retention: drop %s: %w", name, err)
		}
		rep.Partitions = append(rep.Partitions, name)
	}
	return rep, nil
}
