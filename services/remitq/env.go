package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"go.uber.org/zap"

	"github.com/remitq/remitq/pkg/devenv"
	"github.com/remitq/remitq/pkg/logging"
	"github.com/remitq/remitq/pkg/rulesstore"
	"github.com/remitq/remitq/pkg/svc"
)

// envFlags are the flags of every command that needs PostgreSQL and NATS:
// external servers when DATABASE_URL / NATS_URL (or the flags) name them,
// otherwise the embedded default in the data folder.
type envFlags struct {
	cfg  svc.Config
	data string
	// chosen: the data folder came from --data or REMITQ_DATA; its
	// cluster stays there even when PostgreSQL's user cannot reach it.
	chosen bool
}

// dataFlag is --data: it records that the folder was chosen.
type dataFlag struct{ f *envFlags }

func (d dataFlag) String() string {
	if d.f == nil {
		return ""
	}
	return d.f.data
}

func (d dataFlag) Set(v string) error {
	d.f.data, d.f.chosen = v, true
	return nil
}

func (f *envFlags) register(fs *flag.FlagSet, httpAddr string) {
	f.cfg.HTTPAddr = httpAddr
	f.cfg.LogLevel = "warn"
	f.cfg.Flags(fs)
	f.data = os.Getenv("REMITQ_DATA")
	f.chosen = f.data != ""
	if f.data == "" {
		f.data = ".data"
	}
	fs.Var(dataFlag{f}, "data", "data folder of the embedded PostgreSQL and NATS (env REMITQ_DATA; default .data, "+
		"with the PostgreSQL cluster under /var/lib/remitq or /tmp when its server user cannot reach .data)")
}

// env is an open environment: the servers (embedded or not) and the
// connections to them.
type env struct {
	deps *svc.Deps
	dev  *devenv.Env
	log  *zap.Logger
}

func (e *env) Close() {
	if e.deps != nil {
		e.deps.Close()
	}
	if e.dev != nil {
		_ = e.dev.Close()
	}
}

// open starts what is not configured and connects to everything.
func (f *envFlags) open(ctx context.Context, service string) (*env, error) {
	log, err := logging.New(logging.Options{Level: f.cfg.LogLevel, Console: true, Service: service})
	if err != nil {
		return nil, err
	}
	e := &env{log: log}
	e.dev, err = devenv.Start(ctx, devenv.Options{Dir: f.data, Log: log, DatabaseURL: f.cfg.DatabaseURL, NATSURL: f.cfg.NATSURL,
		KeepDir: f.chosen})
	if err != nil {
		return nil, fmt.Errorf("start the servers: %w", err)
	}
	cfg := f.cfg
	cfg.DatabaseURL, cfg.NATSURL = e.dev.DatabaseURL, e.dev.NATSURL
	if e.deps, err = svc.Connect(ctx, cfg, log); err != nil {
		e.Close()
		return nil, err
	}
	// Keys made on first use (token signing, patient keys) live beside the
	// embedded servers' data.
	e.deps.DataDir = f.data
	data := f.data
	rulesstore.SetDefaultDataDir(func() string { return data })
	return e, nil
}
