package bus

import (
	"fmt"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// ConnectEmbedded connects to a server started with [StartEmbedded] through
// an in-process pipe (no socket; works with Port -1). Close the connection
// before shutting the server down.
func ConnectEmbedded(ns *server.Server, opts ...nats.Option) (*nats.Conn, error) {
	opts = append([]nats.Option{nats.InProcessServer(ns), nats.Name("remitq-inprocess")}, opts...)
	nc, err := nats.Connect("", opts...)
	if err != nil {
		return nil, fmt.Errorf("bus: connect to embedded NATS: %w", err)
	}
	return nc, nil
}
