package main

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/remitq/remitq/pkg/api"
	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/svc"
)

// The API in the all-in-one process: it authenticates every /v1/ route of
// every component. Tokens are checked with REMITQ_JWT_KEY /
// REMITQ_JWT_KEY_FILE / REMITQ_JWT_RSA_PEM / REMITQ_JWKS_URL, else with
// the HS256 key in the data folder (<data>/jwt.key, created on first use;
// `remitq token` signs with the same file).
func init() {
	registerComponent(func(deps *svc.Deps) (svc.Component, error) {
		var cfg auth.Config
		cfg.FromEnv()
		v, err := cfg.Verifier(apiDataDir(os.Args[1:]))
		if err != nil {
			return nil, err
		}
		return api.New(deps.DB, deps.Log, api.Options{Auth: &auth.Authenticator{DB: deps.DB, Verifier: v, Log: deps.Log}})
	})
}

// apiDataDir is the data folder of the running command as envFlags reads
// it (--data, else REMITQ_DATA, else .data); the demo keeps its servers in
// <data>/demo, and its key with them.
func apiDataDir(args []string) string {
	dir := os.Getenv("REMITQ_DATA")
	if dir == "" {
		dir = ".data"
	}
	for i, a := range args {
		if v, ok := strings.CutPrefix(strings.TrimLeft(a, "-"), "data="); ok && strings.HasPrefix(a, "-") {
			dir = v
		} else if (a == "--data" || a == "-data") && i+1 < len(args) {
			dir = args[i+1]
		}
	}
	if len(args) > 0 && args[0] == "demo" && os.Getenv("DATABASE_URL") == "" && os.Getenv("NATS_URL") == "" &&
		!hasFlag(args, "database-url") && !hasFlag(args, "nats-url") {
		dir = filepath.Join(dir, "demo")
	}
	return dir
}

func hasFlag(args []string, name string) bool {
	for _, a := range args {
		n := strings.TrimLeft(a, "-")
		if strings.HasPrefix(a, "-") && (n == name || strings.HasPrefix(n, name+"=")) {
			return true
		}
	}
	return false
}
