package bus

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

const secretName = "ZZPATIENT^SECRETNAME"

// storeHolds reports whether any file under dir holds s.
func storeHolds(t *testing.T, dir, s string) bool {
	t.Helper()
	found := false
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if b, err := os.ReadFile(p); err == nil && bytes.Contains(b, []byte(s)) {
			found = true
		}
		return nil
	})
	return found
}

func publishSecret(t *testing.T, o EmbeddedOptions) {
	t.Helper()
	ns, err := StartEmbedded(o)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := ConnectEmbedded(ns)
	if err != nil {
		t.Fatal(err)
	}
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: "PHI", Subjects: []string{"phi.>"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "phi.x", []byte("NM1*QC*1*"+secretName+"~")); err != nil {
		t.Fatal(err)
	}
	nc.Close()
	ns.Shutdown()
	ns.WaitForShutdown()
}

// Patient names sat in clear text in the JetStream store files; with a key
// the store is encrypted and the message still reads back after a restart.
func TestEmbeddedEncryptsAtRest(t *testing.T) {
	clear := t.TempDir()
	publishSecret(t, EmbeddedOptions{StoreDir: clear, Port: -1})
	if !storeHolds(t, clear, secretName) {
		t.Fatal("control: the unencrypted store does not hold the name; the grep proves nothing")
	}
	dir := t.TempDir()
	o := EmbeddedOptions{StoreDir: dir, Port: -1, Key: "0123456789abcdef0123456789abcdef"}
	publishSecret(t, o)
	if storeHolds(t, dir, secretName) {
		t.Fatal("the patient name is in clear text in the encrypted store")
	}
	ns, err := StartEmbedded(o)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { ns.Shutdown(); ns.WaitForShutdown() }()
	nc, err := ConnectEmbedded(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	s, err := js.Stream(t.Context(), "PHI")
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.GetMsg(t.Context(), 1)
	if err != nil || !bytes.Contains(m.Data, []byte(secretName)) {
		t.Fatalf("message after restart: %v", err)
	}
}
