package devenv_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/lib/pq"
	"go.uber.org/zap/zaptest"

	"github.com/remitq/remitq/pkg/devenv"
)

// tempDir returns a directory that the postgres user can reach when the
// test runs as root (t.TempDir's parent is private to root).
func tempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "rq-devenv-test")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func startPG(t *testing.T, dir string) *devenv.Postgres {
	t.Helper()
	pg, err := devenv.StartPostgresWith(t.Context(), devenv.PostgresOptions{Dir: dir, Fast: true, Log: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Stop() })
	return pg
}

func query(t *testing.T, url, q string) string {
	t.Helper()
	db, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var s sql.NullString
	if err := db.QueryRowContext(t.Context(), q).Scan(&s); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return s.String
}

func exec1(t *testing.T, url, q string) {
	t.Helper()
	db, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(t.Context(), q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// procUID returns the real uid of process pid.
func procUID(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "Uid:"); ok {
			uid, err := strconv.Atoi(strings.Fields(rest)[0])
			if err != nil {
				t.Fatal(err)
			}
			return uid
		}
	}
	t.Fatalf("no Uid line in /proc/%d/status", pid)
	return -1
}

func TestStartPostgres(t *testing.T) {
	t.Setenv("TZ", "Pacific/Kiritimati") // UTC+14: another day than UTC for 14 hours of each
	dir := filepath.Join(tempDir(t), "pg")
	pg := startPG(t, dir)

	if got := query(t, pg.URL(), `SELECT current_user`); got != "postgres" {
		t.Errorf("current_user = %q, want postgres", got)
	}
	if got := query(t, pg.URL(), `SHOW listen_addresses`); got != "" {
		t.Errorf("listen_addresses = %q, want none (unix socket only)", got)
	}
	if got := query(t, pg.URL(), `SHOW server_encoding`); got != "UTF8" {
		t.Errorf("server_encoding = %q", got)
	}
	if got := query(t, pg.URL(), `SHOW timezone`); got != "UTC" {
		t.Errorf("timezone = %q, want UTC whatever TZ is", got)
	}
	if got := query(t, pg.URL(), `SHOW fsync`); got != "off" {
		t.Errorf("fsync = %q, want off with Fast", got)
	}
	if len(filepath.Join(pg.SocketDir(), ".s.PGSQL.5432")) > 100 {
		t.Errorf("socket path too long: %s", pg.SocketDir())
	}
	if !strings.Contains(pg.URL(), "host="+pg.SocketDir()) {
		t.Errorf("URL %q does not use the socket dir", pg.URL())
	}

	uid := procUID(t, pg.PID())
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatal(err)
		}
		if strconv.Itoa(uid) != u.Uid || uid == 0 {
			t.Errorf("postmaster runs as uid %d, want the postgres user (%s)", uid, u.Uid)
		}
		if out, err := exec.Command("ps", "-o", "user=", "-p", strconv.Itoa(pg.PID())).Output(); err == nil {
			if got := strings.TrimSpace(string(out)); got != "postgres" {
				t.Errorf("ps says the postmaster runs as %q", got)
			}
		}
	} else if uid != os.Geteuid() {
		t.Errorf("postmaster runs as uid %d, want ours (%d)", uid, os.Geteuid())
	}

	ctx := t.Context()
	if err := pg.CreateDatabase(ctx, "remitq"); err != nil {
		t.Fatal(err)
	}
	if err := pg.CreateDatabase(ctx, "remitq"); err != nil {
		t.Fatalf("second CreateDatabase: %v", err)
	}
	exec1(t, pg.URLFor("remitq"), `CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')`)

	pid, sock := pg.PID(), pg.SocketDir()
	if err := pg.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := pg.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if syscall.Kill(pid, 0) == nil {
		t.Errorf("postmaster %d still running after Stop", pid)
	}
	if _, err := os.Stat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket dir %s left behind (%v)", sock, err)
	}

	// A second start reuses the cluster.
	pg2 := startPG(t, dir)
	if got := query(t, pg2.URLFor("remitq"), `SELECT v FROM kept`); got != "still here" {
		t.Errorf("after restart: %q", got)
	}
}

func TestStalePostmasterPID(t *testing.T) {
	dir := filepath.Join(tempDir(t), "pg")
	pg := startPG(t, dir)
	// Fast mode commits asynchronously: make this commit reach the OS.
	exec1(t, pg.URL(), `SET synchronous_commit = on; CREATE TABLE survived (v int); INSERT INTO survived VALUES (1)`)

	// Kill the postmaster as a killed parent's death signal would.
	if err := syscall.Kill(pg.PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-pg.Done()
	pg.Stop() // reports the kill; cleans up the socket dir
	if _, err := os.Stat(filepath.Join(dir, "postmaster.pid")); err != nil {
		t.Fatalf("expected a stale postmaster.pid: %v", err)
	}
	pg2 := startPG(t, dir)
	if got := query(t, pg2.URL(), `SELECT count(*) FROM survived`); got != "1" {
		t.Errorf("after crash recovery: count = %s", got)
	}

	// A live server keeps its cluster.
	_, err := devenv.StartPostgresWith(t.Context(), devenv.PostgresOptions{Dir: dir, Fast: true})
	if err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second server on a running cluster: err = %v, want 'in use'", err)
	}
	if err := pg2.Stop(); err != nil {
		t.Fatal(err)
	}

	// A postmaster.pid naming a live process that is not a server of this
	// cluster (the pid was reused after a reboot or in a container).
	other := exec.Command("sleep", "60")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Process.Kill(); other.Wait() })
	pidFile := filepath.Join(dir, "postmaster.pid")
	content := fmt.Sprintf("%d\n%s\n%d\n5432\n/tmp/rq-pg-gone\n\n  5432001  0\nready\n", other.Process.Pid, dir, time.Now().Unix())
	if err := os.WriteFile(pidFile, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	pg3 := startPG(t, dir)
	if got := query(t, pg3.URL(), `SELECT count(*) FROM survived`); got != "1" {
		t.Errorf("after a reused pid: count = %s", got)
	}
}

func TestMissingBinaries(t *testing.T) {
	_, err := devenv.StartPostgresWith(t.Context(), devenv.PostgresOptions{Dir: tempDir(t), BinDir: t.TempDir()})
	if !errors.Is(err, devenv.ErrNoPostgres) {
		t.Fatalf("err = %v, want ErrNoPostgres", err)
	}
	if !strings.Contains(err.Error(), "apt-get install postgresql") || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Errorf("error does not say what to install: %v", err)
	}
}

func TestUnreachableDataDirAsRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Log("not root: the postgres user is not involved")
		return
	}
	private := t.TempDir() // under a 0700 directory owned by root
	_, err := devenv.StartPostgresWith(t.Context(), devenv.PostgresOptions{Dir: filepath.Join(private, "pg")})
	if err == nil || !strings.Contains(err.Error(), "not searchable") {
		t.Fatalf("err = %v, want a 'not searchable' explanation", err)
	}
}

func TestFindPostgres(t *testing.T) {
	dir, err := devenv.FindPostgres()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"initdb", "postgres"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Error(err)
		}
	}
}

func TestStartTimeoutShowsLog(t *testing.T) {
	dir := filepath.Join(tempDir(t), "pg")
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	// An invalid setting makes the server exit at once.
	_, err := devenv.StartPostgresWith(ctx, devenv.PostgresOptions{Dir: dir, Fast: true,
		Settings: map[string]string{"shared_buffers": "nonsense"}})
	if err == nil {
		t.Fatal("server with an invalid setting started")
	}
	if !strings.Contains(err.Error(), "shared_buffers") {
		t.Errorf("error lacks the server's complaint: %v", err)
	}
}
