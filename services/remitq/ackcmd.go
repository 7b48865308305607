package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/jmoiron/sqlx"

	"github.com/remitq/remitq/pkg/ackstore"
	"github.com/remitq/remitq/pkg/audit"
)

func init() {
	register(command{name: "acks ingest", usage: "FILE...  store 999 and 277CA acknowledgment files and open rejection work items; one JSON result per file", run: runAcksIngest})
}

// cliAck is the audit entry of a file stored from the command line.
var cliAck = audit.Entry{Actor: "cli", Action: "ack.upload", Entity: "ack_file"}

// runAcksIngest stores acknowledgment files straight into the database, as
// an operator: every practice is in scope (no refusal), and each stored
// file is audited with the actor "cli". Quarantined files are kept and
// reported; the command then exits non-zero.
func runAcksIngest(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("acks ingest", flag.ContinueOnError)
	var ef envFlags
	ef.register(fs, "")
	if err := fs.Parse(args); err != nil || fs.NArg() == 0 {
		return errUsage
	}
	e, err := ef.open(ctx, "remitq")
	if err != nil {
		return err
	}
	defer e.Close()
	enc := json.NewEncoder(os.Stdout)
	quarantined, failed := 0, 0
	for _, name := range fs.Args() {
		raw, err := os.ReadFile(name)
		if err == nil {
			var res *ackstore.Result
			res, err = ackstore.Ingest(ctx, e.deps.DB, raw, ackstore.Options{Filename: filepath.Base(name),
				Stored: func(ctx context.Context, tx sqlx.ExecerContext, res *ackstore.Result) error {
					return audit.Record(ctx, tx, ackstore.AuditEntries(res, cliAck)...)
				},
				Again: func(ctx context.Context, res *ackstore.Result) error {
					return audit.Record(ctx, e.deps.DB, ackstore.AuditEntries(res, cliAck)...)
				}})
			if err == nil {
				if res.Status == ackstore.StatusQuarantined && !res.Duplicate {
					quarantined++
				}
				err = enc.Encode(res)
			}
		}
		if err != nil {
			failed++
			fmt.Fprintf(os.Stderr, "remitq acks ingest: %s: %v\n", name, err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if failed > 0 || quarantined > 0 {
		return fmt.Errorf("%d file(s) could not be stored, %d quarantined", failed, quarantined)
	}
	return nil
}
