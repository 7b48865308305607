package ingest

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// pgTx is a transaction on one dedicated connection, begun with a plain
// BEGIN so that the driver connection stays reachable (sql.Conn.Raw) for
// lib/pq's raw COPY data path: rows are encoded by copyBuf and sent in large
// chunks instead of one Exec per row through database/sql, which measured
// several times slower for the hundreds of thousands of rows of a big file.
type pgTx struct {
	c    *sqlx.Conn
	done bool
}

// beginTx takes a connection from db and begins a transaction on it.
func beginTx(ctx context.Context, db *sqlx.DB) (*pgTx, error) {
	c, err := db.Connx(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := c.ExecContext(ctx, "BEGIN"); err != nil {
		c.Close()
		return nil, err
	}
	return &pgTx{c: c}, nil
}

// Commit commits and returns the connection to the pool.
func (t *pgTx) Commit(ctx context.Context) error {
	if t.done {
		return errors.New("ingest: transaction already ended")
	}
	t.done = true
	_, err := t.c.ExecContext(ctx, "COMMIT")
	if err != nil {
		t.discard()
		return err
	}
	return t.c.Close()
}

// Rollback ends the transaction if it is still open; safe to defer.
func (t *pgTx) Rollback() {
	if t.done {
		return
	}
	t.done = true
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := t.c.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.discard()
		return
	}
	t.c.Close()
}

// discard closes the connection for good: its state is unknown.
func (t *pgTx) discard() {
	_ = t.c.Raw(func(any) error { return driver.ErrBadConn })
	t.c.Close()
}

// copyDataStmt is lib/pq's COPY statement with its raw data method (exposed
// by lib/pq for this use, github.com/lib/pq/pull/1077).
type copyDataStmt interface {
	driver.Stmt
	CopyData(ctx context.Context, data string) (driver.Result, error)
}

// copyIn runs COPY table (cols) FROM STDIN with data, COPY text format rows
// each ending in a newline.
func (t *pgTx) copyIn(ctx context.Context, table string, cols []string, data []byte) error {
	if len(data) == 0 {
		return nil
	}
	query := "COPY " + table + " (" + strings.Join(cols, ", ") + ") FROM STDIN"
	err := t.c.Raw(func(dc any) error {
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
		if _, err := cs.CopyData(ctx, string(data[:len(data)-1])); err != nil {
			return err
		}
		_, err = cs.Exec(nil) //nolint:staticcheck // ends the COPY and reports its errors
		return err
	})
	if err != nil {
		return fmt.Errorf("copy %s: %w", table, err)
	}
	return nil
}
