package remitstore

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

// OutageError is a failure of the servers the ingest needs (PostgreSQL
// unreachable, shutting down, out of resources): the file was not stored
// and should be sent again later. Every other failure to store a file is a
// problem of its data, and the file is quarantined instead.
type OutageError struct{ Err error }

// Error implements error.
func (e *OutageError) Error() string { return "ingest: servers unavailable: " + e.Err.Error() }

// Unwrap returns the cause.
func (e *OutageError) Unwrap() error { return e.Err }

// IsOutage reports whether err is (or wraps) an OutageError.
func IsOutage(err error) bool {
	var o *OutageError
	return errors.As(err, &o)
}

// outage wraps err as an OutageError when it is one by isOutage.
func outage(err error) error {
	if err == nil || IsOutage(err) || !isOutage(err) {
		return err
	}
	return &OutageError{Err: err}
}

// isOutage classifies an error of the database: PostgreSQL error classes
// 08 (connection), 53 (insufficient resources), 57 (operator intervention,
// e.g. shutdown), 58 (system error) and 40 (transaction rollback, e.g.
// serialization or deadlock: worth retrying), a broken connection, network
// errors and cancellations are outages. Everything else that PostgreSQL
// rejects (22 data exception such as 22021 invalid byte sequence, 23
// integrity, 54 program limits, ...) is about the data.
func isOutage(err error) bool {
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

// storeProblem is the quarantine reason for a file PostgreSQL refused: the
// SQLSTATE and its class, never the server's message (which may quote a
// value).
func storeProblem(err error) Problem {
	msg := "the file's data could not be stored"
	var pe *pq.Error
	if errors.As(err, &pe) {
		msg = fmt.Sprintf("%s: PostgreSQL refused it with SQLSTATE %s (%s)", msg, pe.Code, pe.Code.Class().Name())
	}
	return Problem{Message: msg}
}
