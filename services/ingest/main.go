// Command ingest is the remitq ingest service on its own: it takes 835
// files over HTTP (POST /v1/remittances) and from a watched folder, stores
// them in PostgreSQL and publishes their lines on NATS JetStream.
//
//	ingest --database-url postgres://... --nats-url nats://... [--http :8081] [--watch DIR]
//
// Every flag also reads an environment variable (DATABASE_URL, NATS_URL,
// HTTP_ADDR, WATCH_DIR, REMITQ_JWT_KEY, ...). Uploads need a bearer token
// (a JWT or an API key from `remitq apikey create`), checked as the API does. /healthz, /readyz and /metrics
// are served on the same address. SIGINT or SIGTERM stops it gracefully:
// in-flight uploads finish, the publisher stops at a checkpoint.
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
	"github.com/remitq/remitq/pkg/ingest/ingestsvc"
	"github.com/remitq/remitq/pkg/logging"
	"github.com/remitq/remitq/pkg/svc"
)

func main() {
	cfg := svc.Config{HTTPAddr: ":8081"}
	cfg.Flags(flag.CommandLine)
	var ac auth.Config
	ac.Flags(flag.CommandLine)
	var opts ingestsvc.Options
	flag.StringVar(&opts.WatchDir, "watch", os.Getenv("WATCH_DIR"), "folder to ingest files from (env WATCH_DIR)")
	flag.Parse()
	log, err := logging.New(logging.Options{Level: cfg.LogLevel, Service: "ingest"})
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
	if err := svc.Run(ctx, deps, cfg.HTTPAddr, ingestsvc.New(deps, opts), gate); err != nil {
		log.Error("stopped", zap.Error(err))
		os.Exit(1)
	}
}
