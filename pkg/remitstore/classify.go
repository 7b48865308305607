package remitstore

import "github.com/remitq/remitq/pkg/store"

// storeProblem is the quarantine reason for a file PostgreSQL refused: the
// SQLSTATE and its class, never the server's message (which may quote a
// value).
func storeProblem(err error) Problem { return Problem{Message: store.Refusal(err)} }
