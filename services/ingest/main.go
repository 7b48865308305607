// Command ingest is the remitq ingest service on its own: it takes 835
// files over HTTP (POST /v1/remittances) and from a watched folder, stores
// them in PostgreSQL and publishes their lines on NATS JetStream.
//
//	ingest --database-url postgres://... --nats-url nats://... [--http :8081] [--watch DIR]
//
// Every flag also reads an environment variable (DATABASE_URL, NATS_URL,
// HTTP_ADDR, REMITQ_JWT_KEY, ..., and the ingest's WATCH_DIR and others
// listed at ingestsvc.Options). Uploads need a bearer token
// (a JWT or an API key from `remitq apikey create`), checked as the API does. /healthz, /readyz and /metrics
// are served on the same address. SIGINT or SIGTERM stops it gracefully:
// in-flight uploads finish, the publisher stops at a checkpoint.
package main

import (
	"flag"

	"github.com/remitq/remitq/pkg/process"
	"github.com/remitq/remitq/pkg/svc"
)

func main() {
	var c process.Config
	svc.Main("ingest", svc.Config{HTTPAddr: ":8081"}, func(fs *flag.FlagSet) {
		c.Auth.Flags(fs)
		c.Ingest.Flags(fs)
	}, func(deps *svc.Deps) ([]svc.Component, error) { return process.Ingest(deps, c) })
}
