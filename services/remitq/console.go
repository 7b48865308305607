package main

import (
	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/console"
	"github.com/remitq/remitq/pkg/svc"
)

// The web console in the all-in-one process, under /console/ (the API's
// authenticator lets it through: console.Public). Its in-process API
// requests carry the signed-in user's identity, so its authenticator needs
// no token verifier.
func init() {
	registerComponent(func(deps *svc.Deps) (svc.Component, error) {
		return console.New(deps.DB, deps.Log, console.Options{Auth: &auth.Authenticator{DB: deps.DB, Log: deps.Log}, OIDC: console.OIDCFromEnv()})
	})
}
