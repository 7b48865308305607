package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/store"
)

// A query with arguments is prepared once per connection and then only
// executed; the cache holds at most StmtCacheSize statements; a statement
// whose table changed columns underneath it is prepared again, in and out
// of a transaction; a query without arguments (several statements) still
// runs by the simple protocol.
func TestStatementCache(t *testing.T) {
	ctx := context.Background()
	db := open(t, emptyDatabase(t))
	db.SetMaxOpenConns(1) // one connection: its pg_prepared_statements is the cache
	prepared := func() int {
		var n int
		if err := db.GetContext(ctx, &n, `SELECT count(*) FROM pg_prepared_statements`); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'a'), (2, 'b')`); err != nil {
		t.Fatal(err)
	}
	before := prepared()
	for i := range 20 {
		var v string
		if err := db.GetContext(ctx, &v, `SELECT v FROM t WHERE id = $1`, 1+i%2); err != nil {
			t.Fatal(err)
		}
		if want := map[int]string{0: "a", 1: "b"}[i%2]; v != want {
			t.Fatalf("run %d: %q, want %q", i, v, want)
		}
	}
	if _, err := db.ExecContext(ctx, `UPDATE t SET v = $1 WHERE id = $2`, "c", 2); err != nil {
		t.Fatal(err)
	}
	if got := prepared() - before; got != 2 {
		t.Errorf("%d statements prepared for two queries run 21 times", got)
	}

	t.Run("bounded", func(t *testing.T) {
		for i := range store.StmtCacheSize + 10 {
			if _, err := db.ExecContext(ctx, fmt.Sprintf(`SELECT %d + $1::int`, i), 1); err != nil {
				t.Fatal(err)
			}
		}
		// More distinct queries than it holds: full, and no fuller.
		if got := prepared(); got != store.StmtCacheSize {
			t.Errorf("%d statements prepared, the cache holds %d", got, store.StmtCacheSize)
		}
	})

	t.Run("columns changed", func(t *testing.T) {
		var n int
		if err := db.GetContext(ctx, &n, `SELECT count(*) FROM (SELECT * FROM t WHERE id > $1) x`, 0); err != nil || n != 2 {
			t.Fatalf("%d rows, %v", n, err)
		}
		if _, err := db.ExecContext(ctx, `ALTER TABLE t ADD COLUMN w int`); err != nil {
			t.Fatal(err)
		}
		// SELECT * now has three columns: outside a transaction the
		// statement is prepared again and the query answers.
		rows, err := db.QueryxContext(ctx, `SELECT * FROM t WHERE id = $1`, 1)
		if err != nil {
			t.Fatalf("after ALTER TABLE: %v", err)
		}
		cols, _ := rows.Columns()
		rows.Close()
		if len(cols) != 3 {
			t.Errorf("columns %v", cols)
		}
		if _, err := db.ExecContext(ctx, `ALTER TABLE t DROP COLUMN w`); err != nil {
			t.Fatal(err)
		}
		// Inside a transaction the statement fails once, and the
		// transaction with it (its caller retries as for any error); the
		// statement is prepared again for the next use.
		tx, err := db.BeginTxx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = tx.QueryxContext(ctx, `SELECT * FROM t WHERE id = $1`, 1)
		_ = tx.Rollback()
		var pe *pq.Error
		if !errors.As(err, &pe) || pe.Code != "0A000" {
			t.Errorf("in a transaction after DROP COLUMN: %v, want the stale plan's own error", err)
		}
		rows, err = db.QueryxContext(ctx, `SELECT * FROM t WHERE id = $1`, 1)
		if err != nil {
			t.Fatalf("after the failed transaction: %v", err)
		}
		cols, _ = rows.Columns()
		rows.Close()
		if len(cols) != 2 {
			t.Errorf("after the failed transaction: columns %v", cols)
		}
	})
}
