package ackstore

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

// OutageError is a failure of the servers the ingest needs: the file was
// not stored and should be sent again later. Every other failure to store
// a file is a problem of its data, and the file is quarantined instead.
// (The rule is remitstore's; remitstore does not export its classifier.)
type OutageError struct{ Err error }

// Error implements error.
func (e *OutageError) Error() string { return "acknowledgments: servers unavailable: " + e.Err.Error() }

// Unwrap returns the cause.
func (e *OutageError) Unwrap() error { return e.Err }

// IsOutage reports whether err is (or wraps) an OutageError.
func IsOutage(err error) bool {
	var o *OutageError
	return errors.As(err, &o)
}

// outage wraps err as an OutageError; a refusal stays as it is. Any other
// error reaching the caller is a failure of the servers: data problems are
// quarantined before.
func outage(err error) error {
	var re *RefusedError
	if err == nil || IsOutage(err) || errors.As(err, &re) {
		return err
	}
	return &OutageError{Err: err}
}

// isOutage classifies a database error as remitstore does: connection,
// resources, operator intervention, system and rollback classes, broken
// connections, network errors and cancellations are outages; anything
// else PostgreSQL refuses is about the data.
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
		errors.As(err, &ne) || errors.As(err, &oe) || !isPQ(err)
}

// isPQ reports whether err came from PostgreSQL itself.
func isPQ(err error) bool {
	var pe *pq.Error
	return errors.As(err, &pe)
}

// storeProblem is the quarantine reason for a file PostgreSQL refused:
// the SQLSTATE, never the server's message (which may quote a value).
func storeProblem(err error) Problem {
	msg := "the file's data could not be stored"
	var pe *pq.Error
	if errors.As(err, &pe) {
		msg = fmt.Sprintf("%s: PostgreSQL refused it with SQLSTATE %s (%s)", msg, pe.Code, pe.Code.Class().Name())
	}
	return Problem{Message: msg}
}
