package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Pool defaults applied by Open. A service with other needs sets its own
// after Open (db.SetMaxOpenConns and friends).
const (
	DefaultMaxOpenConns    = 16
	DefaultMaxIdleConns    = 8
	DefaultConnMaxLifetime = 30 * time.Minute
	DefaultConnMaxIdleTime = 5 * time.Minute
)

// Open connects to the PostgreSQL database at url (a lib/pq connection
// string: postgres:// URL or key=value form), sets the pool defaults above
// and checks the connection with a ping. Errors never include url, which may
// hold a password.
func Open(ctx context.Context, url string) (*sqlx.DB, error) {
	c, err := pq.NewConnector(url)
	if err != nil {
		return nil, fmt.Errorf("store: open database: %w", hideURL(err))
	}
	db := sqlx.NewDb(sql.OpenDB(sessionConnector{c}), "postgres")
	db.SetMaxOpenConns(DefaultMaxOpenConns)
	db.SetMaxIdleConns(DefaultMaxIdleConns)
	db.SetConnMaxLifetime(DefaultConnMaxLifetime)
	db.SetConnMaxIdleTime(DefaultConnMaxIdleTime)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect to database: %w", hideURL(err))
	}
	return db, nil
}

// SessionSettings run on every new connection. JIT compilation is off:
// remitq's queries are short OLTP statements, and when a batch lookup's
// estimated cost crossed jit_above_cost PostgreSQL spent ~55 ms compiling
// for a query that ran in a few (measured on the router's patient-history
// lookup, which it held near 4,000 lines/s). The time zone is UTC: remitq's
// days (pkg/day, day.Today) are UTC days, and created_at::date or
// current_date in a session of the server's zone would be another day for
// part of every day.
var SessionSettings = []string{"SET jit = off", "SET TimeZone = 'UTC'"}

// sessionConnector applies SessionSettings to each new connection and
// gives it a statement cache (cachingConn).
type sessionConnector struct{ driver.Connector }

// Connect opens a connection and applies SessionSettings.
func (c sessionConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	ex, ok := conn.(driver.ExecerContext)
	if !ok {
		conn.Close()
		return nil, errors.New("store: the PostgreSQL driver cannot execute statements")
	}
	for _, q := range SessionSettings {
		if _, err := ex.ExecContext(ctx, q, nil); err != nil {
			conn.Close()
			return nil, fmt.Errorf("store: %s: %w", q, err)
		}
	}
	cc, err := newCachingConn(conn)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return cc, nil
}

// hideURL strips the URL that net/url puts in its parse errors: a database
// URL may hold a password.
func hideURL(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return fmt.Errorf("malformed database URL: %w", uerr.Err)
	}
	return err
}
