// Package process says what each remitq process runs: one function per
// process returns its components in order, so a reader sees in one place
// what services/api, services/ingest, services/matcher, services/router and
// the all-in-one services/remitq are made of. Nothing registers itself:
// adding a component means adding it to the process functions here (the
// package's test checks that the standalone processes together run exactly
// what the all-in-one runs).
//
// The KPI refresher runs in the api process: the process that serves the
// reports keeps them fresh. Several api replicas are safe (the refresh
// takes an advisory lock).
package process

import (
	"flag"
	"fmt"
	"os"
	"strconv"

	"github.com/remitq/remitq/pkg/apisvc"
	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/billedstore"
	"github.com/remitq/remitq/pkg/consolesvc"
	"github.com/remitq/remitq/pkg/ingestsvc"
	"github.com/remitq/remitq/pkg/kpistore"
	"github.com/remitq/remitq/pkg/matchsvc"
	"github.com/remitq/remitq/pkg/routesvc"
	"github.com/remitq/remitq/pkg/svc"
)

// Config is what the processes' components are built with beyond their
// Deps: the flags and environment of each service.
type Config struct {
	// Auth names the token keys every process checks bearer tokens with.
	Auth auth.Config
	// KeyDir, when set, is the folder where a missing HS256 key is created
	// on first use (the all-in-one's data folder); a standalone service
	// leaves it empty: it must be told its keys.
	KeyDir string
	// API configures the API (its Auth is set from Auth).
	API apisvc.Options
	// Ingest configures the ingest service.
	Ingest ingestsvc.Options
	// Match configures the matcher.
	Match matchsvc.Options
	// Route configures the denial router.
	Route routesvc.Options
}

// API is the api process: the HTTP API (its authentication stands in front
// of every route of the process, its sweeps run), the web console under
// /console/ and the KPI refresher.
func API(d *svc.Deps, c Config) ([]svc.Component, error) {
	a, err := c.api(d)
	if err != nil {
		return nil, err
	}
	con, err := c.console(d)
	if err != nil {
		return nil, err
	}
	return []svc.Component{a, con, kpistore.NewRefresher(d)}, nil
}

// Ingest is the ingest process: the 835 uploads, folder watcher and outbox
// publisher, behind the API's authentication.
func Ingest(d *svc.Deps, c Config) ([]svc.Component, error) {
	gate, err := c.gate(d)
	if err != nil {
		return nil, err
	}
	in, err := ingestsvc.New(d, c.Ingest)
	if err != nil {
		return nil, err
	}
	return []svc.Component{in, gate}, nil
}

// Matcher is the matcher process: the matcher, the billed-claims uploads
// and the review queue, behind the API's authentication.
func Matcher(d *svc.Deps, c Config) ([]svc.Component, error) {
	gate, err := c.gate(d)
	if err != nil {
		return nil, err
	}
	m, err := matchsvc.New(d, c.Match)
	if err != nil {
		return nil, err
	}
	return []svc.Component{m, billedstore.NewService(d), gate}, nil
}

// Router is the router process: the denial router with its queue
// summaries and queue rules, behind the API's authentication.
func Router(d *svc.Deps, c Config) ([]svc.Component, error) {
	gate, err := c.gate(d)
	if err != nil {
		return nil, err
	}
	router, err := routesvc.New(d, c.Route)
	if err != nil {
		return nil, err
	}
	return []svc.Component{router, gate}, nil
}

// AllInOne is every service in one process (remitq demo, remitq serve):
// the components of the four standalone processes, the API's
// authentication in front of all of them instead of a gate per process.
func AllInOne(d *svc.Deps, c Config) ([]svc.Component, error) {
	a, err := c.api(d)
	if err != nil {
		return nil, err
	}
	con, err := c.console(d)
	if err != nil {
		return nil, err
	}
	in, err := ingestsvc.New(d, c.Ingest)
	if err != nil {
		return nil, err
	}
	m, err := matchsvc.New(d, c.Match)
	if err != nil {
		return nil, err
	}
	router, err := routesvc.New(d, c.Route)
	if err != nil {
		return nil, err
	}
	return []svc.Component{
		in,
		a,
		con,
		m,
		billedstore.NewService(d),
		router,
		kpistore.NewRefresher(d),
	}, nil
}

func (c Config) authenticator(d *svc.Deps) (*auth.Authenticator, error) {
	v, err := c.Auth.Verifier(c.KeyDir)
	if err != nil {
		return nil, fmt.Errorf("token keys: %w", err)
	}
	// The console's pages sign in with their own sessions (consolesvc.Public).
	return &auth.Authenticator{DB: d.DB, Verifier: v, Log: d.Log, Public: consolesvc.Public}, nil
}

// console is the web console; its in-process API requests carry the
// signed-in user's identity, checked by the same authenticator.
func (c Config) console(d *svc.Deps) (*consolesvc.Service, error) {
	a, err := c.authenticator(d)
	if err != nil {
		return nil, err
	}
	trust, hops, err := c.proxy()
	if err != nil {
		return nil, err
	}
	return consolesvc.New(d.DB, d.Log, consolesvc.Options{Auth: a, TrustProxy: trust, ProxyHops: hops, OIDC: consolesvc.OIDCFromEnv()})
}

// ProxyFlags registers the flags of the proxies in front of the API and
// the console: --trust-proxy (env REMITQ_TRUST_PROXY=true) and
// --proxy-hops N (env REMITQ_PROXY_HOPS). See proxy for what they mean.
func (c *Config) ProxyFlags(fs *flag.FlagSet) {
	c.ProxyFromEnv()
	fs.BoolVar(&c.API.TrustProxy, "trust-proxy", c.API.TrustProxy,
		"take client addresses from X-Forwarded-For behind one trusted proxy that appends to it (env REMITQ_TRUST_PROXY=true)")
	fs.IntVar(&c.API.ProxyHops, "proxy-hops", c.API.ProxyHops,
		"number of trusted proxies in front that each append to X-Forwarded-For; the client address is that many entries from the right "+
			"(sign-in throttle, audit rows); 0: ignore X-Forwarded-For unless --trust-proxy, which means 1 (env REMITQ_PROXY_HOPS)")
}

// ProxyFromEnv sets the proxy settings from REMITQ_TRUST_PROXY ("true")
// and REMITQ_PROXY_HOPS (a whole number; anything else makes the
// processes refuse to start).
func (c *Config) ProxyFromEnv() {
	c.API.TrustProxy = os.Getenv("REMITQ_TRUST_PROXY") == "true"
	if v := os.Getenv("REMITQ_PROXY_HOPS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			n = -1
		}
		c.API.ProxyHops = n
	}
}

// proxy is how the API and the console read client addresses: with
// ProxyHops N > 0, the N-th X-Forwarded-For entry from the right (N
// trusted proxies, each appending); else with TrustProxy, the last entry
// (one proxy); else (the default) the connection's address, whatever
// the header says.
func (c Config) proxy() (trust bool, hops int, err error) {
	switch h := c.API.ProxyHops; {
	case h < 0:
		return false, 0, fmt.Errorf("proxy hops (--proxy-hops, REMITQ_PROXY_HOPS): want a whole number 0 or more")
	case h > 0:
		return true, h, nil
	case c.API.TrustProxy:
		return true, 1, nil
	}
	return false, 0, nil
}

func (c Config) api(d *svc.Deps) (*apisvc.Service, error) {
	a, err := c.authenticator(d)
	if err != nil {
		return nil, err
	}
	opts := c.API
	if opts.TrustProxy, opts.ProxyHops, err = c.proxy(); err != nil {
		return nil, err
	}
	opts.Auth = a
	return apisvc.New(d.DB, d.Log, opts)
}

func (c Config) gate(d *svc.Deps) (*apisvc.Gate, error) {
	a, err := c.authenticator(d)
	if err != nil {
		return nil, err
	}
	opts := c.API
	if opts.TrustProxy, opts.ProxyHops, err = c.proxy(); err != nil {
		return nil, err
	}
	opts.Auth = a
	return apisvc.NewGate(d.DB, d.Log, opts)
}
