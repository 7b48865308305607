// Package devenv brings up remitq's embedded default environment: a private
// PostgreSQL cluster and an in-process NATS JetStream server, both keeping
// their data under one folder. It is what `make demo` runs on and what the
// test helpers in package devtest build on.
//
// PostgreSQL is not embedded in the binary: StartPostgres runs the server
// binaries installed on the machine (Debian's postgresql package, found on
// PATH, through pg_config, or under /usr/lib/postgresql/*/bin). The server
// listens only on a unix socket in a private directory, never on TCP. When
// the process runs as root, initdb and postgres run as the postgres user,
// which PostgreSQL requires; when that user cannot reach the data folder
// (a clone under /root, mode 0700), the cluster lives in a folder of its
// own under /var/lib/remitq or /tmp, named after the data folder
// (PostgresDirFor), unless Options.KeepDir. The server is a direct child process started
// with a parent-death signal, so killing the parent takes the server with it.
//
// Set DATABASE_URL or NATS_URL to use existing servers instead; Start then
// starts only what is missing.
//
// A typical use, as in the demo:
//
//	env, err := devenv.Start(ctx, devenv.Options{Dir: ".data", Log: log})
//	if err != nil {
//		return err
//	}
//	defer env.Close()
//	db, err := store.Open(ctx, env.DatabaseURL)
//	// ...
//	nc, err := nats.Connect(env.NATSURL)
package devenv
