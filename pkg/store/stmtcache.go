package store

import (
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
	pq    pqConn
	stmts map[string]*cachedStmt
	head  cachedStmt // sentinel of the recency list: head.next is the newest
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
	query      string
	st         driver.Stmt
	prev, next *cachedStmt
}

func newCachingConn(c driver.Conn) (driver.Conn, error) {
	pc, ok := c.(pqConn)
	if !ok {
		return nil, errors.New("store: the PostgreSQL driver's connection lacks an interface database/sql needs")
	}
	cc := &cachingConn{pq: pc, stmts: map[string]*cachedStmt{}}
	cc.head.next, cc.head.prev = &cc.head, &cc.head
	return cc, nil
}

// The methods of pqConn other than QueryContext and ExecContext are lib/pq's.

func (c *cachingConn) Prepare(q string) (driver.Stmt, error) { return c.pq.Prepare(q) }
func (c *cachingConn) Begin() (driver.Tx, error)             { return c.pq.Begin() }
func (c *cachingConn) BeginTx(ctx context.Context, o driver.TxOptions) (driver.Tx, error) {
	return c.pq.BeginTx(ctx, o)
}
func (c *cachingConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	return c.pq.PrepareContext(ctx, q)
}
func (c *cachingConn) Ping(ctx context.Context) error              { return c.pq.Ping(ctx) }
func (c *cachingConn) ResetSession(ctx context.Context) error      { return c.pq.ResetSession(ctx) }
func (c *cachingConn) IsValid() bool                               { return c.pq.IsValid() }
func (c *cachingConn) CheckNamedValue(nv *driver.NamedValue) error { return c.pq.CheckNamedValue(nv) }
func (c *cachingConn) Close() error                                { return c.pq.Close() }

// QueryContext runs query as a cached prepared statement when it has
// arguments.
func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if len(args) == 0 {
		return c.pq.QueryContext(ctx, query, args)
	}
	run := func() (driver.Rows, error) {
		st, err := c.prepared(ctx, query)
		if err != nil {
			return nil, err
		}
		return st.(driver.StmtQueryContext).QueryContext(ctx, args)
	}
	rows, err := run()
	if c.stale(query, err) {
		if again, err2 := run(); !aborted(err2) {
			return again, err2
		}
	}
	return rows, err
}

// ExecContext runs query as a cached prepared statement when it has
// arguments.
func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if len(args) == 0 {
		return c.pq.ExecContext(ctx, query, args)
	}
	run := func() (driver.Result, error) {
		st, err := c.prepared(ctx, query)
		if err != nil {
			return nil, err
		}
		return st.(driver.StmtExecContext).ExecContext(ctx, args)
	}
	res, err := run()
	if c.stale(query, err) {
		if again, err2 := run(); !aborted(err2) {
			return again, err2
		}
	}
	return res, err
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
		c.unlink(e)
		c.pushFront(e)
		return e.st, nil
	}
	st, err := c.pq.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if len(c.stmts) >= StmtCacheSize {
		old := c.head.prev
		c.unlink(old)
		delete(c.stmts, old.query)
		_ = old.st.Close()
	}
	e := &cachedStmt{query: query, st: st}
	c.stmts[query] = e
	c.pushFront(e)
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
		c.unlink(e)
		delete(c.stmts, query)
		_ = e.st.Close()
	}
	return true
}

func (c *cachingConn) unlink(e *cachedStmt) { e.prev.next, e.next.prev = e.next, e.prev }

func (c *cachingConn) pushFront(e *cachedStmt) {
	e.prev, e.next = &c.head, c.head.next
	c.head.next.prev = e
	c.head.next = e
}
