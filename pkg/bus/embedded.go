package bus

import (
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// EmbeddedOptions configures an in-process NATS server.
type EmbeddedOptions struct {
	// StoreDir is where JetStream keeps its file store.
	StoreDir string
	// Port is the client port; 0 picks a free loopback port, -1 listens on none.
	Port int
	// ServerName names the server (and its JetStream node).
	ServerName string
	// Key, when set, encrypts the JetStream store at rest (ChaCha20-Poly1305,
	// nats-server's JetStreamKey): messages hold PHI. The same key must be
	// given every time the store is opened.
	Key string
}

// StartEmbedded starts a NATS server with JetStream enabled inside this process
// and waits until it accepts connections. Call Shutdown and WaitForShutdown on
// the result when done, after closing every client.
func StartEmbedded(o EmbeddedOptions) (*server.Server, error) {
	port := o.Port
	if port == 0 {
		port = server.RANDOM_PORT
	}
	opts := &server.Options{
		ServerName: o.ServerName,
		Host:       "127.0.0.1",
		Port:       port,
		JetStream:  true,
		StoreDir:   o.StoreDir,
		NoSigs:     true,
		NoLog:      true,
		DontListen: o.Port < 0,
	}
	if o.Key != "" {
		opts.JetStreamKey, opts.JetStreamCipher = o.Key, server.ChaCha
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("bus: configure embedded NATS: %w", err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return nil, fmt.Errorf("bus: embedded NATS did not become ready within 10s")
	}
	return ns, nil
}
