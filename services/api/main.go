// Command api is the remitq HTTP API on its own: work queues and items for
// supervisors, billers and analysts, remittance views and the audit log,
// with bearer-token authentication (JWT or API key) and scopes.
//
//	api --database-url postgres://... --nats-url nats://... [--http :8082] --jwt-key-file /etc/remitq/jwt.key
//	api ... --jwks-url https://idp.example.com/.well-known/jwks.json --jwt-audience remitq
//
// Every flag also reads an environment variable (DATABASE_URL, NATS_URL,
// HTTP_ADDR, REMITQ_JWT_KEY, REMITQ_JWT_KEY_FILE, REMITQ_JWT_RSA_PEM,
// REMITQ_JWKS_URL, ...). The OpenAPI description is served at
// /openapi.json; /healthz, /readyz and /metrics beside it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/remitq/remitq/pkg/api"
	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/logging"
	"github.com/remitq/remitq/pkg/svc"
)

func main() {
	cfg := svc.Config{HTTPAddr: ":8082"}
	cfg.Flags(flag.CommandLine)
	var ac auth.Config
	ac.Flags(flag.CommandLine)
	var opts api.Options
	flag.DurationVar(&opts.RequestTimeout, "request-timeout", 15*time.Second, "bound on each request's work")
	flag.BoolVar(&opts.TrustProxy, "trust-proxy", os.Getenv("REMITQ_TRUST_PROXY") == "true", "take client addresses from X-Forwarded-For (env REMITQ_TRUST_PROXY)")
	flag.Parse()
	log, err := logging.New(logging.Options{Level: cfg.LogLevel, Service: "api"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	v, err := ac.Verifier("")
	if err != nil {
		log.Fatal("token keys", zap.Error(err))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	deps, err := svc.Connect(ctx, cfg, log)
	if err != nil {
		log.Fatal("start", zap.Error(err))
	}
	defer deps.Close()
	opts.Auth = &auth.Authenticator{DB: deps.DB, Verifier: v, Log: log}
	a, err := api.New(deps.DB, log, opts)
	if err != nil {
		log.Fatal("start", zap.Error(err))
	}
	if err := svc.Run(ctx, deps, cfg.HTTPAddr, a); err != nil {
		log.Error("stopped", zap.Error(err))
		os.Exit(1)
	}
}
