// Package devtest gives tests real servers: a fresh, migrated PostgreSQL
// database per test and an embedded NATS JetStream server per test. No
// mocks, no Docker.
//
// A package whose tests call DB or DatabaseURL must run its tests through
// Main, which stops the package's PostgreSQL cluster and removes its files
// once the tests are done:
//
//	func TestMain(m *testing.M) { devtest.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		db := devtest.DB(t) // empty database, schema at the latest migration
//		natsURL := devtest.NATS(t)
//		// ...
//	}
//
// The first DB call of a test binary starts one private cluster (initdb in a
// temporary directory, durability off, unix socket only; about a second)
// and migrates a template database once; each DB call then clones the
// template (about 0.1 s) and drops the clone when the test ends. The server
// is started with a parent-death signal, so it dies with the test binary
// even when that is killed before Main can stop it.
//
// With DATABASE_URL set, that server is used instead: its user needs the
// CREATEDB privilege, and the server must be PostgreSQL 13 or newer. With
// NATS_URL set, NATS returns it instead of starting a server; tests sharing
// a server must then use distinct stream names.
//
// When PostgreSQL cannot be started, DB fails the test with the reason: a
// test that needs a database never skips.
package devtest
