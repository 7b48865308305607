// Command router is the remitq denial router on its own: it consumes the
// matcher's results (JetStream MATCHED, durable consumer "router"), decides
// every line with the denial router and the pain rules, and keeps one work
// item per denied, underpaid or unmatched line in PostgreSQL. It also serves
// the supervisors' queue summaries and queue-rule endpoints.
//
//	router --database-url postgres://... --nats-url nats://... [--http :8083] [--batch 1000] [--consumers 2]
//
// Every flag also reads an environment variable (DATABASE_URL, NATS_URL,
// HTTP_ADDR, ...). /healthz, /readyz and /metrics are served on the same
// address. SIGINT or SIGTERM stops it gracefully: the batch being written
// commits, unacknowledged messages are redelivered.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"go.uber.org/zap"

	"github.com/remitq/remitq/pkg/api"
	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/logging"
	"github.com/remitq/remitq/pkg/routesvc"
	"github.com/remitq/remitq/pkg/svc"
)

func main() {
	cfg := svc.Config{HTTPAddr: ":8083"}
	cfg.Flags(flag.CommandLine)
	var ac auth.Config
	ac.Flags(flag.CommandLine)
	var opts routesvc.Options
	flag.IntVar(&opts.MaxBatch, "batch", 1000, "matched lines per transaction")
	flag.IntVar(&opts.Consumers, "consumers", 2, "batches worked on at once")
	flag.IntVar(&opts.Route.AppealDays, "appeal-days", 90, "appeal window when the payer has no profile")
	flag.Parse()
	log, err := logging.New(logging.Options{Level: cfg.LogLevel, Service: "router"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	deps, err := svc.Connect(ctx, cfg, log)
	if err != nil {
		log.Fatal("start", zap.Error(err))
	}
	defer deps.Close()
	gate, err := api.GateFor(deps.DB, log, ac)
	if err != nil {
		log.Fatal("start", zap.Error(err))
	}
	if err := svc.Run(ctx, deps, cfg.HTTPAddr, routesvc.New(deps, opts), gate); err != nil {
		log.Error("stopped", zap.Error(err))
		os.Exit(1)
	}
}
