package store

import (
	"container/list"
	"context"
	"database/sql/driver"
	"errors"

	"github.com/lib/pq"
)

// StmtCacheSize is how many prepared statements each connection keeps
// (the least recently used one is closed to make room).
const StmtCacheSize = 256

// cachingConn is a lib/pq connection that keeps the parameterized
// statements it runs prepared, as pgx's statement cache does. lib/pq alone
// sends each such query as an unnamed statement: a Parse and Describe
// round trip, then Bind and Execute, and PostgreSQL parses and plans it
// every time. Here a query text is prepared once per connection and then
// only bound and executed: one round trip, no parsing, and after five
// executions PostgreSQL may keep a generic plan (plan_cache_mode). A query
// without arguments still goes by the simple protocol (it may hold several
// statements, as migrations do).
type cachingConn struct {
	pqConn                          // lib/pq's connection: every method but QueryContext and ExecContext
	stmts  map[string]*list.Element // query → its element in recent
	recent *list.List               // of *cachedStmt, most recently used first
}

// pqConn is the set of interfaces lib/pq's connection implements that
// database/sql and pgcopy use.
type pqConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.QueryerContext
	driver.ExecerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
	driver.NamedValueChecker
}

type cachedStmt struct {
	query string
	st    driver.Stmt
}

func newCachingConn(c driver.Conn) (driver.Conn, error) {
	pc, ok := c.(pqConn)
	if !ok {
		return nil, errors.New("store: the PostgreSQL driver's connection lacks an interface database/sql needs")
	}
	return &cachingConn{pqConn: pc, stmts: map[string]*list.Element{}, recent: list.New()}, nil
}

// QueryContext runs query as a cached prepared statement when it has
// arguments.
func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if len(args) == 0 {
		return c.pqConn.QueryContext(ctx, query, args)
	}
	return runCached(ctx, c, query, func(st driver.Stmt) (driver.Rows, error) {
		return st.(driver.StmtQueryContext).QueryContext(ctx, args)
	})
}

// ExecContext runs query as a cached prepared statement when it has
// arguments.
func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if len(args) == 0 {
		return c.pqConn.ExecContext(ctx, query, args)
	}
	return runCached(ctx, c, query, func(st driver.Stmt) (driver.Result, error) {
		return st.(driver.StmtExecContext).ExecContext(ctx, args)
	})
}

// runCached runs query's cached statement with run, and once more on a
// statement prepared again when the first was stale.
func runCached[T any](ctx context.Context, c *cachingConn, query string, run func(driver.Stmt) (T, error)) (T, error) {
	try := func() (T, error) {
		st, err := c.prepared(ctx, query)
		if err != nil {
			var zero T
			return zero, err
		}
		return run(st)
	}
	out, err := try()
	if c.stale(query, err) {
		if again, err2 := try(); !aborted(err2) {
			return again, err2
		}
	}
	return out, err
}

// aborted reports whether err says the transaction had already failed:
// after a stale statement inside a transaction, the first error is the
// one to report.
func aborted(err error) bool {
	var pe *pq.Error
	return errors.As(err, &pe) && pe.Code == "25P02"
}

// prepared returns query's statement on this connection, preparing it the
// first time and closing the least recently used one beyond StmtCacheSize.
func (c *cachingConn) prepared(ctx context.Context, query string) (driver.Stmt, error) {
	if e, ok := c.stmts[query]; ok {
		c.recent.MoveToFront(e)
		return e.Value.(*cachedStmt).st, nil
	}
	st, err := c.pqConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if c.recent.Len() >= StmtCacheSize {
		c.forget(c.recent.Back())
	}
	c.stmts[query] = c.recent.PushFront(&cachedStmt{query: query, st: st})
	return st, nil
}

// stale reports whether err says the statement of query was planned for
// a table whose columns have changed since (a migration ran meanwhile),
// and if so forgets it so that it is prepared again. Outside a
// transaction the query can then simply run again; inside one the
// transaction has failed and its caller retries as for any error.
func (c *cachingConn) stale(query string, err error) bool {
	var pe *pq.Error
	if !errors.As(err, &pe) || pe.Code != "0A000" || pe.Message != "cached plan must not change result type" {
		return false
	}
	if e, ok := c.stmts[query]; ok {
		c.forget(e)
	}
	return true
}

// forget closes a cached statement and drops it.
func (c *cachingConn) forget(e *list.Element) {
	cs := c.recent.Remove(e).(*cachedStmt)
	delete(c.stmts, cs.query)
	_ = cs.st.Close()
}
