package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // registers the "postgres" driver
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
	db, err := sqlx.Open("postgres", url)
	if err != nil {
		return nil, fmt.Errorf("store: open database: %w", hideURL(err))
	}
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

// hideURL strips the URL that net/url puts in its parse errors: a database
// URL may hold a password.
func hideURL(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return fmt.Errorf("malformed database URL: %w", uerr.Err)
	}
	return err
}
