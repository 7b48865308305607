package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	"github.com/lib/pq"
)

// OutageError is a failure of the servers a write needs (PostgreSQL
// unreachable, shutting down, out of resources): nothing was stored and the
// caller should send again later (503 with Retry-After). Every other
// failure to store a file is a problem of its data: the file is
// quarantined instead, never answered as an outage.
type OutageError struct{ Err error }

// Error implements error.
func (e *OutageError) Error() string { return "servers unavailable: " + e.Err.Error() }

// Unwrap returns the cause.
func (e *OutageError) Unwrap() error { return e.Err }

// IsOutage reports whether err is (or wraps) an OutageError.
func IsOutage(err error) bool {
	var o *OutageError
	return errors.As(err, &o)
}

// Outage wraps err as an OutageError when Transient says it is one; other
// errors (and nil) are returned as they are.
func Outage(err error) error {
	if err == nil || IsOutage(err) || !Transient(err) {
		return err
	}
	return &OutageError{Err: err}
}

// Transient classifies an error of the database: PostgreSQL error classes
// 08 (connection), 53 (insufficient resources), 57 (operator intervention,
// e.g. shutdown), 58 (system error), 40 (transaction rollback, e.g.
// serialization or deadlock: worth retrying) and XX (internal), a broken
// connection, network errors and cancellations are outages. Everything else
// PostgreSQL rejects (22 data exception such as 22021 invalid byte
// sequence, 23 integrity, 54 program limits, ...) is about the data.
func Transient(err error) bool {
	var pe *pq.Error
	if errors.As(err, &pe) {
		switch pe.Code.Class() {
		case "08", "53", "57", "58", "40", "XX":
			return true
		}
		return false
	}
	var ne net.Error
	var oe *net.OpError
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, context.Canceled) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.As(err, &ne) || errors.As(err, &oe) || errors.Is(err, pq.ErrSSLNotSupported)
}

// Refusal describes why PostgreSQL refused data, for a quarantine reason:
// "the file's data could not be stored: PostgreSQL refused it with SQLSTATE
// 22021 (Data Exception)". It names the SQLSTATE and its class, never the
// server's message, which may quote a value (PHI).
func Refusal(err error) string {
	msg := "the file's data could not be stored"
	var pe *pq.Error
	if errors.As(err, &pe) {
		msg = fmt.Sprintf("%s: PostgreSQL refused it with SQLSTATE %s (%s)", msg, pe.Code, pe.Code.Class().Name())
	}
	return msg
}
