package devenv_test

import (
	"context"
	"log"

	"go.uber.org/zap"

	"github.com/remitq/remitq/pkg/devenv"
	"github.com/remitq/remitq/pkg/store"
)

// The demo's environment: PostgreSQL in .data/pg and NATS in .data/nats,
// unless DATABASE_URL or NATS_URL say otherwise.
func Example() {
	ctx := context.Background()
	logger := zap.NewExample()
	env, err := devenv.Start(ctx, devenv.Options{Dir: ".data", Log: logger})
	if err != nil {
		log.Fatal(err)
	}
	defer env.Close()
	db, err := store.Open(ctx, env.DatabaseURL)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	if err := store.Migrate(ctx, db); err != nil {
		log.Fatal(err)
	}
	logger.Info("ready", zap.String("nats", env.NATSURL))
}

// A private server for one program, durable settings, in a directory of its
// own.
func ExampleStartPostgres() {
	ctx := context.Background()
	pg, err := devenv.StartPostgres(ctx, "/var/tmp/remitq-pg", zap.NewNop())
	if err != nil {
		log.Fatal(err)
	}
	defer pg.Stop()
	if err := pg.CreateDatabase(ctx, "remitq"); err != nil {
		log.Fatal(err)
	}
	_ = pg.URLFor("remitq") // host=/tmp/rq-pg… port=5432 user=postgres dbname=remitq sslmode=disable
}
