// Command matcher is the remitq matcher service on its own: it consumes the
// paid claims and PLB pairs ingest publishes on JetStream (REMIT), joins
// every paid line to its billed line in PostgreSQL, and publishes one
// LineMatch per line on match.v1.line.<practice> for the router. It also
// serves the billed-claims uploads and the review queue.
//
//	matcher --database-url postgres://... --nats-url nats://... [--http :8082]
//
// Several matcher processes share the work of one durable consumer. Every
// flag also reads an environment variable (DATABASE_URL, NATS_URL,
// HTTP_ADDR, MATCH_THRESHOLD, MATCH_WORKERS). /healthz, /readyz and /metrics
// are served on the same address. SIGINT or SIGTERM stops it gracefully:
// batches in progress finish.
package main

import (
	"flag"
	"os"
	"strconv"

	"github.com/remitq/remitq/pkg/process"
	"github.com/remitq/remitq/pkg/svc"
)

func main() {
	var c process.Config
	svc.Main("matcher", svc.Config{HTTPAddr: ":8082"}, func(fs *flag.FlagSet) {
		c.Auth.Flags(fs)
		fs.Float64Var(&c.Match.Threshold, "threshold", envFloat("MATCH_THRESHOLD", 0), "confidence below which a match waits for a person (env MATCH_THRESHOLD; 0: 0.8)")
		fs.IntVar(&c.Match.Workers, "workers", envInt("MATCH_WORKERS", 0), "batches handled at once (env MATCH_WORKERS; 0: 2)")
	}, func(deps *svc.Deps) ([]svc.Component, error) { return process.Matcher(deps, c) })
}

func envInt(k string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(k)); err == nil {
		return n
	}
	return def
}

func envFloat(k string, def float64) float64 {
	if f, err := strconv.ParseFloat(os.Getenv(k), 64); err == nil {
		return f
	}
	return def
}
