package ingestsvc_test

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/remitq/remitq/pkg/ingestsvc"
	"github.com/remitq/remitq/pkg/remitstore"
)

// seedDirs hold the 835 files the fuzz target starts from: the shared
// corpus of real-world samples (when present) and the parser's test data,
// good and broken.
var seedDirs = []string{"../../../shared/corpus/835", "../../x12/testdata/835", "../../x12/testdata/broken"}

// FuzzUpload: any bytes sent to POST /v1/remittances are stored or
// quarantined (kept, 201/200/422) — never a 5xx, which would ask the sender
// to send them again forever — and the same bytes dropped into the watched
// folder leave it after one take (processed/ or quarantine/), never to be
// retried.
func FuzzUpload(f *testing.F) {
	n := 0
	for _, dir := range seedDirs {
		paths, _ := filepath.Glob(filepath.Join(dir, "*.835"))
		for _, p := range paths {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
				n++
			}
		}
	}
	if n == 0 {
		f.Fatal("no seed files found")
	}
	f.Add([]byte("ISA*00*\x00\xff*~"))
	s, deps, srv := newService(f, ingestsvc.Options{NoPublisher: true, MaxFileBytes: 1 << 20})
	addPractice(f, deps, "1234567893")
	dir := watchDir(f)
	w := &remitstore.Watcher{Dir: dir, Ingester: s.Ingester, MaxAttempts: 1}
	i := 0
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) == 0 {
			return // answered 400 empty_body; nothing to keep
		}
		resp := post(t, srv.URL+"/v1/remittances?filename=fuzz.835", raw, nil)
		if len(raw) > 1<<20 && resp.StatusCode == http.StatusRequestEntityTooLarge {
			resp.Body.Close()
			return // refused unread: over the size limit
		}
		res := decode[remitstore.Result](t, resp)
		switch resp.StatusCode {
		case http.StatusCreated, http.StatusOK, http.StatusUnprocessableEntity:
		default:
			t.Fatalf("upload of %d bytes answered %s", len(raw), resp.Status)
		}
		if res.FileID == 0 {
			t.Fatalf("upload answered %s without a stored file: %+v", resp.Status, res)
		}
		if _, err := remitstore.File(t.Context(), deps.DB, res.FileID); err != nil {
			t.Fatalf("file %d not stored: %v", res.FileID, err)
		}
		i++
		name := fmt.Sprintf("f%d.835", i)
		if err := os.WriteFile(filepath.Join(dir, name), raw, 0o600); err != nil {
			t.Fatal(err)
		}
		_ = w.Poll(t.Context())
		_ = w.Poll(t.Context())
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			t.Fatalf("the watched folder kept %s after taking it", name)
		}
		moved := false
		for _, sub := range []string{remitstore.ProcessedDir, remitstore.QuarantineDir} {
			if b, err := os.ReadFile(filepath.Join(dir, sub, name)); err == nil && bytes.Equal(b, raw) {
				moved = true
			}
		}
		if !moved {
			t.Fatalf("%s left the folder but is in neither processed/ nor quarantine/", name)
		}
	})
}

func watchDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	for _, sub := range []string{remitstore.ProcessedDir, remitstore.QuarantineDir} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o750); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
