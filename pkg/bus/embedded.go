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
	// Key, when set, encrypts the JetStream store at rest (AES-256-GCM,
	// nats-server's JetStreamKey with [StoreCipher]): messages hold PHI. The
	// same key must be given every time the store is opened.
	Key string
}

// StoreCipher is the cipher of an encrypted embedded store: AES-GCM, which
// runs on the CPU's AES instructions (x86 AES-NI, ARMv8 AES), where
// nats-server's other choice, ChaCha20, has no assembly on amd64 in
// golang.org/x/crypto and was the store's largest crypto cost. A store
// written with ChaCha20 (before this choice) stays readable: nats-server
// tries the other cipher when a block's key does not open and rewrites
// the block and its consumers' state with this one (TestEmbeddedChaChaStoreConverts).
const StoreCipher = server.AES

// StartEmbedded starts a NATS server with JetStream enabled inside this process
// and waits until it accepts connections. Call Shutdown and WaitForShutdown on
// the result when done, after closing every client.
func StartEmbedded(o EmbeddedOptions) (*server.Server, error) {
	return startEmbedded(o, StoreCipher)
}

// startEmbedded is StartEmbedded with the cipher of an encrypted store
// given (tests write ChaCha20 stores as older versions did).
func startEmbedded(o EmbeddedOptions, cipher server.StoreCipher) (*server.Server, error) {
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
		opts.JetStreamKey, opts.JetStreamCipher = o.Key, cipher
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
