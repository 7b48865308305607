package main

import (
	"github.com/remitq/remitq/pkg/api"
	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/console"
	"github.com/remitq/remitq/pkg/svc"
)

// The API in the all-in-one process: it authenticates every /v1/ route of
// every component. Tokens are checked with REMITQ_JWT_KEY /
// REMITQ_JWT_KEY_FILE / REMITQ_JWT_RSA_PEM / REMITQ_JWKS_URL, else with
// the HS256 key in the data folder (<data>/jwt.key, created on first use;
// `remitq token` signs with the same file). With external servers and no
// key configured, the key is made under the current directory's .data.
func init() {
	registerComponent(func(deps *svc.Deps) (svc.Component, error) {
		var cfg auth.Config
		cfg.FromEnv()
		v, err := cfg.Verifier(deps.DataDir)
		if err != nil {
			return nil, err
		}
		return api.New(deps.DB, deps.Log, api.Options{Auth: &auth.Authenticator{DB: deps.DB, Verifier: v, Log: deps.Log, Public: console.Public}})
	})
}
