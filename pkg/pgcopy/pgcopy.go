// Package pgcopy writes rows to PostgreSQL in bulk: a transaction on one
// dedicated connection (Tx) whose COPY ... FROM STDIN takes rows encoded
// in COPY's text format by a Buf, sent through lib/pq's raw COPY data path
// in one piece instead of one Exec per row.
//
// The ingest writes the parsed 835 rows with it, as do the
// billed-claims loader and the matcher.
package pgcopy

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Tx is a transaction on one dedicated connection, begun with a plain
// BEGIN so that the driver connection stays reachable for COPY. It is not
// safe for concurrent use.
type Tx struct {
	// Conn runs the transaction's statements.
	Conn *sqlx.Conn
	done bool
}

// Begin takes a connection from db and begins a transaction on it.
func Begin(ctx context.Context, db *sqlx.DB) (*Tx, error) {
	c, err := db.Connx(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := c.ExecContext(ctx, "BEGIN"); err != nil {
		c.Close()
		return nil, err
	}
	return &Tx{Conn: c}, nil
}

// Commit commits and returns the connection to the pool.
func (t *Tx) Commit(ctx context.Context) error {
	if t.done {
		return errors.New("pgcopy: transaction already ended")
	}
	t.done = true
	if _, err := t.Conn.ExecContext(ctx, "COMMIT"); err != nil {
		t.discard()
		return err
	}
	return t.Conn.Close()
}

// Rollback ends the transaction if it is still open; safe to defer.
func (t *Tx) Rollback() {
	if t.done {
		return
	}
	t.done = true
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := t.Conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.discard()
		return
	}
	t.Conn.Close()
}

// discard closes the connection for good: its state is unknown.
func (t *Tx) discard() {
	_ = t.Conn.Raw(func(any) error { return driver.ErrBadConn })
	t.Conn.Close()
}

// copyDataStmt is lib/pq's COPY statement with its raw data method.
type copyDataStmt interface {
	driver.Stmt
	CopyData(ctx context.Context, data string) (driver.Result, error)
}

// Copy runs COPY b.Table (b.Cols) FROM STDIN with b's rows; an empty
// buffer does nothing.
func (t *Tx) Copy(ctx context.Context, b *Buf) error {
	if len(b.b) == 0 {
		return nil
	}
	query := "COPY " + b.Table + " (" + strings.Join(b.Cols, ", ") + ") FROM STDIN"
	err := t.Conn.Raw(func(dc any) error {
		pc, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return errors.New("driver cannot prepare")
		}
		st, err := pc.PrepareContext(ctx, query)
		if err != nil {
			return err
		}
		defer st.Close()
		cs, ok := st.(copyDataStmt)
		if !ok {
			return errors.New("the PostgreSQL driver has no raw COPY data path")
		}
		// CopyData adds the final newline itself.
		if _, err := cs.CopyData(ctx, string(b.b[:len(b.b)-1])); err != nil {
			return err
		}
		_, err = cs.Exec(nil) //nolint:staticcheck // ends the COPY and reports its errors
		return err
	})
	if err != nil {
		return fmt.Errorf("copy %s: %w", b.Table, err)
	}
	return nil
}

// ReserveIDs reserves n values of table's identity sequence, so that child
// rows can name their parents before the parents are copied.
func (t *Tx) ReserveIDs(ctx context.Context, table string, n int) ([]int64, error) {
	if n == 0 {
		return nil, nil
	}
	var seq string
	if err := t.Conn.GetContext(ctx, &seq, `SELECT pg_get_serial_sequence($1, 'id')`, table); err != nil {
		return nil, err
	}
	out := make([]int64, 0, n)
	err := t.Conn.SelectContext(ctx, &out, `SELECT nextval($1::regclass) FROM generate_series(1, $2)`, seq, n)
	return out, err
}
