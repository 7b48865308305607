package remitstore_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/remitq/remitq/pkg/remitstore"
)

func watchDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, sub := range []string{remitstore.ProcessedDir, remitstore.QuarantineDir} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o750); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// pollN polls n times (a file is taken on its second sighting).
func pollN(t *testing.T, w *remitstore.Watcher, n int) {
	t.Helper()
	for range n {
		_ = w.Poll(t.Context())
	}
}

func reason(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, remitstore.QuarantineDir, name+remitstore.ReasonSuffix))
	if err != nil {
		t.Fatalf("no reason file for %s: %v", name, err)
	}
	var r struct{ Reason string }
	must(t, json.Unmarshal(b, &r))
	return r.Reason
}

// A hard link (here to a key file outside the folder) and a symlink are
// never read; a file over the size limit is quarantined unread.
func TestWatchRefusesLinksAndLargeFiles(t *testing.T) {
	e := newEnv(t, "")
	e.addPractice(t)
	dir := watchDir(t)
	secret := filepath.Join(t.TempDir(), "jwt.key")
	must(t, os.WriteFile(secret, []byte("ISA*secret key material~"), 0o600))
	must(t, os.Link(secret, filepath.Join(dir, "hard.835")))
	must(t, os.Symlink(secret, filepath.Join(dir, "soft.835")))
	big, _ := remits(t, 31, 40)
	must(t, os.WriteFile(filepath.Join(dir, "big.835"), big, 0o600))
	w := &remitstore.Watcher{Dir: dir, Ingester: e.in, MaxFileBytes: int64(len(big) - 1)}
	pollN(t, w, 3)
	if n := e.count(t, "remittance_files"); n != 0 {
		t.Fatalf("%d files stored, want none", n)
	}
	if r := reason(t, dir, "hard.835"); !strings.Contains(r, "link") {
		t.Errorf("hard link reason %q", r)
	}
	if r := reason(t, dir, "big.835"); !strings.Contains(r, "limit") {
		t.Errorf("large file reason %q", r)
	}
	if b, err := os.ReadFile(secret); err != nil || string(b) != "ISA*secret key material~" {
		t.Fatal("the link target changed")
	}
}

// A quarantine/ or processed/ folder that is a symlink is refused: nothing
// is taken, nothing moves through it.
func TestWatchRefusesSymlinkedFolders(t *testing.T) {
	e := newEnv(t, "")
	e.addPractice(t)
	for _, sub := range []string{remitstore.QuarantineDir, remitstore.ProcessedDir} {
		dir := watchDir(t)
		elsewhere := t.TempDir()
		must(t, os.Remove(filepath.Join(dir, sub)))
		must(t, os.Symlink(elsewhere, filepath.Join(dir, sub)))
		raw, _ := remits(t, 32, 3)
		must(t, os.WriteFile(filepath.Join(dir, "a.835"), raw, 0o600))
		w := &remitstore.Watcher{Dir: dir, Ingester: e.in}
		w.Poll(t.Context())
		if err := w.Poll(t.Context()); err == nil || !strings.Contains(err.Error(), "symlink") {
			t.Errorf("%s symlinked: Poll = %v, want a refusal", sub, err)
		}
		if ents, _ := os.ReadDir(elsewhere); len(ents) != 0 {
			t.Errorf("%s symlinked: %d files moved through it", sub, len(ents))
		}
		if _, err := os.Stat(filepath.Join(dir, "a.835")); err != nil {
			t.Errorf("%s symlinked: the file left the folder", sub)
		}
		if err := (&remitstore.Watcher{Dir: dir, Ingester: e.in}).Run(t.Context()); err == nil {
			t.Errorf("%s symlinked: Run started", sub)
		}
	}
}

// A file that keeps failing (not an outage) is tried a bounded number of
// times, with a growing wait between tries, then quarantined with the
// reason; an outage is retried with backoff, never quarantined.
func TestWatchBoundedAttempts(t *testing.T) {
	closed := sqlx.MustOpen("postgres", "postgres://nobody@127.0.0.1:1/none?sslmode=disable")
	closed.Close() // every use fails with "database is closed", not an outage
	dead := sqlx.MustOpen("postgres", "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1")
	t.Cleanup(func() { dead.Close() })
	raw, _ := remits(t, 33, 2)
	for _, tc := range []struct {
		name       string
		db         *sqlx.DB
		quarantine bool
	}{{"failing", closed, true}, {"outage", dead, false}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := watchDir(t)
			must(t, os.WriteFile(filepath.Join(dir, "a.835"), raw, 0o600))
			var tries []error
			w := &remitstore.Watcher{Dir: dir, Ingester: &remitstore.Ingester{DB: tc.db}, MaxAttempts: 3, Backoff: 20 * time.Millisecond,
				Failed: func(_ string, _ int, err error) { tries = append(tries, err) }}
			w.Poll(t.Context())
			start := time.Now()
			for time.Since(start) < 400*time.Millisecond {
				w.Poll(t.Context())
				time.Sleep(2 * time.Millisecond)
			}
			// 20+40+80+160 ms of backoff fit in 400 ms: at most 5 tries, not one per poll.
			if len(tries) < 2 || len(tries) > 5 {
				t.Fatalf("%d tries in 400 ms of polling every 2 ms, want 2..5 (backoff)", len(tries))
			}
			_, err := os.Stat(filepath.Join(dir, remitstore.QuarantineDir, "a.835"))
			if (err == nil) != tc.quarantine {
				t.Fatalf("quarantined = %v, want %v (tries: %v)", err == nil, tc.quarantine, errors.Join(tries...))
			}
			if tc.quarantine {
				if len(tries) != 3 {
					t.Errorf("%d tries before quarantine, want 3", len(tries))
				}
				if r := reason(t, dir, "a.835"); !strings.Contains(r, "3 attempts") {
					t.Errorf("reason %q", r)
				}
			}
		})
	}
}
