package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/remitq/remitq/pkg/bus"
	"github.com/remitq/remitq/pkg/demo"
	"github.com/remitq/remitq/pkg/ingest"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/practice"
	"github.com/remitq/remitq/pkg/svc"
)

func init() {
	register(command{name: "demo", usage: "[--once] [--http ADDR]  run every service on the embedded default with the demo data", run: runDemo})
	register(command{name: "serve", usage: "[--http ADDR]  run every service in one process (embedded servers unless DATABASE_URL/NATS_URL)", run: runServe})
}

func runDemo(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	var ef envFlags
	ef.register(fs, "127.0.0.1:8080")
	once := fs.Bool("once", false, "exit after printing the summary instead of serving")
	seed := fs.Uint64("seed", 1, "seed of the generated demo data")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	external := ef.cfg.DatabaseURL != "" || ef.cfg.NATSURL != ""
	if !external {
		// The demo starts from nothing every time, in a folder of its own.
		ef.data = filepath.Join(ef.data, "demo")
		if err := os.RemoveAll(ef.data); err != nil {
			return err
		}
	}
	out := os.Stdout
	fmt.Fprintln(out, "remitq demo: starting PostgreSQL and NATS JetStream ...")
	e, err := ef.open(ctx, "remitq")
	if err != nil {
		return err
	}
	defer e.Close()
	where := "embedded, data in " + ef.data
	if external {
		where = "the servers named by DATABASE_URL / NATS_URL"
	}
	fmt.Fprintf(out, "  PostgreSQL and NATS ready (%s)\n\n", where)

	ds, err := demo.Build(*seed)
	if err != nil {
		return err
	}
	app, err := newAllInOne(e.deps)
	if err != nil {
		return err
	}
	for i := range ds.Practices {
		if err := practice.Add(ctx, e.deps.DB, &ds.Practices[i]); err != nil {
			return err
		}
	}
	var results []*ingest.Result
	for _, f := range ds.Remits {
		res, err := app.ingest.Ingest(ctx, f.Name, f.Raw)
		if err != nil {
			return err
		}
		results = append(results, res)
	}
	sent, err := app.ingest.Publisher.Drain(ctx)
	if err != nil {
		return err
	}
	if err := printDemo(ctx, out, e.deps, ds, results, sent); err != nil {
		return err
	}
	if *once {
		return nil
	}
	fmt.Fprintf(out, "\nServing on http://%s (POST /v1/remittances, /metrics, /healthz). Ctrl-C stops.\n", ef.cfg.HTTPAddr)
	return svc.Run(ctx, e.deps, ef.cfg.HTTPAddr, app.components()...)
}

func runServe(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var ef envFlags
	ef.register(fs, "127.0.0.1:8080")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	e, err := ef.open(ctx, "remitq")
	if err != nil {
		return err
	}
	defer e.Close()
	fmt.Fprintf(os.Stderr, "remitq: serving on http://%s; Ctrl-C stops\n", ef.cfg.HTTPAddr)
	app, err := newAllInOne(e.deps)
	if err != nil {
		return err
	}
	return svc.Run(ctx, e.deps, ef.cfg.HTTPAddr, app.components()...)
}

// printDemo prints what a billing company would want to see first.
func printDemo(ctx context.Context, out io.Writer, deps *svc.Deps, ds *demo.Dataset, results []*ingest.Result, sent int) error {
	fmt.Fprintf(out, "Practices registered: %d\n", len(ds.Practices))
	for _, p := range ds.Practices {
		fmt.Fprintf(out, "  #%d %-40s NPI %s\n", p.ID, p.Name, p.NPI)
	}
	fmt.Fprintf(out, "\n835 files received: %d\n", len(results))
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	var lines int
	var paid money.Amount
	for _, r := range results {
		switch r.Status {
		case ingest.StatusIngested:
			bal := "balanced"
			if !r.Balanced {
				bal = "DOES NOT BALANCE"
			}
			fmt.Fprintf(tw, "  %s\tingested\t%d claims\t%d lines\tpaid $%s\t%s\n", r.Filename, r.Claims, r.ServiceLines, r.TotalPaid, bal)
			lines += r.ServiceLines
			paid += r.TotalPaid
		case ingest.StatusQuarantined:
			e := r.Errors[0]
			fmt.Fprintf(tw, "  %s\tquarantined\tsegment %d (%s) at byte %d: %s\n", r.Filename, e.Segment, e.ID, e.Offset, e.Message)
		case ingest.StatusUnknownPayee:
			fmt.Fprintf(tw, "  %s\tkept, waiting\tpayee is not a registered practice (remitq practices add ...)\n", r.Filename)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(out, "  total: %d service lines, $%s paid\n", lines, paid)
	stream, err := deps.JS.Stream(ctx, bus.StreamRemit)
	if err != nil {
		return err
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nPublished on JetStream: %d messages now, %d in stream %s (%s)\n", sent, info.State.Msgs, bus.StreamRemit,
		strings.Join(info.Config.Subjects, ", "))
	return nil
}
