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
	"flag"
	"os"

	"github.com/remitq/remitq/pkg/process"
	"github.com/remitq/remitq/pkg/svc"
)

func main() {
	var c process.Config
	svc.Main("ingest", svc.Config{HTTPAddr: ":8081"}, func(fs *flag.FlagSet) {
		c.Auth.Flags(fs)
		fs.StringVar(&c.Ingest.WatchDir, "watch", os.Getenv("WATCH_DIR"), "folder to ingest files from (env WATCH_DIR)")
	}, func(deps *svc.Deps) ([]svc.Component, error) { return process.Ingest(deps, c) })
}
