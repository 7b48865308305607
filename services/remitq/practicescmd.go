package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/remitq/remitq/pkg/practicestore"
	"github.com/remitq/remitq/pkg/remitstore"
)

func init() {
	register(command{name: "practices add", usage: "--name NAME [--npi NPI] [--tin TIN]  register a practice (payee of 835s)", run: runPracticesAdd})
	register(command{name: "practices list", usage: "  list the registered practices as JSON lines", run: runPracticesList})
}

func runPracticesAdd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("practices add", flag.ContinueOnError)
	var ef envFlags
	ef.register(fs, "")
	var p practicestore.Practice
	fs.StringVar(&p.Name, "name", "", "practice name")
	fs.StringVar(&p.NPI, "npi", "", "organisation NPI the payers send as payee")
	fs.StringVar(&p.TIN, "tin", "", "federal tax id (9 digits)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if err := p.Validate(); err != nil {
		return err
	}
	e, err := ef.open(ctx, "remitq")
	if err != nil {
		return err
	}
	defer e.Close()
	if err := practicestore.Add(ctx, e.deps.DB, &p); err != nil {
		return err
	}
	fmt.Printf("practice %d added: %s\n", p.ID, p.Name)
	// Files that waited for this payee are ingested now.
	in := &remitstore.Ingester{DB: e.deps.DB, Log: e.log}
	done, err := in.RetryUnknownPayees(ctx)
	if err != nil {
		return err
	}
	for _, r := range done {
		fmt.Printf("file %d (%s) was waiting for its practice: ingested, %d service lines\n", r.FileID, r.Filename, r.ServiceLines)
	}
	if len(done) > 0 {
		pub := &remitstore.Publisher{DB: e.deps.DB, JS: e.deps.JS, Log: e.log}
		if _, err := pub.Drain(ctx); err != nil {
			return err
		}
	}
	return nil
}

func runPracticesList(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("practices list", flag.ContinueOnError)
	var ef envFlags
	ef.register(fs, "")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	e, err := ef.open(ctx, "remitq")
	if err != nil {
		return err
	}
	defer e.Close()
	list, err := practicestore.List(ctx, e.deps.DB)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	for _, p := range list {
		if err := enc.Encode(p); err != nil {
			return err
		}
	}
	return nil
}
