package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

func init() {
	register(command{name: "natsd", usage: "-c FILE  run a NATS server (JetStream, clustering) from a nats-server configuration file", run: runNatsd})
}

// runNatsd runs the NATS server remitq embeds as a process of its own, from
// a nats-server configuration file (deploy/nats/*.conf): a cluster for
// development or for the cluster fault test without installing nats-server.
func runNatsd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("natsd", flag.ContinueOnError)
	conf := fs.String("c", "", "nats-server configuration file")
	if err := fs.Parse(args); err != nil || *conf == "" {
		return errUsage
	}
	opts, err := server.ProcessConfigFile(*conf)
	if err != nil {
		return fmt.Errorf("natsd: %w", err)
	}
	opts.NoSigs = true
	ns, err := server.NewServer(opts)
	if err != nil {
		return fmt.Errorf("natsd: %w", err)
	}
	ns.ConfigureLogger()
	go ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		ns.Shutdown()
		return fmt.Errorf("natsd: not ready after 30 s")
	}
	<-ctx.Done()
	ns.Shutdown()
	ns.WaitForShutdown()
	return nil
}
