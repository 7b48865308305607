// Command matcher is the remitq matcher service on its own: it consumes the
// paid claims and PLB pairs ingest publishes on JetStream (REMIT), joins
// every paid line to its billed line in PostgreSQL, and publishes one
// ClaimMatches per paid claim on match.v1.claim.<practice> for the router
// (and each line's LineMatch on match.v1.line.<practice> when a consumer
// takes them). It also
// serves the billed-claims uploads and the review queue.
//
//	matcher --database-url postgres://... --nats-url nats://... [--http :8082]
//
// Several matcher processes share the work of one durable consumer. Every
// flag also reads an environment variable (DATABASE_URL, NATS_URL,
// HTTP_ADDR, and the matcher's MATCH_* listed at matchsvc.Options). /healthz, /readyz and /metrics
// are served on the same address. SIGINT or SIGTERM stops it gracefully:
// batches in progress finish.
package main

import (
	"flag"

	"github.com/remitq/remitq/pkg/process"
	"github.com/remitq/remitq/pkg/svc"
)

func main() {
	var c process.Config
	svc.Main("matcher", svc.Config{HTTPAddr: ":8082"}, func(fs *flag.FlagSet) {
		c.Auth.Flags(fs)
		c.Match.Flags(fs)
	}, func(deps *svc.Deps) ([]svc.Component, error) { return process.Matcher(deps, c) })
}
