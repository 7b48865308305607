package main

import (
	"github.com/remitq/remitq/pkg/ingestsvc"
	"github.com/remitq/remitq/pkg/process"
	"github.com/remitq/remitq/pkg/svc"
)

// allInOne is every remitq service as components of one process
// (process.AllInOne), with a handle on the ingest service for the demo's
// loader.
type allInOne struct {
	ingest *ingestsvc.Service
	comps  []svc.Component
}

// newAllInOne builds the all-in-one process. The API authenticates every
// /v1/ route of every component; tokens are checked with REMITQ_JWT_KEY /
// REMITQ_JWT_KEY_FILE / REMITQ_JWT_RSA_PEM / REMITQ_JWKS_URL, else with
// the HS256 key in the data folder (<data>/jwt.key, created on first use;
// `remitq token` signs with the same file). With external servers and no
// key configured, the key is made under the current directory's .data.
// Client addresses behind proxies: REMITQ_PROXY_HOPS / REMITQ_TRUST_PROXY
// (process.Config.ProxyFlags).
func newAllInOne(deps *svc.Deps) (*allInOne, error) {
	c := process.Config{KeyDir: deps.DataDir}
	c.Auth.FromEnv()
	c.ProxyFromEnv()
	comps, err := process.AllInOne(deps, c)
	if err != nil {
		return nil, err
	}
	a := &allInOne{comps: comps}
	for _, comp := range comps {
		if in, ok := comp.(*ingestsvc.Service); ok {
			a.ingest = in
		}
	}
	return a, nil
}

func (a *allInOne) components() []svc.Component { return a.comps }
