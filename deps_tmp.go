package main
import (
 _ "github.com/nats-io/nats.go/jetstream"
 _ "github.com/nats-io/nats-server/v2/server"
 _ "github.com/jmoiron/sqlx"
 _ "github.com/lib/pq"
 _ "go.uber.org/zap"
 _ "google.golang.org/protobuf/proto"
 _ "github.com/prometheus/client_golang/prometheus"
 _ "github.com/schollz/progressbar/v3"
)
func main(){}
