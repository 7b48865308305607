package store_test

import (
	"context"
	"log"
	"os"

	"github.com/remitq/remitq/pkg/store"
)

// A service connects and brings the schema up to date at start-up; several
// instances may do this at once.
func Example() {
	ctx := context.Background()
	db, err := store.Open(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	if err := store.Migrate(ctx, db); err != nil {
		log.Fatal(err)
	}
}
