package devenv_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap/zaptest"

	"github.com/remitq/remitq/pkg/devenv"
)

func TestEnv(t *testing.T) {
	dir := tempDir(t)
	env, err := devenv.Start(t.Context(), devenv.Options{Dir: dir, FastPostgres: true, Log: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Close() })

	if got := query(t, env.DatabaseURL, `SELECT current_database()`); os.Getenv("DATABASE_URL") == "" && got != devenv.DefaultDatabase {
		t.Errorf("current_database = %q, want %q", got, devenv.DefaultDatabase)
	}

	nc, err := nats.Connect(env.NATSURL)
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(t.Context(), jetstream.StreamConfig{Name: "DEVENV_TEST", Subjects: []string{"devenv.test"}}); err != nil {
		t.Fatal(err)
	}
	const secret = "ZZPATIENT^DEVENVSECRET"
	if _, err := js.Publish(t.Context(), "devenv.test", []byte("NM1*QC*1*"+secret+"~")); err != nil {
		t.Fatal(err)
	}
	nc.Close()

	if env.Postgres != nil {
		if _, err := os.Stat(filepath.Join(dir, "pg", "PG_VERSION")); err != nil {
			t.Errorf("cluster not in <dir>/pg: %v", err)
		}
	}
	if env.NATS != nil {
		if _, err := os.Stat(filepath.Join(dir, "nats")); err != nil {
			t.Errorf("JetStream store not in <dir>/nats: %v", err)
		}
	}
	if err := env.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if env.NATS != nil {
		// Messages hold PHI: the embedded store is encrypted with a key
		// kept beside the other secrets.
		info, err := os.Stat(filepath.Join(dir, devenv.NATSKeyFile))
		if err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("JetStream key file: %v (mode %v), want mode 0600", err, info)
		}
		_ = filepath.WalkDir(filepath.Join(dir, "nats"), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(secret)) {
					t.Errorf("%s holds a patient name in clear text", p)
				}
			}
			return nil
		})
	}
	if env.Postgres != nil {
		select {
		case <-env.Postgres.Done():
		case <-time.After(time.Second):
			t.Error("postgres still running after Close")
		}
	}
}

func TestEnvExternalURLs(t *testing.T) {
	// With both URLs given nothing is started and no Dir is needed.
	env, err := devenv.Start(t.Context(), devenv.Options{
		DatabaseURL: "host=/nonexistent dbname=x",
		NATSURL:     "nats://127.0.0.1:1",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	if env.Postgres != nil || env.NATS != nil {
		t.Fatal("started servers although URLs were given")
	}
	if env.DatabaseURL != "host=/nonexistent dbname=x" || env.NATSURL != "nats://127.0.0.1:1" {
		t.Errorf("URLs = %q, %q", env.DatabaseURL, env.NATSURL)
	}
}

func TestReplaceDatabase(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"host=/tmp/x port=5432 user=postgres dbname=postgres sslmode=disable",
			"host=/tmp/x port=5432 user=postgres dbname=postgres sslmode=disable dbname=t1"},
		{"postgres://u:p@db:5432/app?sslmode=disable", "postgres://u:p@db:5432/t1?sslmode=disable"},
		{"postgresql://localhost", "postgresql://localhost/t1"},
	} {
		got, err := devenv.ReplaceDatabase(tc.in, "t1")
		if err != nil || got != tc.want {
			t.Errorf("ReplaceDatabase(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := devenv.ReplaceDatabase("postgres://u:s3cret@%zz/db", "t1"); err == nil {
		t.Error("accepted a malformed URL")
	} else if s := err.Error(); strings.Contains(s, "s3cret") {
		t.Errorf("error shows the password: %v", err)
	}
}

// TestEnvPrivateParent: a data folder under a directory only root may enter
// (a clone in /root, mode 0700). Run as root, the cluster lives in a folder
// the postgres user can reach, the same one on the next start, and the
// server answers; with KeepDir the choice is kept and the start fails
// naming the private directory. Run as another user, the cluster stays in
// <dir>/pg.
func TestEnvPrivateParent(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	t.Setenv("NATS_URL", "")
	home := filepath.Join(tempDir(t), "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(home, "remitq", ".data", "demo")
	pgDir, moved, err := devenv.PostgresDirFor(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(filepath.Dir(pgDir)) })
	root := os.Geteuid() == 0
	if moved != root {
		t.Fatalf("PostgresDirFor(%s) = %s, moved %v; want moved only as root", dir, pgDir, moved)
	}
	if !root && pgDir != filepath.Join(dir, "pg") {
		t.Fatalf("PostgresDirFor(%s) = %s, want <dir>/pg", dir, pgDir)
	}
	if root && strings.HasPrefix(pgDir, home+"/") {
		t.Fatalf("PostgresDirFor(%s) = %s, still under the private %s", dir, pgDir, home)
	}
	env, err := devenv.Start(t.Context(), devenv.Options{Dir: dir, FastPostgres: true, Log: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if got := env.Postgres.DataDir(); got != pgDir {
		t.Errorf("cluster in %s, want %s", got, pgDir)
	}
	if got := query(t, env.DatabaseURL, `SELECT current_database()`); got != devenv.DefaultDatabase {
		t.Errorf("current_database = %q", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "nats")); err != nil {
		t.Errorf("JetStream store not in <dir>/nats: %v", err)
	}
	if err := env.Close(); err != nil {
		t.Fatal(err)
	}
	again, _, err := devenv.PostgresDirFor(dir)
	if err != nil || again != pgDir {
		t.Errorf("second PostgresDirFor = %s, %v; want %s", again, err, pgDir)
	}
	if root {
		_, err := devenv.Start(t.Context(), devenv.Options{Dir: dir, KeepDir: true, FastPostgres: true, Log: zaptest.NewLogger(t)})
		if err == nil || !strings.Contains(err.Error(), home) {
			t.Errorf("Start with KeepDir under %s: %v, want an error naming it", home, err)
		}
	}
}
