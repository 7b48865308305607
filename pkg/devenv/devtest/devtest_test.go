package devtest_test

import (
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/remitq/remitq/pkg/devenv/devtest"
	"github.com/remitq/remitq/pkg/store"
)

func TestMain(m *testing.M) { devtest.Main(m) }

func TestDBIsMigratedAndEmpty(t *testing.T) {
	db := devtest.DB(t)
	applied, err := store.Applied(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	ms, _ := store.Migrations()
	if len(applied) != len(ms) {
		t.Fatalf("%d migrations applied, want %d", len(applied), len(ms))
	}
	var n int
	if err := db.GetContext(t.Context(), &n, `SELECT count(*) FROM remittance_files`); err != nil || n != 0 {
		t.Fatalf("remittance_files: %d rows, %v", n, err)
	}
}

func TestDBIsolation(t *testing.T) {
	const n = 4
	var (
		mu    sync.Mutex
		names = map[string]bool{}
	)
	for i := range n {
		t.Run("", func(t *testing.T) {
			t.Parallel()
			db := devtest.DB(t)
			var name string
			if err := db.GetContext(t.Context(), &name, `SELECT current_database()`); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			if names[name] {
				t.Errorf("database %s handed out twice", name)
			}
			names[name] = true
			mu.Unlock()
			// Each test sees only its own rows.
			for j := range i + 1 {
				if _, err := db.ExecContext(t.Context(), `INSERT INTO practices (name, npi) VALUES ($1, $2)`,
					"p", 1000000000+j); err != nil {
					t.Fatal(err)
				}
			}
			var count int
			if err := db.GetContext(t.Context(), &count, `SELECT count(*) FROM practices`); err != nil {
				t.Fatal(err)
			}
			if count != i+1 {
				t.Errorf("test %d sees %d practices, want %d", i, count, i+1)
			}
		})
	}
}

func TestDatabaseDroppedAfterTest(t *testing.T) {
	var name string
	t.Run("inner", func(t *testing.T) {
		db := devtest.DB(t)
		if err := db.GetContext(t.Context(), &name, `SELECT current_database()`); err != nil {
			t.Fatal(err)
		}
	})
	db := devtest.DB(t)
	var exists bool
	if err := db.GetContext(t.Context(), &exists,
		`SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name); err != nil {
		t.Fatal(err)
	}
	if name == "" || exists {
		t.Errorf("the inner test's database %q still exists after it ended", name)
	}
}

func TestNATS(t *testing.T) {
	nc, err := nats.Connect(devtest.NATS(t))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(t.Context(), jetstream.StreamConfig{Name: "DEVTEST", Subjects: []string{"devtest.>"}}); err != nil {
		t.Fatal(err)
	}
	ack, err := js.Publish(t.Context(), "devtest.x", []byte("x"))
	if err != nil || ack.Sequence != 1 {
		t.Fatalf("publish: %+v, %v", ack, err)
	}
}

// TestFailsLoudly runs a DB test in a child process against a server that
// cannot be reached: it must fail with the reason, not skip.
func TestFailsLoudly(t *testing.T) {
	if os.Getenv("DEVTEST_CHILD") == "1" {
		devtest.DB(t)
		return
	}
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestFailsLoudly$", "-test.v")
	cmd.Env = append(os.Environ(), "DEVTEST_CHILD=1", "DATABASE_URL=host=/nonexistent-rq dbname=x sslmode=disable")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("child passed:\n%s", out)
	}
	if !strings.Contains(string(out), "--- FAIL") || !strings.Contains(string(out), "PostgreSQL is not available") {
		t.Fatalf("child did not fail with the reason:\n%s", out)
	}
}

// TestBackendCPUByApplicationName checks that a connection opened with
// WithApplicationName is counted under its name, with the CPU it used.
func TestBackendCPUByApplicationName(t *testing.T) {
	url := devtest.WithApplicationName(devtest.DatabaseURL(t), "probe")
	db, err := store.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	// Enough work to show in clock ticks (10 ms each).
	if _, err := db.ExecContext(t.Context(), `SELECT count(*) FROM generate_series(1, 3000000)`); err != nil {
		t.Fatal(err)
	}
	// BackendCPU leaves out the connection asking; ask from another.
	other, err := store.Open(t.Context(), devtest.WithApplicationName(url, "asker"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	got, err := devtest.BackendCPU(t.Context(), other.DB)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got["probe"]; !ok {
		t.Fatalf("no backend named probe in %v", got)
	}
	if got["probe"] <= 0 {
		t.Errorf("probe backend CPU = %v s, want > 0 after a 3,000,000-row count", got["probe"])
	}
	for _, dsn := range []string{"postgres://u@h/db?sslmode=disable", "host=/tmp dbname=x"} {
		if s := devtest.WithApplicationName(dsn, "n"); !strings.Contains(s, "application_name=n") {
			t.Errorf("WithApplicationName(%q) = %q", dsn, s)
		}
	}
}
