// Command router is the remitq denial router on its own: it consumes the
// matcher's results (JetStream MATCHED, durable consumer "router"), decides
// every line with the denial router and the pain rules, and keeps one work
// item per denied, underpaid or unmatched line in PostgreSQL. It also serves
// the supervisors' queue summaries and queue-rule endpoints.
//
//	router --database-url postgres://... --nats-url nats://... [--http :8083] [--batch 1000] [--workers 2]
//
// Every flag also reads an environment variable (DATABASE_URL, NATS_URL,
// HTTP_ADDR, ROUTER_BATCH, ROUTER_WORKERS, ROUTER_MAX_WAIT,
// ROUTER_APPEAL_DAYS, ROUTER_CACHE_TTL, ROUTER_NO_HISTORY: see
// routesvc.Options.Flags). /healthz, /readyz and /metrics are served on the same
// address. SIGINT or SIGTERM stops it gracefully: the batch being written
// commits, unacknowledged messages are redelivered.
package main

import (
	"flag"

	"github.com/remitq/remitq/pkg/process"
	"github.com/remitq/remitq/pkg/svc"
)

func main() {
	var c process.Config
	svc.Main("router", svc.Config{HTTPAddr: ":8083"}, func(fs *flag.FlagSet) {
		c.Auth.Flags(fs)
		c.Route.Flags(fs)
	}, func(deps *svc.Deps) ([]svc.Component, error) { return process.Router(deps, c) })
}
