// Command api is the remitq HTTP API on its own: work queues and items for
// supervisors, billers and analysts, remittance views and the audit log,
// with bearer-token authentication (JWT or API key) and scopes.
//
//	api --database-url postgres://... --nats-url nats://... [--http :8080] --jwt-key-file /etc/remitq/jwt.key
//	api ... --jwks-url https://idp.example.com/.well-known/jwks.json --jwt-audience remitq
//
// Every flag also reads an environment variable (DATABASE_URL, NATS_URL,
// HTTP_ADDR, REMITQ_JWT_KEY, REMITQ_JWT_KEY_FILE, REMITQ_JWT_RSA_PEM,
// REMITQ_JWKS_URL, ...). The OpenAPI description is served at
// /openapi.json; /healthz, /readyz and /metrics beside it.
package main

import (
	"flag"
	"os"
	"time"

	"github.com/remitq/remitq/pkg/api"
	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/console"
	"github.com/remitq/remitq/pkg/svc"
)

func main() {
	var ac auth.Config
	var opts api.Options
	svc.Main("api", svc.Config{HTTPAddr: ":8080"}, func(fs *flag.FlagSet) {
		ac.Flags(fs)
		fs.DurationVar(&opts.RequestTimeout, "request-timeout", 15*time.Second, "bound on each request's work")
		fs.BoolVar(&opts.TrustProxy, "trust-proxy", os.Getenv("REMITQ_TRUST_PROXY") == "true", "take client addresses from X-Forwarded-For (env REMITQ_TRUST_PROXY)")
	}, func(deps *svc.Deps) ([]svc.Component, error) {
		v, err := ac.Verifier("")
		if err != nil {
			return nil, err
		}
		opts.Auth = &auth.Authenticator{DB: deps.DB, Verifier: v, Log: deps.Log, Public: console.Public}
		a, err := api.New(deps.DB, deps.Log, opts)
		if err != nil {
			return nil, err
		}
		con, err := console.New(deps.DB, deps.Log, console.Options{Auth: opts.Auth, TrustProxy: opts.TrustProxy, OIDC: console.OIDCFromEnv()})
		if err != nil {
			return nil, err
		}
		return []svc.Component{a, con}, nil
	})
}
