// Command api is the remitq HTTP API on its own: work queues and items for
// supervisors, billers and analysts, remittance views and the audit log,
// with bearer-token authentication (JWT or API key) and scopes. It also
// keeps the KPI summary tables the reports read up to date.
//
//	api --database-url postgres://... --nats-url nats://... [--http :8080] --jwt-key-file /etc/remitq/jwt.key
//	api ... --jwks-url https://idp.example.com/.well-known/jwks.json --jwt-audience remitq
//
// Every flag also reads an environment variable (DATABASE_URL, NATS_URL,
// HTTP_ADDR, REMITQ_JWT_KEY, REMITQ_JWT_KEY_FILE, REMITQ_JWT_RSA_PEM,
// REMITQ_JWKS_URL, REMITQ_TRUST_PROXY, REMITQ_PROXY_HOPS, ...). Behind N
// trusted proxies that append to X-Forwarded-For, --proxy-hops N takes the
// client address (sign-in throttle, audit rows) N entries from the right;
// the default 0 ignores the header. The OpenAPI description is served at
// /openapi.json; /healthz, /readyz and /metrics beside it.
package main

import (
	"flag"
	"time"

	"github.com/remitq/remitq/pkg/process"
	"github.com/remitq/remitq/pkg/svc"
)

func main() {
	var c process.Config
	svc.Main("api", svc.Config{HTTPAddr: ":8080"}, func(fs *flag.FlagSet) {
		c.Auth.Flags(fs)
		fs.DurationVar(&c.API.RequestTimeout, "request-timeout", 15*time.Second, "bound on each request's work")
		c.ProxyFlags(fs)
	}, func(deps *svc.Deps) ([]svc.Component, error) { return process.API(deps, c) })
}
