package remitstore_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/remitq/remitq/pkg/bus"
	"github.com/remitq/remitq/pkg/devenv/devtest"
	"github.com/remitq/remitq/pkg/remitstore"
	"github.com/remitq/remitq/pkg/store"
)

// The crash tests run the ingest in a child process (this test binary,
// re-executed with childEnv set) and kill it with SIGKILL at a chosen point:
// nothing runs after SIGKILL, no deferred function, no rollback in Go.
const (
	childEnv     = "REMITQ_INGEST_CRASH_CHILD"
	childDBEnv   = "REMITQ_INGEST_CRASH_DB"
	childNATSEnv = "REMITQ_INGEST_CRASH_NATS"
	childFileEnv = "REMITQ_INGEST_CRASH_FILE"
)

// runChild is the child's main: it prints progress lines the parent waits
// for, then goes on (or hangs) until it is killed.
func runChild(mode string) int {
	ctx := context.Background()
	db, err := store.Open(ctx, os.Getenv(childDBEnv))
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	raw, err := os.ReadFile(os.Getenv(childFileEnv))
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	switch mode {
	case "after-commit":
		// Store the file, then die before publishing anything.
		if _, err := (&remitstore.Ingester{DB: db}).Ingest(ctx, "crash.835", raw); err != nil {
			fmt.Println("error", err)
			return 1
		}
		fmt.Println("committed")
		select {} // killed here
	case "mid-publish":
		nc, err := nats.Connect(os.Getenv(childNATSEnv))
		if err != nil {
			fmt.Println("error", err)
			return 1
		}
		js, _ := jetstream.New(nc)
		checkpoints := 0
		p := &remitstore.Publisher{DB: db, JS: js, Lines: bus.LinesAlways, CheckpointEvery: 50, Published: func(int) {
			checkpoints++
			fmt.Println("checkpoint", checkpoints)
			time.Sleep(20 * time.Millisecond) // slow enough to be killed mid-file
		}}
		_, err = p.Drain(ctx)
		fmt.Println("drained", err)
		select {}
	}
	fmt.Println("error unknown mode", mode)
	return 2
}

// startChild starts the child and returns it with a reader of its lines.
func startChild(t *testing.T, mode, dbURL, natsURL, file string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+mode, childDBEnv+"="+dbURL, childNATSEnv+"="+natsURL, childFileEnv+"="+file)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd, bufio.NewScanner(out)
}

// waitLine reads the child's lines until one starts with prefix.
func waitLine(t *testing.T, sc *bufio.Scanner, prefix string) {
	t.Helper()
	done := make(chan string, 1)
	go func() {
		for sc.Scan() {
			if l := sc.Text(); strings.HasPrefix(l, prefix) || strings.HasPrefix(l, "error") {
				done <- l
				return
			}
		}
		done <- "child exited"
	}()
	select {
	case l := <-done:
		if !strings.HasPrefix(l, prefix) {
			t.Fatalf("child: %s (waiting for %q)", l, prefix)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("child never printed %q", prefix)
	}
}

func kill(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
}

// writeFile writes a generated 835 of claims×2 lines and returns its path
// and line count.
func writeFile(t *testing.T, seed uint64, claims int) (string, int) {
	t.Helper()
	raw, lines := remits(t, seed, claims)
	path := t.TempDir() + "/crash.835"
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, lines
}

// A process killed after the database commit and before any publish: on
// restart the outbox still holds the file and every line is published once.
func TestCrashAfterCommitBeforePublish(t *testing.T) {
	dbURL := devtest.DatabaseURL(t)
	natsURL := devtest.NATS(t)
	e := newEnvDB(t, dbURL, natsURL)
	e.addPractice(t)
	path, lines := writeFile(t, 11, 150)
	cmd, sc := startChild(t, "after-commit", dbURL, natsURL, path)
	waitLine(t, sc, "committed")
	kill(t, cmd)

	if got := e.streamMsgs(t); got != 0 {
		t.Fatalf("stream has %d messages before the restart, want 0", got)
	}
	if n, _ := remitstore.Pending(t.Context(), e.db); n != 1 {
		t.Fatalf("pending files after the crash = %d, want 1", n)
	}
	// The restarted service: its publisher drains the outbox.
	p := &remitstore.Publisher{DB: e.db, JS: e.js, Lines: bus.LinesAlways}
	if _, err := p.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := uint64(lines + 300)
	if got := e.streamMsgs(t); got != want {
		t.Fatalf("stream has %d messages, want %d (every line and claim once)", got, want)
	}
	// Re-sending the same file after the restart changes nothing.
	raw, _ := os.ReadFile(path)
	if res, err := e.in.Ingest(t.Context(), "again.835", raw); err != nil || !res.Duplicate {
		t.Fatalf("re-sent file: %+v, %v", res, err)
	}
	if e.count(t, "service_line_payments") != lines {
		t.Fatalf("service_line_payments: %d rows, want %d", e.count(t, "service_line_payments"), lines)
	}
}

// A publisher killed in the middle of a file: the next one resumes after
// the last checkpoint and JetStream ends with every message exactly once.
func TestCrashMidPublish(t *testing.T) {
	dbURL := devtest.DatabaseURL(t)
	natsURL := devtest.NATS(t)
	e := newEnvDB(t, dbURL, natsURL)
	e.addPractice(t)
	path, lines := writeFile(t, 12, 400)
	raw, _ := os.ReadFile(path)
	if _, err := e.in.Ingest(t.Context(), "big.835", raw); err != nil {
		t.Fatal(err)
	}
	cmd, sc := startChild(t, "mid-publish", dbURL, natsURL, path)
	waitLine(t, sc, "checkpoint 3")
	kill(t, cmd)

	before := e.streamMsgs(t)
	want := uint64(lines + 800)
	if before == 0 || before >= want {
		t.Fatalf("stream has %d of %d messages at the kill; the test must kill mid-file", before, want)
	}
	var through int
	if err := e.db.Get(&through, `SELECT published_through FROM publish_queue`); err != nil || through == 0 {
		t.Fatalf("no checkpoint recorded before the kill (%d, %v)", through, err)
	}
	p := &remitstore.Publisher{DB: e.db, JS: e.js, Lines: bus.LinesAlways, CheckpointEvery: 50}
	// The killed child's backend may hold the file's advisory lock for a
	// moment after the kill (Drain then skips the file): drain until the
	// queue is empty.
	sent := 0
	for deadline := time.Now().Add(10 * time.Second); ; {
		n, err := p.Drain(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		sent += n
		if pending, err := remitstore.Pending(t.Context(), e.db); err != nil || pending == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := e.streamMsgs(t); got != want {
		t.Fatalf("stream has %d messages after the restart, want %d", got, want)
	}
	if uint64(sent) >= want {
		t.Fatalf("the restarted publisher sent %d messages: it did not resume after the checkpoint", sent)
	}
	t.Logf("killed with %d of %d messages in the stream; checkpoint at segment %d; restart sent %d", before, want, through, sent)
}

// newEnvDB is newEnv on a given database URL.
func newEnvDB(t *testing.T, dbURL, natsURL string) *env {
	t.Helper()
	db, err := store.Open(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return newEnvWith(t, db, natsURL)
}
